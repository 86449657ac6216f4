// SyncControl's connection operations: create, reconfigure and delete, the secret split by the source's spec.
#include "core/ids.h"
#include "engine/control.h"
#include "engine/logger.h"
#include "engine/model_mapping.h"
#include "engine/schedule.h"
#include "engine/sources.h"

namespace ferry::engine {

namespace {

// Checks `full_config` for the connection's source and splits it into the stored config and secrets.
void apply_full_config(const connectors::Registry& registry, core::Connection& connection,
                       const core::Json& full_config, const ConfigScreen& screen) {
  const auto* type = registry.source(connection.source_type);
  if (type == nullptr) {
    throw InvalidConfig(InvalidConfig::Reason::kUnknownType,
                        "source_type '" + connection.source_type + "' is not supported");
  }
  if (screen) {
    if (auto problem = screen(full_config); !problem.empty())
      throw InvalidConfig(InvalidConfig::Reason::kScreened, problem, full_config);
  }
  // The model mapping is ferry's, not the connector's: checked here, kept in the public config.
  const core::Json connector_config = without_mapping(full_config);
  if (full_config.contains(kModelMappingKey)) {
    if (auto problem = mapping_problem(full_config.at(kModelMappingKey)); !problem.empty())
      throw InvalidConfig(InvalidConfig::Reason::kRefused, "config." + problem, full_config);
  }
  if (auto problem = registry.source_problem(connection.source_type, connector_config, connection.tenant_id);
      !problem.empty()) {
    throw InvalidConfig(InvalidConfig::Reason::kRefused, problem, full_config);
  }
  std::tie(connection.config, connection.secrets) = connectors::split_secrets(type->spec, connector_config);
  if (full_config.contains(kModelMappingKey))
    connection.config[kModelMappingKey] = full_config.at(kModelMappingKey);
}

}  // namespace

void SyncControl::prepare_connection(core::Connection& connection, const core::Json& full_config,
                                     const ConfigScreen& screen) {
  apply_full_config(registry_, connection, full_config, screen);
  connection.id = core::new_uuid();
  if (connection.account_token.empty()) connection.account_token = core::new_token("act_");  // else imported
  connection.created_at = connection.updated_at = clock_.now();
}

core::Connection SyncControl::create_connection(core::Connection draft, const core::Json& full_config,
                                                const ConfigScreen& screen) {
  prepare_connection(draft, full_config, screen);
  store_.insert_connection(draft);
  return draft;
}

std::optional<OwnershipConflict> SyncControl::create_connection_with_sync(core::Connection& connection,
                                                                          const core::Json& full_config,
                                                                          core::Sync& sync,
                                                                          const ConfigScreen& screen) {
  prepare_connection(connection, full_config, screen);
  sync.tenant_id = connection.tenant_id;
  sync.connection_id = connection.id;
  if (sync.id.empty()) sync.id = core::new_uuid();
  sync.created_at = sync.updated_at = connection.created_at;
  sync.models_changed_at.reset();
  sync.next_sync_start = sync.active ? next_start(sync.schedule, connection.created_at) : std::nullopt;
  const auto checked_until_stored = ownership_locks_.lock(sync.tenant_id);
  if (auto conflict = destination_conflict(sync, &connection)) return conflict;
  store_.insert_connection(connection);
  store_.insert_sync(sync);
  return std::nullopt;
}

void SyncControl::patch_config(core::Connection& connection, const core::Json& patch,
                               const ConfigScreen& screen) {
  core::Json full = full_config(connection.config, connection.secrets);
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      full.erase(key);
    } else {
      full[key] = value;
    }
  }
  apply_full_config(registry_, connection, full, screen);
}

void SyncControl::update_connection(core::Connection& connection) {
  connection.updated_at = clock_.now();
  store_.update_connection(connection);
}

store::DeleteResult SyncControl::delete_connection(const std::string& tenant_id,
                                                   const std::string& connection_id) {
  return store_.delete_connection(tenant_id, connection_id);
}

RemoveOutcome SyncControl::remove_connection(const std::string& tenant_id, const std::string& connection_id) {
  if (!store_.connection(tenant_id, connection_id)) return RemoveOutcome::kNotFound;
  const auto syncs = store_.syncs_of_connection(tenant_id, connection_id);
  for (auto sync : syncs) {
    // Paused first, so the scheduler queues nothing new meanwhile.
    if (sync.active) set_active(sync, false);
    if (auto run = store_.active_run(sync.id)) abandon(*run);
  }
  for (const auto& sync : syncs) {
    if (store_.delete_sync(tenant_id, sync.id) == store::DeleteResult::kInUse) return RemoveOutcome::kInUse;
  }
  switch (store_.delete_connection(tenant_id, connection_id)) {
    case store::DeleteResult::kInUse:
      return RemoveOutcome::kInUse;
    case store::DeleteResult::kNotFound:
      return RemoveOutcome::kNotFound;
    case store::DeleteResult::kDeleted:
      break;
  }
  core::log(logger(), spdlog::level::info, "connection deleted", {{"connection_id", connection_id}});
  return RemoveOutcome::kRemoved;
}

}  // namespace ferry::engine
