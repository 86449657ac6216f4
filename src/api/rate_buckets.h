// api/rate_buckets: where the per-key token buckets of the API's rate limit (api/rate_limit.h) live. In this
// process (one `ferry serve` on a SQLite store), or in the store, shared by every process on it (many
// `ferry serve` on one PostgreSQL store), so a key has one budget however many instances answer it.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/time.h"
#include "store/store.h"

namespace ferry::api {

struct BucketShape {
  double rate = 1;   // tokens per second, > 0
  double burst = 1;  // the most a bucket holds (a new bucket is full), >= 1
};

struct TokenGrant {
  int granted = 0;
  double seconds_to_next_token = 0;  // when granted is 0: how long until the bucket holds a whole token
};

class RateBuckets {
 public:
  virtual ~RateBuckets() = default;
  // Takes min(want, whole tokens) from the bucket of `key_hash` (a credential's SHA-256 hex), refilled at
  // the shape's rate since its last take.
  virtual TokenGrant take(const std::string& key_hash, int want, const BucketShape& shape,
                          core::Timestamp now) = 0;
  // Buckets held in this process's memory.
  virtual size_t size() const { return 0; }
};

// Buckets in memory, least recently used first to go past `max_buckets`; a bucket idle long enough to be full
// again goes at once (it is the same as no bucket).
class InProcessRateBuckets final : public RateBuckets {
 public:
  static constexpr size_t kDefaultMaxBuckets = 65'536;
  explicit InProcessRateBuckets(size_t max_buckets = kDefaultMaxBuckets);

  TokenGrant take(const std::string& key_hash, int want, const BucketShape& shape,
                  core::Timestamp now) override;
  size_t size() const override;

 private:
  struct Bucket {
    std::string key;
    double tokens;
    core::Timestamp updated;
  };
  using Lru = std::list<Bucket>;  // most recently used first

  void evict(const BucketShape& shape, core::Timestamp now);

  size_t max_buckets_;
  mutable std::mutex mutex_;
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator> index_;
};

// Buckets in the store (store::Store::take_rate_tokens), one per key for every process sharing it.
class StoreRateBuckets final : public RateBuckets {
 public:
  explicit StoreRateBuckets(store::Store& store) : store_(store) {}
  TokenGrant take(const std::string& key_hash, int want, const BucketShape& shape,
                  core::Timestamp now) override;

 private:
  store::Store& store_;
};

}  // namespace ferry::api
