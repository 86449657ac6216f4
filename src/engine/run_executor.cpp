#include "engine/run_executor.h"

#include <algorithm>
#include <future>

#include "engine/catalog.h"
#include "engine/lease_keeper.h"
#include "engine/logger.h"
#include "engine/ownership.h"
#include "engine/read_ahead.h"
#include "engine/run_facts.h"
#include "engine/run_sinks.h"
#include "engine/sources.h"

namespace ferry::engine {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::RunState;
using core::TaskState;

core::Json log_ids(const core::Run& run) {
  return {{"run_id", run.id}, {"sync_id", run.sync_id}, {"attempt", run.attempt}};
}

core::ModelState state_of(store::Store& store, const core::Run& run, const std::string& model_id) {
  for (auto& state : store.model_states(run.sync_id)) {
    if (state.model_id == model_id) return state;
  }
  core::ModelState fresh;
  fresh.sync_id = run.sync_id;
  fresh.model_id = model_id;
  return fresh;
}

// What a failure does, decided here only. A shutdown past its grace releases the run, whatever failed (the
// error is likely the interruption's own). A permanent error within one model fails only that model. A
// transient error retries the run, from its committed batches, while it has attempts left; anything else
// fails the run.
enum class Recovery { kFailModel, kRelease, kRetry, kFailRun };

Recovery recovery_for(const FerryError& error, const core::Run& run, bool interrupted, bool within_model) {
  if (interrupted) return Recovery::kRelease;
  if (!error.transient()) return within_model ? Recovery::kFailModel : Recovery::kFailRun;
  return run.attempt < run.max_attempts ? Recovery::kRetry : Recovery::kFailRun;
}

}  // namespace

struct RunExecutor::Sides {
  core::Sync sync;
  core::Connection connection;
  connectors::SourcePtr source;
  connectors::DestinationPtr destination;
};

struct RunExecutor::ModelPlan {
  const connectors::ModelSchema& schema;
  core::ModelState state{};   // the model's stored state: saved when a new read starts and when it ends
  connectors::Cursor from{};  // where the read starts ("": the beginning)
  // Test and identity runs scan from the start and leave the model's position where it is.
  bool partial = false;
  // An incremental read of a keyed model is followed by a sweep of the keys the source no longer lists.
  bool sweeps = false;
};

std::string_view to_string(RunOutcome outcome) {
  constexpr std::string_view kNames[] = {"complete",  "failed",     "retry_scheduled",
                                         "cancelled", "lease_lost", "released"};
  return kNames[static_cast<int>(outcome)];
}

RunOutcome RunExecutor::execute(core::Run run, const std::string& worker, std::stop_token shutdown,
                                std::stop_token interrupt) {
  core::log(logger(), spdlog::level::info, "run started", log_ids(run));
  core::RunTask* current = nullptr;
  std::optional<FerryError> first_model_error;
  try {
    auto sides = open(run);
    LeaseKeeper keeper(store_, clock_, run.id, worker, options_.lease, shutdown, options_.heartbeat_interval);
    // The source's read stops with the keeper's token; a write or sweep in flight stops only this way.
    const std::stop_callback cancel_in_flight(interrupt, [&sides] { sides.destination->interrupt(); });
    const auto schemas = discover(sides);
    for (auto& task : run.tasks) {
      if (task.state == TaskState::kComplete || task.state == TaskState::kFailed)
        continue;  // done before a resume
      current = &task;
      try {
        if (auto ended = sync_model(run, task, sides, schemas, keeper)) return *ended;
      } catch (const FerryError& e) {
        if (recovery_for(e, run, interrupt.stop_requested(), /*within_model=*/true) != Recovery::kFailModel)
          throw;
        fail_model(run, task, e);
        if (!first_model_error) first_model_error = e;
      }
    }
  } catch (const FerryError& e) {
    // The connectors and the lease keeper are gone by now: nothing writes or heartbeats for this attempt.
    return recover(run, current, e, interrupt.stop_requested());
  }
  return finish(run, first_model_error);
}

