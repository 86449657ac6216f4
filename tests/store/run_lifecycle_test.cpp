// The store's run state changes: a retry is one compare-and-set, a run that ends failed records the failure
// on the models it left unfinished, and a run whose worker dies on every attempt (poison) stops being
// requeued once its claims pass max_attempts + the lease-expiry margin.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/ids.h"
#include "fakes/fake_clock.h"
#include "store/store_fixture.h"

namespace ferry::store {
namespace {

using core::RunState;
using std::chrono::seconds;

class RunLifecycleTest : public StoreFixture {
 protected:
  RunLifecycleTest() {
    const auto now = clock.now();
    connection = {core::new_uuid(),        tenant.id, "hr", "sample", {{"size", 10}}, core::Json::object(),
                  core::new_token("act_"), now,       now};
    store.insert_connection(connection);
    sync.id = core::new_uuid();
    sync.tenant_id = tenant.id;
    sync.connection_id = connection.id;
    sync.destination_type = "sqlite";
    sync.destination_config = {{"path", "x.db"}};
    sync.created_at = sync.updated_at = now;
    store.insert_sync(sync);
  }

  // A queued run of two models (of `sync_id`, default the fixture's sync).
  core::Run queued_run(int max_attempts = 3, const std::string& sync_id = {}) {
    core::Run r;
    r.id = core::new_uuid();
    r.tenant_id = tenant.id;
    r.sync_id = sync_id.empty() ? sync.id : sync_id;
    r.connection_id = connection.id;
    r.models = {"hris.Employee", "hris.Team"};
    r.max_attempts = max_attempts;
    r.created_at = clock.now();
    for (const auto& model : r.models)
      r.tasks.push_back({r.id, model, core::TaskState::kPending, false, {}, {}, {}});
    return store.create_run(r).run;
  }

  const core::ModelState* state_of(const std::vector<core::ModelState>& states, const std::string& model) {
    for (const auto& s : states) {
      if (s.model_id == model) return &s;
    }
    return nullptr;
  }

  testing::FakeClock clock;
  core::Connection connection;
  core::Sync sync;
};

TEST_P(RunLifecycleTest, ARetryIsOneCompareAndSetThroughFailed) {
  const auto run = queued_run();
  ASSERT_TRUE(store.claim("w", clock.now(), clock.now() + seconds(30)));
  constexpr RunState kRetry[] = {RunState::kRunning, RunState::kFailed, RunState::kPendingRetry};
  ASSERT_TRUE(store.transition_path(
      run.id, kRetry,
      {.next_attempt_at = clock.now() + seconds(5), .error = "HTTP 503", .clear_lease = true}));
  const auto waiting = *store.run_by_id(run.id);
  EXPECT_EQ(waiting.state, RunState::kPendingRetry);
  EXPECT_EQ(waiting.error, "HTTP 503");
  EXPECT_FALSE(waiting.lease_owner);
  for (const auto& task : waiting.tasks) EXPECT_EQ(task.state, core::TaskState::kPending) << "not failed";
  EXPECT_TRUE(store.model_states(sync.id).empty()) << "a retry is not a failure of the models";
  EXPECT_FALSE(store.transition_path(run.id, kRetry)) << "compare-and-set: the run is no longer running";
}

TEST_P(RunLifecycleTest, UnfinishedRunCountsSayHowManyRunsWaitInEachState) {
  const auto another_sync = [&] {
    core::Sync other = sync;
    other.id = core::new_uuid();
    store.insert_sync(other);
    return other.id;
  };
  const auto finished = queued_run();
  ASSERT_EQ(store.claim("w", clock.now(), clock.now() + seconds(30))->id, finished.id);
  ASSERT_TRUE(store.transition(finished.id, RunState::kRunning, RunState::kComplete,
                               {.finished_at = clock.now(), .clear_lease = true}));
  const auto retrying = queued_run(3, another_sync());
  ASSERT_EQ(store.claim("w", clock.now(), clock.now() + seconds(30))->id, retrying.id);
  constexpr RunState kRetry[] = {RunState::kRunning, RunState::kFailed, RunState::kPendingRetry};
  ASSERT_TRUE(store.transition_path(retrying.id, kRetry,
                                    {.next_attempt_at = clock.now() + seconds(5), .clear_lease = true}));
  const auto running = queued_run(3, another_sync());
  ASSERT_EQ(store.claim("w", clock.now(), clock.now() + seconds(30))->id, running.id);
  queued_run();  // the first sync's next run
  queued_run(3, another_sync());

  const std::vector<std::pair<RunState, int64_t>> expected = {
      {RunState::kQueued, 2}, {RunState::kRunning, 1}, {RunState::kPendingRetry, 1}};
  auto counts = store.unfinished_run_counts();
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, expected) << "the complete run is history, not queue";
}

TEST_P(RunLifecycleTest, APathWithAnIllegalHopIsRefusedBeforeAnyWrite) {
  const auto run = queued_run();
  ASSERT_TRUE(store.claim("w", clock.now(), clock.now() + seconds(30)));
  constexpr RunState kSkipsFailed[] = {RunState::kRunning, RunState::kPendingRetry};
  EXPECT_THROW(store.transition_path(run.id, kSkipsFailed), std::logic_error);
  constexpr RunState kBackwards[] = {RunState::kRunning, RunState::kFailed, RunState::kRunning};
  EXPECT_THROW(store.transition_path(run.id, kBackwards), std::logic_error);
  EXPECT_EQ(store.run_by_id(run.id)->state, RunState::kRunning);
}

TEST_P(RunLifecycleTest, ARunThatFailsRecordsTheFailureOnEveryModelItLeftUnfinished) {
  const auto t0 = clock.now();
  // An earlier run completed hris.Employee; this one completes it again, then fails before hris.Team.
  store.save_model_state({sync.id, "hris.Employee", "c1", t0, t0, RunState::kComplete, false, std::nullopt});
  store.save_model_state({sync.id, "hris.Team", "c1", t0, t0, RunState::kComplete, false, std::nullopt});
  auto run = queued_run();
  ASSERT_TRUE(store.claim("w", t0, t0 + seconds(30)));
  run.tasks[0].state = core::TaskState::kComplete;
  store.save_task(run.tasks[0]);
  clock.advance(seconds(7));
  ASSERT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kFailed,
                               {.finished_at = clock.now(),
                                .error = "401 from the source",
                                .error_category = core::ErrorCategory::kCredentialsInvalid,
                                .clear_lease = true}));
  const auto states = store.model_states(sync.id);
  const auto* employee = state_of(states, "hris.Employee");
  const auto* team = state_of(states, "hris.Team");
  ASSERT_TRUE(employee && team);
  EXPECT_EQ(employee->last_sync_result, RunState::kComplete) << "a model the run finished keeps its result";
  EXPECT_EQ(employee->last_sync_finished, t0);
  EXPECT_EQ(team->last_sync_result, RunState::kFailed);
  EXPECT_EQ(team->last_sync_finished, clock.now());
  EXPECT_EQ(team->last_error_category, core::ErrorCategory::kCredentialsInvalid);
  EXPECT_EQ(team->cursor, "c1") << "the position is kept for the next run";
  const auto failed = *store.run_by_id(run.id);
  EXPECT_EQ(failed.tasks[0].state, core::TaskState::kComplete);
  EXPECT_EQ(failed.tasks[1].state, core::TaskState::kFailed);
  EXPECT_EQ(failed.tasks[1].error, "401 from the source");
}

