#include "connectors/rest/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <thread>

namespace ferry::connectors::rest {

MonotonicClock steady_clock() {
  return [] {
    return std::chrono::duration_cast<core::Duration>(std::chrono::steady_clock::now().time_since_epoch());
  };
}

Sleeper real_sleeper() {
  return [](core::Duration duration, std::stop_token stop) {
    if (duration <= core::Duration::zero()) return;
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, duration, [] { return false; });
  };
}

TokenBucket::TokenBucket(double requests_per_second, int burst, MonotonicClock clock, Sleeper sleeper)
    : rate_(requests_per_second),
      capacity_(requests_per_second <= 0
                    ? 1.0
                    : std::clamp(static_cast<double>(burst), 1.0, std::max(1.0, requests_per_second))),
      window_(requests_per_second <= 0 ? 0
                                       : static_cast<size_t>(std::max(1.0, std::floor(requests_per_second)))),
      clock_(std::move(clock)),
      sleeper_(std::move(sleeper)),
      tokens_(capacity_) {
  last_refill_ = clock_();
}

bool TokenBucket::acquire(std::stop_token stop) {
  if (unlimited()) return !stop.stop_requested();
  // Held while waiting: callers queue in order, and no two of them spend the same token.
  std::lock_guard lock(mutex_);
  constexpr core::Duration kSecond = std::chrono::seconds(1);
  while (!stop.stop_requested()) {
    const core::Duration now = clock_();
    tokens_ = std::min(capacity_, tokens_ + static_cast<double>((now - last_refill_).count()) * rate_ / 1e6);
    last_refill_ = now;
    while (!recent_.empty() && now - recent_.front() >= kSecond) recent_.pop_front();

    core::Duration wait{0};
    if (tokens_ < 1.0) {
      wait = core::Duration(static_cast<int64_t>(std::ceil((1.0 - tokens_) * 1e6 / rate_)));
    }
    if (recent_.size() >= window_) wait = std::max(wait, recent_.front() + kSecond - now);
    if (wait <= core::Duration::zero()) {
      tokens_ -= 1.0;
      recent_.push_back(now);
      return true;
    }
    sleeper_(wait, stop);
  }
  return false;
}

}  // namespace ferry::connectors::rest
