// api/rate_limit: the per-key request rate limit every surface shares. One token bucket per presented
// credential, keyed by its SHA-256 (a raw key is never held), refilled continuously from an injected clock;
// memory stays bounded however many credentials clients invent (least recently used buckets go first).
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/http.h"
#include "core/time.h"

namespace ferry::api {

// Operator settings (`--rate-limit`, `--rate-burst`): never settable through the API.
struct RateLimitOptions {
  double requests_per_second = 50;  // per key; 0 turns the limit off
  double burst = 100;               // requests a key may send at once after being idle; at least 1
};

class RateLimiter {
 public:
  static constexpr size_t kDefaultMaxBuckets = 65'536;

  RateLimiter(RateLimitOptions options, const core::Clock& clock, size_t max_buckets = kDefaultMaxBuckets);

  bool enabled() const { return options_.requests_per_second > 0; }
  // Takes one token from the bucket of every credential given (all or none). nullopt: allowed; otherwise
  // the whole seconds (at least 1) until every one of them has a token again.
  std::optional<int> acquire(const std::vector<std::string>& credentials);
  size_t bucket_count() const;

 private:
  struct Bucket {
    std::string key;
    double tokens;
    core::Timestamp updated;
  };
  using Lru = std::list<Bucket>;  // most recently used first

  Bucket& bucket(const std::string& key, core::Timestamp now);
  void refill(Bucket& bucket, core::Timestamp now) const;
  void evict(core::Timestamp now);

  RateLimitOptions options_;
  const core::Clock& clock_;
  size_t max_buckets_;
  mutable std::mutex mutex_;
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator> index_;
};

// The credentials a request presents, whatever the surface: the Bearer token, each non-empty half of Basic
// (Polytomic accepts the key as either), and x-api-key (Airweave). Empty when it presents none.
std::vector<std::string> presented_credentials(const HttpRequest& request);

}  // namespace ferry::api
