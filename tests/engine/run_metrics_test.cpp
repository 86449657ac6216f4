// What the engine records for /metrics: runs by final state, rows by operation (equal to the runs' own
// counts), model and run durations, retries and errors by category, reclaimed leases, and the queue's depth
// read from the store.
#include <sstream>

#include "engine/engine_fixture.h"
#include "engine/run_metrics.h"

namespace ferry::testing {
namespace {

using core::RunState;

class RunMetricsTest : public EngineFixture {
 protected:
  static engine::WorkerPoolOptions recording_into(core::Metrics* metrics) {
    auto options = pool_options();
    options.executor.metrics = metrics;
    return options;
  }

  core::Run measured_run(const core::Run& run) {
    while (measured_pool.run_once("measured")) {
    }
    return *store.run_by_id(run.id);
  }

  // The value of one series ("name{labels}") in the rendered page; nullopt when it is absent.
  std::optional<double> series(const std::string& name) const {
    std::istringstream lines(metrics.render());
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    }
    return std::nullopt;
  }

  core::Metrics metrics;
  engine::SyncControl measured_control{store, registry, clock, {}, &metrics};
  engine::WorkerPool measured_pool{store, registry, clock, nullptr, recording_into(&metrics)};
};

TEST_F(RunMetricsTest, RowsByOperationEqualTheRunsOwnCounts) {
  auto connection = make_connection(900, 300);
  const auto sync = make_sync(connection);
  const auto full = measured_run(measured_control.trigger(sync, {std::nullopt, false, "test"}).run);
  ASSERT_EQ(full.state, RunState::kComplete) << full.error.value_or("");
  ASSERT_GT(full.counts.inserted, 0);
  EXPECT_EQ(series("ferry_rows_total{operation=\"insert\"}"), full.counts.inserted);
  EXPECT_EQ(series("ferry_runs_total{state=\"complete\"}"), 1);
  EXPECT_EQ(series("ferry_run_duration_seconds_count{state=\"complete\"}"), 1);
  EXPECT_EQ(series("ferry_model_duration_seconds_count{state=\"complete\"}"),
            static_cast<double>(full.tasks.size()));

  set_generation(connection, 2);
  const auto incremental = measured_run(measured_control.trigger(sync, {std::nullopt, false, "test"}).run);
  ASSERT_EQ(incremental.state, RunState::kComplete) << incremental.error.value_or("");
  ASSERT_GT(incremental.counts.updated, 0);
  ASSERT_GT(incremental.counts.deleted, 0);
  EXPECT_EQ(series("ferry_rows_total{operation=\"insert\"}"),
            full.counts.inserted + incremental.counts.inserted);
  EXPECT_EQ(series("ferry_rows_total{operation=\"update\"}"), incremental.counts.updated);
  EXPECT_EQ(series("ferry_rows_total{operation=\"delete\"}"), incremental.counts.deleted);
  EXPECT_EQ(series("ferry_runs_total{state=\"complete\"}"), 2);
}

TEST_F(RunMetricsTest, RetriesAndErrorsAreCountedByCategory) {
  const auto sync = make_sync(make_connection(900, 300));
  int failures_left = 1;
  control_state->after_batch = [&](const std::string&, int) {
    if (failures_left-- > 0) throw core::FerryError(core::ErrorCategory::kSourceUnavailable, "HTTP 503");
  };
  const auto queued = measured_control.trigger(sync, {std::nullopt, false, "test"}).run;
  ASSERT_TRUE(measured_pool.run_once("measured"));
  ASSERT_EQ(store.run_by_id(queued.id)->state, RunState::kPendingRetry);
  EXPECT_EQ(series("ferry_run_retries_total{category=\"source_unavailable\"}"), 1);
  EXPECT_EQ(series("ferry_connector_errors_total{category=\"source_unavailable\"}"), 1);
  EXPECT_EQ(series("ferry_queue_depth{state=\"pending_retry\"}"), 1);
  EXPECT_FALSE(series("ferry_runs_total{state=\"failed\"}")) << "a retried attempt is not a failed run";

  // Every model fails for good: one error per model, and the run fails.
  control_state->after_batch = [](const std::string& model, int) {
    throw core::FerryError(core::ErrorCategory::kConfigInvalid, model + " is broken");
  };
  clock.advance(std::chrono::hours(1));
  measured_pool.housekeeping();
  const auto failed = measured_run(queued);
  ASSERT_EQ(failed.state, RunState::kFailed);
  EXPECT_EQ(series("ferry_connector_errors_total{category=\"config_invalid\"}"),
            static_cast<double>(failed.tasks.size()));
  EXPECT_EQ(series("ferry_model_duration_seconds_count{state=\"failed\"}"),
            static_cast<double>(failed.tasks.size()));
  EXPECT_EQ(series("ferry_runs_total{state=\"failed\"}"), 1);
  EXPECT_FALSE(series("ferry_queue_depth{state=\"pending_retry\"}")) << "nothing waits any more";
}

TEST_F(RunMetricsTest, QueueDepthAndCancelledRunsAndReclaimedLeases) {
  const auto first =
      measured_control.trigger(make_sync(make_connection(900, 300)), {std::nullopt, false, "t"}).run;
  const auto second =
      measured_control.trigger(make_sync(make_connection(900, 300)), {std::nullopt, false, "t"}).run;
  EXPECT_EQ(series("ferry_queue_depth{state=\"queued\"}"), 2);

  EXPECT_EQ(measured_control.cancel(first), engine::CancelOutcome::kCancelled);
  EXPECT_EQ(series("ferry_runs_total{state=\"cancelled\"}"), 1) << "cancelled before any worker took it";
  EXPECT_EQ(series("ferry_queue_depth{state=\"queued\"}"), 1);

  // A worker claims the second run and dies: housekeeping takes the run back once its lease expires.
  ASSERT_EQ(store.claim("dead-worker", clock.now(), clock.now() + std::chrono::seconds(30), {})->id,
            second.id);
  EXPECT_EQ(series("ferry_queue_depth{state=\"running\"}"), 1);
  EXPECT_EQ(series("ferry_leases_reclaimed_total"), 0);
  clock.advance(std::chrono::minutes(1));
  measured_pool.housekeeping();
  EXPECT_EQ(series("ferry_leases_reclaimed_total"), 1);
  EXPECT_EQ(series("ferry_queue_depth{state=\"queued\"}"), 1);
  EXPECT_FALSE(series("ferry_queue_depth{state=\"running\"}"));
}

}  // namespace
}  // namespace ferry::testing
