#include "engine/ownership.h"

#include <algorithm>
#include <filesystem>
#include <functional>

#include "core/error.h"
#include "db/postgres/pg_conninfo.h"

namespace ferry::engine {
namespace {

std::string config_text(const core::Sync& sync, const std::string& field) {
  const auto it = sync.destination_config.find(field);
  return it != sync.destination_config.end() && it->is_string() ? it->get<std::string>() : "";
}

// The path a tenant's relative path names, as the registry resolves it (tenant_path.h), without touching
// the file system: "a.db", "./a.db" and "x/../a.db" are one place.
std::string tenant_file(const core::Sync& sync, const connectors::Registry& registry,
                        const std::string& field) {
  const auto& root = registry.policy().data_root;
  const std::filesystem::path relative = config_text(sync, field);
  const auto base = root.empty() ? std::filesystem::path(sync.tenant_id) : root / sync.tenant_id;
  return (base / relative).lexically_normal().string();
}

// The sync that owns `checkpoint` when it still exists and still writes `model_id` into `target`.
std::optional<core::Sync> live_owner(store::Store& store, const connectors::Registry& registry,
                                     const connectors::Checkpoint& checkpoint, const std::string& model_id,
                                     const DestinationTarget& target) {
  // The owner's run leads to its tenant (runs are deleted with their sync, never before).
  const auto owner_run = store.run_by_id(checkpoint.run_id);
  if (!owner_run || owner_run->sync_id != checkpoint.sync_id) return std::nullopt;
  auto owner = store.sync(owner_run->tenant_id, owner_run->sync_id);
  if (!owner || !selects(*owner, model_id) || destination_target(*owner, registry) != target)
    return std::nullopt;
  return owner;
}

}  // namespace

DestinationTarget destination_target(const core::Sync& sync, const connectors::Registry& registry) {
  const auto& type = sync.destination_type;
  if (type == "sqlite") return {type, tenant_file(sync, registry, "path")};
  if (type == "file") return {type, tenant_file(sync, registry, "directory")};
  if (type == "postgres") {
    // The url is a secret field: it may sit in either half of the sync's config.
    const auto& url =
        sync.destination_secrets.contains("url") ? sync.destination_secrets : sync.destination_config;
    const std::string conninfo =
        url.contains("url") && url["url"].is_string() ? url["url"].get<std::string>() : "";
    return {type, postgres::database_address(conninfo) + "/" + config_text(sync, "schema")};
  }
  // Any other type: the same public config is the same place.
  return {type, sync.destination_config.dump()};
}

bool selects(const core::Sync& sync, const std::string& model_id) {
  return !sync.models || std::find(sync.models->begin(), sync.models->end(), model_id) != sync.models->end();
}

StartingPoint starting_point(store::Store& store, const connectors::Registry& registry,
                             const core::Sync& sync, const core::Run& run, const std::string& model_id,
                             const std::optional<connectors::Checkpoint>& checkpoint,
                             const std::optional<connectors::Cursor>& store_cursor) {
  // No checkpoint: the destination holds nothing this sync committed (a new or emptied target, or one the
  // sync just moved to), so the store's cursor would skip rows that were never written here.
  if (!checkpoint) return {std::nullopt, std::nullopt};
  if (checkpoint->sync_id == sync.id || checkpoint->run_id == run.id) return {checkpoint, checkpoint->cursor};
  // Written by a ferry that recorded no owners: most likely this sync's own, whose cursor the store kept.
  if (checkpoint->sync_id.empty()) return {std::nullopt, store_cursor};
  if (const auto owner =
          live_owner(store, registry, *checkpoint, model_id, destination_target(sync, registry))) {
    const std::string who =
        owner->tenant_id == sync.tenant_id ? "sync " + owner->id : "a sync of another tenant";
    throw core::FerryError(core::ErrorCategory::kConfigInvalid,
                           "the destination table of model " + model_id + " belongs to " + who +
                               ", which writes it; delete that sync or give this one another destination");
  }
  // Released: the rows and cursor are another sync's history, so this sync copies everything afresh.
  return {std::nullopt, std::nullopt};
}

std::string OwnershipConflict::message() const {
  if (model_id.empty()) {
    return "sync " + sync_id + " already copies every model of this connection into this destination; " +
           "delete it or choose another destination";
  }
  return "sync " + sync_id + " already writes model " + model_id + " into this destination; " +
         "delete it, leave the model out or choose another destination";
}

OwnershipLock OwnershipLocks::lock(const std::string& tenant_id) {
  std::mutex* tenant = nullptr;
  {
    const std::lock_guard guard(tenants_mutex_);
    auto& slot = tenants_[tenant_id];
    if (!slot) slot = std::make_unique<std::mutex>();
    tenant = slot.get();
  }
  // In-process first: one waiter per tenant per process reaches the store's lock.
  OwnershipLock lock{std::unique_lock<std::mutex>(*tenant), nullptr};
  lock.across_processes = store_.exclusive("sync ownership " + tenant_id);
  return lock;
}

}  // namespace ferry::engine
