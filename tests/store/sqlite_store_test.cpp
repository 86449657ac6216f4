#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/ids.h"
#include "fakes/temp_dir.h"

namespace ferry::store {
namespace {

using core::RunState;

std::array<unsigned char, 32> test_key() {
  std::array<unsigned char, 32> key{};
  key.fill(3);
  return key;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  testing::TempDir dir;
  std::string path = dir.file("ferry.db");
  SqliteStore store{path, core::SecretBox(test_key())};
  core::Tenant tenant = store.create_tenant("acme");

  core::Connection connection(const std::string& tenant_id) {
    const auto now = core::SystemClock().now();
    core::Connection c{
        core::new_uuid(),        tenant_id, "hr", "sample", {{"size", 10}}, {{"api_key", "s3cr3t-value"}},
        core::new_token("act_"), now,       now};
    store.insert_connection(c);
    return c;
  }

  core::Sync sync(const core::Connection& c) {
    core::Sync s;
    s.id = core::new_uuid();
    s.tenant_id = c.tenant_id;
    s.connection_id = c.id;
    s.destination_type = "sqlite";
    s.destination_config = {{"path", "x.db"}};
    s.created_at = s.updated_at = core::SystemClock().now();
    store.insert_sync(s);
    return s;
  }

  core::Run new_run(const core::Sync& s) {
    core::Run r;
    r.id = core::new_uuid();
    r.tenant_id = s.tenant_id;
    r.sync_id = s.id;
    r.connection_id = s.connection_id;
    r.models = {"hris.Employee"};
    r.created_at = core::SystemClock().now();
    r.tasks.push_back({r.id, "hris.Employee", core::TaskState::kPending, false, {}, {}, {}});
    return r;
  }
};

TEST_F(SqliteStoreTest, ApiKeysAreStoredHashedAndResolveToTheirTenant) {
  const auto key = store.create_api_key(tenant.id);
  EXPECT_EQ(store.tenant_for_api_key(key)->id, tenant.id);
  EXPECT_FALSE(store.tenant_for_api_key(key + "x"));
  EXPECT_EQ(file_bytes(path).find(key), std::string::npos);
  EXPECT_EQ(file_bytes(path + "-wal").find(key), std::string::npos);
}

TEST_F(SqliteStoreTest, SecretsAreEncryptedAtRestAndTenantScoped) {
  const auto c = connection(tenant.id);
  EXPECT_EQ(store.connection(tenant.id, c.id)->secrets["api_key"], "s3cr3t-value");
  EXPECT_EQ(file_bytes(path).find("s3cr3t-value"), std::string::npos);
  EXPECT_EQ(file_bytes(path + "-wal").find("s3cr3t-value"), std::string::npos);
  const auto other = store.create_tenant("globex");
  EXPECT_FALSE(store.connection(other.id, c.id));
  EXPECT_TRUE(store.connections(other.id, {}).items.empty());
  EXPECT_EQ(store.delete_connection(other.id, c.id), DeleteResult::kNotFound);
}

TEST_F(SqliteStoreTest, ListsPageNewestFirstWithoutGapsOrDuplicates) {
  std::set<std::string> created;
  for (int i = 0; i < 7; ++i) created.insert(connection(tenant.id).id);
  std::set<std::string> seen;
  PageRequest page{3, std::nullopt};
  int pages = 0;
  for (;;) {
    auto result = store.connections(tenant.id, page);
    ++pages;
    for (size_t i = 1; i < result.items.size(); ++i) {
      EXPECT_GE(result.items[i - 1].created_at, result.items[i].created_at);
    }
    for (auto& c : result.items) EXPECT_TRUE(seen.insert(c.id).second);
    if (!result.next) break;
    page.after = result.next;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, created);
}

TEST_F(SqliteStoreTest, AtMostOneActiveRunPerSync) {
  const auto s = sync(connection(tenant.id));
  const auto first = store.create_run(new_run(s));
  ASSERT_TRUE(first.created);
  const auto second = store.create_run(new_run(s));
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.run.id, first.run.id);
  ASSERT_TRUE(store.transition(first.run.id, RunState::kQueued, RunState::kCancelled));
  EXPECT_TRUE(store.create_run(new_run(s)).created);
}

TEST_F(SqliteStoreTest, TransitionsAreCompareAndSet) {
  const auto s = sync(connection(tenant.id));
  const auto run = store.create_run(new_run(s)).run;
  EXPECT_FALSE(
      store.transition(run.id, RunState::kRunning, RunState::kComplete));       // it is queued, not running
  EXPECT_TRUE(store.transition(run.id, RunState::kQueued, RunState::kQueued));  // same-state: no-op
  EXPECT_THROW(store.transition(run.id, RunState::kQueued, RunState::kComplete), std::logic_error);
  EXPECT_EQ(store.run_by_id(run.id)->state, RunState::kQueued);
}

TEST_F(SqliteStoreTest, ClaimLeasesHeartbeatsAndReclaims) {
  const auto s = sync(connection(tenant.id));
  const auto run = store.create_run(new_run(s)).run;
  const auto t0 = core::SystemClock().now();
  const auto claimed = store.claim("w1", t0, t0 + std::chrono::seconds(30));
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->state, RunState::kRunning);
  EXPECT_EQ(claimed->attempt, 1);
  EXPECT_FALSE(store.claim("w2", t0, t0 + std::chrono::seconds(30)));
  EXPECT_EQ(store.heartbeat(run.id, "w1", t0 + std::chrono::seconds(60)), RunState::kRunning);
  EXPECT_FALSE(store.heartbeat(run.id, "w2", t0 + std::chrono::seconds(60)));
  EXPECT_EQ(store.reclaim_expired_leases(t0 + std::chrono::seconds(59)), 0);
  EXPECT_EQ(store.reclaim_expired_leases(t0 + std::chrono::seconds(61)), 1);
  EXPECT_EQ(store.run_by_id(run.id)->state, RunState::kQueued);
  EXPECT_FALSE(store.heartbeat(run.id, "w1", t0 + std::chrono::seconds(90)));  // w1 lost it
  const auto again = store.claim("w2", t0, t0 + std::chrono::seconds(30));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempt, 2);
}

