// connectors/process: a child process with its stdout read line by line and its stderr drained concurrently
// into a tail of recent lines. The child runs in its own process group; destroying the object (or stopping)
// terminates the group (SIGTERM, then SIGKILL after a grace period) and always reaps the child.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace ferry::connectors::process {

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

// Exactly how a child starts: nothing is inherited from ferry but what is listed here.
struct Launch {
  std::vector<std::string> argv;  // argv[0] is executed as given: an absolute path, no PATH search
  std::vector<std::string> env;   // NAME=VALUE, the child's whole environment
  std::string cwd;                // "" keeps ferry's
  std::vector<std::pair<int, rlim_t>> limits;  // RLIMIT_* → soft and hard limit
  // Switched to (setgroups, setgid, setuid) before exec; needs ferry to run as root.
  std::optional<std::pair<uid_t, gid_t>> user;
  std::string shown;  // how messages name the command; "" shows argv
};

struct ExitStatus {
  bool signaled = false;
  int code = 0;  // exit code, or the signal number when `signaled`
  bool ok() const { return !signaled && code == 0; }
  std::string describe() const;
};

class ChildProcess {
 public:
  static constexpr std::chrono::milliseconds kGracePeriod{2000};
  static constexpr size_t kTailLines = 20;
  static constexpr size_t kMaxLineBytes = 64u << 20;

  // Starts `launch` with stdin from /dev/null and no other descriptor of ferry's. `idle_timeout` (0 = none)
  // bounds how long the child may stay silent on both stdout and stderr. Throws core::FerryError when it
  // cannot start (kConfigInvalid when the executable cannot be run).
  ChildProcess(Launch launch, std::chrono::seconds idle_timeout);
  ~ChildProcess() { terminate(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  enum class Next { kLine, kEnd, kStopped };
  // The next stdout line (without its newline). kEnd at end of output; kStopped once `stop` is requested
  // (the child has then been terminated). Throws core::FerryError on an idle timeout or an oversized line.
  Next next_line(std::string& line, const std::stop_token& stop);
  // After kEnd: waits for the child to exit, still draining stderr. nullopt when stopped first.
  std::optional<ExitStatus> wait(const std::stop_token& stop);
  // Terminates the process group (if the child is still running) and reaps the child. Never throws.
  void terminate() noexcept;
  // Bounds the child's whole run, counted from now, however much it writes: once `limit` has passed,
  // next_line and wait terminate it and throw core::FerryError. For commands that should answer and exit
  // (check, discover), where a connector that keeps logging would otherwise never be stopped.
  void limit_runtime(std::chrono::seconds limit);

  // Adds a line to the diagnostic tail (e.g. a protocol LOG message).
  void note(std::string line);
  // "`cmd args`: <what>" followed by the tail of stderr, for error messages.
  std::string describe(const std::string& what) const;
  pid_t pid() const { return pid_; }
  // Tests only: runs each time a poll finds both pipes quiet, just before the check for an exited child, so
  // a test can let the child write and exit inside that window.
  void on_quiet_poll(std::function<void()> hook) { on_quiet_poll_ = std::move(hook); }

 private:
  void pump();  // waits up to a short slice for output on either pipe and reads it
  void enforce_runtime_limit();
  bool read_some(int fd, bool is_stdout);
  void add_stderr(const char* data, size_t n);
  // Reads whatever both pipes hold right now, without waiting for their end.
  void drain();
  bool try_reap() noexcept;
  [[noreturn]] void fail(const std::string& what);

  void spawn(const Launch& launch);

  std::string shown_;
  std::chrono::seconds idle_timeout_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  ExitStatus status_;
  Fd out_;
  Fd err_;
  bool out_eof_ = false;
  bool err_eof_ = false;
  std::string out_buf_;
  size_t out_start_ = 0;  // first unconsumed byte of out_buf_
  size_t out_scan_ = 0;   // bytes before this have no newline (from out_start_)
  std::string err_partial_;
  std::deque<std::string> tail_;
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::seconds runtime_limit_{0};
  std::optional<std::chrono::steady_clock::time_point> deadline_;  // set by limit_runtime
  std::function<void()> on_quiet_poll_;
};

}  // namespace ferry::connectors::process
