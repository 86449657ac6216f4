#include "api/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string_view>

#include "core/encoding.h"

namespace ferry::api {
namespace {

double seconds_between(core::Timestamp from, core::Timestamp to) {
  return std::chrono::duration<double>(to - from).count();
}

// A clock that steps back (an NTP correction) must not mint tokens, nor take them.
double elapsed_seconds(core::Timestamp from, core::Timestamp to) {
  return std::max(0.0, seconds_between(from, to));
}

}  // namespace

RateLimiter::RateLimiter(RateLimitOptions options, const core::Clock& clock, size_t max_buckets)
    : options_(options), clock_(clock), max_buckets_(std::max<size_t>(max_buckets, 1)) {
  options_.burst = std::max(options_.burst, 1.0);
}

void RateLimiter::refill(Bucket& b, core::Timestamp now) const {
  b.tokens =
      std::min(options_.burst, b.tokens + elapsed_seconds(b.updated, now) * options_.requests_per_second);
  b.updated = now;
}

// A bucket idle long enough to be full again is the same as no bucket: dropping it changes nothing. Past
// the cap, the least recently used bucket goes even if not full (its key merely gets a fresh burst).
void RateLimiter::evict(core::Timestamp now) {
  while (!lru_.empty()) {
    const Bucket& last = lru_.back();
    const bool full =
        last.tokens + elapsed_seconds(last.updated, now) * options_.requests_per_second >= options_.burst;
    if (!full && lru_.size() <= max_buckets_) break;
    index_.erase(last.key);
    lru_.pop_back();
  }
}

RateLimiter::Bucket& RateLimiter::bucket(const std::string& key, core::Timestamp now) {
  if (auto found = index_.find(key); found != index_.end()) {
    lru_.splice(lru_.begin(), lru_, found->second);
    refill(*found->second, now);
    return *found->second;
  }
  lru_.push_front(Bucket{key, options_.burst, now});
  index_.emplace(key, lru_.begin());
  return lru_.front();
}

std::optional<int> RateLimiter::acquire(const std::vector<std::string>& credentials) {
  if (!enabled() || credentials.empty()) return std::nullopt;
  std::set<std::string> keys;  // the same key twice (Basic "k:k") is one request, not two
  for (const auto& credential : credentials) keys.insert(core::sha256_hex(credential));

  std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  std::vector<Bucket*> buckets;
  double shortfall = 0;
  for (const auto& key : keys) {
    Bucket& b = bucket(key, now);
    buckets.push_back(&b);
    shortfall = std::max(shortfall, 1.0 - b.tokens);
  }
  std::optional<int> wait;
  if (shortfall > 0) {
    wait = std::max(1, static_cast<int>(std::ceil(shortfall / options_.requests_per_second)));
  } else {
    for (Bucket* b : buckets) b->tokens -= 1;
  }
  evict(now);  // after the tokens are taken: the buckets just used are at the front
  return wait;
}

size_t RateLimiter::bucket_count() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
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
