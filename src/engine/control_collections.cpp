// SyncControl's collection operations: a tenant's named group of connections whose syncs share one
// destination (the Airweave surface's collections), created, refreshed and deleted with their connections.
#include "core/ids.h"
#include "engine/control.h"
#include "engine/logger.h"

namespace ferry::engine {

bool SyncControl::create_collection(store::Collection& collection,
                                    const std::optional<CollectionDestination>& destination) {
  // The destination is checked and split as a sync's would be: the same spec, the same operator policy.
  core::Sync draft;
  draft.tenant_id = collection.tenant_id;
  if (destination) {
    set_destination(draft, destination->type, destination->config);
  } else {
    draft.destination_type = "sqlite";
    draft.destination_config = {{"path", named_destination_path(collection.readable_id)}};
  }
  collection.destination_type = draft.destination_type;
  collection.destination_config = std::move(draft.destination_config);
  collection.destination_secrets = std::move(draft.destination_secrets);
  collection.id = core::new_uuid();
  collection.created_at = collection.updated_at = clock_.now();
  if (!store_.insert_collection(collection)) return false;
  core::log(logger(), spdlog::level::info, "collection created",
            {{"collection_id", collection.id}, {"destination_type", collection.destination_type}});
  return true;
}

store::Collection SyncControl::ensure_collection(const std::string& tenant_id,
                                                 const std::string& readable_id) {
  if (auto existing = store_.collection(tenant_id, readable_id)) return std::move(*existing);
  store::Collection collection;
  collection.tenant_id = tenant_id;
  collection.readable_id = collection.name = readable_id;
  if (create_collection(collection)) return collection;
  // Another request created it between the read and the insert.
  return *store_.collection(tenant_id, readable_id);
}

core::Sync SyncControl::collection_sync(const std::string& tenant_id, const std::string& readable_id) {
  core::Sync sync;
  sync.tenant_id = tenant_id;
  if (const auto collection = store_.collection(tenant_id, readable_id)) {
    sync.destination_type = collection->destination_type;
    sync.destination_config = collection->destination_config;
    sync.destination_secrets = collection->destination_secrets;
  } else {
    sync.destination_type = "sqlite";
    sync.destination_config = {{"path", named_destination_path(readable_id)}};
  }
  return sync;
}

bool SyncControl::join_collection(const std::string& readable_id, const core::Connection& connection) {
  const auto collection = ensure_collection(connection.tenant_id, readable_id);
  if (store_.add_to_collection(collection.tenant_id, collection.id, connection.id)) return true;
  remove_connection(connection.tenant_id, connection.id);
  return false;
}

RemoveOutcome SyncControl::delete_collection(const std::string& tenant_id, const std::string& readable_id) {
  const auto collection = store_.collection(tenant_id, readable_id);
  if (!collection) return RemoveOutcome::kNotFound;
  for (const auto& connection_id : store_.connections_in_collection(tenant_id, collection->id)) {
    // kNotFound: deleted meanwhile by another request, which is what this one wanted too.
    if (remove_connection(tenant_id, connection_id) == RemoveOutcome::kInUse) return RemoveOutcome::kInUse;
  }
  if (!store_.delete_collection(tenant_id, readable_id)) return RemoveOutcome::kNotFound;
  core::log(logger(), spdlog::level::info, "collection deleted", {{"collection_id", collection->id}});
  return RemoveOutcome::kRemoved;
}

std::vector<store::CreatedRun> SyncControl::refresh_collection(const store::Collection& collection,
                                                               const TriggerRequest& request) {
  std::vector<core::Sync> syncs;
  for (const auto& connection_id : store_.connections_in_collection(collection.tenant_id, collection.id)) {
    for (auto& sync : store_.syncs_of_connection(collection.tenant_id, connection_id))
      syncs.push_back(std::move(sync));
  }
  return trigger_active(syncs, [&request](const core::Sync&) { return request; });
}

}  // namespace ferry::engine
