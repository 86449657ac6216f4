#include "engine/run_executor.h"

#include "engine/catalog.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <stop_token>

#include "core/ids.h"
#include "engine/lease_keeper.h"
#include "engine/logger.h"
#include "engine/ownership.h"
#include "engine/read_ahead.h"

namespace ferry::engine {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::RunState;
using core::TaskState;

// A test run reads this many records per model, then stops.
constexpr size_t kTestSampleRows = 100;

connectors::RecordBatch only_identities(const connectors::RecordBatch& batch,
                                        const connectors::ModelSchema& schema,
                                        const std::vector<std::string>& identities) {
  connectors::RecordBatch out(batch.columns());
  const int key = schema.primary_key.empty() ? -1 : schema.field_index(schema.primary_key.front());
  if (key < 0) return out;
  for (size_t row = 0; row < batch.rows(); ++row) {
    const auto text = connectors::value_as_text(batch.at(row, static_cast<size_t>(key)));
    if (std::find(identities.begin(), identities.end(), text) != identities.end())
      out.add_row_from(batch, row);
  }
  return out;
}

// Writes each batch to the destination, copies the checkpoint into the store and heartbeats. Stops the
// read when the lease keeper says so, or (test runs) once the sample is complete.
class WritingSink final : public connectors::BatchSink {
 public:
  WritingSink(store::Store& store, connectors::Destination& destination,
              const connectors::ModelSchema& schema, core::RunTask& task, const core::Run& run,
              LeaseKeeper& keeper)
      : store_(store),
        destination_(destination),
        schema_(schema),
        task_(task),
        run_(run),
        keeper_(keeper),
        forward_stop_(keeper.stop_token(), [this] { stop_.request_stop(); }) {}

  void accept(connectors::RecordBatch&& batch, const connectors::Cursor& cursor) override {
    if (run_.test_run) {
      sampled_ += batch.rows();
    } else if (run_.identities) {
      task_.counts += destination_.write(schema_, only_identities(batch, schema_, *run_.identities),
                                         {run_.id, cursor, /*record_cursor=*/false, false, run_.sync_id});
    } else {
      task_.counts +=
          destination_.write(schema_, batch, {run_.id, cursor, true, !task_.full_refresh, run_.sync_id});
      task_.checkpoint = cursor;
    }
    final_cursor_ = cursor;
    store_.save_task(task_);
    keeper_.beat();
    if (run_.test_run && sampled_ >= kTestSampleRows) stop_.request_stop();
  }

  std::stop_token stop_token() const { return stop_.get_token(); }
  const connectors::Cursor& final_cursor() const { return final_cursor_; }

 private:
  store::Store& store_;
  connectors::Destination& destination_;
  const connectors::ModelSchema& schema_;
  core::RunTask& task_;
  const core::Run& run_;
  LeaseKeeper& keeper_;
  std::stop_source stop_;
  std::stop_callback<std::function<void()>> forward_stop_;
  size_t sampled_ = 0;
  connectors::Cursor final_cursor_;
};

// Feeds a source's key listing to a destination's sweep, heartbeating like a read.
// A listing's batches are small and quick (keys only, nothing committed), so a heartbeat after each one
// would be most of the store's writes; one every half second still notices a cancel promptly.
class KeySweepSink final : public connectors::BatchSink {
 public:
  KeySweepSink(connectors::KeySweep& sweep, LeaseKeeper& keeper) : sweep_(sweep), keeper_(keeper) {}
  void accept(connectors::RecordBatch&& keys, const connectors::Cursor&) override {
    sweep_.add(keys);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_beat_ < kBeatEvery) return;
    keeper_.beat();
    last_beat_ = now;
  }

 private:
  static constexpr auto kBeatEvery = std::chrono::milliseconds(500);
  connectors::KeySweep& sweep_;
  LeaseKeeper& keeper_;
  std::chrono::steady_clock::time_point last_beat_{};
};

