#include "store/sqlite/api_key_cache.h"

namespace ferry::store {

void ApiKeyCache::start_generation(int64_t generation) {
  if (generation_ == generation) return;
  entries_.clear();
  generation_ = generation;
}

std::optional<CachedApiKey> ApiKeyCache::find(const std::string& key_hash, int64_t generation) {
  std::lock_guard lock(mutex_);
  // Generations only grow: a lookup that read an older one than the cache's (it raced a revocation) must
  // not bring revoked keys back, so it just misses.
  if (generation_ && generation < *generation_) return std::nullopt;
  start_generation(generation);
  const auto found = entries_.find(key_hash);
  if (found == entries_.end()) return std::nullopt;
  return found->second;
}

void ApiKeyCache::remember(const std::string& key_hash, int64_t generation, CachedApiKey key) {
  std::lock_guard lock(mutex_);
  if (generation_ && generation < *generation_) return;
  start_generation(generation);
  if (entries_.size() >= max_entries_ && !entries_.contains(key_hash)) entries_.clear();
  entries_.insert_or_assign(key_hash, std::move(key));
}

size_t ApiKeyCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace ferry::store
