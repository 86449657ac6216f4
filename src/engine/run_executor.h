// engine/run_executor: carries one claimed run through its models: read from the source, write to the
// destination batch by batch (cursor committed with each batch), heartbeat, honour cancel, classify errors.
#pragma once

#include <stop_token>
#include <string>

#include "connectors/registry.h"
#include "core/time.h"
#include "engine/backoff.h"
#include "store/store.h"

namespace ferry::engine {

struct ExecutorOptions {
  core::Duration lease = std::chrono::seconds(60);
  // Real time between background heartbeats while a run executes (a third of the default lease).
  std::chrono::milliseconds heartbeat_interval{20'000};
  BackoffPolicy backoff;
};

enum class RunOutcome { kComplete, kFailed, kRetryScheduled, kCancelled, kLeaseLost, kReleased };
std::string_view to_string(RunOutcome outcome);

class RunExecutor {
 public:
  RunExecutor(store::Store& store, const connectors::Registry& registry, const core::Clock& clock,
              ExecutorOptions options = {})
      : store_(store), registry_(registry), clock_(clock), options_(options) {}

  // `run` was just claimed by `worker`. `shutdown` asks the run to stop at the next batch boundary and go
  // back to the queue for another worker (kReleased). `interrupt` (a shutdown past its grace) also cancels
  // what the destination has in flight (Destination::interrupt); the run is released all the same.
  RunOutcome execute(core::Run run, const std::string& worker, std::stop_token shutdown = {},
                     std::stop_token interrupt = {});

 private:
  // A run-level failure: schedules a retry (transient, attempts left) or fails the run.
  RunOutcome fail(core::Run& run, core::RunTask* current, const core::FerryError& error);
  // Every model was tried: the run completes, or fails when every model failed.
  RunOutcome finish(core::Run& run, const std::optional<core::FerryError>& first_model_error);

  store::Store& store_;
  const connectors::Registry& registry_;
  const core::Clock& clock_;
  ExecutorOptions options_;
};

}  // namespace ferry::engine
