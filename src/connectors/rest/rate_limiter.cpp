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

TokenBucket::Permit::~Permit() {
  if (bucket_) bucket_->finished();
}

TokenBucket::Permit TokenBucket::acquire(std::stop_token stop) {
  if (unlimited()) return Permit(nullptr, !stop.stop_requested());
  std::lock_guard queue(queue_);
  constexpr core::Duration kSecond = std::chrono::seconds(1);
  // A window filled by requests still in flight frees up at an instant nobody knows yet: look again soon.
  constexpr core::Duration kInFlightPoll = std::chrono::milliseconds(5);
  while (!stop.stop_requested()) {
    core::Duration wait{0};
    {
      std::lock_guard lock(state_);
      const core::Duration now = clock_();
      tokens_ =
          std::min(capacity_, tokens_ + static_cast<double>((now - last_refill_).count()) * rate_ / 1e6);
      last_refill_ = now;
      while (!answered_.empty() && now - answered_.front() >= kSecond) answered_.pop_front();

      if (tokens_ < 1.0)
        wait = core::Duration(static_cast<int64_t>(std::ceil((1.0 - tokens_) * 1e6 / rate_)));
      if (in_flight_ + answered_.size() >= window_) {
        const size_t to_expire = in_flight_ + answered_.size() - window_ + 1;
        wait = std::max(
            wait, to_expire <= answered_.size() ? answered_[to_expire - 1] + kSecond - now : kInFlightPoll);
      }
      if (wait <= core::Duration::zero()) {
        tokens_ -= 1.0;
        ++in_flight_;
        return Permit(this, true);
      }
    }
    sleeper_(wait, stop);
  }
  return Permit();
}

void TokenBucket::finished() {
  std::lock_guard lock(state_);
  --in_flight_;
  answered_.push_back(clock_());
}

}  // namespace ferry::connectors::rest
