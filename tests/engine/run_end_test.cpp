// A run's last task is saved with the run's own end: no reader ever finds every task of a run finished
// while the run still counts as active. A client that polls per-model records (Stuut's Syncs, Merge's sync
// status) and sees them all done must be able to start a new batch at once, not get the old one back.
#include "engine/engine_fixture.h"
#include "fakes/faulty_store.h"

namespace ferry::testing {
namespace {

using core::RunState;
using core::TaskState;

class RunEndTest : public EngineFixture {
 protected:
  // Executes the run on a store that checks, after every write, what a reader would see.
  core::Run execute_watched(const core::Run& run) {
    FaultyStore watched(store);
    watched.watch(run.id);
    engine::RunExecutor executor(
        watched, registry, clock,
        {.lease = std::chrono::seconds(30), .heartbeat_interval = {}, .backoff = {}});
    const auto now = clock.now();
    auto claimed = watched.claim("w", now, now + std::chrono::seconds(30), {});
    EXPECT_TRUE(claimed);
    if (claimed) executor.execute(std::move(*claimed), "w");
    EXPECT_FALSE(watched.saw_tasks_finished_under_active_run())
        << "a reader saw every task finished while the run was still active";
    return *store.run_by_id(run.id);
  }
};

TEST_F(RunEndTest, ACompleteRunsLastTaskFinishesWithTheRun) {
  const auto sync = make_sync(make_connection(900, 300));
  const auto run = execute_watched(trigger(sync));
  ASSERT_EQ(run.state, RunState::kComplete) << run.error.value_or("");
  ASSERT_GT(run.tasks.size(), 1u);
  for (const auto& task : run.tasks) {
    EXPECT_EQ(task.state, TaskState::kComplete) << task.model_id;
    EXPECT_TRUE(task.finished_at) << task.model_id;
  }
  EXPECT_EQ(run.tasks.back().counts.inserted, destination_rows(run.tasks.back().model_id))
      << "the last task's counts are saved with the run";
}

TEST_F(RunEndTest, ALastModelThatFailsIsSavedFailedWithTheRun) {
  const auto sync = make_sync(make_connection(900, 300));
  const auto queued = trigger(sync);
  const auto last_model = queued.tasks.back().model_id;
  control_state->after_batch = [&last_model](const std::string& model, int) {
    if (model == last_model) throw core::FerryError(core::ErrorCategory::kConfigInvalid, "schema changed");
  };
  const auto run = execute_watched(queued);
  ASSERT_EQ(run.state, RunState::kComplete) << "partially synced";
  EXPECT_EQ(run.tasks.back().state, TaskState::kFailed);
  EXPECT_EQ(run.tasks.back().error, "schema changed") << "its own error, not the run's sweep";
  EXPECT_EQ(run.tasks.front().state, TaskState::kComplete);
}

TEST_F(RunEndTest, EveryModelFailingFailsTheRunWithEachTasksOwnError) {
  const auto sync = make_sync(make_connection(900, 300));
  control_state->after_batch = [](const std::string& model, int) {
    throw core::FerryError(core::ErrorCategory::kConfigInvalid, model + " is broken");
  };
  const auto run = execute_watched(trigger(sync));
  ASSERT_EQ(run.state, RunState::kFailed);
  for (const auto& task : run.tasks) {
    EXPECT_EQ(task.state, TaskState::kFailed) << task.model_id;
    EXPECT_EQ(task.error, task.model_id + " is broken");
  }
}

TEST_F(RunEndTest, ACancelInTheLastModelSavesItCancelledWithTheRun) {
  const auto sync = make_sync(make_connection(20'000, 500));
  const auto queued = trigger(sync);
  const auto last_model = queued.tasks.back().model_id;
  control_state->after_batch = [&](const std::string& model, int batch) {
    if (model == last_model && batch == 2) control.cancel(*store.run_by_id(queued.id));
  };
  const auto run = execute_watched(queued);
  ASSERT_EQ(run.state, RunState::kCancelled);
  EXPECT_EQ(run.tasks.back().state, TaskState::kCancelled);
  EXPECT_TRUE(run.tasks.back().finished_at);
}

}  // namespace
}  // namespace ferry::testing
