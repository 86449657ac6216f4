#include "engine/control.h"

#include <algorithm>

#include "core/ids.h"
#include "engine/logger.h"
#include "store/page_cursor.h"

namespace ferry::engine {

using core::ErrorCategory;
using core::FerryError;
using core::RunState;

std::vector<std::string> SyncControl::sync_models(const core::Sync& sync) {
  if (sync.models) return *sync.models;
  auto connection = store_.connection(sync.tenant_id, sync.connection_id);
  if (!connection) throw FerryError(ErrorCategory::kConfigInvalid, "the sync's connection no longer exists");
  std::vector<std::string> models;
  for (const auto& schema : catalogs_.models(*connection)) models.push_back(schema.model_id);
  return models;
}

void SyncControl::resolve_models(const std::vector<core::Sync>& syncs) {
  for (const auto& sync : syncs) {
    if (sync.active) sync_models(sync);
  }
}

std::optional<std::vector<std::string>> SyncControl::models_of(const core::Sync& sync,
                                                               const core::Connection* connection) {
  if (sync.models) return sync.models;
  std::optional<core::Connection> stored;
  if (connection == nullptr) {
    stored = store_.connection(sync.tenant_id, sync.connection_id);
    if (!stored) return std::nullopt;
    connection = &*stored;
  }
  try {
    std::vector<std::string> models;
    for (const auto& schema : catalogs_.models(*connection)) models.push_back(schema.model_id);
    return models;
  } catch (const FerryError&) {
    return std::nullopt;
  }
}

std::optional<OwnershipConflict> SyncControl::destination_conflict(const core::Sync& sync,
                                                                   const core::Connection* connection) {
  const auto target = destination_target(sync, registry_);
  std::optional<std::optional<std::vector<std::string>>> mine;  // listed once, when a sync shares the target
  const auto syncs =
      store::all_pages([&](const store::PageRequest& page) { return store_.syncs(sync.tenant_id, page); });
  for (const auto& other : syncs) {
    if (other.id == sync.id || destination_target(other, registry_) != target) continue;
    // Two syncs copying every model of one connection overlap whatever the source offers.
    if (!sync.models && !other.models && other.connection_id == sync.connection_id)
      return OwnershipConflict{other.id, ""};
    if (!mine) mine = models_of(sync, connection);
    if (!*mine) continue;
    const auto theirs = models_of(other, nullptr);
    if (!theirs) continue;
    for (const auto& model : **mine) {
      if (std::find(theirs->begin(), theirs->end(), model) != theirs->end())
        return OwnershipConflict{other.id, model};
    }
  }
  return std::nullopt;
}

std::optional<OwnershipConflict> SyncControl::update_conflict(const core::Sync& before,
                                                              const core::Sync& sync) {
  if (before.models == sync.models &&
      destination_target(before, registry_) == destination_target(sync, registry_)) {
    return std::nullopt;
  }
  return destination_conflict(sync);
}

store::CreatedRun SyncControl::trigger(const core::Sync& sync, const TriggerRequest& request) {
  const auto available = sync_models(sync);
  std::vector<std::string> models = available;
  if (request.models) {
    for (const auto& model : *request.models) {
      if (std::find(available.begin(), available.end(), model) == available.end()) {
        throw FerryError(ErrorCategory::kConfigInvalid,
                         "models: '" + model + "' is not a model of this sync");
      }
    }
    models = *request.models;
  }
  core::Run run;
  run.id = core::new_uuid();
  run.tenant_id = sync.tenant_id;
  run.sync_id = sync.id;
  run.connection_id = sync.connection_id;
  run.state = RunState::kQueued;
  run.full_refresh = request.full_refresh;
  run.models = models;
  run.trigger = request.trigger;
  run.max_attempts = sync.max_attempts;
  run.identities = request.identities;
  run.test_run = request.test_run;
  run.batch_id = request.batch_id;
  run.scheduled_for = request.scheduled_for;
  run.created_at = clock_.now();
  for (const auto& model : models)
    run.tasks.push_back({run.id, model, core::TaskState::kPending, request.full_refresh, {}, {}, {}});
  auto created = store_.create_run(run);
  if (created.created) {
    core::log(logger(), spdlog::level::info, "run queued",
              {{"run_id", run.id},
               {"sync_id", sync.id},
               {"trigger", run.trigger},
               {"full_refresh", run.full_refresh}});
    if (on_run_queued_) on_run_queued_();
  }
  return created;
}

CancelOutcome SyncControl::cancel(const core::Run& run) {
  // The run may move under us (a worker claims it); re-read and retry the compare-and-set.
  std::optional<core::Run> current = run;
  for (int attempt = 0; attempt < 5 && current; ++attempt) {
    const RunState state = current->state;
    if (core::is_terminal(state)) return CancelOutcome::kAlreadyFinished;
    if (state == RunState::kCancelling) return CancelOutcome::kCancelling;
    if (state == RunState::kRunning) {
      if (store_.transition(current->id, state, RunState::kCancelling)) {
        core::log(logger(), spdlog::level::info, "run cancelling", {{"run_id", current->id}});
        return CancelOutcome::kCancelling;
      }
    } else if (store_.transition(current->id, state, RunState::kCancelled,
                                 {.finished_at = clock_.now(), .clear_lease = true})) {
      metrics_.run_ended(*current, RunState::kCancelled, clock_.now());
      core::log(logger(), spdlog::level::info, "run cancelled before start", {{"run_id", current->id}});
      return CancelOutcome::kCancelled;
    }
    current = store_.run_by_id(run.id);
  }
  return current && core::is_terminal(current->state) ? CancelOutcome::kAlreadyFinished
                                                      : CancelOutcome::kCancelling;
}

void SyncControl::abandon(const core::Run& run) {
  if (cancel(run) != CancelOutcome::kCancelling) return;
  if (store_.transition(run.id, RunState::kCancelling, RunState::kCancelled,
                        {.finished_at = clock_.now(), .clear_lease = true})) {
    metrics_.run_ended(run, RunState::kCancelled, clock_.now());
    core::log(logger(), spdlog::level::info, "run abandoned: its sync is being deleted",
              {{"run_id", run.id}});
  }
}

}  // namespace ferry::engine