TEST_P(RunLifecycleTest, TasksInThePatchAreSavedWithTheMoveAndOnlyIfItHappens) {
  auto run = queued_run();
  ASSERT_TRUE(store.claim("w", clock.now(), clock.now() + seconds(30)));
  auto last = run.tasks[1];
  last.state = core::TaskState::kComplete;
  last.counts = {7, 2, 1, 0};
  last.checkpoint = "c9";
  last.finished_at = clock.now();
  // A move that does not happen (the run is not cancelling) saves nothing.
  EXPECT_FALSE(store.transition(run.id, RunState::kCancelling, RunState::kCancelled, {.tasks = {last}}));
  EXPECT_EQ(store.run_by_id(run.id)->tasks[1].state, core::TaskState::kPending);

  ASSERT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kComplete,
                               {.finished_at = clock.now(), .clear_lease = true, .tasks = {last}}));
  const auto done = *store.run_by_id(run.id);
  EXPECT_EQ(done.state, RunState::kComplete);
  EXPECT_EQ(done.tasks[1].state, core::TaskState::kComplete);
  EXPECT_EQ(done.tasks[1].counts, last.counts);
  EXPECT_EQ(done.tasks[1].checkpoint, "c9");
  EXPECT_EQ(done.tasks[0].state, core::TaskState::kPending) << "a task not in the patch is untouched";
}

TEST_P(RunLifecycleTest, AFailedTaskInThePatchKeepsItsOwnErrorWhenTheRunFails) {
  auto run = queued_run();
  ASSERT_TRUE(store.claim("w", clock.now(), clock.now() + seconds(30)));
  auto last = run.tasks[1];
  last.state = core::TaskState::kFailed;
  last.error = "Team schema changed";
  ASSERT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kFailed,
                               {.finished_at = clock.now(), .error = "every model failed", .tasks = {last}}));
  const auto failed = *store.run_by_id(run.id);
  EXPECT_EQ(failed.tasks[1].error, "Team schema changed");
  EXPECT_EQ(failed.tasks[0].error, "every model failed") << "the unfinished task takes the run's error";
}

