// The SQLite store's collections: tenant-scoped, one readable_id per tenant, sealed destination secrets,
// memberships that follow deletes, and migration 9 turning the SQLite files the Airweave surface placed
// before into collections.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/ids.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {
namespace {

std::vector<std::string> sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::array<unsigned char, 32> test_key() {
  std::array<unsigned char, 32> key{};
  key.fill(5);
  return key;
}

class SqliteStoreCollectionsTest : public ::testing::Test {
 protected:
  testing::TempDir dir;
  std::string path = dir.file("ferry.db");
  std::optional<SqliteStore> store{std::in_place, path, core::SecretBox(test_key())};
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

  core::Sync sync(const core::Connection& c, const std::string& path) {
    core::Sync s;
    s.id = core::new_uuid();
    s.tenant_id = c.tenant_id;
    s.connection_id = c.id;
    s.destination_type = "sqlite";
    s.destination_config = {{"path", path}};
    s.created_at = s.updated_at = core::SystemClock().now();
    store->insert_sync(s);
    return s;
  }
};

TEST_F(SqliteStoreCollectionsTest, ACollectionIsTheTenantsOwnAndItsReadableIdUniquePerTenant) {
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

TEST_F(SqliteStoreCollectionsTest, DestinationSecretsAreSealedAtRest) {
  ASSERT_TRUE(store->insert_collection(collection(acme.id, "sealed")));
  store.reset();  // closes the database, so its file holds everything
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  EXPECT_EQ(bytes.str().find("very-secret-pw"), std::string::npos);
}

TEST_F(SqliteStoreCollectionsTest, ListsNewestFirstPageByPage) {
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

TEST_F(SqliteStoreCollectionsTest, MembershipsAreTenantScopedAndFollowDeletes) {
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

TEST_F(SqliteStoreCollectionsTest, MigrationTurnsTheSqliteFilesOfEarlierCollectionsIntoCollections) {
  const auto docs = connection(acme.id);
  const auto more_docs = connection(acme.id);
  const auto elsewhere = connection(acme.id);
  const auto theirs = connection(globex.id);
  sync(docs, "destinations/docs-abc.db");
  sync(more_docs, "destinations/docs-abc.db");
  sync(elsewhere, "exports/out.db");  // not a file the Airweave surface placed
  sync(theirs, "destinations/docs-abc.db");
  store.reset();
  {
    // The store as it was before migration 9.
    sqlite::Database db(path);
    db.exec(
        "DROP TABLE collection_members; DROP TABLE collections; DELETE FROM schema_migrations WHERE version "
        "= 9;");
  }
  store.emplace(path, core::SecretBox(test_key()));

  const auto mine = store->collection(acme.id, "docs-abc");
  ASSERT_TRUE(mine);
  EXPECT_TRUE(core::is_uuid(mine->id));
  EXPECT_EQ(mine->name, "docs-abc");
  EXPECT_EQ(mine->destination_type, "sqlite");
  EXPECT_EQ(mine->destination_config, (core::Json{{"path", "destinations/docs-abc.db"}}));
  EXPECT_EQ(mine->destination_secrets, core::Json::object());
  EXPECT_EQ(sorted(store->connections_in_collection(acme.id, mine->id)), sorted({docs.id, more_docs.id}));
  EXPECT_FALSE(store->collection_of_connection(acme.id, elsewhere.id));
  EXPECT_EQ(store->collections(acme.id, {}).items.size(), 1u);

  const auto their_collection = store->collection(globex.id, "docs-abc");
  ASSERT_TRUE(their_collection);
  EXPECT_NE(their_collection->id, mine->id);
  EXPECT_EQ(store->connections_in_collection(globex.id, their_collection->id),
            (std::vector<std::string>{theirs.id}));
}

}  // namespace
}  // namespace ferry::store
