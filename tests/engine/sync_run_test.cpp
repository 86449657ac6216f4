// End-to-end runs through the engine: sample source -> SQLite destination.
#include "engine/engine_fixture.h"

namespace ferry::testing {
namespace {

using core::RunState;

class SyncRunTest : public EngineFixture {};

TEST_F(SyncRunTest, FullSyncEqualsSourceAndIncrementalCountsExactChanges) {
  constexpr int64_t kSize = 100'000;
  auto connection = make_connection(kSize, 5000);
  const auto sync = make_sync(connection);

  const auto first = run_to_end(trigger(sync));
  ASSERT_EQ(first.state, RunState::kComplete) << first.error.value_or("");
  EXPECT_EQ(first.counts, (core::Counts{kSize, 0, 0, 0}));
  for (const auto& task : first.tasks) EXPECT_TRUE(task.full_refresh) << "a first run reads everything";
  expect_destination_equals_source(kSize, 0);

  set_generation(connection, 1);
  const auto expected = expected_changes(kSize, 0, 1);
  ASSERT_GT(expected.inserted, 0);
  ASSERT_GT(expected.updated, 0);
  ASSERT_GT(expected.deleted, 0);
  const auto second = run_to_end(trigger(sync));
  ASSERT_EQ(second.state, RunState::kComplete) << second.error.value_or("");
  for (const auto& task : second.tasks) EXPECT_FALSE(task.full_refresh);
  EXPECT_EQ(second.counts, expected);
  expect_destination_equals_source(kSize, 1);

  for (const auto& state : store.model_states(sync.id)) {
    EXPECT_FALSE(state.is_initial_sync);
    EXPECT_EQ(state.last_sync_result, RunState::kComplete);
    EXPECT_EQ(state.cursor, R"({"g":1})");
  }
}

TEST_F(SyncRunTest, FullRefreshInfersDeletesOfRowsNotSeen) {
  constexpr int64_t kSize = 20'000;
  auto connection = make_connection(kSize);
  const auto sync = make_sync(connection);
  ASSERT_EQ(run_to_end(trigger(sync)).state, RunState::kComplete);
  set_generation(connection, 2);
  const auto full = run_to_end(trigger(sync, /*full_refresh=*/true));
  ASSERT_EQ(full.state, RunState::kComplete);
  EXPECT_EQ(full.counts, expected_changes(kSize, 0, 2));
  expect_destination_equals_source(kSize, 2);
  const auto again = run_to_end(trigger(sync));
  EXPECT_EQ(again.counts, core::Counts{}) << "nothing changed since the full refresh";
}

TEST_F(SyncRunTest, IncrementalRunSweepsDeletesASourceCanOnlyShowByItsKeys) {
  // A database source without change capture: its incremental read shows no deletions, but it can list
  // its current keys, and the run deletes exactly the rows whose keys are gone.
  constexpr int64_t kSize = 20'000;
  control_state->hide_deletes = true;
  auto connection = make_connection(kSize, 3000);
  const auto sync = make_sync(connection);
  ASSERT_EQ(run_to_end(trigger(sync)).state, RunState::kComplete);
  set_generation(connection, 1);
  const auto expected = expected_changes(kSize, 0, 1);
  ASSERT_GT(expected.deleted, 0);
  const auto second = run_to_end(trigger(sync));
  ASSERT_EQ(second.state, RunState::kComplete) << second.error.value_or("");
  EXPECT_EQ(second.counts, expected);
  expect_destination_equals_source(kSize, 1);
  const int listed = control_state->key_listings;
  EXPECT_GT(listed, 0) << "the models with deletions listed their keys";
  const auto again = run_to_end(trigger(sync));
  EXPECT_EQ(again.counts, core::Counts{}) << "a sweep with nothing gone deletes nothing";
  EXPECT_EQ(control_state->key_listings, listed) << "as many rows on both sides: nothing to list";
  control_state->counts_rows = false;
  const auto uncounted = run_to_end(trigger(sync));
  EXPECT_EQ(uncounted.counts, core::Counts{});
  EXPECT_EQ(control_state->key_listings - listed, static_cast<int>(uncounted.tasks.size()))
      << "a source that cannot count lists every model's keys";
}

TEST_F(SyncRunTest, CancelMidRunKeepsCommittedBatchesAndTheNextRunCompletes) {
  constexpr int64_t kSize = 20'000;
  auto connection = make_connection(kSize, 500);
  const auto sync = make_sync(connection);
  const auto run = trigger(sync);
  control_state->after_batch = [&](const std::string& model, int batch) {
    if (model == "hris.Employee" && batch == 3) {
      EXPECT_EQ(control.cancel(*store.run_by_id(run.id)), engine::CancelOutcome::kCancelling);
    }
  };
  const auto cancelled = run_to_end(run);
  ASSERT_EQ(cancelled.state, RunState::kCancelled);
  ASSERT_TRUE(cancelled.finished_at);
  EXPECT_EQ(cancelled.tasks[0].state, core::TaskState::kCancelled);
  EXPECT_EQ(cancelled.tasks[1].state, core::TaskState::kPending);
  // Cancelled once the source had read batch 3; the writer, up to a few batches behind it (the read runs
  // ahead), stops at its next batch boundary: whole batches, all committed ones kept and counted.
  const int64_t kept = destination_rows("hris.Employee");
  EXPECT_GT(kept, 0) << "committed batches stay";
  EXPECT_LE(kept, 2000) << "nothing is written after the batch boundary that saw the cancel";
  EXPECT_EQ(kept % 500, 0);
  EXPECT_EQ(cancelled.counts.inserted, kept);

  control_state->after_batch = nullptr;
  const auto next = run_to_end(trigger(sync));
  ASSERT_EQ(next.state, RunState::kComplete);
  expect_destination_equals_source(kSize, 0);
}

TEST_F(SyncRunTest, CancelBeforeStartNeedsNoWorker) {
  const auto sync = make_sync(make_connection(1000));
  const auto run = trigger(sync);
  EXPECT_EQ(control.cancel(run), engine::CancelOutcome::kCancelled);
  EXPECT_EQ(store.run_by_id(run.id)->state, RunState::kCancelled);
  EXPECT_FALSE(pool.run_once("w")) << "nothing left to claim";
  EXPECT_EQ(control.cancel(*store.run_by_id(run.id)), engine::CancelOutcome::kAlreadyFinished);
}

struct WorkerDied : std::runtime_error {
  WorkerDied() : std::runtime_error("worker process died") {}
};

TEST_F(SyncRunTest, ExpiredLeaseIsReclaimedAndResumesFromCheckpointWithoutDuplicates) {
  constexpr int64_t kSize = 20'000;
  auto connection = make_connection(kSize, 700);
  const auto sync = make_sync(connection);
  const auto run = trigger(sync);
  control_state->after_batch = [](const std::string& model, int batch) {
    if (model == "ats.Candidate" && batch == 2) throw WorkerDied();
  };
  EXPECT_THROW(pool.run_once("doomed-worker"), WorkerDied);
  auto stuck = *store.run_by_id(run.id);
  ASSERT_EQ(stuck.state, RunState::kRunning);
  EXPECT_EQ(stuck.lease_owner, "doomed-worker");
  const auto committed_candidates = destination_rows("ats.Candidate");
  EXPECT_EQ(committed_candidates, 1400);

  control_state->after_batch = nullptr;
  EXPECT_FALSE(pool.run_once("rescuer")) << "the lease has not expired yet";
  clock.advance(std::chrono::seconds(31));
  pool.housekeeping();
  EXPECT_EQ(store.run_by_id(run.id)->state, RunState::kQueued);
  const auto resumed = run_to_end(run);
  ASSERT_EQ(resumed.state, RunState::kComplete) << resumed.error.value_or("");
  EXPECT_EQ(resumed.attempt, 2);
  EXPECT_EQ(resumed.counts, (core::Counts{kSize, 0, 0, 0})) << "counts survive the crash exactly";
  expect_destination_equals_source(kSize, 0);
}

TEST_F(SyncRunTest, TransientErrorsRetryWithBackoffAndResume) {
  constexpr int64_t kSize = 10'000;
  auto connection = make_connection(kSize, 1000);
  const auto sync = make_sync(connection);
  const auto run = trigger(sync);
  int failures = 0;
  control_state->after_batch = [&](const std::string& model, int batch) {
    if (model == "hris.Team" && batch == 1 && failures++ == 0) {
      throw core::FerryError(core::ErrorCategory::kSourceUnavailable, "HTTP 503 from the source");
    }
  };
  EXPECT_TRUE(pool.run_once("w"));
  auto waiting = *store.run_by_id(run.id);
  ASSERT_EQ(waiting.state, RunState::kPendingRetry);
  ASSERT_TRUE(waiting.next_attempt_at);
  EXPECT_GE(*waiting.next_attempt_at, clock.now() + std::chrono::milliseconds(2500));
  EXPECT_LE(*waiting.next_attempt_at, clock.now() + std::chrono::seconds(5));
  EXPECT_EQ(waiting.error_category, core::ErrorCategory::kSourceUnavailable);

  pool.housekeeping();
  EXPECT_FALSE(pool.run_once("w")) << "still backing off";
  clock.advance(std::chrono::seconds(6));
  pool.housekeeping();
  const auto done = run_to_end(run);
  ASSERT_EQ(done.state, RunState::kComplete);
  EXPECT_EQ(done.attempt, 2);
  EXPECT_EQ(done.counts, (core::Counts{kSize, 0, 0, 0}));
  expect_destination_equals_source(kSize, 0);
}

TEST_F(SyncRunTest, TransientErrorsStopAfterMaxAttempts) {
  const auto sync = make_sync(make_connection(2000));
  const auto run = trigger(sync);
  control_state->after_batch = [](const std::string&, int) {
    throw core::FerryError(core::ErrorCategory::kRateLimited, "HTTP 429");
  };
  for (int attempt = 1; attempt <= 3; ++attempt) {
    clock.advance(std::chrono::minutes(20));
    pool.housekeeping();
    ASSERT_TRUE(pool.run_once("w")) << "attempt " << attempt;
  }
  const auto failed = *store.run_by_id(run.id);
  EXPECT_EQ(failed.state, RunState::kFailed);
  EXPECT_EQ(failed.attempt, 3);
  EXPECT_EQ(failed.error_category, core::ErrorCategory::kRateLimited);
}

TEST_F(SyncRunTest, PermanentErrorsFailAtOnceWithTheirCategory) {
  const auto sync = make_sync(make_connection(2000));
  const auto run = trigger(sync);
  control_state->after_batch = [](const std::string&, int) {
    throw core::FerryError(core::ErrorCategory::kOauthCredentialsExpired, "refresh token expired");
  };
  const auto failed = run_to_end(run);
  EXPECT_EQ(failed.state, RunState::kFailed) << "every model failed";
  EXPECT_EQ(failed.attempt, 1);
  EXPECT_EQ(failed.error_category, core::ErrorCategory::kOauthCredentialsExpired);
  EXPECT_EQ(failed.error, "refresh token expired");
}

TEST_F(SyncRunTest, OneFailingModelLeavesTheOthersSynced) {
  const auto sync = make_sync(make_connection(4000));
  control_state->after_batch = [](const std::string& model, int) {
    if (model == "hris.Team")
      throw core::FerryError(core::ErrorCategory::kConfigInvalid, "Team schema changed");
  };
  const auto run = run_to_end(trigger(sync));
  EXPECT_EQ(run.state, RunState::kComplete) << "partially synced";
  EXPECT_EQ(run.error_category, core::ErrorCategory::kConfigInvalid);
  int failed = 0;
  for (const auto& task : run.tasks) failed += task.state == core::TaskState::kFailed;
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(destination_rows("hris.Employee"), 1600);
}

TEST_F(SyncRunTest, IdentitiesRunWritesOnlyThoseRecordsAndKeepsTheCursor) {
  constexpr int64_t kSize = 10'000;
  auto connection = make_connection(kSize);
  const auto sync = make_sync(connection);
  ASSERT_EQ(run_to_end(trigger(sync)).state, RunState::kComplete);
  set_generation(connection, 1);
  // ids changed by generation 1 in hris.Employee, found independently of the engine
  connectors::sample::SampleData data(42, kSize);
  const auto& employees = *data.model("hris.Employee");
  std::vector<std::string> changed;
  for (int64_t id = 1; id <= employees.base_count && changed.size() < 3; ++id) {
    const auto before = data.state(employees, id, 0), after = data.state(employees, id, 1);
    if (before.alive && after.alive && before.modified_generation != after.modified_generation) {
      changed.push_back(std::to_string(id));
    }
  }
  ASSERT_EQ(changed.size(), 3u);
  const auto only = run_to_end(control.trigger(sync, {std::nullopt, false, "test", changed}).run);
  ASSERT_EQ(only.state, RunState::kComplete);
  EXPECT_EQ(only.counts, (core::Counts{0, 3, 0, 0}));
  for (const auto& state : store.model_states(sync.id))
    EXPECT_EQ(state.cursor, R"({"g":0})") << "cursor unmoved";
  const auto rest = run_to_end(trigger(sync));
  const auto expected = expected_changes(kSize, 0, 1);
  EXPECT_EQ(rest.counts, (core::Counts{expected.inserted, expected.updated - 3, expected.deleted, 0}))
      << "the incremental run still finds every other change";
  expect_destination_equals_source(kSize, 1);
}

TEST_F(SyncRunTest, TestRunReadsASampleAndWritesNothing) {
  const auto sync = make_sync(make_connection(10'000, 50));
  const auto run = run_to_end(control.trigger(sync, {std::nullopt, false, "test", std::nullopt, true}).run);
  ASSERT_EQ(run.state, RunState::kComplete);
  EXPECT_EQ(run.counts, core::Counts{});
  for (const auto& task : run.tasks) {
    EXPECT_EQ(task.state, core::TaskState::kComplete);
    EXPECT_TRUE(task.started_at && task.finished_at);
  }
  EXPECT_TRUE(store.model_states(sync.id).empty() || !store.model_states(sync.id).front().cursor);
  const auto real = run_to_end(trigger(sync));
  EXPECT_EQ(real.counts.inserted, 10'000) << "the first real run is still a full initial sync";
}

TEST_F(SyncRunTest, ATriggerWhileARunIsActiveReturnsThatRun) {
  const auto sync = make_sync(make_connection(1000));
  const auto first = control.trigger(sync, {});
  const auto second = control.trigger(sync, {});
  EXPECT_TRUE(first.created);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.run.id, first.run.id);
}

TEST_F(SyncRunTest, SelectedModelsOnlyAndUnknownModelsRejected) {
  const auto sync = make_sync(make_connection(1000));
  const auto run = control.trigger(sync, {std::vector<std::string>{"hris.Team"}, false, "test"}).run;
  ASSERT_EQ(run.tasks.size(), 1u);
  EXPECT_EQ(run_to_end(run).counts.inserted, 100);
  EXPECT_THROW(control.trigger(sync, {std::vector<std::string>{"nope.Model"}, false, "test"}),
               core::FerryError);
}

}  // namespace
}  // namespace ferry::testing
