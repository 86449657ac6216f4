// The PostgreSQL store's batch claim (ferry_claim_runs; pg_claim_functions.h): batch
// claimers in many processes never share a run and fill every tenant to exactly its cap; a tenant found full
// after the pick is passed over within the same call, with the picked rows and tenant locks released before
// the call goes on; a store created before the function batch-claims the runs it had queued. The order a
// batch takes is the Store/ClaimBatchTest suite's (claim_batch_test.cpp).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
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

class PgClaimBatchTest : public PgClaimFixture {};

TEST_F(PgClaimBatchTest, BatchClaimersInManyProcessesNeverShareARunAndFillEveryTenantToItsCap) {
  // Nothing completes, so running counts only grow: each tenant must end at its cap, never above it (the
  // recount under the tenants' locks), never below it (a claimer whose candidates were all taken looks
  // again instead of giving up). Batches of 1 to 4 from 8 claimers in 4 processes.
  constexpr int kTenants = 8;
  constexpr int kRunsEach = 10;
  constexpr int kCap = 3;
  for (int t = 0; t < kTenants; ++t) {
    for (const auto& sync : tenant_with_syncs(store, "tenant" + std::to_string(t), kRunsEach))
      queue(store, sync, t0);
  }
  std::vector<std::unique_ptr<PgStore>> processes;
  for (int p = 0; p < 4; ++p)
    processes.push_back(std::make_unique<PgStore>(database.url(), core::SecretBox(store_test_key()), 2));
  std::mutex mutex;
  std::map<std::string, int> claimed_by_tenant;
  std::set<std::string> claimed_ids;
  int duplicates = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto& process = *processes[static_cast<size_t>(i % 4)];
      const auto worker = "w" + std::to_string(i);
      for (;;) {
        const auto batch = process.claim_batch(worker, t0, t0 + seconds(60), ClaimPolicy{kCap}, 1 + i % 4);
        if (batch.empty()) break;
        EXPECT_LE(static_cast<int>(batch.size()), 1 + i % 4);
        const std::lock_guard lock(mutex);
        for (const auto& run : batch) {
          EXPECT_EQ(run.tasks.size(), 2u);
          EXPECT_EQ(run.lease_owner, worker);
          ++claimed_by_tenant[run.tenant_id];
          if (!claimed_ids.insert(run.id).second) ++duplicates;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(duplicates, 0) << "a run was claimed twice";
  ASSERT_EQ(claimed_by_tenant.size(), static_cast<size_t>(kTenants));
  for (const auto& [tenant, claimed] : claimed_by_tenant) EXPECT_EQ(claimed, kCap) << tenant;
  postgres::PgConnection check(database.url(), postgres::Side::kDestination);
  EXPECT_EQ(check.exec("SELECT count(*) FROM runs WHERE state = 'running'").int64(0, 0), kTenants * kCap);
  EXPECT_EQ(check.exec("SELECT max(attempt) FROM runs").int64(0, 0), 1) << "a run was taken twice";
}

TEST_F(PgClaimBatchTest, BatchClaimersWithCompletionsClaimEveryRunExactlyOnce) {
  // Runs complete as soon as they are claimed, so the queue drains through many passes of every claimer;
  // each run is claimed once, none is left behind, and no tenant ever runs more than the cap.
  constexpr int kCap = 2;
  std::set<std::string> queued;
  const std::vector<int> sizes{40, 25, 15, 10, 5};
  for (size_t t = 0; t < sizes.size(); ++t) {
    for (const auto& sync : tenant_with_syncs(store, "tenant" + std::to_string(t), sizes[t]))
      queued.insert(queue(store, sync, t0 + seconds(static_cast<int64_t>(t))).id);
  }
  std::vector<std::unique_ptr<PgStore>> processes;
  for (int p = 0; p < 3; ++p)
    processes.push_back(std::make_unique<PgStore>(database.url(), core::SecretBox(store_test_key()), 2));
  std::mutex mutex;
  std::multiset<std::string> claimed;
  std::map<std::string, int> live;
  int most_live = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto& process = *processes[static_cast<size_t>(i % 3)];
      for (;;) {
        const auto batch = process.claim_batch("w", t0, t0 + seconds(60), ClaimPolicy{kCap}, 2 + i % 3);
        if (batch.empty()) break;
        {
          const std::lock_guard lock(mutex);
          for (const auto& run : batch) {
            claimed.insert(run.id);
            most_live = std::max(most_live, ++live[run.tenant_id]);
          }
        }
        for (const auto& run : batch) {
          {
            const std::lock_guard lock(mutex);
            // Before its commit: the tally never runs ahead of the database's, so a tally above the cap is
            // a real breach.
            --live[run.tenant_id];
          }
          EXPECT_TRUE(process.transition(run.id, RunState::kRunning, RunState::kComplete,
                                         {.finished_at = t0, .clear_lease = true}));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()), queued);
  EXPECT_EQ(claimed.size(), queued.size()) << "a run was claimed twice";
  EXPECT_LE(most_live, kCap);
}

TEST_F(PgClaimBatchTest, ATenantFoundFullIsPassedOverInTheSameCallAndItsLocksAreReleasedAtOnce) {
  const auto a = tenant_with_syncs(store, "a", 2);
  const auto b = tenant_with_syncs(store, "b", 1);
  const auto a1 = queue(store, a[0], t0);
  const auto b1 = queue(store, b[0], t0 + seconds(1));
  // Another process holds a's lock and is starting a run of a (its only slot, cap 1), not yet committed.
  // The batch's pick sees a with 0 running, so it picks a1 and b1, then waits for a's lock; once granted,
  // its recount finds a full.
  postgres::PgConnection other(database.url(), postgres::Side::kDestination);
  other.exec("BEGIN");
  other.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kTenantLockKey), {a1.tenant_id});
  other.exec(
      "INSERT INTO runs (id, tenant_id, sync_id, connection_id, state, full_refresh, models, trigger, "
      "attempt, "
      "max_attempts, created_at, updated_at) VALUES ('elsewhere', $1, $2, $3, 'running', 0, '[]', 'manual', "
      "1, "
      "3, 1, 1)",
      {a[1].tenant_id, a[1].id, a[1].connection_id});

  postgres::PgConnection claimer(database.url(), postgres::Side::kDestination);
  const auto claimed =
      claim_behind(other, claimer, "SELECT DISTINCT (run).id FROM ferry_claim_runs('w', $1, $2, 1, 5)");
  EXPECT_EQ(claimed, std::vector<std::string>{b1.id}) << "a full tenant's run was taken, or b's was dropped";
  expect_released_while_open(a1.id, a1.tenant_id);
  claimer.exec("COMMIT");
  EXPECT_EQ(store.run_by_id(a1.id)->state, RunState::kQueued);
  EXPECT_EQ(store.run_by_id(b1.id)->state, RunState::kRunning);
}

