// The Store contract on every backend: at-rest secrets and key hashes, tenant scoping, paging, the one active
// run per sync, compare-and-set transitions, claims and leases, and the fair claim order across tenants.
#include <gtest/gtest.h>

#include <set>

#include "core/ids.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

using core::RunState;

class StoreTest : public StoreFixture {
 protected:
  // A connection of `tenant_id` (not the fixture's named one: these tests tell tenants apart).
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

TEST_P(StoreTest, ApiKeysAreStoredHashedAndResolveToTheirTenant) {
  const auto key = store.create_api_key(tenant.id);
  EXPECT_EQ(store.tenant_for_api_key(key)->id, tenant.id);
  EXPECT_FALSE(store.tenant_for_api_key(key + "x"));
  EXPECT_EQ(site.stored_text().find(key), std::string::npos);
}

TEST_P(StoreTest, SecretsAreEncryptedAtRestAndTenantScoped) {
  const auto c = connection(tenant.id);
  EXPECT_EQ(store.connection(tenant.id, c.id)->secrets["api_key"], "s3cr3t-value");
  EXPECT_EQ(site.stored_text().find("s3cr3t-value"), std::string::npos);
  const auto other = store.create_tenant("globex");
  EXPECT_FALSE(store.connection(other.id, c.id));
  EXPECT_TRUE(store.connections(other.id, {}).items.empty());
  EXPECT_EQ(store.delete_connection(other.id, c.id), DeleteResult::kNotFound);
}

// The at-rest checks above look for a secret in site.stored_text(): they mean something only if what is
// stored in the clear shows there.
TEST_P(StoreTest, TheAtRestViewShowsWhatIsStoredInTheClear) {
  auto c = connection(tenant.id);
  c.name = "plainly-named-connection";
  ASSERT_TRUE(store.update_connection(c));
  const auto stored = site.stored_text();
  EXPECT_NE(stored.find("plainly-named-connection"), std::string::npos);
  EXPECT_NE(stored.find(c.account_token), std::string::npos);
  EXPECT_EQ(stored.find("s3cr3t-value"), std::string::npos);
}

TEST_P(StoreTest, ListsPageNewestFirstWithoutGapsOrDuplicates) {
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

TEST_P(StoreTest, AtMostOneActiveRunPerSync) {
  const auto s = sync(connection(tenant.id));
  const auto first = store.create_run(new_run(s));
  ASSERT_TRUE(first.created);
  const auto second = store.create_run(new_run(s));
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.run.id, first.run.id);
  ASSERT_TRUE(store.transition(first.run.id, RunState::kQueued, RunState::kCancelled));
  EXPECT_TRUE(store.create_run(new_run(s)).created);
}

// A scheduler leader that dies between queueing a run and moving the schedule on must not fire the slot
// twice: the store keeps one run per (sync, scheduled_for), even once that run has finished.
TEST_P(StoreTest, OneRunPerScheduleSlotEvenAfterItFinished) {
  const auto s = sync(connection(tenant.id));
  const auto slot = core::from_micros(1'700'000'000'000'000);
  auto first = new_run(s);
  first.trigger = "schedule";
  first.scheduled_for = slot;
  ASSERT_TRUE(store.create_run(first).created);
  const auto t0 = core::SystemClock().now();
  ASSERT_TRUE(store.claim("w", t0, t0 + std::chrono::seconds(30)));
  ASSERT_TRUE(store.transition(first.id, RunState::kRunning, RunState::kComplete,
                               {.finished_at = t0, .clear_lease = true}));

  auto again = new_run(s);
  again.trigger = "schedule";
  again.scheduled_for = slot;
  const auto refused = store.create_run(again);
  EXPECT_FALSE(refused.created);
  EXPECT_EQ(refused.run.id, first.id);
  EXPECT_FALSE(store.run_by_id(again.id));

  auto next_slot = new_run(s);
  next_slot.trigger = "schedule";
  next_slot.scheduled_for = slot + std::chrono::minutes(5);
  ASSERT_TRUE(store.create_run(next_slot).created);
  EXPECT_EQ(store.run_by_id(next_slot.id)->scheduled_for, slot + std::chrono::minutes(5));
  EXPECT_EQ(store.run_by_id(first.id)->scheduled_for, slot);
}

TEST_P(StoreTest, SyncActivityIsTheActiveRunTheLastFinishedAndTheModelStatesAsTheirOwnReadsSeeThem) {
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

TEST_P(StoreTest, TransitionsAreCompareAndSet) {
  const auto s = sync(connection(tenant.id));
  const auto run = store.create_run(new_run(s)).run;
  EXPECT_FALSE(
      store.transition(run.id, RunState::kRunning, RunState::kComplete));       // it is queued, not running
  EXPECT_TRUE(store.transition(run.id, RunState::kQueued, RunState::kQueued));  // same-state: no-op
  EXPECT_THROW(store.transition(run.id, RunState::kQueued, RunState::kComplete), std::logic_error);
  EXPECT_EQ(store.run_by_id(run.id)->state, RunState::kQueued);
}

TEST_P(StoreTest, ClaimLeasesHeartbeatsAndReclaims) {
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

TEST_P(StoreTest, RetriesArePromotedOnlyAfterTheirBackoff) {
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

TEST_P(StoreTest, DeletingASyncWithAnActiveRunIsRefused) {
  const auto c = connection(tenant.id);
  const auto s = sync(c);
  store.create_run(new_run(s));
  EXPECT_EQ(store.delete_sync(tenant.id, s.id), DeleteResult::kInUse);
  EXPECT_EQ(store.delete_connection(tenant.id, c.id), DeleteResult::kInUse);
}

TEST_P(StoreTest, MigrationsAreIdempotentAcrossReopen) {
  const auto c = connection(tenant.id);
  const auto reopened = site.open();
  EXPECT_EQ(reopened->connection(tenant.id, c.id)->name, "hr");
}

// Queues a run for a new sync of `tenant_id`, created `offset` after t0, so tests fix the age order.
class FairClaimTest : public StoreTest {
 protected:
  const core::Timestamp t0 = core::SystemClock().now();
  const core::Tenant other = store.create_tenant("globex");

  std::string queue(const std::string& tenant_id, int offset_seconds) {
    auto run = new_run(sync(connection(tenant_id)));
    run.created_at = t0 + std::chrono::seconds(offset_seconds);
    return store.create_run(run).run.id;
  }
  std::optional<std::string> claim(int cap, Store* on = nullptr) {
    auto run = (on ? *on : store).claim("w", t0, t0 + std::chrono::seconds(30), {.tenant_max_running = cap});
    if (!run) return std::nullopt;
    return run->id;
  }
};

TEST_P(FairClaimTest, AnotherTenantsRunIsClaimedBeforeTheBusyTenantsSecond) {
  std::vector<std::string> a;
  for (int i = 0; i < 6; ++i) a.push_back(queue(tenant.id, i));
  const auto b = queue(other.id, 10);  // queued last, behind all six of A's
  EXPECT_EQ(claim(0), a[0]) << "oldest first while no tenant runs anything";
  EXPECT_EQ(claim(0), b) << "the tenant with fewer running runs goes first, even without a cap";
  EXPECT_EQ(claim(0), a[1]);
  EXPECT_EQ(claim(0), a[2]);
}

TEST_P(FairClaimTest, TheCapStopsOneTenantFromHoldingMoreWorkers) {
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

TEST_P(FairClaimTest, ExpiredLeasesAndRetriesGoBackInTheirTenantsAgeOrder) {
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

TEST_P(FairClaimTest, TheCapCountsRunsClaimedByAnotherProcess) {
  const auto a0 = queue(tenant.id, 0);
  const auto a1 = queue(tenant.id, 1);
  const auto other_host = site.open();
  EXPECT_EQ(claim(1, other_host.get()), a0);
  EXPECT_FALSE(claim(1)) << "this host sees the other host's running run";
  EXPECT_EQ(claim(2), a1);
}

FERRY_ON_EVERY_STORE(StoreTest);
FERRY_ON_EVERY_STORE(FairClaimTest);

}  // namespace
}  // namespace ferry::store
