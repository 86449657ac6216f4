// SyncControl's sync operations: model selection, schedules, create and update, triggering a connection's
// syncs (one batch per request), and the models a status shows.
#include <algorithm>

#include "connectors/catalog.h"
#include "core/ids.h"
#include "engine/control.h"
#include "engine/schedule.h"
#include "engine/sources.h"

namespace ferry::engine {

void SyncControl::select_models(core::Sync& sync, const std::optional<std::vector<std::string>>& models) {
  if (models) {
    core::Sync everything = sync;
    everything.models.reset();
    const auto offered = sync_models(everything);
    for (const auto& model : *models) {
      if (std::find(offered.begin(), offered.end(), model) == offered.end()) throw UnknownModel(model);
    }
  }
  // Runs compare it with their own start: a run queued before the change still copies the old selection.
  if (models != sync.models) sync.models_changed_at = clock_.now();
  sync.models = models;
}

void SyncControl::reschedule(core::Sync& sync) {
  sync.next_sync_start = sync.active ? next_start(sync.schedule, clock_.now()) : std::nullopt;
}

void SyncControl::reschedule_connection(const core::Connection& connection, const core::Schedule& schedule) {
  for (auto sync : store_.syncs_of_connection(connection.tenant_id, connection.id)) {
    sync.schedule = schedule;
    reschedule(sync);
    sync.updated_at = clock_.now();
    store_.update_sync(sync);
  }
}

std::optional<OwnershipConflict> SyncControl::create_sync(core::Sync& sync) {
  if (sync.id.empty()) sync.id = core::new_uuid();
  sync.created_at = sync.updated_at = clock_.now();
  sync.models_changed_at.reset();  // a new sync's selection applies from its first run
  const auto checked_until_stored = ownership_locks_.lock(sync.tenant_id);
  if (auto conflict = destination_conflict(sync)) return conflict;
  if (!sync.models) {
    // Before anything is stored: on an HTTP thread the discovery moves the whole request to the pool.
    if (auto connection = store_.connection(sync.tenant_id, sync.connection_id);
        connection && !catalogs_.stored(*connection)) {
      try {
        catalogs_.models(*connection);
      } catch (const core::FerryError&) {
        // Unreachable now: its first run discovers; until then statuses show the models ferry has state for.
      }
    }
  }
  store_.insert_sync(sync);
  return std::nullopt;
}

SyncControl::SyncUpdate SyncControl::update_sync(const core::Sync& before, core::Sync& sync) {
  const auto checked_until_stored = ownership_locks_.lock(sync.tenant_id);
  if (auto conflict = update_conflict(before, sync)) return {conflict, true};
  sync.updated_at = clock_.now();
  return {std::nullopt, store_.update_sync(sync)};
}

bool SyncControl::set_active(core::Sync& sync, bool active) {
  sync.active = active;
  reschedule(sync);
  sync.updated_at = clock_.now();
  return store_.update_sync(sync);
}

store::DeleteResult SyncControl::delete_sync(const std::string& tenant_id, const std::string& sync_id) {
  return store_.delete_sync(tenant_id, sync_id);
}

std::vector<store::CreatedRun> SyncControl::trigger_active(const std::vector<core::Sync>& syncs,
                                                           const RequestFor& request_for) {
  resolve_models(syncs);
  // One request, one batch: a run still active from an earlier request brings its batch along.
  std::optional<std::string> batch;
  for (const auto& sync : syncs) {
    if (!sync.active) continue;
    if (auto active = store_.active_run(sync.id)) {
      batch = active->batch_id.value_or(active->id);
      break;
    }
  }
  std::vector<store::CreatedRun> runs;
  for (const auto& sync : syncs) {
    if (!sync.active) continue;  // a paused sync stays paused
    auto request = request_for(sync);
    if (!request) continue;
    request->batch_id = batch;
    runs.push_back(trigger(sync, *request));
    if (!batch) batch = runs.back().run.batch_id.value_or(runs.back().run.id);
  }
  return runs;
}

std::optional<std::vector<std::string>> SyncControl::stored_models(const core::Sync& sync) const {
  if (sync.models) return sync.models;
  // By the sync's ids: loading the connection would decrypt its secrets for a list of names.
  return store_.connection_model_ids(sync.tenant_id, sync.connection_id);
}

}  // namespace ferry::engine
