// The PostgreSQL store's claim as one function (ferry_claim_run; pg_claim_functions.h): a tenant
// found full after the pick is passed over within the same call, with the picked row and the tenant's lock
// released before the call goes on; under many claimers every tenant ends at exactly its cap; the function
// lives in its store's schema and reads that schema's tables whoever calls it; a store created before the
// function claims the runs it had queued. PgClaimsTest covers the claim order and the cap under churn.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include "core/ids.h"
#include "db/postgres/pg_connection.h"
#include "fakes/postgres/pg_test_database.h"
#include "store/pg_claim_helpers.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_store.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

using core::RunState;
using std::chrono::milliseconds;
using std::chrono::seconds;

class PgClaimFunctionTest : public PgClaimFixture {};

TEST_F(PgClaimFunctionTest, ATenantFoundFullIsPassedOverInTheSameCallAndItsLocksAreReleasedAtOnce) {
  const auto a = tenant_with_syncs(store, "a", 2);
  const auto b = tenant_with_syncs(store, "b", 1);
  const auto a1 = queue(store, a[0], t0);
  const auto a2 = queue(store, a[1], t0 + seconds(1));
  const auto b1 = queue(store, b[0], t0 + seconds(2));
  // Another process in the middle of a claim of a: it holds a's lock and has taken a's only slot (cap 1),
  // not yet committed. The function's pick sees a with 0 running and a older than b, so it picks a2 (a1 is
  // locked), then waits for a's lock; once granted, its recount finds a full.
  postgres::PgConnection other(database.url(), postgres::Side::kDestination);
  other.exec("BEGIN");
  other.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kTenantLockKey), {a1.tenant_id});
  other.exec("UPDATE runs SET state = 'running', attempt = 1, lease_owner = 'other' WHERE id = $1", {a1.id});

  postgres::PgConnection claimer(database.url(), postgres::Side::kDestination);
  const auto claimed =
      claim_behind(other, claimer, "SELECT DISTINCT (run).id FROM ferry_claim_run('w', $1, $2, 1)");
  EXPECT_EQ(claimed, std::vector<std::string>{b1.id})
      << "a full tenant's run was taken, or the call stopped at it";
  expect_released_while_open(a2.id, a1.tenant_id);
  claimer.exec("COMMIT");

  EXPECT_EQ(store.run_by_id(a2.id)->state, RunState::kQueued);
  const auto taken = store.run_by_id(b1.id);
  EXPECT_EQ(taken->state, RunState::kRunning);
  EXPECT_EQ(taken->attempt, 1);
  EXPECT_EQ(taken->lease_owner, "w");
}

