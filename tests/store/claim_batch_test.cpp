// Store::claim_batch on every backend: a batch takes the runs that as many claim() calls in a row would
// take, in their order (the fair order across tenants, ClaimPolicy), and stops at each tenant's cap,
// counting the runs the tenant already runs. The PostgreSQL function behind it under many claimers is in
// pg_claim_batch_test.cpp.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/ids.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

using core::RunState;
using std::chrono::seconds;

class ClaimBatchTest : public StoreFixture {
 protected:
  const core::Timestamp t0 = core::SystemClock().now();
  // Claims taken to be compared expire here; runs that must stay running hold a lease well past it.
  const core::Timestamp short_lease = t0 + seconds(30);
  const core::Timestamp long_lease = t0 + seconds(3600);
  // Every comparison claims the same runs again: no run may turn poison on the way.
  const ReclaimPolicy patient{.lease_expiry_margin = 1000};

  std::string queue(const core::Sync& sync, int offset_seconds) {
    return store.create_run(two_model_run(sync, t0 + seconds(offset_seconds))).run.id;
  }

  std::vector<std::string> claim_in_a_row(int max, int cap) {
    std::vector<std::string> ids;
    while (static_cast<int>(ids.size()) < max) {
      auto run = store.claim("w", t0, short_lease, {.tenant_max_running = cap});
      if (!run) break;
      ids.push_back(run->id);
    }
    return ids;
  }

  std::vector<std::string> ids_of(const std::vector<core::Run>& runs) {
    std::vector<std::string> ids;
    for (const auto& run : runs) ids.push_back(run.id);
    return ids;
  }

  // Puts the runs claimed under the short lease back on the queue, keeping their age.
  void requeue(size_t expected) {
    ASSERT_EQ(store.reclaim_expired_leases(short_lease + seconds(1), patient), static_cast<int>(expected));
  }
};

TEST_P(ClaimBatchTest, ABatchTakesTheRunsThatClaimsInARowWouldInTheirOrder) {
  const auto a = tenant_with_syncs(store, "a", 6);
  const auto b = tenant_with_syncs(store, "b", 3);
  const auto c = tenant_with_syncs(store, "c", 5);
  // c already runs two runs (leased past every comparison below), so it comes last until others catch up.
  queue(c[0], 0);
  queue(c[1], 0);
  ASSERT_TRUE(store.claim("busy", t0, long_lease));
  ASSERT_TRUE(store.claim("busy", t0, long_lease));
  // Ages interleaved across tenants, with ties (the id decides between equal ages).
  for (int i = 0; i < 6; ++i) queue(a[static_cast<size_t>(i)], 10 + 2 * i);
  for (int i = 0; i < 3; ++i) queue(b[static_cast<size_t>(i)], 11 + 4 * i);
  for (int i = 2; i < 5; ++i) queue(c[static_cast<size_t>(i)], 10 + i);

  for (const int cap : {0, 2, 3}) {
    for (const int max : {1, 2, 5, 8, 100}) {
      SCOPED_TRACE(::testing::Message() << "cap " << cap << ", max " << max);
      const auto in_a_row = claim_in_a_row(max, cap);
      ASSERT_FALSE(in_a_row.empty());
      requeue(in_a_row.size());
      const auto batch = store.claim_batch("w", t0, short_lease, {.tenant_max_running = cap}, max);
      EXPECT_EQ(ids_of(batch), in_a_row);
      requeue(batch.size());
    }
  }
}

TEST_P(ClaimBatchTest, TheBatchsRunsAreClaimedWithTheirTasks) {
  const auto a = tenant_with_syncs(store, "a", 2);
  const auto b = tenant_with_syncs(store, "b", 1);
  const auto a0 = queue(a[0], 0);
  const auto b0 = queue(b[0], 1);
  const auto a1 = queue(a[1], 2);
  const auto batch = store.claim_batch("w7", t0, short_lease, {}, 10);
  ASSERT_EQ(ids_of(batch), (std::vector<std::string>{a0, b0, a1}));
  for (const auto& run : batch) {
    EXPECT_EQ(run.state, RunState::kRunning);
    EXPECT_EQ(run.attempt, 1);
    EXPECT_EQ(run.lease_owner, "w7");
    EXPECT_EQ(run.lease_until, short_lease);
    EXPECT_EQ(run.started_at, t0);
    ASSERT_EQ(run.tasks.size(), 2u) << run.id;
    EXPECT_EQ(run.tasks[0].model_id, "hris.Employee") << "tasks in their positions";
    EXPECT_EQ(run.tasks[1].model_id, "hris.Team");
    EXPECT_EQ(run.tasks[0].run_id, run.id);
    const auto stored = store.run_by_id(run.id);
    EXPECT_EQ(stored->state, RunState::kRunning);
    EXPECT_EQ(stored->lease_owner, "w7");
  }
  EXPECT_TRUE(store.claim_batch("w7", t0, short_lease, {}, 10).empty()) << "nothing is left to claim";
}

TEST_P(ClaimBatchTest, ABatchStopsAtEachTenantsCapCountingItsRunningRuns) {
  const auto a = tenant_with_syncs(store, "a", 6);
  const auto b = tenant_with_syncs(store, "b", 3);
  const auto b0 = queue(b[0], 0);
  ASSERT_EQ(store.claim("busy", t0, long_lease)->id, b0);
  std::vector<std::string> a_runs;
  for (int i = 0; i < 6; ++i) a_runs.push_back(queue(a[static_cast<size_t>(i)], 10 + i));
  const auto b1 = queue(b[1], 12);
  queue(b[2], 13);
  const ClaimPolicy cap{.tenant_max_running = 2};

  EXPECT_TRUE(store.claim_batch("w", t0, short_lease, cap, 0).empty()) << "a batch of none claims nothing";
  // a: 0 running, two slots; b: 1 running, one slot. Sequentially: a0 (a has 0), then a1 and b1 at one
  // running each, a1 older.
  const auto batch = store.claim_batch("w", t0, short_lease, cap, 100);
  EXPECT_EQ(ids_of(batch), (std::vector<std::string>{a_runs[0], a_runs[1], b1}));
  std::map<std::string, int> per_tenant;
  for (const auto& run : batch) ++per_tenant[run.tenant_id];
  EXPECT_EQ(per_tenant[a[0].tenant_id], 2);
  EXPECT_EQ(per_tenant[b[0].tenant_id], 1) << "b already ran one run";
  EXPECT_TRUE(store.claim_batch("w", t0, short_lease, cap, 100).empty()) << "every tenant holds its cap";

  ASSERT_TRUE(store.transition(a_runs[0], RunState::kRunning, RunState::kComplete,
                               {.finished_at = t0, .clear_lease = true}));
  EXPECT_EQ(ids_of(store.claim_batch("w", t0, short_lease, cap, 100)), std::vector<std::string>{a_runs[2]})
      << "a finished run frees one slot, for its tenant's oldest queued run";
  EXPECT_EQ(store.run_by_id(a_runs[3])->state, RunState::kQueued);
}

FERRY_ON_EVERY_STORE(ClaimBatchTest);

}  // namespace
}  // namespace ferry::store
