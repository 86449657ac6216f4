// engine/run_metrics: what the engine records into the process's core::Metrics: runs by final state and
// their durations, models' durations, rows by operation, retries, failures by error category, reclaimed
// leases, and the queue's depth by state (read from the store when scraped, so every process sharing a
// store shows the same depth). Counters count what this process did; Prometheus sums them over processes.
// A RunMetrics without a Metrics records nothing (tests and tools that do not scrape).
#pragma once

#include "core/domain.h"
#include "core/metrics.h"
#include "store/store.h"

namespace ferry::engine {

class RunMetrics {
 public:
  RunMetrics() = default;
  explicit RunMetrics(core::Metrics* metrics);

  // A run reached a final state here: its state and its time from first start (or creation) to `now`.
  void run_ended(const core::Run& run, core::RunState state, core::Timestamp now) const;
  // A model finished (complete or failed) in this attempt.
  void model_ended(const core::RunTask& task) const;
  // Rows a batch, sweep or full pass committed to a destination.
  void rows_written(const core::Counts& counts) const;
  // A run attempt failed with `category` and will be tried again after a backoff.
  void retry_scheduled(core::ErrorCategory category) const;
  // A failure the engine handled: a model's, or a whole attempt's (retried or not).
  void failure(core::ErrorCategory category) const;
  void leases_reclaimed(int runs) const;
  // ferry_queue_depth{state}, read from `store` at each scrape.
  void watch_queue(store::Store& store) const;

 private:
  core::Metrics* metrics_ = nullptr;
};

}  // namespace ferry::engine