TEST_F(PgClaimFunctionTest, ManyClaimersFillEveryTenantToExactlyItsCap) {
  // Nothing completes, so running counts only grow: each tenant must end at its cap, never above it (the
  // recount under the tenant's lock), never below it (a claimer that finds a tenant full goes on to the next
  // one instead of giving up). 8 claimers can lock at most 8 of a tenant's 10 runs at once, so a tenant below
  // its cap always shows a claimable run.
  constexpr int kTenants = 8;
  constexpr int kRunsEach = 10;
  constexpr int kCap = 2;
  std::map<std::string, int> claimed_by_tenant;
  for (int t = 0; t < kTenants; ++t) {
    for (const auto& sync : tenant_with_syncs(store, "tenant" + std::to_string(t), kRunsEach))
      queue(store, sync, t0);
  }
  std::vector<std::unique_ptr<PgStore>> processes;
  for (int p = 0; p < 4; ++p)
    processes.push_back(std::make_unique<PgStore>(database.url(), core::SecretBox(store_test_key()), 2));
  std::mutex mutex;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto& process = *processes[static_cast<size_t>(i % 4)];
      const auto worker = "w" + std::to_string(i);
      while (auto run = process.claim(worker, t0, t0 + seconds(60), ClaimPolicy{kCap})) {
        EXPECT_EQ(run->tasks.size(), 2u);
        const std::lock_guard lock(mutex);
        ++claimed_by_tenant[run->tenant_id];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(claimed_by_tenant.size(), static_cast<size_t>(kTenants));
  for (const auto& [tenant, claimed] : claimed_by_tenant) EXPECT_EQ(claimed, kCap) << tenant;
  postgres::PgConnection check(database.url(), postgres::Side::kDestination);
  EXPECT_EQ(check.exec("SELECT count(*) FROM runs WHERE state = 'running'").int64(0, 0), kTenants * kCap);
  EXPECT_EQ(check
                .exec("SELECT max(n) FROM (SELECT count(*) AS n FROM runs WHERE state = 'running' "
                      "GROUP BY tenant_id) per_tenant")
                .int64(0, 0),
            kCap);
}

TEST(PgClaimFunctionSchemas, TheFunctionReadsItsOwnSchemasTablesWhoeverCallsIt) {
  // Two stores in two schemas of one database, as the store tests and shared deployments run them.
  PgTestSchema first_schema;
  PgTestSchema second_schema;
  PgStore first(first_schema.url(), core::SecretBox(store_test_key()));
  PgStore second(second_schema.url(), core::SecretBox(store_test_key()));
  const auto now = core::SystemClock().now();
  const auto mine = queue(first, tenant_with_syncs(first, "a", 1).front(), now);
  queue(second, tenant_with_syncs(second, "b", 1).front(), now);

  // Called by its schema-qualified name from a session whose search_path names neither schema.
  const auto database_url = first_schema.url().substr(0, first_schema.url().find('?'));
  postgres::PgConnection outsider(database_url, postgres::Side::kDestination);
  outsider.exec("SET search_path = pg_catalog");
  const auto taken = outsider.exec(
      fmt::format("SELECT DISTINCT (run).id FROM {}.ferry_claim_run('w', 1, 1, 1)", first_schema.name()));
  ASSERT_EQ(taken.rows(), 1);
  EXPECT_EQ(taken.text(0, 0), mine.id);
  EXPECT_EQ(first.run_by_id(mine.id)->state, RunState::kRunning);
  EXPECT_FALSE(first.claim("w", now, now + seconds(60))) << "the first schema has nothing left";
  const auto others = second.claim("w", now, now + seconds(60));
  ASSERT_TRUE(others) << "the call took the second schema's run";
  EXPECT_EQ(others->tasks.size(), 2u);
}

TEST(PgClaimFunctionUpgrade, AStoreQueuedBeforeTheFunctionExistedClaimsItsRuns) {
  testing::PgTestDatabase database;
  {
    // The schema as it was before migration 3, with runs queued by that version.
    postgres::PgConnection old(database.url(), postgres::Side::kDestination);
    pg_migrate(old, 2);
    old.exec(
        "INSERT INTO tenants VALUES ('t1', 'acme', 1);"
        "INSERT INTO connections VALUES ('c1', 't1', 'c', 'sample', '{}', '\\x00', 'act_1', 1, 1);"
        "INSERT INTO syncs (id, tenant_id, connection_id, destination_type, destination_config, "
        "schedule_kind, active, max_attempts, created_at, updated_at) VALUES "
        "('s1', 't1', 'c1', 'sqlite', '{}', 'manual', 1, 3, 1, 1), "
        "('s2', 't1', 'c1', 'sqlite', '{}', 'manual', 1, 3, 1, 1);"
        "INSERT INTO runs (id, tenant_id, sync_id, connection_id, state, full_refresh, models, trigger, "
        "attempt, max_attempts, created_at, updated_at) VALUES "
        "('r-old', 't1', 's1', 'c1', 'queued', 0, '[\"b\",\"a\"]', 'manual', 0, 3, 100, 100), "
        "('r-new', 't1', 's2', 'c1', 'queued', 0, '[]', 'manual', 0, 3, 200, 200);"
        "INSERT INTO run_tasks (run_id, model_id, position, state, full_refresh, id) VALUES "
        "('r-old', 'a', 1, 'pending', 0, 'task-a'), ('r-old', 'b', 0, 'pending', 1, 'task-b');");
    ASSERT_EQ(old.exec("SELECT count(*) FROM pg_proc WHERE proname = 'ferry_claim_run'").int64(0, 0), 0);
  }
  PgStore store(database.url(), core::SecretBox(store_test_key()));  // migrates to the latest version
  const auto now = core::SystemClock().now();
  const auto first = store.claim("w", now, now + seconds(60), ClaimPolicy{2});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, "r-old");
  EXPECT_EQ(first->state, RunState::kRunning);
  EXPECT_EQ(first->attempt, 1);
  EXPECT_EQ(first->started_at, now);
  ASSERT_EQ(first->tasks.size(), 2u);
  EXPECT_EQ(first->tasks[0].id, "task-b") << "tasks in their positions";
  EXPECT_TRUE(first->tasks[0].full_refresh);
  EXPECT_EQ(first->tasks[1].model_id, "a");
  const auto second = store.claim("w", now, now + seconds(60), ClaimPolicy{2});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, "r-new");
  EXPECT_TRUE(second->tasks.empty()) << "a run without tasks is claimed with none";
  EXPECT_FALSE(store.claim("w", now, now + seconds(60), ClaimPolicy{2}));
}

}  // namespace
}  // namespace ferry::store
