// SyncControl's sync operations: destination secrets, schedules, one writer per destination table,
// triggering a connection's syncs, and the models a status shows.
#include <algorithm>

#include "connectors/catalog.h"
#include "core/ids.h"
#include "engine/control.h"
#include "engine/schedule.h"
#include "engine/sources.h"

namespace ferry::engine {

void SyncControl::set_destination(core::Sync& sync, const std::string& type, core::Json config) {
  const auto* spec = registry_.destination(type);
  if (spec == nullptr) {
    throw InvalidConfig(InvalidConfig::Reason::kUnknownType,
                        "destination.type '" + type + "' is not supported");
  }
  if (type == sync.destination_type) {
    // Secrets are write-only: a client that sends the config back without them keeps the stored ones.
    for (const auto& [name, value] : sync.destination_secrets.items()) {
      if (!config.contains(name)) config[name] = value;
    }
  }
  if (auto problem = registry_.destination_problem(type, config, sync.tenant_id); !problem.empty()) {
    throw InvalidConfig(InvalidConfig::Reason::kRefused, "destination." + problem);
  }
  sync.destination_type = type;
  std::tie(sync.destination_config, sync.destination_secrets) = connectors::split_secrets(spec->spec, config);
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
  std::vector<store::CreatedRun> runs;
  for (const auto& sync : syncs) {
    if (!sync.active) continue;  // a paused sync stays paused
    if (auto request = request_for(sync)) runs.push_back(trigger(sync, *request));
  }
  return runs;
}

std::optional<std::vector<std::string>> SyncControl::stored_models(const core::Sync& sync) const {
  if (sync.models) return sync.models;
  // By the sync's ids: loading the connection would decrypt its secrets for a list of names.
  const auto catalog = store_.connection_catalog(sync.tenant_id, sync.connection_id);
  if (!catalog) return std::nullopt;
  return connectors::model_ids_from_json(catalog->models);
}

}  // namespace ferry::engine