TEST_F(SqliteStoreTest, RetriesArePromotedOnlyAfterTheirBackoff) {
  const auto s = sync(connection(tenant.id));
  const auto run = store.create_run(new_run(s)).run;
  const auto t0 = core::SystemClock().now();
  store.claim("w", t0, t0 + std::chrono::seconds(30));
  ASSERT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kFailed,
                               {.next_attempt_at = t0 + std::chrono::seconds(10), .clear_lease = true}));
  ASSERT_TRUE(store.transition(run.id, RunState::kFailed, RunState::kPendingRetry));
  EXPECT_EQ(store.promote_retries(t0 + std::chrono::seconds(9)), 0);
  EXPECT_EQ(store.promote_retries(t0 + std::chrono::seconds(10)), 1);
  EXPECT_EQ(store.run_by_id(run.id)->state, RunState::kQueued);
}

TEST_F(SqliteStoreTest, DeletingASyncWithAnActiveRunIsRefused) {
  const auto c = connection(tenant.id);
  const auto s = sync(c);
  store.create_run(new_run(s));
  EXPECT_EQ(store.delete_sync(tenant.id, s.id), DeleteResult::kInUse);
  EXPECT_EQ(store.delete_connection(tenant.id, c.id), DeleteResult::kInUse);
}

TEST_F(SqliteStoreTest, MigrationsAreIdempotentAcrossReopen) {
  const auto c = connection(tenant.id);
  SqliteStore reopened(path, core::SecretBox(test_key()));
  EXPECT_EQ(reopened.connection(tenant.id, c.id)->name, "hr");
}

}  // namespace
}  // namespace ferry::store
