// The SQLite store's own read path: reads go through pooled reader connections beside the writer, so a read
// never waits for a write; the key cache notices rows deleted by a process without foreign keys; catalogs
// stored before migration 11 get their model ids. (The backend-neutral reads: store_reads_test.cpp.)
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <optional>
#include <thread>

#include "core/ids.h"
#include "db/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite_store_fixture.h"

namespace ferry::store {
namespace {

class SqliteStoreReadsTest : public SqliteStoreFixture {};

TEST_F(SqliteStoreReadsTest, AReadDoesNotWaitForAWriteInProgress) {
  const auto c = connection("hr");
  // Another process holds the write lock, so the store's next write waits for it (holding the writer).
  sqlite::Database other(path);
  other.exec("BEGIN IMMEDIATE; UPDATE connections SET name = 'uncommitted';");
  std::optional<core::Tenant> written;
  std::jthread writer([&] {
    try {
      written = store.create_tenant("waits for the lock");
    } catch (const std::exception&) {
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let it start waiting (not required)
  // Answered now, from the last committed state: with one connection this read would queue behind the
  // write, which waits for the lock released only after the read, until its busy timeout failed it.
  EXPECT_EQ(store.connection(tenant.id, c.id)->name, "hr");
  other.exec("ROLLBACK");
  writer.join();
  ASSERT_TRUE(written);
  EXPECT_TRUE(store.tenant_exists(written->id));
}

TEST_F(SqliteStoreReadsTest, AKeyWhoseRowOrTenantIsDeletedFailsOnItsNextLookup) {
  const auto deleted_key = store.issue_api_key(tenant.id);
  const auto other = store.create_tenant("globex");
  const auto deleted_tenants_key = store.issue_api_key(other.id);
  ASSERT_TRUE(store.tenant_for_api_key(deleted_key.secret));
  ASSERT_TRUE(store.tenant_for_api_key(deleted_tenants_key.secret));
  // Another process, without foreign keys enforced (the sqlite3 shell's default).
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  const std::string sql = "DELETE FROM api_keys WHERE id = '" + deleted_key.key.id +
                          "'; DELETE FROM tenants WHERE id = '" + other.id + "';";
  EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  EXPECT_FALSE(store.tenant_for_api_key(deleted_key.secret));
  EXPECT_FALSE(store.tenant_for_api_key(deleted_tenants_key.secret));
}

TEST_F(SqliteStoreReadsTest, CatalogsStoredBeforeTheIdsColumnGetTheirIdsOnUpgrade) {
  const auto hr = connection("hr");
  const core::Json models = {{{"model_id", "b.Second"}}, {{"model_id", "a.First"}}};
  store.save_connection_catalog(tenant.id, hr.id, {models, core::SystemClock().now()});
  {
    // The database as migration 10 left it.
    sqlite::Database db(path);
    db.exec(
        "ALTER TABLE connection_catalogs DROP COLUMN model_ids; DELETE FROM schema_migrations WHERE version "
        "= 11");
  }
  SqliteStore upgraded(path, core::SecretBox(store_test_key()));
  const std::vector<std::string> expected{"b.Second", "a.First"};
  EXPECT_EQ(upgraded.connection_model_ids(tenant.id, hr.id), expected);
}

}  // namespace
}  // namespace ferry::store
