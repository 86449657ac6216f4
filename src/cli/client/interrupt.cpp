#include "cli/client/interrupt.h"

#include <pthread.h>

namespace ferry::cli::client {
namespace {

sigset_t interrupt_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  const sigset_t set = interrupt_set();
  // Blocked before the thread starts, so it and every thread started later inherit the mask.
  pthread_sigmask(SIG_BLOCK, &set, &previous_mask_);
  waiter_ = std::jthread([set, source = interrupted_](std::stop_token stop) mutable {
    const timespec poll{0, 100'000'000};  // wake up 10 times a second to notice the guard's end
    while (!stop.stop_requested()) {
      if (sigtimedwait(&set, nullptr, &poll) == SIGINT) {
        source.request_stop();
        return;
      }
    }
  });
}

InterruptGuard::~InterruptGuard() {
  waiter_.request_stop();
  if (waiter_.joinable()) waiter_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

}  // namespace ferry::cli::client
