// SQLite migrations that carry rows of an older store forward: API keys from before the key lifecycle (id,
// prefix) and the SQLite files the Airweave surface placed before collections existed (migration 9).
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "core/crypto.h"
#include "core/ids.h"
#include "db/sqlite/database.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {
namespace {

std::array<unsigned char, 32> test_key() {
  std::array<unsigned char, 32> key{};
  key.fill(3);
  return key;
}

std::vector<std::string> sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(SqliteStoreMigration, KeysFromBeforeTheLifecycleGetAnIdAndKeepWorking) {
  testing::TempDir dir;
  const std::string path = dir.file("old.db");
  const std::string legacy = "fry_legacy-key-from-an-older-release";
  {
    // The schema of the first three migrations, as far as tenants and keys go.
    sqlite::Database db(path);
    db.exec(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);"
        "INSERT INTO schema_migrations VALUES (1, 'x'), (2, 'x'), (3, 'x');"
        "CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);"
        "CREATE TABLE api_keys (key_hash TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),"
        " created_at INTEGER NOT NULL);"
        "CREATE TABLE model_states (sync_id TEXT NOT NULL, model_id TEXT NOT NULL);"  // migration 6 alters it
        "CREATE TABLE run_tasks (run_id TEXT, model_id TEXT, state TEXT);"  // migration 16's trigger
        "CREATE TABLE events (id TEXT PRIMARY KEY, tenant_id TEXT, type TEXT, created_at INTEGER);"  // 17's
        // Migrations 8, 10 and 15 (an index of queued runs by tenant) read these columns.
        "CREATE TABLE runs (id TEXT PRIMARY KEY, sync_id TEXT, tenant_id TEXT, state TEXT, created_at "
        "INTEGER,"
        " finished_at INTEGER);"
        // Migration 9 reads syncs and refers to both; migration 12 rebuilds connections.
        "CREATE TABLE connections (id TEXT PRIMARY KEY, tenant_id TEXT, name TEXT, source_type TEXT, config "
        "TEXT,"
        " secrets BLOB, account_token TEXT, created_at INTEGER, updated_at INTEGER);"
        "CREATE TABLE syncs (id TEXT PRIMARY KEY, tenant_id TEXT, connection_id TEXT, destination_type TEXT,"
        " destination_config TEXT, created_at INTEGER);"
        "INSERT INTO tenants VALUES ('t1', 'acme', 1);");
    auto insert = db.prepare("INSERT INTO api_keys VALUES (?, 't1', 2)");
    insert.bind(1, core::hash_api_key(legacy));
    insert.run();
  }
  SqliteStore store(path, core::SecretBox(test_key()));
  EXPECT_EQ(store.tenant_for_api_key(legacy)->id, "t1");
  const auto keys = store.api_keys("t1", {}).items;
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_TRUE(core::is_uuid(keys[0].id));
  EXPECT_EQ(keys[0].prefix, "fry_");
  ASSERT_TRUE(store.revoke_api_key("t1", keys[0].id));
  EXPECT_FALSE(store.tenant_for_api_key(legacy));
}

class SqliteStoreCollectionsTest : public ::testing::Test {
 protected:
  testing::TempDir dir;
  std::string path = dir.file("ferry.db");
  std::optional<SqliteStore> store{std::in_place, path, core::SecretBox(test_key())};
  core::Tenant acme = store->create_tenant("acme");
  core::Tenant globex = store->create_tenant("globex");

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
