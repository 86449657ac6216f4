#include "api/rate_buckets.h"

#include <algorithm>
#include <cmath>

namespace ferry::api {
namespace {

// A clock that steps back (an NTP correction) must not mint tokens, nor take them.
double elapsed_seconds(core::Timestamp from, core::Timestamp to) {
  return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

TokenGrant grant_of(int granted, double left, const BucketShape& shape) {
  if (granted > 0) return {granted, 0};
  return {0, std::max(0.0, 1.0 - left) / shape.rate};
}

}  // namespace

InProcessRateBuckets::InProcessRateBuckets(size_t max_buckets)
    : max_buckets_(std::max<size_t>(max_buckets, 1)) {}

// Past the cap, the least recently used bucket goes even if not full (its key merely gets a fresh burst).
void InProcessRateBuckets::evict(const BucketShape& shape, core::Timestamp now) {
  while (!lru_.empty()) {
    const Bucket& last = lru_.back();
    const bool full = last.tokens + elapsed_seconds(last.updated, now) * shape.rate >= shape.burst;
    if (!full && lru_.size() <= max_buckets_) break;
    index_.erase(last.key);
    lru_.pop_back();
  }
}

TokenGrant InProcessRateBuckets::take(const std::string& key_hash, int want, const BucketShape& shape,
                                      core::Timestamp now) {
  std::lock_guard lock(mutex_);
  Bucket* bucket = nullptr;
  if (auto found = index_.find(key_hash); found != index_.end()) {
    lru_.splice(lru_.begin(), lru_, found->second);
    bucket = &*found->second;
    bucket->tokens =
        std::min(shape.burst, bucket->tokens + elapsed_seconds(bucket->updated, now) * shape.rate);
    bucket->updated = now;
  } else {
    lru_.push_front(Bucket{key_hash, shape.burst, now});
    index_.emplace(key_hash, lru_.begin());
    bucket = &lru_.front();
  }
  const int granted = static_cast<int>(std::min<double>(want, std::floor(bucket->tokens)));
  bucket->tokens -= granted;
  const auto grant = grant_of(granted, bucket->tokens, shape);
  evict(shape, now);  // after the take: the bucket just used is at the front
  return grant;
}

size_t InProcessRateBuckets::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

TokenGrant StoreRateBuckets::take(const std::string& key_hash, int want, const BucketShape& shape,
                                  core::Timestamp now) {
  const auto taken = store_.take_rate_tokens(key_hash, want, shape.rate, shape.burst, now);
  return grant_of(taken.granted, taken.left, shape);
}

}  // namespace ferry::api
