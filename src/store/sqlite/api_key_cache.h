// store/sqlite/api_key_cache: authenticated API keys (by their SHA-256) and their tenants, so a request
// whose key was seen before skips the key lookup. Every entry belongs to a revocation generation, a counter
// the database raises (by trigger) whenever a key is revoked or deleted or a tenant is deleted, by this
// process or any other: a lookup that reads a newer generation than the cache's drops every entry first,
// so a revoked key fails on its very next request. Bounded: when full, the cache starts over.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/domain.h"

namespace ferry::store {

struct CachedApiKey {
  core::Tenant tenant;
  std::string key_id;
  std::optional<core::Timestamp> last_used_at;
};

class ApiKeyCache {
 public:
  static constexpr size_t kDefaultMaxEntries = 10'000;

  explicit ApiKeyCache(size_t max_entries = kDefaultMaxEntries) : max_entries_(max_entries) {}

  // The key, if cached under `generation` (read from the database before calling); an older cache is
  // dropped.
  std::optional<CachedApiKey> find(const std::string& key_hash, int64_t generation);
  // Remembers a key found valid by a lookup that read `generation` first; ignored if the cache has since
  // moved to another generation.
  void remember(const std::string& key_hash, int64_t generation, CachedApiKey key);
  size_t size() const;

 private:
  void start_generation(int64_t generation);

  size_t max_entries_;
  mutable std::mutex mutex_;
  std::optional<int64_t> generation_;
  std::unordered_map<std::string, CachedApiKey> entries_;
};

}  // namespace ferry::store
