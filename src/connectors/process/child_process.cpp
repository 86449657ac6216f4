#include "connectors/process/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "core/error.h"

namespace ferry::connectors::process {
namespace {

using core::ErrorCategory;
using core::FerryError;

constexpr int kPollSliceMs = 50;
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxStderrLine = 4096;

std::string quote_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

std::pair<Fd, Fd> make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw FerryError(ErrorCategory::kInternal, std::string("process source: pipe: ") + std::strerror(errno));
  }
  return {Fd(fds[0]), Fd(fds[1])};
}

// What the child failed at before its exec, reported to the parent through a close-on-exec pipe.
enum class Stage : int { kDescriptors, kLimits, kUser, kDirectory, kExec };

const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::kDescriptors:
      return "set up its descriptors";
    case Stage::kLimits:
      return "set its resource limits";
    case Stage::kUser:
      return "switch to its user";
    case Stage::kDirectory:
      return "enter its working directory";
    case Stage::kExec:
      break;
  }
  return "execute";
}

// Everything the forked child needs, prepared before the fork: after it only async-signal-safe calls.
struct Prepared {
  std::vector<char*> argv;
  std::vector<char*> env;
  const char* cwd = nullptr;
  const std::vector<std::pair<int, rlim_t>>* limits = nullptr;
  std::optional<std::pair<uid_t, gid_t>> user;
};

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void fail_in_child(int report, Stage stage) noexcept {
  const int message[2] = {static_cast<int>(stage), errno};
  [[maybe_unused]] const ssize_t ignored = ::write(report, message, sizeof message);
  ::_exit(127);
}

// Runs in the forked child. Limits are set while still privileged (a root parent may raise them); the user
// is switched before entering the directory, so that directory is proven usable by the child's own user.
[[noreturn]] void become_child(const Prepared& p, int stdout_fd, int stderr_fd, int report) noexcept {
  ::setpgid(0, 0);  // its own group: stopping it stops its children too
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  struct sigaction defaults {};
  defaults.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) ::sigaction(sig, &defaults, nullptr);
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(stdout_fd, 1) < 0 || ::dup2(stderr_fd, 2) < 0) {
    fail_in_child(report, Stage::kDescriptors);
  }
  // Descriptors other threads opened without O_CLOEXEC (ferry's database, sockets) must not reach the child.
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  for (const auto& [resource, value] : *p.limits) {
    const rlimit limit{value, value};
    if (::setrlimit(resource, &limit) != 0) fail_in_child(report, Stage::kLimits);
  }
  if (p.user) {
    const gid_t gid = p.user->second;
    if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(p.user->first) != 0) {
      fail_in_child(report, Stage::kUser);
    }
  }
  if (p.cwd != nullptr && ::chdir(p.cwd) != 0) fail_in_child(report, Stage::kDirectory);
  ::execve(p.argv[0], p.argv.data(), p.env.data());
  fail_in_child(report, Stage::kExec);
}

}  // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string ExitStatus::describe() const {
  if (signaled) return "was killed by signal " + std::to_string(code) + " (" + strsignal(code) + ")";
  return "exited with status " + std::to_string(code);
}

ChildProcess::ChildProcess(Launch launch, std::chrono::seconds idle_timeout)
    : shown_(launch.shown.empty() ? quote_argv(launch.argv) : launch.shown), idle_timeout_(idle_timeout) {
  if (launch.argv.empty() || launch.argv[0].empty()) {
    throw FerryError(ErrorCategory::kConfigInvalid, "process source: no command to run");
  }
  if (launch.argv[0].front() != '/') {
    throw FerryError(
        ErrorCategory::kConfigInvalid,
        "process source: `" + launch.argv[0] + "` is not an absolute path (there is no PATH search)");
  }
  spawn(launch);
  fcntl(out_.get(), F_SETFL, fcntl(out_.get(), F_GETFL) | O_NONBLOCK);
  fcntl(err_.get(), F_SETFL, fcntl(err_.get(), F_GETFL) | O_NONBLOCK);
  last_activity_ = std::chrono::steady_clock::now();
}