// After an incremental read, deletions the read could not see: the destination drops the rows whose keys
// the source no longer lists. An interrupted sweep is abandoned; a resumed run sweeps again.
//
// `source_rows` is the source's row count as of a moment no later than the read's first look at the model
// (Source::read_counting). The destination holds every row the source held then (each was copied by an
// earlier run or by this read), so if it holds no more rows than that now, none of them is gone and the key
// listing is skipped. A row deleted after that moment is found next run.
core::Counts sweep_deleted_keys(connectors::Source& source, connectors::Destination& destination,
                                const connectors::ModelSchema& schema, std::optional<int64_t> source_rows,
                                const core::Run& run, const connectors::Cursor& cursor, LeaseKeeper& keeper,
                                std::stop_token stop) {
  if (schema.primary_key.empty()) return {};
  if (source_rows) {
    const auto destination_rows = destination.count_rows(schema);
    if (destination_rows && *destination_rows <= *source_rows) return {};
  }
  auto sweep = destination.begin_key_sweep(schema);
  if (!sweep) return {};
  KeySweepSink keys(*sweep, keeper);
  if (!source.read_keys(schema, keys, stop) || stop.stop_requested()) return {};
  return sweep->finish({run.id, cursor, true, false, run.sync_id});
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

core::Counts total(const core::Run& run) {
  core::Counts counts;
  for (const auto& task : run.tasks) counts += task.counts;
  return counts;
}

// A run interrupted by a shutdown goes back to the queue with its committed batches; the task in progress
// resumes from its checkpoint.
RunOutcome release_interrupted(store::Store& store, const core::Run& run, core::RunTask* current) {
  if (current != nullptr) {
    current->state = TaskState::kPending;
    store.save_task(*current);
  }
  store.transition(run.id, RunState::kRunning, RunState::kQueued, {.clear_lease = true});
  core::log(logger(), spdlog::level::info, "run interrupted by the shutdown; released for another worker",
            {{"run_id", run.id}});
  return RunOutcome::kReleased;
}

}  // namespace

std::string_view to_string(RunOutcome outcome) {
  constexpr std::string_view kNames[] = {"complete",  "failed",     "retry_scheduled",
                                         "cancelled", "lease_lost", "released"};
  return kNames[static_cast<int>(outcome)];
}

