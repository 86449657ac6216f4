// The SQLite store's read path: reads go through pooled reader connections beside the writer, statements are
// cached per connection, and authenticated keys are cached until any process revokes a key.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "core/ids.h"
#include "db/sqlite/database.h"
#include "fakes/temp_dir.h"
#include "store/sqlite/api_key_cache.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite_store_fixture.h"

namespace ferry::store {
namespace {

class SqliteStoreReadsTest : public SqliteStoreFixture {};

TEST_F(SqliteStoreReadsTest, AReadAfterAWriteSeesItThoughAReaderWasOpenedBefore) {
  const auto first = connection("first");
  ASSERT_TRUE(store.connection(tenant.id, first.id));  // a reader is open and idle in the pool now
  auto renamed = first;
  renamed.name = "renamed";
  ASSERT_TRUE(store.update_connection(renamed));
  EXPECT_EQ(store.connection(tenant.id, first.id)->name, "renamed");
  const auto second = connection("second");
  EXPECT_EQ(store.connections(tenant.id, {}).items.size(), 2u);
  EXPECT_EQ(store.connection(tenant.id, second.id)->name, "second");
}

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

TEST_F(SqliteStoreReadsTest, ManyThreadsReadWhileOneWrites) {
  const auto c = connection("hr");
  const auto key = store.create_api_key(tenant.id);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::jthread> readers;
  for (int i = 0; i < 6; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        try {
          if (!store.connection(tenant.id, c.id) || !store.tenant_for_api_key(key)) ++failures;
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (int i = 0; i < 200; ++i) connection("more " + std::to_string(i));
  stop = true;
  readers.clear();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store.connections(tenant.id, {.limit = 100, .after = std::nullopt}).items.size(), 100u);
}

TEST_F(SqliteStoreReadsTest, AKeyRevokedByAnotherProcessFailsOnItsNextLookup) {
  const auto created = store.issue_api_key(tenant.id);
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));              // answered from the cache
  SqliteStore operator_cli(path, core::SecretBox(store_test_key()));  // `ferry admin revoke-key`
  ASSERT_TRUE(operator_cli.revoke_api_key_of_any_tenant(created.key.id));
  EXPECT_FALSE(store.tenant_for_api_key(created.secret));
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

TEST_F(SqliteStoreReadsTest, ACachedKeyStillRefreshesLastUsed) {
  const auto created = store.issue_api_key(tenant.id);
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));
  // An old last use, written behind the cache's back: the cached entry still says "just now", so no write.
  sqlite::Database other(path);
  other.exec("UPDATE api_keys SET last_used_at = 1");
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));
  EXPECT_EQ(core::to_micros(*store.api_keys(tenant.id, {}).items.at(0).last_used_at), 1);
}

TEST_F(SqliteStoreReadsTest, ModelIdsOfAStoredCatalogComeInOrderWithoutTheCatalog) {
  const auto hr = connection("hr");
  EXPECT_EQ(store.connection_model_ids(tenant.id, hr.id), std::nullopt);  // never discovered
  store.save_connection_catalog(tenant.id, hr.id, {core::Json::array(), core::SystemClock().now()});
  EXPECT_EQ(store.connection_model_ids(tenant.id, hr.id), std::vector<std::string>{});
  const core::Json models = {{{"model_id", "hris.Employee"}, {"fields", core::Json::array()}},
                             {{"model_id", "ats.Candidate"}, {"fields", {{{"name", "id"}}}}},
                             {{"model_id", "hris.Team"}}};
  store.save_connection_catalog(tenant.id, hr.id, {models, core::SystemClock().now()});
  const std::vector<std::string> expected{"hris.Employee", "ats.Candidate", "hris.Team"};
  EXPECT_EQ(store.connection_model_ids(tenant.id, hr.id), expected);
  // The Store default (from the whole catalog) agrees.
  EXPECT_EQ(store.Store::connection_model_ids(tenant.id, hr.id), expected);
  const auto other = store.create_tenant("other");
  EXPECT_EQ(store.connection_model_ids(other.id, hr.id), std::nullopt);  // another tenant's connection
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
