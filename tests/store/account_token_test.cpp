// Account tokens are unique within a tenant, not across the store: one tenant cannot learn that another
// holds a token by importing it. On every backend (SQLite's upgrade to this rule:
// sqlite_account_token_upgrade_test.cpp).
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/ids.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

core::Connection with_token(const std::string& tenant_id, const std::string& token) {
  const auto now = core::SystemClock().now();
  return {core::new_uuid(), tenant_id, "hr", "sample", {{"size", 10}}, {{"api_key", "k"}}, token, now, now};
}

class AccountTokenTest : public StoreFixture {};

TEST_P(AccountTokenTest, TwoTenantsMayHoldOneTokenAndEachFindsOnlyItsOwn) {
  const auto other = store.create_tenant("globex");
  const auto mine = with_token(tenant.id, "imported-token-1");
  const auto theirs = with_token(other.id, "imported-token-1");
  store.insert_connection(mine);
  store.insert_connection(theirs);
  EXPECT_EQ(store.connection_by_account_token(tenant.id, "imported-token-1")->id, mine.id);
  EXPECT_EQ(store.connection_by_account_token(other.id, "imported-token-1")->id, theirs.id);
}

TEST_P(AccountTokenTest, OneTenantCannotHoldATokenTwice) {
  const auto first = with_token(tenant.id, "imported-token-1");
  store.insert_connection(first);
  try {
    store.insert_connection(with_token(tenant.id, "imported-token-1"));
    FAIL() << "a second connection with the tenant's token was stored";
  } catch (const core::FerryError& e) {
    // The API tells a taken token from other failures by this name (api/native/connections.cpp).
    EXPECT_NE(std::string(e.what()).find("account_token"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store.connection_by_account_token(tenant.id, "imported-token-1")->id, first.id);
}

FERRY_ON_EVERY_STORE(AccountTokenTest);

}  // namespace
}  // namespace ferry::store
