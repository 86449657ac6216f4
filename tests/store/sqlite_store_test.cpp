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

TEST_F(SqliteStoreTest, SyncActivityIsTheActiveRunTheLastFinishedAndTheModelStatesAsTheirOwnReadsSeeThem) {
  const auto s = sync(connection(tenant.id));
  const auto empty = store.sync_activity(s.id);
  EXPECT_FALSE(empty.active);
  EXPECT_FALSE(empty.last_finished);
  EXPECT_TRUE(empty.model_states.empty());

  const auto finished = store.create_run(new_run(s)).run;
  ASSERT_TRUE(store.transition(finished.id, RunState::kQueued, RunState::kCancelled,
                               {.finished_at = core::SystemClock().now()}));
  const auto active = store.create_run(new_run(s)).run;
  core::ModelState state;
  state.sync_id = s.id;
  state.model_id = "hris.Employee";
  state.cursor = "c1";
  state.is_initial_sync = false;
  store.save_model_state(state);

  const auto activity = store.sync_activity(s.id);
  ASSERT_TRUE(activity.active);
  EXPECT_EQ(activity.active->id, active.id);
  EXPECT_EQ(activity.active->tasks.size(), 1u);
  ASSERT_TRUE(activity.last_finished);
  EXPECT_EQ(activity.last_finished->id, finished.id);
  EXPECT_EQ(activity.last_finished->state, RunState::kCancelled);
  ASSERT_EQ(activity.model_states.size(), 1u);
  EXPECT_EQ(activity.model_states.front().cursor, "c1");
  // The same as the three reads on their own (the Store default every other store gets).
  EXPECT_EQ(store.active_run(s.id)->id, activity.active->id);
  EXPECT_EQ(store.last_finished_run(s.id)->id, activity.last_finished->id);
  EXPECT_EQ(store.model_states(s.id).size(), activity.model_states.size());
  EXPECT_FALSE(store.sync_activity(core::new_uuid()).active);  // another sync's id sees nothing
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

// Queues a run for a new sync of `tenant_id`, created `offset` after t0, so tests fix the age order.
class FairClaimTest : public SqliteStoreTest {
 protected:
  const core::Timestamp t0 = core::SystemClock().now();
  const core::Tenant other = store.create_tenant("globex");

  std::string queue(const std::string& tenant_id, int offset_seconds) {
    auto run = new_run(sync(connection(tenant_id)));
    run.created_at = t0 + std::chrono::seconds(offset_seconds);
    return store.create_run(run).run.id;
  }
  std::optional<std::string> claim(int cap, SqliteStore* on = nullptr) {
    auto run = (on ? *on : store).claim("w", t0, t0 + std::chrono::seconds(30), {.tenant_max_running = cap});
    if (!run) return std::nullopt;
    return run->id;
  }
};

TEST_F(FairClaimTest, AnotherTenantsRunIsClaimedBeforeTheBusyTenantsSecond) {
  std::vector<std::string> a;
  for (int i = 0; i < 6; ++i) a.push_back(queue(tenant.id, i));
  const auto b = queue(other.id, 10);  // queued last, behind all six of A's
  EXPECT_EQ(claim(0), a[0]) << "oldest first while no tenant runs anything";
  EXPECT_EQ(claim(0), b) << "the tenant with fewer running runs goes first, even without a cap";
  EXPECT_EQ(claim(0), a[1]);
  EXPECT_EQ(claim(0), a[2]);
}

TEST_F(FairClaimTest, TheCapStopsOneTenantFromHoldingMoreWorkers) {
  std::vector<std::string> a;
  for (int i = 0; i < 6; ++i) a.push_back(queue(tenant.id, i));
  EXPECT_EQ(claim(2), a[0]);
  EXPECT_EQ(claim(2), a[1]);
  EXPECT_FALSE(claim(2)) << "A holds its cap; its queued runs wait although workers are free";
  const auto b = queue(other.id, 10);
  EXPECT_EQ(claim(2), b);

  ASSERT_TRUE(store.transition(a[0], RunState::kRunning, RunState::kCancelling));
  EXPECT_FALSE(claim(2)) << "a cancelling run still holds its worker";
  ASSERT_TRUE(store.transition(a[0], RunState::kCancelling, RunState::kCancelled, {.clear_lease = true}));
  EXPECT_EQ(claim(2), a[2]) << "a finished run frees a slot for its tenant's oldest queued run";
  EXPECT_EQ(store.run_by_id(a[3])->state, RunState::kQueued);
}

TEST_F(FairClaimTest, ExpiredLeasesAndRetriesGoBackInTheirTenantsAgeOrder) {
  const auto a0 = queue(tenant.id, 0);
  const auto a1 = queue(tenant.id, 1);
  const auto b = queue(other.id, 2);
  const auto a2 = queue(tenant.id, 3);
  EXPECT_EQ(claim(1), a0);
  EXPECT_EQ(claim(1), b);
  EXPECT_FALSE(claim(1));
  EXPECT_EQ(store.reclaim_expired_leases(t0 + std::chrono::seconds(31)), 2);
  EXPECT_EQ(claim(1), a0) << "the reclaimed run is A's oldest again";
  ASSERT_TRUE(store.transition(a0, RunState::kRunning, RunState::kFailed,
                               {.next_attempt_at = t0, .clear_lease = true}));
  ASSERT_TRUE(store.transition(a0, RunState::kFailed, RunState::kPendingRetry));
  EXPECT_EQ(claim(1), a1) << "a run waiting for its backoff is not claimable";
  EXPECT_EQ(store.promote_retries(t0), 1);
  EXPECT_EQ(claim(1), b);
  EXPECT_FALSE(claim(1)) << "A's retry waits for A's running run";
  ASSERT_TRUE(store.transition(a1, RunState::kRunning, RunState::kComplete, {.clear_lease = true}));
  EXPECT_EQ(claim(1), a0) << "the retried run keeps its place ahead of A's younger run";
  EXPECT_EQ(store.run_by_id(a0)->attempt, 3);
  EXPECT_EQ(store.run_by_id(a2)->state, RunState::kQueued);
}

TEST_F(FairClaimTest, TheCapCountsRunsClaimedByAnotherProcess) {
  const auto a0 = queue(tenant.id, 0);
  const auto a1 = queue(tenant.id, 1);
  SqliteStore other_host(path, core::SecretBox(test_key()));
  EXPECT_EQ(claim(1, &other_host), a0);
  EXPECT_FALSE(claim(1)) << "this host sees the other host's running run";
  EXPECT_EQ(claim(2), a1);
}

// ---- API key lifecycle ----

TEST_F(SqliteStoreTest, ApiKeyListsShowAPrefixAndTimesButNeverTheSecret) {
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

TEST_F(SqliteStoreTest, LastUsedIsWrittenOnFirstUseNotOnEveryRequest) {
  const auto created = store.issue_api_key(tenant.id);
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));
  const auto first = store.api_keys(tenant.id, {}).items.at(0).last_used_at;
  ASSERT_TRUE(first);
  ASSERT_TRUE(store.tenant_for_api_key(created.secret));
  EXPECT_EQ(store.api_keys(tenant.id, {}).items.at(0).last_used_at, first);  // within the minute: no write
}

TEST_F(SqliteStoreTest, ARevokedKeyFailsOnItsVeryNextLookup) {
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

TEST_F(SqliteStoreTest, AnotherTenantCanNeitherListNorRevokeAKey) {
  const auto created = store.issue_api_key(tenant.id);
  const auto other = store.create_tenant("globex");
  EXPECT_TRUE(store.api_keys(other.id, {}).items.empty());
  EXPECT_FALSE(store.revoke_api_key(other.id, created.key.id));
  EXPECT_EQ(store.tenant_for_api_key(created.secret)->id, tenant.id);
  EXPECT_FALSE(store.revoke_api_key(tenant.id, core::new_uuid()));
}

TEST_F(SqliteStoreTest, TheOperatorRevokesAnyTenantsKeyById) {
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

TEST_F(SqliteStoreTest, ApiKeyListsPage) {
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
        "CREATE TABLE runs (id TEXT PRIMARY KEY, sync_id TEXT, finished_at INTEGER);"  // migrations 8, 10
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

}  // namespace
}  // namespace ferry::store
