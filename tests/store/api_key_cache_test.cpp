// The cache of authenticated API keys both stores keep: a newer key generation (a key revoked or deleted by
// any process) drops every entry, a lookup that raced a revocation is not kept, and the cache stays bounded.
#include "store/sqlite/api_key_cache.h"

#include <gtest/gtest.h>

#include "core/domain.h"

namespace ferry::store {
namespace {

TEST(ApiKeyCacheTest, ANewerGenerationDropsEveryEntryAndAnOlderOneNeverHits) {
  ApiKeyCache cache;
  const CachedApiKey key{core::Tenant{"t", "acme", core::SystemClock().now()}, "k", std::nullopt};
  cache.remember("hash", 1, key);
  EXPECT_TRUE(cache.find("hash", 1));
  EXPECT_FALSE(cache.find("hash", 2));  // a key was revoked since: look it up again
  EXPECT_EQ(cache.size(), 0u);
  cache.remember("hash", 1, key);  // a lookup that raced the revocation: not kept
  EXPECT_EQ(cache.size(), 0u);
  cache.remember("hash", 2, key);
  EXPECT_FALSE(cache.find("hash", 1));
  EXPECT_TRUE(cache.find("hash", 2));
}

TEST(ApiKeyCacheTest, StaysBounded) {
  ApiKeyCache cache(3);
  const CachedApiKey key{core::Tenant{"t", "acme", core::SystemClock().now()}, "k", std::nullopt};
  for (int i = 0; i < 10; ++i) {
    cache.remember("hash" + std::to_string(i), 0, key);
    EXPECT_LE(cache.size(), 3u);
  }
  EXPECT_TRUE(cache.find("hash9", 0));
}

}  // namespace
}  // namespace ferry::store