RunOutcome RunExecutor::execute(core::Run run, const std::string& worker, std::stop_token shutdown,
                                std::stop_token interrupt) {
  const core::Json log_ids = {{"run_id", run.id}, {"sync_id", run.sync_id}, {"attempt", run.attempt}};
  core::log(logger(), spdlog::level::info, "run started", log_ids);
  core::RunTask* current = nullptr;
  std::optional<FerryError> first_model_error;
  try {
    auto sync = store_.sync(run.tenant_id, run.sync_id);
    auto connection = store_.connection(run.tenant_id, run.connection_id);
    if (!sync || !connection)
      throw FerryError(ErrorCategory::kConfigInvalid, "the sync or its connection was deleted");
    core::Json source_config = connection->config;
    source_config.update(connection->secrets);
    auto source = registry_.make_source(connection->source_type, source_config, run.tenant_id);
    core::Json destination_config = sync->destination_config;
    destination_config.update(sync->destination_secrets);
    auto destination = registry_.make_destination(sync->destination_type, destination_config, run.tenant_id);
    LeaseKeeper keeper(store_, clock_, run.id, worker, options_.lease, shutdown, options_.heartbeat_interval);
    // The source's read stops with the keeper's token; a write or sweep in flight stops only this way.
    const std::stop_callback cancel_in_flight(interrupt, [&destination] { destination->interrupt(); });
    // Both sides connect at once (a PostgreSQL connection costs ~20 ms); connect() keeps its failures for
    // prepare().
    auto destination_connected = std::async(std::launch::async, [&destination] { destination->connect(); });
    std::map<std::string, connectors::ModelSchema> schemas;
    auto discovered = source->discover();
    Catalogs(store_, registry_, clock_).save(*connection, discovered);  // every run refreshes the catalog
    for (auto& schema : discovered) schemas.emplace(schema.model_id, std::move(schema));
    destination_connected.get();

    for (auto& task : run.tasks) {
      if (task.state == TaskState::kComplete || task.state == TaskState::kFailed)
        continue;  // done before a resume
      current = &task;
      auto found = schemas.find(task.model_id);
      try {
        if (found == schemas.end()) {
          throw FerryError(ErrorCategory::kConfigInvalid,
                           "the source no longer offers model " + task.model_id);
        }
        const auto& schema = found->second;
        destination->prepare(schema);
        auto model_state = state_of(store_, run, task.model_id);
        // Only this sync's own checkpoint counts; a table another sync still writes fails the model.
        const auto start = starting_point(store_, registry_, *sync, run, task.model_id,
                                          destination->checkpoint(task.model_id), model_state.cursor);
        const auto& checkpoint = start.checkpoint;
        connectors::Cursor from;
        // Test and identity runs scan from the start and leave the model's position where it is.
        const bool partial = run.test_run || run.identities.has_value();
        if (!task.started_at) task.started_at = clock_.now();
        if (partial) {
          task.full_refresh = false;
          task.counts = {};
        } else if (checkpoint && checkpoint->run_id == run.id) {
          // Resuming this run (a lease expired or a retry): the destination's committed cursor wins.
          from = checkpoint->cursor;
          task.counts = checkpoint->counts;
        } else {
          const auto& saved = start.saved;
          task.full_refresh = run.full_refresh || !schema.supports_incremental || !saved || saved->empty();
          from = task.full_refresh ? "" : *saved;
          task.counts = {};
          model_state.last_sync_start = clock_.now();
          store_.save_model_state(model_state);
        }
        task.state = TaskState::kRunning;
        store_.save_task(task);

        const bool sweeps = !task.full_refresh && !partial && !schema.primary_key.empty();
        WritingSink sink(store_, *destination, schema, task, run, keeper);
        const auto source_rows = read_ahead(*source, schema, from, sink, sink.stop_token(),
                                            sweeps ? RowCount::kCount : RowCount::kSkip);
        if (sweeps && !sink.stop_token().stop_requested()) {
          task.counts += sweep_deleted_keys(*source, *destination, schema, source_rows, run,
                                            sink.final_cursor(), keeper, sink.stop_token());
        }
        switch (keeper.interruption()) {
          case Interruption::kLeaseLost:
            core::log(logger(), spdlog::level::warn, "lease lost; another worker owns the run", log_ids);
            return RunOutcome::kLeaseLost;
          case Interruption::kShutdown:
            task.state = TaskState::kPending;
            store_.save_task(task);
            store_.transition(run.id, RunState::kRunning, RunState::kQueued, {.clear_lease = true});
            core::log(logger(), spdlog::level::info, "run released for another worker", log_ids);
            return RunOutcome::kReleased;
          case Interruption::kCancel: {
            task.state = TaskState::kCancelled;
            task.finished_at = clock_.now();
            store_.save_task(task);
            const auto now = clock_.now();
            store_.transition(run.id, RunState::kCancelling, RunState::kCancelled,
                              {.finished_at = now, .counts = total(run), .clear_lease = true});
            store_.append_event(
                {core::new_uuid(), run.tenant_id, "run.cancelled", {{"run_id", run.id}}, now});
            core::log(logger(), spdlog::level::info, "run cancelled", log_ids);
            return RunOutcome::kCancelled;
          }
          case Interruption::kNone:
            break;
        }
        if (task.full_refresh) {
          task.counts +=
              destination->finish_full_pass(schema, {run.id, sink.final_cursor(), true, false, run.sync_id});
        }
        task.state = TaskState::kComplete;
        task.finished_at = clock_.now();
        if (!partial) task.checkpoint = sink.final_cursor();
        store_.save_task(task);
        if (!partial) {
          model_state.cursor = sink.final_cursor();
          model_state.last_sync_finished = clock_.now();
          model_state.last_sync_result = RunState::kComplete;
          model_state.last_error_category.reset();
          model_state.is_initial_sync = false;
          store_.save_model_state(model_state);
        }
      } catch (const FerryError& e) {
        if (e.transient() || interrupt.stop_requested()) throw;
        // A permanent problem with one model fails that model; the others still sync (PARTIALLY_SYNCED).
        task.state = TaskState::kFailed;
        task.error = e.what();
        task.finished_at = clock_.now();
        store_.save_task(task);
        auto model_state = state_of(store_, run, task.model_id);
        model_state.last_sync_finished = clock_.now();
        model_state.last_sync_result = RunState::kFailed;
        model_state.last_error_category = e.category();
        store_.save_model_state(model_state);
        if (!first_model_error) first_model_error = e;
        core::log(logger(), spdlog::level::warn, "model failed",
                  {{"run_id", run.id},
                   {"model_id", task.model_id},
                   {"error", e.what()},
                   {"error_category", core::to_string(e.category())}});
      }
    }
  } catch (const FerryError& e) {
    if (interrupt.stop_requested()) return release_interrupted(store_, run, current);
    return fail(run, current, e);
  }
  return finish(run, first_model_error);
}