TEST_P(RunLifecycleTest, AModelThatNeverSyncedGetsAFailedStateToo) {
  const auto run = queued_run();
  ASSERT_TRUE(store.claim("w", clock.now(), clock.now() + seconds(30)));
  ASSERT_TRUE(store.transition(
      run.id, RunState::kRunning, RunState::kFailed,
      {.finished_at = clock.now(), .error_category = core::ErrorCategory::kSourceUnavailable}));
  const auto states = store.model_states(sync.id);
  ASSERT_EQ(states.size(), 2u);
  for (const auto& state : states) {
    EXPECT_EQ(state.last_sync_result, RunState::kFailed);
    EXPECT_TRUE(state.is_initial_sync);
    EXPECT_FALSE(state.cursor);
    EXPECT_EQ(state.last_error_category, core::ErrorCategory::kSourceUnavailable);
  }
}

// Claims and lets the lease expire, as a worker that dies mid-run does; returns the run after the reclaim.
core::Run die_once(Store& store, testing::FakeClock& clock, const std::string& run_id, int margin) {
  EXPECT_TRUE(store.claim("doomed", clock.now(), clock.now() + seconds(30)));
  clock.advance(seconds(31));
  EXPECT_EQ(store.reclaim_expired_leases(clock.now(), {.lease_expiry_margin = margin}), 1);
  return *store.run_by_id(run_id);
}

TEST_P(RunLifecycleTest, ARunWhoseWorkerDiesOnEveryAttemptFailsAfterMaxAttemptsPlusTheMargin) {
  const auto run = queued_run(/*max_attempts=*/3);
  constexpr int kMargin = 4;
  for (int claims = 1; claims < 3 + kMargin; ++claims) {
    const auto requeued = die_once(store, clock, run.id, kMargin);
    ASSERT_EQ(requeued.state, RunState::kQueued) << "after " << claims << " claims";
    EXPECT_EQ(requeued.attempt, claims);
  }
  const auto poison = die_once(store, clock, run.id, kMargin);
  EXPECT_EQ(poison.state, RunState::kFailed);
  EXPECT_EQ(poison.attempt, 3 + kMargin);
  EXPECT_EQ(poison.error_category, core::ErrorCategory::kInternal);
  EXPECT_NE(poison.error.value_or("").find("worker died"), std::string::npos) << poison.error.value_or("");
  EXPECT_EQ(poison.finished_at, clock.now());
  EXPECT_FALSE(poison.lease_owner);
  EXPECT_FALSE(store.claim("w", clock.now(), clock.now() + seconds(30))) << "nothing left to claim";
  for (const auto& state : store.model_states(sync.id)) {
    EXPECT_EQ(state.last_sync_result, RunState::kFailed) << state.model_id;
    EXPECT_EQ(state.last_error_category, core::ErrorCategory::kInternal);
  }
  EXPECT_EQ(store.model_states(sync.id).size(), 2u);
  const auto events = store.events(tenant.id, 10);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().type, "run.failed");
  EXPECT_EQ(events.front().payload["run_id"], run.id);
}

TEST_P(RunLifecycleTest, TheDefaultMarginIsTenAndOnlyExpiredLeasesCount) {
  const auto run = queued_run(/*max_attempts=*/1);
  for (int claims = 1; claims < 11; ++claims) {
    ASSERT_TRUE(store.claim("doomed", clock.now(), clock.now() + seconds(30)));
    EXPECT_EQ(store.reclaim_expired_leases(clock.now() + seconds(29)), 0) << "the lease is still live";
    clock.advance(seconds(31));
    ASSERT_EQ(store.reclaim_expired_leases(clock.now()), 1);
    ASSERT_EQ(store.run_by_id(run.id)->state, RunState::kQueued) << "after " << claims << " claims";
  }
  ASSERT_TRUE(store.claim("doomed", clock.now(), clock.now() + seconds(30)));
  clock.advance(seconds(31));
  ASSERT_EQ(store.reclaim_expired_leases(clock.now()), 1);
  EXPECT_EQ(store.run_by_id(run.id)->state, RunState::kFailed);
  EXPECT_EQ(store.run_by_id(run.id)->attempt, 11);
}

TEST_P(RunLifecycleTest, AnExpiredCancellingRunIsCancelledNotPoison) {
  const auto run = queued_run(/*max_attempts=*/1);
  ASSERT_TRUE(store.claim("doomed", clock.now(), clock.now() + seconds(30)));
  ASSERT_TRUE(store.transition(run.id, RunState::kRunning, RunState::kCancelling));
  clock.advance(seconds(31));
  ASSERT_EQ(store.reclaim_expired_leases(clock.now(), {.lease_expiry_margin = 0}), 1);
  EXPECT_EQ(store.run_by_id(run.id)->state, RunState::kCancelled);
  EXPECT_TRUE(store.model_states(sync.id).empty());
}

FERRY_ON_EVERY_STORE(RunLifecycleTest);

}  // namespace
}  // namespace ferry::store