RunExecutor::Sides RunExecutor::open(const core::Run& run) {
  auto sync = store_.sync(run.tenant_id, run.sync_id);
  auto connection = store_.connection(run.tenant_id, run.connection_id);
  if (!sync || !connection)
    throw FerryError(ErrorCategory::kConfigInvalid, "the sync or its connection was deleted");
  auto source = open_source(registry_, *connection);
  auto destination = open_destination(registry_, *sync);
  return {std::move(*sync), std::move(*connection), std::move(source), std::move(destination)};
}

RunExecutor::Schemas RunExecutor::discover(Sides& sides) {
  // Both sides connect at once (a PostgreSQL connection costs ~20 ms); connect() keeps its failures for
  // prepare().
  auto destination_connected = std::async(std::launch::async, [&sides] { sides.destination->connect(); });
  Schemas schemas;
  auto discovered = sides.source->discover();
  Catalogs(store_, registry_, clock_).save(sides.connection, discovered);  // every run refreshes the catalog
  for (auto& schema : discovered) schemas.emplace(schema.model_id, std::move(schema));
  destination_connected.get();
  return schemas;
}

std::optional<RunOutcome> RunExecutor::sync_model(const core::Run& run, core::RunTask& task, Sides& sides,
                                                  const Schemas& schemas, LeaseKeeper& keeper) {
  auto plan = prepare_model(run, task, sides, schemas);
  // Read and write: each batch is committed with its cursor as it arrives.
  WritingSink sink(store_, *sides.destination, plan.schema, task, run, keeper, metrics_);
  const auto source_rows = read_ahead(*sides.source, plan.schema, plan.from, sink, sink.stop_token(),
                                      plan.sweeps ? RowCount::kCount : RowCount::kSkip);
  if (plan.sweeps && !sink.stop_token().stop_requested()) {
    const auto swept = sweep_deleted_keys(*sides.source, *sides.destination, plan.schema, source_rows, run,
                                          sink.final_cursor(), keeper, sink.stop_token());
    task.counts += swept;
    metrics_.rows_written(swept);
  }
  if (auto ended = end_if_interrupted(run, task, keeper.interruption())) return ended;
  finish_model(run, task, *sides.destination, plan, sink.final_cursor());
  return std::nullopt;
}

RunExecutor::ModelPlan RunExecutor::prepare_model(const core::Run& run, core::RunTask& task, Sides& sides,
                                                  const Schemas& schemas) {
  const auto found = schemas.find(task.model_id);
  if (found == schemas.end())
    throw FerryError(ErrorCategory::kConfigInvalid, "the source no longer offers model " + task.model_id);
  sides.destination->prepare(found->second);
  ModelPlan plan{.schema = found->second,
                 .state = state_of(store_, run, task.model_id),
                 .partial = run.test_run || run.identities.has_value()};
  // Only this sync's own checkpoint counts; a table another sync still writes fails the model.
  const auto start = starting_point(store_, registry_, sides.sync, run, task.model_id,
                                    sides.destination->checkpoint(task.model_id), plan.state.cursor);
  if (!task.started_at) task.started_at = clock_.now();
  if (plan.partial) {
    task.full_refresh = false;
    task.counts = {};
  } else if (start.checkpoint && start.checkpoint->run_id == run.id) {
    // Resuming this run (a lease expired or a retry): the destination's committed cursor wins.
    plan.from = start.checkpoint->cursor;
    task.counts = start.checkpoint->counts;
  } else {
    task.full_refresh =
        run.full_refresh || !plan.schema.supports_incremental || !start.saved || start.saved->empty();
    plan.from = task.full_refresh ? "" : *start.saved;
    task.counts = {};
    plan.state.last_sync_start = clock_.now();
    store_.save_model_state(plan.state);
  }
  task.state = TaskState::kRunning;
  store_.save_task(task);
  plan.sweeps = !task.full_refresh && !plan.partial && !plan.schema.primary_key.empty();
  return plan;
}

