// The store's read path on every backend: a read sees the writes before it, reads run while another thread
// writes, and authenticated keys are cached only until any process revokes or deletes a key.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/ids.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

class StoreReadsTest : public StoreFixture {};

TEST_P(StoreReadsTest, AReadAfterAWriteSeesItThoughAReaderWasOpenedBefore) {
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

TEST_P(StoreReadsTest, ManyThreadsReadWhileOneWrites) {
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

TEST_P(StoreReadsTest, AKeyRevokedByAnotherProcessFailsOnItsNextLookup) {
  const auto created = store.issue_api_key(tenant.id);
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));  // answered from the cache
  const auto operator_cli = site.open();                  // `ferry admin revoke-key`
  ASSERT_TRUE(operator_cli->revoke_api_key_of_any_tenant(created.key.id));
  EXPECT_FALSE(store.tenant_for_api_key(created.secret));
}

TEST_P(StoreReadsTest, AKeyWhoseRowIsDeletedElsewhereFailsOnItsNextLookup) {
  const auto deleted_key = store.issue_api_key(tenant.id);
  const auto kept_key = store.issue_api_key(tenant.id);
  ASSERT_TRUE(store.tenant_for_api_key(deleted_key.secret));
  ASSERT_TRUE(store.tenant_for_api_key(kept_key.secret));  // both cached now
  site.exec_elsewhere("DELETE FROM api_keys WHERE id = '" + deleted_key.key.id + "'");
  EXPECT_FALSE(store.tenant_for_api_key(deleted_key.secret));
  EXPECT_EQ(store.tenant_for_api_key(kept_key.secret)->id, tenant.id);
}

TEST_P(StoreReadsTest, ACachedKeyStillRefreshesLastUsed) {
  const auto created = store.issue_api_key(tenant.id);
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));
  // An old last use, written behind the cache's back: the cached entry still says "just now", so no write.
  site.exec_elsewhere("UPDATE api_keys SET last_used_at = 1");
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));
  EXPECT_EQ(core::to_micros(*store.api_keys(tenant.id, {}).items.at(0).last_used_at), 1);
}

TEST_P(StoreReadsTest, ModelIdsOfAStoredCatalogComeInOrderWithoutTheCatalog) {
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

// Ids come from request paths, percent-decoded: any bytes at all. One that no row can have (an embedded NUL,
// invalid UTF-8) is simply not found, never a failed statement (a 500) nor a match on a prefix of it.
TEST_P(StoreReadsTest, AnIdNoRowCanHaveIsNotFound) {
  const auto hr = connection("hr");
  const auto key = store.issue_api_key(tenant.id);
  // Each call on its own, so that one that throws does not hide the others.
  const auto expect_not_found = [](const char* call, const auto& not_found) {
    try {
      EXPECT_TRUE(not_found()) << call << " found something";
    } catch (const std::exception& e) {
      ADD_FAILURE() << call << " threw: " << e.what();
    }
  };
  for (const auto& id : {hr.id + std::string(1, '\0') + "x", std::string("\xff\xfe"), std::string("\xc3")}) {
    SCOPED_TRACE(::testing::PrintToString(id));
    expect_not_found("connection", [&] { return !store.connection(tenant.id, id); });
    expect_not_found("connection of the id as tenant", [&] { return !store.connection(id, hr.id); });
    expect_not_found("connection_by_account_token",
                     [&] { return !store.connection_by_account_token(tenant.id, id); });
    expect_not_found("delete_connection",
                     [&] { return store.delete_connection(tenant.id, id) == DeleteResult::kNotFound; });
    expect_not_found("connection_catalog", [&] { return !store.connection_catalog(tenant.id, id); });
    expect_not_found("sync", [&] { return !store.sync(tenant.id, id); });
    expect_not_found("delete_sync",
                     [&] { return store.delete_sync(tenant.id, id) == DeleteResult::kNotFound; });
    expect_not_found("run", [&] { return !store.run(tenant.id, id); });
    expect_not_found("run_by_id", [&] { return !store.run_by_id(id); });
    expect_not_found("runs_of_sync", [&] { return store.runs_of_sync(tenant.id, id, {}).items.empty(); });
    expect_not_found("tenant_exists", [&] { return !store.tenant_exists(id); });
    expect_not_found("tenant_for_api_key of the key and a NUL",
                     [&] { return !store.tenant_for_api_key(key.secret + std::string(1, '\0')); });
    expect_not_found("tenant_for_api_key", [&] { return !store.tenant_for_api_key(id); });
    expect_not_found("revoke_api_key", [&] { return !store.revoke_api_key(tenant.id, id); });
    expect_not_found("revoke_api_key_of_any_tenant", [&] { return !store.revoke_api_key_of_any_tenant(id); });
    expect_not_found("collection", [&] { return !store.collection(tenant.id, id); });
    expect_not_found("delete_collection", [&] { return !store.delete_collection(tenant.id, id); });
    expect_not_found("idempotent_response", [&] { return !store.idempotent_response(tenant.id, id); });
  }
  EXPECT_TRUE(store.connection(tenant.id, hr.id)) << "the prefix's own row is still there";
  EXPECT_EQ(store.tenant_for_api_key(key.secret)->id, tenant.id);
}

FERRY_ON_EVERY_STORE(StoreReadsTest);

}  // namespace
}  // namespace ferry::store
