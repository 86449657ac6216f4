// The store's collections on every backend: tenant-scoped, one readable_id per tenant, sealed destination
// secrets, memberships that follow deletes. (SQLite's migration 9, which made collections of the files the
// Airweave surface placed before: sqlite_migrations_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>

#include "core/ids.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

std::vector<std::string> sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

class StoreCollectionsTest : public ::testing::TestWithParam<Backend> {
 protected:
  StoreSite site{GetParam()};
  std::unique_ptr<Store> store = site.open();
  core::Tenant acme = store->create_tenant("acme");
  core::Tenant globex = store->create_tenant("globex");

  Collection collection(const std::string& tenant_id, const std::string& readable_id) {
    Collection c;
    c.id = core::new_uuid();
    c.tenant_id = tenant_id;
    c.readable_id = readable_id;
    c.name = "Collection " + readable_id;
    c.destination_type = "postgres";
    c.destination_config = {{"schema", "airweave"}};
    c.destination_secrets = {{"url", "postgresql://u:very-secret-pw@db/x"}};
    c.created_at = c.updated_at = core::SystemClock().now();
    return c;
  }

  core::Connection connection(const std::string& tenant_id) {
    const auto now = core::SystemClock().now();
    core::Connection c{core::new_uuid(),        tenant_id, "hr", "sample", {}, {},
                       core::new_token("act_"), now,       now};
    store->insert_connection(c);
    return c;
  }
};

TEST_P(StoreCollectionsTest, ACollectionIsTheTenantsOwnAndItsReadableIdUniquePerTenant) {
  const auto mine = collection(acme.id, "finance");
  ASSERT_TRUE(store->insert_collection(mine));
  EXPECT_FALSE(store->insert_collection(collection(acme.id, "finance")));   // taken
  EXPECT_TRUE(store->insert_collection(collection(globex.id, "finance")));  // another tenant's namespace

  const auto read = store->collection(acme.id, "finance");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->id, mine.id);
  EXPECT_EQ(read->destination_config, mine.destination_config);
  EXPECT_EQ(read->destination_secrets, mine.destination_secrets);
  EXPECT_EQ(core::to_micros(read->created_at), core::to_micros(mine.created_at));
  EXPECT_NE(store->collection(globex.id, "finance")->id, mine.id);
  EXPECT_FALSE(store->collection(acme.id, "nothing"));

  EXPECT_FALSE(store->delete_collection(globex.id, "nope"));
  EXPECT_TRUE(store->delete_collection(globex.id, "finance"));
  EXPECT_TRUE(store->collection(acme.id, "finance"));
}

TEST_P(StoreCollectionsTest, DestinationSecretsAreSealedAtRest) {
  ASSERT_TRUE(store->insert_collection(collection(acme.id, "sealed")));
  store.reset();  // closes the database, so its file holds everything
  EXPECT_EQ(site.stored_text().find("very-secret-pw"), std::string::npos);
}

TEST_P(StoreCollectionsTest, ListsNewestFirstPageByPage) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto c = collection(acme.id, "c" + std::to_string(i));
    c.created_at = c.updated_at = core::from_micros(1'000'000 + i);
    ASSERT_TRUE(store->insert_collection(c));
    ids.insert(ids.begin(), c.id);
  }
  ASSERT_TRUE(store->insert_collection(collection(globex.id, "theirs")));
  std::vector<std::string> listed;
  PageRequest page;
  page.limit = 2;
  while (true) {
    auto result = store->collections(acme.id, page);
    for (const auto& c : result.items) listed.push_back(c.id);
    if (!result.next) break;
    page.after = result.next;
  }
  EXPECT_EQ(listed, ids);
}

TEST_P(StoreCollectionsTest, MembershipsAreTenantScopedAndFollowDeletes) {
  const auto finance = collection(acme.id, "finance");
  const auto other = collection(acme.id, "other");
  ASSERT_TRUE(store->insert_collection(finance));
  ASSERT_TRUE(store->insert_collection(other));
  const auto first = connection(acme.id);
  const auto second = connection(acme.id);
  const auto theirs = connection(globex.id);

  EXPECT_TRUE(store->add_to_collection(acme.id, finance.id, first.id));
  EXPECT_TRUE(store->add_to_collection(acme.id, finance.id, second.id));
  // Another tenant's connection, or this tenant's connection under another tenant: nothing is added.
  EXPECT_FALSE(store->add_to_collection(acme.id, finance.id, theirs.id));
  EXPECT_FALSE(store->add_to_collection(globex.id, finance.id, first.id));
  EXPECT_FALSE(store->collection_of_connection(globex.id, first.id));
  EXPECT_EQ(sorted(store->connections_in_collection(acme.id, finance.id)), sorted({first.id, second.id}));
  EXPECT_TRUE(store->connections_in_collection(globex.id, finance.id).empty());
  EXPECT_EQ(store->collection_of_connection(acme.id, first.id)->readable_id, "finance");

  // A connection is in one collection at most: adding it elsewhere moves it.
  EXPECT_TRUE(store->add_to_collection(acme.id, other.id, second.id));
  EXPECT_EQ(store->collection_of_connection(acme.id, second.id)->readable_id, "other");
  EXPECT_EQ(store->connections_in_collection(acme.id, finance.id), (std::vector<std::string>{first.id}));

  // A deleted connection leaves its collection; a deleted collection leaves its connections alone.
  EXPECT_EQ(store->delete_connection(acme.id, first.id), DeleteResult::kDeleted);
  EXPECT_TRUE(store->connections_in_collection(acme.id, finance.id).empty());
  EXPECT_TRUE(store->delete_collection(acme.id, "other"));
  EXPECT_FALSE(store->collection_of_connection(acme.id, second.id));
  EXPECT_TRUE(store->connection(acme.id, second.id));
}

FERRY_ON_EVERY_STORE(StoreCollectionsTest);

}  // namespace
}  // namespace ferry::store
