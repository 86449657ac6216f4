// store/rate_bucket_sweep: when a rate-limit bucket may go (Store::take_rate_tokens), the same for every
// store. A bucket idle for burst/rate seconds is full again, and a missing bucket reads as a full one, so
// deleting it changes no answer; the margin covers clocks of different hosts that disagree a little.
#pragma once

#include <algorithm>
#include <chrono>

#include "core/time.h"

namespace ferry::store {

inline constexpr std::chrono::seconds kRateBucketIdleMargin{60};
// At most this many idle buckets go per take: each take adds at most one bucket, so idle ones never pile up,
// and no take pays for a long sweep.
inline constexpr int kRateBucketSweepBatch = 16;

// Buckets last taken from before this are full again.
inline core::Timestamp rate_bucket_idle_cutoff(core::Timestamp now, double rate, double burst) {
  constexpr double kDecade = 3.2e8;  // seconds; a vanishing rate must not overflow the duration
  const auto full_after = std::chrono::duration_cast<core::Timestamp::duration>(
      std::chrono::duration<double>(std::min(burst / rate, kDecade)));
  return now - full_after - kRateBucketIdleMargin;
}

}  // namespace ferry::store
