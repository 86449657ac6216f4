#include "engine/run_metrics.h"

#include <chrono>
#include <string>

#include "engine/logger.h"

namespace ferry::engine {
namespace {

constexpr const char* kRuns = "ferry_runs_total";
constexpr const char* kRunDuration = "ferry_run_duration_seconds";
constexpr const char* kModelDuration = "ferry_model_duration_seconds";
constexpr const char* kRows = "ferry_rows_total";
constexpr const char* kRetries = "ferry_run_retries_total";
constexpr const char* kFailures = "ferry_connector_errors_total";
constexpr const char* kReclaimed = "ferry_leases_reclaimed_total";
constexpr const char* kQueueDepth = "ferry_queue_depth";

// From a tenth of a second to a day: a small incremental run to a large first full sync.
const std::vector<double> kDurationBounds = {0.1, 0.25, 0.5, 1,   2.5,  5,     10,
                                             30,  60,   300, 900, 3600, 21600, 86400};

double seconds_between(core::Timestamp from, core::Timestamp to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

RunMetrics::RunMetrics(core::Metrics* metrics) : metrics_(metrics) {
  if (!metrics_) return;
  metrics_->declare_counter(kRuns, "Runs that reached a final state in this process, by state");
  metrics_->declare_histogram(kRunDuration, "Time from a run's first start to its final state, by state",
                              kDurationBounds);
  metrics_->declare_histogram(kModelDuration, "Time from a model's first start to its end, by state",
                              kDurationBounds);
  metrics_->declare_counter(kRows, "Rows committed to destinations, by operation");
  metrics_->declare_counter(kRetries, "Run attempts that failed and were scheduled again, by error category");
  metrics_->declare_counter(
      kFailures, "Errors of sources and destinations that failed a model or a run attempt, by category");
  metrics_->declare_counter(kReclaimed, "Runs whose worker stopped heartbeating, taken back by housekeeping");
  metrics_->add(kReclaimed, {}, 0);
}

void RunMetrics::run_ended(const core::Run& run, core::RunState state, core::Timestamp now) const {
  if (!metrics_) return;
  const core::MetricLabels labels = {{"state", std::string(core::to_string(state))}};
  metrics_->add(kRuns, labels);
  metrics_->observe(kRunDuration, labels, seconds_between(run.started_at.value_or(run.created_at), now));
}

void RunMetrics::model_ended(const core::RunTask& task) const {
  if (!metrics_ || !task.started_at || !task.finished_at) return;
  metrics_->observe(kModelDuration, {{"state", std::string(core::to_string(task.state))}},
                    seconds_between(*task.started_at, *task.finished_at));
}

void RunMetrics::rows_written(const core::Counts& counts) const {
  if (!metrics_) return;
  const std::pair<const char*, int64_t> by_operation[] = {{"insert", counts.inserted},
                                                          {"update", counts.updated},
                                                          {"delete", counts.deleted},
                                                          {"fail", counts.failed}};
  for (const auto& [operation, rows] : by_operation) {
    if (rows != 0) metrics_->add(kRows, {{"operation", operation}}, static_cast<double>(rows));
  }
}

void RunMetrics::retry_scheduled(core::ErrorCategory category) const {
  if (metrics_) metrics_->add(kRetries, {{"category", std::string(core::to_string(category))}});
}

void RunMetrics::failure(core::ErrorCategory category) const {
  if (metrics_) metrics_->add(kFailures, {{"category", std::string(core::to_string(category))}});
}

void RunMetrics::leases_reclaimed(int runs) const {
  if (metrics_ && runs > 0) metrics_->add(kReclaimed, {}, runs);
}

void RunMetrics::watch_queue(store::Store& store) const {
  if (!metrics_) return;
  metrics_->declare_gauge(kQueueDepth, "Unfinished runs in the store, across processes, by state", [&store] {
    std::vector<core::GaugeSample> samples;
    try {
      for (const auto& [state, count] : store.unfinished_run_counts())
        samples.push_back({{{"state", std::string(core::to_string(state))}}, static_cast<double>(count)});
    } catch (const std::exception& e) {
      // A scrape while the store is unreachable shows no depth rather than failing the whole page.
      core::log(logger(), spdlog::level::warn, "queue depth not read", {{"error", e.what()}});
    }
    return samples;
  });
}

}  // namespace ferry::engine
