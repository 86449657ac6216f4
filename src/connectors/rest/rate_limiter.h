// connectors/rest/rate_limiter: a per-source token bucket (requests/s and burst) with an injectable clock and
// sleeper, so it is tested without waiting. Besides the bucket, a sliding one-second window caps request
// starts at `requests_per_second`: whatever the burst, no window of one second ever holds more requests than
// the configured rate (an API's per-second counter is never exceeded).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>

#include "core/time.h"

namespace ferry::connectors::rest {

// Monotonic time, in microseconds from an arbitrary origin.
using MonotonicClock = std::function<core::Duration()>;
// Waits `duration` or until `stop` is requested, whichever comes first.
using Sleeper = std::function<void(core::Duration, std::stop_token)>;

MonotonicClock steady_clock();
Sleeper real_sleeper();

class TokenBucket {
 public:
  // `requests_per_second` <= 0: unlimited. `burst` is clamped to [1, requests_per_second].
  TokenBucket(double requests_per_second, int burst, MonotonicClock clock = steady_clock(),
              Sleeper sleeper = real_sleeper());

  // Blocks until one request may start; false when `stop` was requested first.
  bool acquire(std::stop_token stop = {});
  bool unlimited() const { return rate_ <= 0; }

 private:
  double rate_;
  double capacity_;
  size_t window_;  // requests allowed in any one-second window
  MonotonicClock clock_;
  Sleeper sleeper_;
  std::mutex mutex_;
  double tokens_;
  core::Duration last_refill_{0};
  std::deque<core::Duration> recent_;  // start times within the last second
};

}  // namespace ferry::connectors::rest
