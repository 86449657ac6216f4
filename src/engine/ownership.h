// engine/ownership: one writer per destination model. The sync whose run last committed to a model's table
// owns it: the destination records that sync with every checkpoint, a run resumes only from its own sync's
// checkpoint and refuses a table another existing sync still writes, and the control plane refuses a second
// sync of the tenant that would write the same table. Deleting a sync (or moving it elsewhere) releases its
// tables; the next sync to write one starts with a full sync.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/destination.h"
#include "connectors/registry.h"
#include "store/store.h"

namespace ferry::engine {

// Where a sync writes: its destination type and the place within it (for sqlite and file the resolved path,
// for postgres host:port/dbname and the configured schema). Two syncs with equal targets write the same
// table for the same model id.
struct DestinationTarget {
  std::string type;
  std::string place;
  bool operator==(const DestinationTarget&) const = default;
};

DestinationTarget destination_target(const core::Sync& sync, const connectors::Registry& registry);

// Whether `sync` copies `model_id` (a sync without a selection copies every model its source has).
bool selects(const core::Sync& sync, const std::string& model_id);

// Where a run of a sync may start a model, given the destination's checkpoint for it.
struct StartingPoint {
  // The destination's checkpoint when this sync (or this very run) wrote it; nullopt otherwise.
  std::optional<connectors::Checkpoint> checkpoint;
  // Where a new run continues an incremental read: the sync's own checkpoint's cursor; the store's copy of
  // the sync's cursor when the checkpoint has no owner; nullopt (a full sync) when the destination holds no
  // checkpoint or one another sync released.
  std::optional<connectors::Cursor> saved;
};

// Decides what a run of `sync` may start `model_id` from. A checkpoint without an owner (written before
// owners were recorded) belongs to no sync. Throws FerryError(kConfigInvalid) when another sync that still
// exists and still writes this model into this target owns the table; it names that sync when it is the
// same tenant's, and only says "another tenant" otherwise. An owner this store does not know (deleted, or
// from another ferry installation sharing the database) counts as released.
StartingPoint starting_point(store::Store& store, const connectors::Registry& registry,
                             const core::Sync& sync, const core::Run& run, const std::string& model_id,
                             const std::optional<connectors::Checkpoint>& checkpoint,
                             const std::optional<connectors::Cursor>& store_cursor);

// A sync of the tenant that already writes one of a candidate sync's models into the same target.
struct OwnershipConflict {
  std::string sync_id;   // the owner
  std::string model_id;  // one model both would write; "" when both copy every model of one connection
  std::string message() const;
};

// Makes the control plane's "does another sync write this?" and the store's insert (or update) of the sync
// one step: SyncControl holds the tenant's lock from its conflict check until the sync is stored, so two
// requests racing to write one destination model cannot both pass the check. Only one tenant's syncs can
// conflict, so each tenant has a lock of its own: the check may discover a source (seconds), and no other
// tenant may wait on that. In-process: one `ferry serve` creates a SQLite store's syncs (a multi-host store
// would take this lock in the database).
// Held from a tenant's conflict check until the sync it allowed is stored: in this process, and through
// the store (Store::exclusive) across every process sharing it.
struct OwnershipLock {
  std::unique_lock<std::mutex> in_process;
  std::unique_ptr<store::Store::ExclusiveSection> across_processes;
};

class OwnershipLocks {
 public:
  explicit OwnershipLocks(store::Store& store) : store_(store) {}
  OwnershipLock lock(const std::string& tenant_id);

 private:
  store::Store& store_;
  std::mutex tenants_mutex_;  // guards the map only, never held while a tenant's lock is awaited
  // Entries stay for the process's life: one per tenant that created a sync, a few dozen bytes each.
  std::unordered_map<std::string, std::unique_ptr<std::mutex>> tenants_;
};

}  // namespace ferry::engine
