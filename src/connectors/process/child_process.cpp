#include "connectors/process/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "core/error.h"

extern char** environ;

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

// RAII holders for the posix_spawn attribute objects.
struct FileActions {
  posix_spawn_file_actions_t value;
  FileActions() { posix_spawn_file_actions_init(&value); }
  ~FileActions() { posix_spawn_file_actions_destroy(&value); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
};

struct SpawnAttr {
  posix_spawnattr_t value;
  SpawnAttr() { posix_spawnattr_init(&value); }
  ~SpawnAttr() { posix_spawnattr_destroy(&value); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
};

std::pair<Fd, Fd> make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw FerryError(ErrorCategory::kInternal, std::string("process source: pipe: ") + std::strerror(errno));
  }
  return {Fd(fds[0]), Fd(fds[1])};
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

ChildProcess::ChildProcess(std::vector<std::string> argv, std::chrono::seconds idle_timeout)
    : argv_(std::move(argv)), idle_timeout_(idle_timeout) {
  if (argv_.empty() || argv_[0].empty()) {
    throw FerryError(ErrorCategory::kConfigInvalid, "process source: no command to run");
  }
  auto [out_r, out_w] = make_pipe();
  auto [err_r, err_w] = make_pipe();

  FileActions actions;
  posix_spawn_file_actions_addopen(&actions.value, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions.value, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions.value, err_w.get(), 2);

  SpawnAttr attr;
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&defaults, sig);
  posix_spawnattr_setflags(&attr.value,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr.value, 0);  // its own group: stopping it stops its children too
  posix_spawnattr_setsigmask(&attr.value, &empty);
  posix_spawnattr_setsigdefault(&attr.value, &defaults);

  std::vector<char*> cargv;
  cargv.reserve(argv_.size() + 1);
  for (auto& a : argv_) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const int rc = posix_spawnp(&pid_, argv_[0].c_str(), &actions.value, &attr.value, cargv.data(), environ);
  if (rc != 0) {
    pid_ = -1;
    reaped_ = true;
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "process source: cannot start `" + quote_argv(argv_) + "`: " + std::strerror(rc));
  }
  out_ = std::move(out_r);
  err_ = std::move(err_r);
  fcntl(out_.get(), F_SETFL, fcntl(out_.get(), F_GETFL) | O_NONBLOCK);
  fcntl(err_.get(), F_SETFL, fcntl(err_.get(), F_GETFL) | O_NONBLOCK);
  last_activity_ = std::chrono::steady_clock::now();
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
    // Nothing pending. A child that has exited while a grandchild keeps the pipes open is finished.
    if (try_reap()) {
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
  std::string out = "process source: `" + quote_argv(argv_) + "` " + what;
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
