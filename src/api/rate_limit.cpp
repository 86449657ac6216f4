#include "api/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string_view>

#include "core/encoding.h"

namespace ferry::api {

RateLimiter::RateLimiter(RateLimitOptions options, const core::Clock& clock, size_t max_buckets)
    : options_(options),
      clock_(clock),
      own_buckets_(std::make_unique<InProcessRateBuckets>(max_buckets)),
      buckets_(*own_buckets_),
      chunk_(1),  // one process: a chunk would only keep tokens from the bucket
      max_keys_(std::max<size_t>(max_buckets, 1)) {
  options_.burst = std::max(options_.burst, 1.0);
}

RateLimiter::RateLimiter(RateLimitOptions options, const core::Clock& clock, RateBuckets& shared,
                         size_t max_keys)
    : options_(options),
      clock_(clock),
      buckets_(shared),
      chunk_(chunk_size(std::max(options.burst, 1.0))),
      max_keys_(std::max<size_t>(max_keys, 1)) {
  options_.burst = std::max(options_.burst, 1.0);
}

int RateLimiter::chunk_size(double burst) {
  return std::max(1, static_cast<int>(std::min(burst / 10, 1e6)));
}

std::mutex& RateLimiter::key_lock(const std::string& key) {
  return key_locks_[std::hash<std::string>{}(key) % key_locks_.size()];
}

RateLimiter::Local RateLimiter::local(const std::string& key) const {
  std::lock_guard lock(mutex_);
  const auto found = index_.find(key);
  return found == index_.end() ? Local{} : found->second->second;
}

// What the bucket answered: a chunk to spend here, or when it will next hold a token (so the key's requests
// until then are refused here, without asking again: one over its limit costs the store nothing). Past the
// cap, the least recently used entry goes (a chunk's tokens are lost to its key, never given twice), and
// entries that say nothing any more (no tokens, a wait that is over) go whenever they are the oldest.
void RateLimiter::record(const std::string& key, const TokenGrant& grant, core::Timestamp now) {
  std::lock_guard lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end()) {
    entries_.emplace_front(key, Local{});
    found = index_.emplace(key, entries_.begin()).first;
  } else {
    entries_.splice(entries_.begin(), entries_, found->second);
  }
  Local& entry = found->second->second;
  if (grant.granted > 0) {
    entry.tokens += grant.granted;
  } else {
    entry.empty_until = now + std::chrono::duration_cast<core::Duration>(
                                  std::chrono::duration<double>(grant.seconds_to_next_token));
  }
  while (!entries_.empty()) {
    const auto& [oldest_key, oldest] = entries_.back();
    const bool stale = oldest.tokens == 0 && oldest.empty_until <= now;
    if (!stale && entries_.size() <= max_keys_) break;
    index_.erase(oldest_key);
    entries_.pop_back();
  }
}

// A spent chunk is no entry, so keys within their limit hold no memory here between chunks.
void RateLimiter::spend(const std::string& key) {
  std::lock_guard lock(mutex_);
  const auto found = index_.find(key);
  if (found == index_.end()) return;
  if (--found->second->second.tokens <= 0) {
    entries_.erase(found->second);
    index_.erase(found);
  }
}

std::optional<int> RateLimiter::acquire(const std::vector<std::string>& credentials) {
  if (!enabled() || credentials.empty()) return std::nullopt;
  std::set<std::string> keys;  // the same key twice (Basic "k:k") is one request, not two
  for (const auto& credential : credentials) keys.insert(core::sha256_hex(credential));

  // Every key's lock, each once and in one order, so requests presenting several keys never deadlock.
  std::set<std::mutex*> locks;
  for (const auto& key : keys) locks.insert(&key_lock(key));
  std::vector<std::unique_lock<std::mutex>> locked;
  for (auto* lock : locks) locked.emplace_back(*lock);

  const auto now = clock_.now();
  const BucketShape shape{options_.requests_per_second, options_.burst};
  double wait = 0;
  bool refused = false;
  std::vector<std::pair<const std::string*, int>> fresh;  // chunks taken now, not recorded yet
  for (const auto& key : keys) {
    const auto held = local(key);
    if (held.tokens > 0) continue;
    if (held.empty_until > now) {
      refused = true;
      wait = std::max(wait, std::chrono::duration<double>(held.empty_until - now).count());
      continue;
    }
    const auto grant = buckets_.take(key, chunk_, shape, now);
    if (grant.granted > 0) {
      fresh.emplace_back(&key, grant.granted);
    } else {
      record(key, grant, now);
      refused = true;
      wait = std::max(wait, grant.seconds_to_next_token);
    }
  }
  const auto fresh_tokens = [&](const std::string& key) {
    for (const auto& [fresh_key, tokens] : fresh)
      if (*fresh_key == key) return tokens;
    return 0;
  };
  if (refused) {
    // Chunks taken while another key refuses are kept: their keys' next requests spend them.
    for (const auto& [key, tokens] : fresh) record(*key, TokenGrant{tokens, 0}, now);
    return std::max(1, static_cast<int>(std::ceil(wait)));
  }
  for (const auto& key : keys) {
    // A fresh chunk of one (a bucket in this process) is spent at once, and never enters the map.
    if (const int tokens = fresh_tokens(key); tokens > 1) {
      record(key, TokenGrant{tokens - 1, 0}, now);
    } else if (tokens == 0) {
      spend(key);
    }
  }
  return std::nullopt;
}

size_t RateLimiter::bucket_count() const {
  std::lock_guard lock(mutex_);
  return entries_.size() + buckets_.size();
}

std::vector<std::string> presented_credentials(const HttpRequest& request) {
  std::vector<std::string> found;
  const auto authorization = request.header("Authorization").value_or("");
  constexpr std::string_view kBearer = "Bearer ";
  constexpr std::string_view kBasic = "Basic ";
  if (authorization.starts_with(kBearer) && authorization.size() > kBearer.size()) {
    found.push_back(authorization.substr(kBearer.size()));
  } else if (authorization.starts_with(kBasic)) {
    if (const auto decoded = core::base64_decode(authorization.substr(kBasic.size()))) {
      const auto colon = decoded->find(':');
      found.push_back(decoded->substr(0, colon));
      if (colon != std::string::npos) found.push_back(decoded->substr(colon + 1));
    } else {
      found.push_back(authorization);  // not a key anywhere, but still one client's requests
    }
  }
  if (auto key = request.header("x-api-key")) found.push_back(*key);
  std::erase_if(found, [](const std::string& c) { return c.empty(); });
  return found;
}

}  // namespace ferry::api