void ChildProcess::spawn(const Launch& launch) {
  auto [out_r, out_w] = make_pipe();
  auto [err_r, err_w] = make_pipe();
  auto [report_r, report_w] = make_pipe();
  Prepared prepared{c_strings(launch.argv), c_strings(launch.env),
                    launch.cwd.empty() ? nullptr : launch.cwd.c_str(), &launch.limits, launch.user};

  pid_ = ::fork();
  if (pid_ < 0) {
    pid_ = -1;
    reaped_ = true;
    throw FerryError(ErrorCategory::kSourceUnavailable,
                     "process source: cannot start `" + shown_ + "`: fork: " + std::strerror(errno));
  }
  if (pid_ == 0) become_child(prepared, out_w.get(), err_w.get(), report_w.get());

  out_w.reset();
  err_w.reset();
  report_w.reset();
  int message[2] = {0, 0};
  ssize_t got;
  do {
    got = ::read(report_r.get(), message, sizeof message);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof message)) {  // the child failed before exec and has exited
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    reaped_ = true;
    const auto stage = static_cast<Stage>(message[0]);
    throw FerryError(stage == Stage::kExec ? ErrorCategory::kConfigInvalid : ErrorCategory::kInternal,
                     "process source: cannot start `" + shown_ + "`: cannot " + stage_name(stage) + ": " +
                         std::strerror(message[1]));
  }
  out_ = std::move(out_r);
  err_ = std::move(err_r);
}

ChildProcess::Next ChildProcess::next_line(std::string& line, const std::stop_token& stop) {
  for (;;) {
    const size_t nl = out_buf_.find('\n', std::max(out_start_, out_scan_));
    if (nl != std::string::npos) {
      line.assign(out_buf_, out_start_, nl - out_start_);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      out_start_ = out_scan_ = nl + 1;
      return Next::kLine;
    }
    if (out_eof_) {
      if (out_start_ < out_buf_.size()) {  // a last line without a newline
        line.assign(out_buf_, out_start_, std::string::npos);
        out_start_ = out_scan_ = out_buf_.size();
        return Next::kLine;
      }
      return Next::kEnd;
    }
    out_buf_.erase(0, out_start_);
    out_start_ = 0;
    out_scan_ = out_buf_.size();
    if (out_buf_.size() > kMaxLineBytes) {
      fail("wrote a stdout line longer than " + std::to_string(kMaxLineBytes) + " bytes");
    }
    if (stop.stop_requested()) {
      terminate();
      return Next::kStopped;
    }
    pump();
  }
}

std::optional<ExitStatus> ChildProcess::wait(const std::stop_token& stop) {
  while (!reaped_) {
    if (stop.stop_requested()) {
      terminate();
      return std::nullopt;
    }
    if (try_reap()) break;
    if (!err_eof_) {
      pump();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      enforce_runtime_limit();
      if (idle_timeout_.count() > 0 && std::chrono::steady_clock::now() - last_activity_ > idle_timeout_) {
        fail("did not exit within " + std::to_string(idle_timeout_.count()) + " s of closing its output");
      }
    }
  }
  // Whatever stderr is still buffered in the pipe belongs in the tail.
  while (!err_eof_ && read_some(err_.get(), false)) {
  }
  return status_;
}

void ChildProcess::limit_runtime(std::chrono::seconds limit) {
  runtime_limit_ = limit;
  deadline_ = std::chrono::steady_clock::now() + limit;
}

void ChildProcess::enforce_runtime_limit() {
  if (deadline_ && std::chrono::steady_clock::now() > *deadline_) {
    fail("did not finish within " + std::to_string(runtime_limit_.count()) + " s (timeout_seconds)");
  }
}

