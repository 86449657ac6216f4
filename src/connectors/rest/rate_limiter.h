// connectors/rest/rate_limiter: a per-source token bucket (requests/s and burst) with an injectable clock and
// sleeper, so it is tested without waiting. Besides the bucket, a sliding one-second window caps requests at
// `requests_per_second`, and a request counts in it from its start until one second after its answer came
// back. An API counts a request when it arrives, some time between those two instants, so however long
// requests spend in transit no second of the API's clock ever sees more requests than the configured rate.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <utility>

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
  // The right to send one request; the request stops counting as in flight when the permit is destroyed,
  // so hold it until the answer (or the failure) is in hand.
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept
        : bucket_(std::exchange(other.bucket_, nullptr)), granted_(other.granted_) {}
    Permit& operator=(Permit&&) = delete;
    ~Permit();
    explicit operator bool() const { return granted_; }

   private:
    friend class TokenBucket;
    Permit(TokenBucket* bucket, bool granted) : bucket_(bucket), granted_(granted) {}
    TokenBucket* bucket_ = nullptr;  // null: nothing to give back (unlimited, or refused)
    bool granted_ = false;
  };

  // `requests_per_second` <= 0: unlimited. `burst` is clamped to [1, requests_per_second].
  TokenBucket(double requests_per_second, int burst, MonotonicClock clock = steady_clock(),
              Sleeper sleeper = real_sleeper());

  // Blocks until one request may start; a false permit when `stop` was requested first.
  [[nodiscard]] Permit acquire(std::stop_token stop = {});
  bool unlimited() const { return rate_ <= 0; }

 private:
  void finished();

  double rate_;
  double capacity_;
  size_t window_;  // requests allowed in any one-second window
  MonotonicClock clock_;
  Sleeper sleeper_;
  std::mutex queue_;  // held by a caller while it waits: callers are served in order
  std::mutex state_;  // guards what follows; never held while sleeping
  double tokens_;
  core::Duration last_refill_{0};
  size_t in_flight_ = 0;
  std::deque<core::Duration> answered_;  // when the answers of the last second's requests came back
};

}  // namespace ferry::connectors::rest
