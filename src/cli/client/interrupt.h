// cli/client/interrupt: Ctrl-C while the client watches a run. For the guard's lifetime SIGINT is blocked in
// every thread and taken by one waiting thread (sigtimedwait), which requests stop on a std::stop_source: no
// signal handler, no global flag. The watch loop's sleeps and HTTP requests stop at once on that token.
#pragma once

#include <csignal>
#include <stop_token>
#include <thread>

namespace ferry::cli::client {

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();  // stops the waiting thread and restores the signal mask
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  std::stop_token token() const { return interrupted_.get_token(); }
  bool interrupted() const { return interrupted_.stop_requested(); }

 private:
  sigset_t previous_mask_{};
  std::stop_source interrupted_;
  std::jthread waiter_;
};

}  // namespace ferry::cli::client