TEST(PgClaimBatchUpgrade, AStoreQueuedBeforeTheBatchFunctionExistedBatchClaimsItsRuns) {
  testing::PgTestDatabase database;
  {
    // The schema as it was before migration 4, with runs queued by that version.
    postgres::PgConnection old(database.url(), postgres::Side::kDestination);
    pg_migrate(old, 3);
    old.exec(
        "INSERT INTO tenants VALUES ('t1', 'acme', 1), ('t2', 'globex', 1);"
        "INSERT INTO connections VALUES ('c1', 't1', 'c', 'sample', '{}', '\\x00', 'act_1', 1, 1), "
        "('c2', 't2', 'c', 'sample', '{}', '\\x00', 'act_2', 1, 1);"
        "INSERT INTO syncs (id, tenant_id, connection_id, destination_type, destination_config, "
        "schedule_kind, active, max_attempts, created_at, updated_at) VALUES "
        "('s1', 't1', 'c1', 'sqlite', '{}', 'manual', 1, 3, 1, 1), "
        "('s2', 't1', 'c1', 'sqlite', '{}', 'manual', 1, 3, 1, 1), "
        "('s3', 't2', 'c2', 'sqlite', '{}', 'manual', 1, 3, 1, 1);"
        "INSERT INTO runs (id, tenant_id, sync_id, connection_id, state, full_refresh, models, trigger, "
        "attempt, max_attempts, created_at, updated_at) VALUES "
        "('r-old', 't1', 's1', 'c1', 'queued', 0, '[\"b\",\"a\"]', 'manual', 0, 3, 100, 100), "
        "('r-new', 't1', 's2', 'c1', 'queued', 0, '[]', 'manual', 0, 3, 200, 200), "
        "('r-other', 't2', 's3', 'c2', 'queued', 0, '[]', 'manual', 0, 3, 300, 300);"
        "INSERT INTO run_tasks (run_id, model_id, position, state, full_refresh, id) VALUES "
        "('r-old', 'a', 1, 'pending', 0, 'task-a'), ('r-old', 'b', 0, 'pending', 1, 'task-b');");
    ASSERT_EQ(old.exec("SELECT count(*) FROM pg_proc WHERE proname = 'ferry_claim_runs'").int64(0, 0), 0);
  }
  PgStore store(database.url(), core::SecretBox(store_test_key()));  // migrates to the latest version
  const auto now = core::SystemClock().now();
  const auto batch = store.claim_batch("w", now, now + seconds(60), ClaimPolicy{2}, 10);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].id, "r-old");
  EXPECT_EQ(batch[1].id, "r-other") << "t2 runs nothing: its run goes before t1's second";
  EXPECT_EQ(batch[2].id, "r-new");
  EXPECT_EQ(batch[0].state, RunState::kRunning);
  EXPECT_EQ(batch[0].attempt, 1);
  EXPECT_EQ(batch[0].started_at, now);
  ASSERT_EQ(batch[0].tasks.size(), 2u);
  EXPECT_EQ(batch[0].tasks[0].id, "task-b") << "tasks in their positions";
  EXPECT_TRUE(batch[0].tasks[0].full_refresh);
  EXPECT_EQ(batch[0].tasks[1].model_id, "a");
  EXPECT_TRUE(batch[1].tasks.empty()) << "a run without tasks is claimed with none";
  EXPECT_TRUE(batch[2].tasks.empty());
  EXPECT_TRUE(store.claim_batch("w", now, now + seconds(60), ClaimPolicy{2}, 10).empty());
}

}  // namespace
}  // namespace ferry::store