std::optional<RunOutcome> RunExecutor::end_if_interrupted(const core::Run& run, core::RunTask& task,
                                                          Interruption why) {
  switch (why) {
    case Interruption::kLeaseLost:
      core::log(logger(), spdlog::level::warn, "lease lost; another worker owns the run", log_ids(run));
      return RunOutcome::kLeaseLost;
    case Interruption::kShutdown:
      return release(run, &task, "run released for another worker");
    case Interruption::kCancel:
      return cancel(run, task);
    case Interruption::kNone:
      break;
  }
  return std::nullopt;
}

void RunExecutor::finish_model(const core::Run& run, core::RunTask& task,
                               connectors::Destination& destination, ModelPlan& plan,
                               const connectors::Cursor& cursor) {
  if (task.full_refresh) {
    const auto swept = destination.finish_full_pass(plan.schema, {run.id, cursor, true, false, run.sync_id});
    task.counts += swept;
    metrics_.rows_written(swept);
  }
  task.state = TaskState::kComplete;
  task.finished_at = clock_.now();
  metrics_.model_ended(task);
  if (!plan.partial) task.checkpoint = cursor;
  save_unless_last(run, task);
  if (plan.partial) return;
  plan.state.cursor = cursor;
  plan.state.last_sync_finished = clock_.now();
  plan.state.last_sync_result = RunState::kComplete;
  plan.state.last_error_category.reset();
  plan.state.is_initial_sync = false;
  store_.save_model_state(plan.state);
}

void RunExecutor::save_unless_last(const core::Run& run, const core::RunTask& task) {
  if (&task != &run.tasks.back()) store_.save_task(task);
}

void RunExecutor::fail_model(const core::Run& run, core::RunTask& task, const FerryError& error) {
  task.state = TaskState::kFailed;
  task.error = error.what();
  task.finished_at = clock_.now();
  metrics_.model_ended(task);
  metrics_.failure(error.category());
  save_unless_last(run, task);
  auto model_state = state_of(store_, run, task.model_id);
  model_state.last_sync_finished = clock_.now();
  model_state.last_sync_result = RunState::kFailed;
  model_state.last_error_category = error.category();
  store_.save_model_state(model_state);
  core::log(logger(), spdlog::level::warn, "model failed",
            {{"run_id", run.id},
             {"model_id", task.model_id},
             {"error", error.what()},
             {"error_category", core::to_string(error.category())}});
}

RunOutcome RunExecutor::finish(const core::Run& run, const std::optional<FerryError>& first_model_error) {
  const auto now = clock_.now();
  const bool all_failed =
      first_model_error && std::all_of(run.tasks.begin(), run.tasks.end(),
                                       [](const auto& t) { return t.state == TaskState::kFailed; });
  store::RunPatch patch{.finished_at = now, .counts = total_counts(run), .clear_lease = true};
  if (!run.tasks.empty()) patch.tasks = {run.tasks.back()};  // save_unless_last left it to this move
  if (first_model_error) {
    patch.error = first_model_error->what();
    patch.error_category = first_model_error->category();
  }
  const RunState final_state = all_failed ? RunState::kFailed : RunState::kComplete;
  if (!store_.transition(run.id, RunState::kRunning, final_state, patch)) {
    // Cancelled while the last model finished: the data is committed, so the cancel ends the run as
    // cancelled.
    store_.transition(run.id, RunState::kCancelling, RunState::kCancelled, patch);
    metrics_.run_ended(run, RunState::kCancelled, now);
    return RunOutcome::kCancelled;
  }
  metrics_.run_ended(run, final_state, now);
  auto fields = log_ids(run);
  const auto counts = total_counts(run);
  fields.update({{"state", core::to_string(final_state)},
                 {"inserted", counts.inserted},
                 {"updated", counts.updated},
                 {"deleted", counts.deleted}});
  core::log(logger(), spdlog::level::info, "run finished", fields);
  return all_failed ? RunOutcome::kFailed : RunOutcome::kComplete;
}

