// The Store's API key lifecycle on every backend: prefixes instead of secrets, last use written once a
// minute, revocation that takes effect on the very next lookup, tenant scoping and the operator's revoke.
#include <gtest/gtest.h>

#include <set>

#include "core/ids.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

class StoreApiKeyTest : public StoreFixture {};

TEST_P(StoreApiKeyTest, ApiKeyListsShowAPrefixAndTimesButNeverTheSecret) {
  const auto created = store.issue_api_key(tenant.id);
  ASSERT_EQ(created.secret.rfind("fry_", 0), 0u);
  EXPECT_EQ(created.key.prefix, created.secret.substr(0, 12));
  const auto listed = store.api_keys(tenant.id, {}).items;
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, created.key.id);
  EXPECT_EQ(listed[0].prefix, created.key.prefix);
  EXPECT_EQ(listed[0].created_at, created.key.created_at);
  EXPECT_FALSE(listed[0].last_used_at);
  EXPECT_FALSE(listed[0].revoked_at);
  EXPECT_LT(listed[0].prefix.size(), created.secret.size() / 2);
}

TEST_P(StoreApiKeyTest, LastUsedIsWrittenOnFirstUseNotOnEveryRequest) {
  const auto created = store.issue_api_key(tenant.id);
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));
  const auto first = store.api_keys(tenant.id, {}).items.at(0).last_used_at;
  ASSERT_TRUE(first);
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));
  EXPECT_EQ(store.api_keys(tenant.id, {}).items.at(0).last_used_at, first);  // within the minute: no write
}

TEST_P(StoreApiKeyTest, ARevokedKeyFailsOnItsVeryNextLookup) {
  const auto created = store.issue_api_key(tenant.id);
  const auto other = store.issue_api_key(tenant.id);
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));
  ASSERT_TRUE(store.revoke_api_key(tenant.id, created.key.id));
  EXPECT_FALSE(store.tenant_for_api_key(created.secret));
  EXPECT_EQ(store.tenant_for_api_key(other.secret)->id, tenant.id);
  const auto revoked_at = store.api_keys(tenant.id, {}).items.back().revoked_at;
  ASSERT_TRUE(revoked_at);
  EXPECT_TRUE(store.revoke_api_key(tenant.id, created.key.id));  // again: still revoked, first time kept
  for (const auto& key : store.api_keys(tenant.id, {}).items) {
    if (key.id == created.key.id) {
      EXPECT_EQ(key.revoked_at, revoked_at);
    }
  }
}

TEST_P(StoreApiKeyTest, AnotherTenantCanNeitherListNorRevokeAKey) {
  const auto created = store.issue_api_key(tenant.id);
  const auto other = store.create_tenant("globex");
  EXPECT_TRUE(store.api_keys(other.id, {}).items.empty());
  EXPECT_FALSE(store.revoke_api_key(other.id, created.key.id));
  EXPECT_EQ(store.tenant_for_api_key(created.secret)->id, tenant.id);
  EXPECT_FALSE(store.revoke_api_key(tenant.id, core::new_uuid()));
}

TEST_P(StoreApiKeyTest, TheOperatorRevokesAnyTenantsKeyById) {
  const auto created = store.issue_api_key(tenant.id);
  const auto revoked = store.revoke_api_key_of_any_tenant(created.key.id);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->tenant_id, tenant.id);
  EXPECT_TRUE(revoked->revoked_at);
  EXPECT_FALSE(store.tenant_for_api_key(created.secret));
  EXPECT_FALSE(store.revoke_api_key_of_any_tenant(core::new_uuid()));
  EXPECT_TRUE(store.tenant_exists(tenant.id));
  EXPECT_FALSE(store.tenant_exists(core::new_uuid()));
}

TEST_P(StoreApiKeyTest, ApiKeyListsPage) {
  std::set<std::string> issued;
  for (int i = 0; i < 3; ++i) issued.insert(store.issue_api_key(tenant.id).key.id);
  const auto first = store.api_keys(tenant.id, {2, std::nullopt});
  ASSERT_EQ(first.items.size(), 2u);
  ASSERT_TRUE(first.next);
  const auto second = store.api_keys(tenant.id, {2, first.next});
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_FALSE(second.next);
  std::set<std::string> listed;
  for (const auto& page : {first, second})
    for (const auto& key : page.items) listed.insert(key.id);
  EXPECT_EQ(listed, issued);
}

FERRY_ON_EVERY_STORE(StoreApiKeyTest);

}  // namespace
}  // namespace ferry::store