RunOutcome RunExecutor::fail(core::Run& run, core::RunTask* current, const FerryError& e) {
  const auto now = clock_.now();
  store::RunPatch patch{.finished_at = now,
                        .error = std::string(e.what()),
                        .error_category = e.category(),
                        .counts = total(run),
                        .clear_lease = true};
  if (e.transient() && run.attempt < run.max_attempts) {
    if (current != nullptr) {
      current->state = TaskState::kPending;  // it resumes from its checkpoint on the next attempt
      store_.save_task(*current);
    }
    patch.finished_at.reset();
    const auto delay = retry_delay(options_.backoff, run.attempt, unit_random());
    patch.next_attempt_at = now + delay;
    // One compare-and-set: a crash can leave the run running (reclaimed later) or pending_retry, never
    // failed with attempts left.
    constexpr RunState kRetry[] = {RunState::kRunning, RunState::kFailed, RunState::kPendingRetry};
    if (store_.transition_path(run.id, kRetry, patch)) {
      core::log(logger(), spdlog::level::warn, "run will retry",
                {{"run_id", run.id}, {"error", e.what()}, {"retry_in_ms", delay.count() / 1000}});
      return RunOutcome::kRetryScheduled;
    }
    return RunOutcome::kLeaseLost;
  }
  // The store records the failure on the current task and every task not reached, and on their models'
  // states, with the run's own change (Store::transition_path).
  store_.transition(run.id, RunState::kRunning, RunState::kFailed, patch);
  store_.append_event(
      {core::new_uuid(),
       run.tenant_id,
       "run.failed",
       {{"run_id", run.id}, {"error", e.what()}, {"error_category", core::to_string(e.category())}},
       now});
  core::log(logger(), spdlog::level::err, "run failed",
            {{"run_id", run.id}, {"error", e.what()}, {"error_category", core::to_string(e.category())}});
  return RunOutcome::kFailed;
}

RunOutcome RunExecutor::finish(core::Run& run, const std::optional<FerryError>& first_model_error) {
  const core::Json log_ids = {{"run_id", run.id}, {"sync_id", run.sync_id}, {"attempt", run.attempt}};
  const auto now = clock_.now();
  const bool all_failed =
      first_model_error && std::all_of(run.tasks.begin(), run.tasks.end(),
                                       [](const auto& t) { return t.state == TaskState::kFailed; });
  store::RunPatch patch{.finished_at = now, .counts = total(run), .clear_lease = true};
  if (first_model_error) {
    patch.error = first_model_error->what();
    patch.error_category = first_model_error->category();
  }
  const RunState final_state = all_failed ? RunState::kFailed : RunState::kComplete;
  if (!store_.transition(run.id, RunState::kRunning, final_state, patch)) {
    // Cancelled while the last model finished: the data is committed, so the cancel ends the run as
    // cancelled.
    store_.transition(run.id, RunState::kCancelling, RunState::kCancelled, patch);
    return RunOutcome::kCancelled;
  }
  store_.append_event({core::new_uuid(),
                       run.tenant_id,
                       all_failed ? "run.failed" : "run.completed",
                       {{"run_id", run.id}, {"sync_id", run.sync_id}},
                       now});
  core::Json fields = log_ids;
  const auto counts = total(run);
  fields.update({{"state", core::to_string(final_state)},
                 {"inserted", counts.inserted},
                 {"updated", counts.updated},
                 {"deleted", counts.deleted}});
  core::log(logger(), spdlog::level::info, "run finished", fields);
  return all_failed ? RunOutcome::kFailed : RunOutcome::kComplete;
}

}  // namespace ferry::engine
