// engine/run_executor: carries one claimed run through its models: read from the source, write to the
// destination batch by batch (cursor committed with each batch), heartbeat, honour cancel, classify errors.
#pragma once

#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "connectors/registry.h"
#include "core/backoff.h"
#include "core/time.h"
#include "engine/run_metrics.h"
#include "store/store.h"

namespace ferry::engine {

class LeaseKeeper;        // engine/lease_keeper.h
enum class Interruption;  // engine/lease_keeper.h

struct ExecutorOptions {
  core::Duration lease = std::chrono::seconds(60);
  // Real time between background heartbeats while a run executes (a third of the default lease).
  std::chrono::milliseconds heartbeat_interval{20'000};
  core::BackoffPolicy backoff;
  core::Metrics* metrics = nullptr;  // the process's (engine/run_metrics.h); null: nothing recorded
};

enum class RunOutcome { kComplete, kFailed, kRetryScheduled, kCancelled, kLeaseLost, kReleased };
std::string_view to_string(RunOutcome outcome);

class RunExecutor {
 public:
  RunExecutor(store::Store& store, const connectors::Registry& registry, const core::Clock& clock,
              ExecutorOptions options = {})
      : store_(store), registry_(registry), clock_(clock), options_(options), metrics_(options.metrics) {}

  // `run` was just claimed by `worker`. `shutdown` asks the run to stop at the next batch boundary and go
  // back to the queue for another worker (kReleased). `interrupt` (a shutdown past its grace) also cancels
  // what the destination has in flight (Destination::interrupt); the run is released all the same.
  RunOutcome execute(core::Run run, const std::string& worker, std::stop_token shutdown = {},
                     std::stop_token interrupt = {});

 private:
  struct Sides;      // the run's sync and connection, and both connectors opened
  struct ModelPlan;  // where one model's read starts, and what it may move
  using Schemas = std::map<std::string, connectors::ModelSchema>;

  // The steps of execute(), in order: open both sides, discover the source's models; for each model still to
  // do, prepare it, read and write, sweep, then finish it (or stop the run, or fail the model); finish the
  // run, or recover from a failure of the whole attempt.
  Sides open(const core::Run& run);
  Schemas discover(Sides& sides);
  // One model from start to end: an outcome when an interruption ended the run within it.
  std::optional<RunOutcome> sync_model(const core::Run& run, core::RunTask& task, Sides& sides,
                                       const Schemas& schemas, LeaseKeeper& keeper);
  ModelPlan prepare_model(const core::Run& run, core::RunTask& task, Sides& sides, const Schemas& schemas);
  std::optional<RunOutcome> end_if_interrupted(const core::Run& run, core::RunTask& task, Interruption why);
  void finish_model(const core::Run& run, core::RunTask& task, connectors::Destination& destination,
                    ModelPlan& plan, const connectors::Cursor& cursor);
  // A finished task is saved at once, except the run's last: finish() saves that one with the run's own move,
  // so no reader sees every task finished while the run still counts as active (and joins new requests).
  void save_unless_last(const core::Run& run, const core::RunTask& task);
  // A permanent problem with one model fails that model; the others still sync (PARTIALLY_SYNCED).
  void fail_model(const core::Run& run, core::RunTask& task, const core::FerryError& error);
  // Every model was tried: the run completes, or fails when every model failed.
  RunOutcome finish(const core::Run& run, const std::optional<core::FerryError>& first_model_error);
  // A failure of the whole attempt: the run is released, retried or failed (recovery_for decides).
  RunOutcome recover(const core::Run& run, core::RunTask* current, const core::FerryError& error,
                     bool interrupted);

  RunOutcome retry(const core::Run& run, core::RunTask* current, const core::FerryError& error);
  RunOutcome fail(const core::Run& run, const core::FerryError& error);
  RunOutcome release(const core::Run& run, core::RunTask* current, std::string_view why);
  RunOutcome cancel(const core::Run& run, core::RunTask& task);

  store::Store& store_;
  const connectors::Registry& registry_;
  const core::Clock& clock_;
  ExecutorOptions options_;
  RunMetrics metrics_;
};

}  // namespace ferry::engine
