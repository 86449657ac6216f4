// api/rate_limit: the per-key request rate limit every surface shares. One token bucket per presented
// credential, keyed by its SHA-256 (a raw key is never held), refilled continuously from an injected clock.
// The buckets live in this process or in the store (api/rate_buckets.h). From a store's buckets, shared by
// many `ferry serve` processes, a limiter takes tokens in small chunks and spends them here, asking again
// only when its chunk is spent: one store round trip per chunk, not per request; a key over its limit is
// refused here until its bucket holds a token again, without asking the store. Every request spends a
// token some bucket granted, so over any time t a key gets at most burst + rate × t requests from all
// processes together, plus the chunks processes held when t began (at most processes × chunk_size).
// Memory stays bounded however many credentials clients invent (least recently used go first).
#pragma once

#include <array>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/http.h"
#include "api/rate_buckets.h"
#include "core/time.h"

namespace ferry::api {

// Operator settings (`--rate-limit`, `--rate-burst`): never settable through the API.
struct RateLimitOptions {
  double requests_per_second = 50;  // per key; 0 turns the limit off
  double burst = 100;               // requests a key may send at once after being idle; at least 1
  // The buckets are in the store, shared by every process on it (set for a PostgreSQL store, which many
  // `ferry serve` processes share); else in this process.
  bool shared_buckets = false;
};

class RateLimiter {
 public:
  static constexpr size_t kDefaultMaxBuckets = InProcessRateBuckets::kDefaultMaxBuckets;

  // Buckets in this process.
  RateLimiter(RateLimitOptions options, const core::Clock& clock, size_t max_buckets = kDefaultMaxBuckets);
  // Buckets in `shared` (other processes take from them too), taken from chunk_size(burst) tokens at a time.
  // `max_keys` bounds the keys this process holds a chunk for.
  RateLimiter(RateLimitOptions options, const core::Clock& clock, RateBuckets& shared,
              size_t max_keys = kDefaultMaxBuckets);

  // Small against the burst, so chunks held by other processes never keep a key waiting long: a tenth of
  // it, and 1 below a burst of 20.
  static int chunk_size(double burst);

  bool enabled() const { return options_.requests_per_second > 0; }
  // Takes one token for every credential given (all or none). nullopt: allowed; otherwise the whole seconds
  // (at least 1) until every one of their buckets has a token again.
  std::optional<int> acquire(const std::vector<std::string>& credentials);
  // Buckets, and keys' chunks and waits, kept in this process's memory.
  size_t bucket_count() const;

 private:
  // What this process knows of a key's bucket: tokens it took and has not spent yet, and until when the
  // bucket holds no token.
  struct Local {
    int tokens = 0;
    core::Timestamp empty_until{};
  };
  using Lru = std::list<std::pair<std::string, Local>>;  // most recently used first

  Local local(const std::string& key) const;
  void record(const std::string& key, const TokenGrant& grant, core::Timestamp now);
  void spend(const std::string& key);
  std::mutex& key_lock(const std::string& key);

  RateLimitOptions options_;
  const core::Clock& clock_;
  std::unique_ptr<InProcessRateBuckets> own_buckets_;  // the in-process case's
  RateBuckets& buckets_;
  int chunk_;
  size_t max_keys_;
  // Held by whoever checks, refills and spends a key's chunk, so two requests of one key never both refill
  // it (which would hold two chunks), while other keys go on; a store round trip happens under it.
  std::array<std::mutex, 64> key_locks_;
  mutable std::mutex mutex_;  // entries_ and index_
  Lru entries_;
  std::unordered_map<std::string, Lru::iterator> index_;
};

// The credentials a request presents, whatever the surface: the Bearer token, each non-empty half of Basic
// (Polytomic accepts the key as either), and x-api-key (Airweave). Empty when it presents none.
std::vector<std::string> presented_credentials(const HttpRequest& request);

}  // namespace ferry::api