void ChildProcess::pump() {
  enforce_runtime_limit();  // before polling: a chatty child never reaches the idle branch below
  pollfd fds[2];
  nfds_t n = 0;
  if (!out_eof_) fds[n++] = {out_.get(), POLLIN, 0};
  if (!err_eof_) fds[n++] = {err_.get(), POLLIN, 0};
  if (n == 0) return;
  const int r = ::poll(fds, n, kPollSliceMs);
  if (r < 0) {
    if (errno == EINTR) return;
    fail(std::string("poll: ") + std::strerror(errno));
  }
  if (r == 0) {
    // Nothing pending. A child that has exited while a grandchild keeps the pipes open is finished. It may
    // have written its last output and exited since the poll: what the pipes hold is kept, not dropped.
    if (on_quiet_poll_) on_quiet_poll_();
    if (try_reap()) {
      drain();
      out_eof_ = err_eof_ = true;
      return;
    }
    if (idle_timeout_.count() > 0 && std::chrono::steady_clock::now() - last_activity_ > idle_timeout_) {
      fail("produced no output for " + std::to_string(idle_timeout_.count()) + " s (timeout_seconds)");
    }
    return;
  }
  for (nfds_t i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    read_some(fds[i].fd, fds[i].fd == out_.get());
  }
}

void ChildProcess::drain() {
  while (!out_eof_ && read_some(out_.get(), true)) {
  }
  while (!err_eof_ && read_some(err_.get(), false)) {
  }
}

// Reads one chunk; false when nothing more is available right now (or at EOF).
bool ChildProcess::read_some(int fd, bool is_stdout) {
  char buffer[kReadChunk];
  const ssize_t got = ::read(fd, buffer, sizeof buffer);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
    (is_stdout ? out_eof_ : err_eof_) = true;
    return false;
  }
  if (got == 0) {
    (is_stdout ? out_eof_ : err_eof_) = true;
    if (!is_stdout && !err_partial_.empty()) note(std::exchange(err_partial_, {}));
    return false;
  }
  last_activity_ = std::chrono::steady_clock::now();
  if (is_stdout) {
    out_buf_.append(buffer, static_cast<size_t>(got));
  } else {
    add_stderr(buffer, static_cast<size_t>(got));
  }
  return true;
}

void ChildProcess::add_stderr(const char* data, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (data[i] == '\n') {
      if (!err_partial_.empty() && err_partial_.back() == '\r') err_partial_.pop_back();
      note(std::exchange(err_partial_, {}));
    } else if (err_partial_.size() < kMaxStderrLine) {
      err_partial_ += data[i];
    }
  }
}

void ChildProcess::note(std::string line) {
  tail_.push_back(std::move(line));
  while (tail_.size() > kTailLines) tail_.pop_front();
}

std::string ChildProcess::describe(const std::string& what) const {
  std::string out = "process source: `" + shown_ + "` " + what;
  std::deque<std::string> lines = tail_;
  if (!err_partial_.empty()) lines.push_back(err_partial_);
  while (lines.size() > kTailLines) lines.pop_front();
  if (lines.empty()) return out + " (no stderr output)";
  out += "; last " + std::to_string(lines.size()) + " lines of stderr:";
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

void ChildProcess::fail(const std::string& what) {
  terminate();
  throw FerryError(ErrorCategory::kSourceUnavailable, describe(what));
}

bool ChildProcess::try_reap() noexcept {
  if (reaped_) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  reaped_ = true;
  if (r == pid_) {
    status_ =
        WIFSIGNALED(status) ? ExitStatus{true, WTERMSIG(status)} : ExitStatus{false, WEXITSTATUS(status)};
  } else {
    status_ = ExitStatus{false, -1};  // ECHILD: someone else reaped it
  }
  return true;
}

void ChildProcess::terminate() noexcept {
  if (reaped_ || pid_ <= 0) return;
  if (try_reap()) return;
  // The group id is the child's pid, ours until the child is reaped.
  ::kill(-pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kGracePeriod;
  while (std::chrono::steady_clock::now() < deadline) {
    if (try_reap()) {
      ::kill(-pid_, SIGKILL);  // stragglers in its group (ESRCH when there are none)
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  status_ = ExitStatus{true, SIGKILL};
}

}  // namespace ferry::connectors::process