RunOutcome RunExecutor::recover(const core::Run& run, core::RunTask* current, const FerryError& error,
                                bool interrupted) {
  switch (recovery_for(error, run, interrupted, /*within_model=*/false)) {
    case Recovery::kRelease:
      return release(run, current, "run interrupted by the shutdown; released for another worker");
    case Recovery::kRetry:
      return retry(run, current, error);
    case Recovery::kFailModel:  // only within a model
    case Recovery::kFailRun:
      break;
  }
  return fail(run, error);
}

RunOutcome RunExecutor::retry(const core::Run& run, core::RunTask* current, const FerryError& error) {
  const auto now = clock_.now();
  const auto delay = core::retry_delay(options_.backoff, run.attempt, core::unit_random());
  const store::RunPatch patch{.next_attempt_at = now + delay,
                              .error = std::string(error.what()),
                              .error_category = error.category(),
                              .counts = total_counts(run),
                              .clear_lease = true};
  if (current != nullptr) {
    current->state = TaskState::kPending;  // it resumes from its checkpoint on the next attempt
    store_.save_task(*current);
  }
  // One compare-and-set: a crash can leave the run running (reclaimed later) or pending_retry, never
  // failed with attempts left.
  constexpr RunState kRetry[] = {RunState::kRunning, RunState::kFailed, RunState::kPendingRetry};
  if (!store_.transition_path(run.id, kRetry, patch)) return RunOutcome::kLeaseLost;
  metrics_.failure(error.category());
  metrics_.retry_scheduled(error.category());
  core::log(logger(), spdlog::level::warn, "run will retry",
            {{"run_id", run.id}, {"error", error.what()}, {"retry_in_ms", delay.count() / 1000}});
  return RunOutcome::kRetryScheduled;
}

RunOutcome RunExecutor::fail(const core::Run& run, const FerryError& error) {
  const auto now = clock_.now();
  const store::RunPatch patch{.finished_at = now,
                              .error = std::string(error.what()),
                              .error_category = error.category(),
                              .counts = total_counts(run),
                              .clear_lease = true};
  // The store records the failure on the current task and every task not reached, and on their models'
  // states, with the run's own change (Store::transition_path).
  if (store_.transition(run.id, RunState::kRunning, RunState::kFailed, patch)) {
    metrics_.failure(error.category());
    metrics_.run_ended(run, RunState::kFailed, now);
  }
  const core::Json fields = {
      {"run_id", run.id}, {"error", error.what()}, {"error_category", core::to_string(error.category())}};
  core::log(logger(), spdlog::level::err, "run failed", fields);
  return RunOutcome::kFailed;
}

// A run stopped by a shutdown goes back to the queue with its committed batches; the task in progress
// resumes from its checkpoint.
RunOutcome RunExecutor::release(const core::Run& run, core::RunTask* current, std::string_view why) {
  if (current != nullptr) {
    current->state = TaskState::kPending;
    store_.save_task(*current);
  }
  store_.transition(run.id, RunState::kRunning, RunState::kQueued, {.clear_lease = true});
  core::log(logger(), spdlog::level::info, why, log_ids(run));
  return RunOutcome::kReleased;
}

RunOutcome RunExecutor::cancel(const core::Run& run, core::RunTask& task) {
  task.state = TaskState::kCancelled;
  task.finished_at = clock_.now();
  const auto now = clock_.now();
  if (store_.transition(
          run.id, RunState::kCancelling, RunState::kCancelled,
          {.finished_at = now, .counts = total_counts(run), .clear_lease = true, .tasks = {task}}))
    metrics_.run_ended(run, RunState::kCancelled, now);
  core::log(logger(), spdlog::level::info, "run cancelled", log_ids(run));
  return RunOutcome::kCancelled;
}

}  // namespace ferry::engine
