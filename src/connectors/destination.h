// connectors/destination: the interface every destination implements. A batch and the model's cursor
// commit in one transaction inside the destination, so a crash loses at most the uncommitted batch.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "connectors/record.h"
#include "core/domain.h"

namespace ferry::connectors {

// What the destination committed last for a model: by which run, up to where, and that run's running counts.
struct Checkpoint {
  std::string run_id;
  Cursor cursor;
  core::Counts counts;
  // The sync that wrote it, and so owns the model's table (engine/ownership); "" when written by a ferry that
  // recorded no owner: such a checkpoint belongs to no sync.
  std::string sync_id = {};
};

struct Commit {
  std::string run_id;
  Cursor cursor;
  // false for partial reads (a run restricted to some identities): the model's position must not move.
  bool record_cursor = true;
  // The batch comes from an incremental read, not a full pass: the destination need not remember which rows
  // it saw (no finish_full_pass follows), and most rows are likely changed ones.
  bool incremental = false;
  // The sync writing, recorded with the cursor as the model's owner (engine/ownership stamps it).
  std::string sync_id = {};
};

// Deletes the rows whose keys a source no longer lists: fed every current key, then `finish` deletes the
// rest and records the commit in one transaction.
class KeySweep {
 public:
  virtual ~KeySweep() = default;
  // `keys` holds the model's primary-key columns only, in primary-key order.
  virtual void add(const RecordBatch& keys) = 0;
  virtual core::Counts finish(const Commit& commit) = 0;
};

class Destination {
 public:
  virtual ~Destination() = default;
  // Opens what the writes need (a connection, state tables) ahead of the first prepare(), which would
  // otherwise do it; the engine calls it while the source discovers. A failure is not thrown here but by the
  // next call that needs what failed, so it lands on a model as before.
  virtual void connect() {}
  // Creates or widens the target for `model`.
  virtual void prepare(const ModelSchema& model) = 0;
  virtual std::optional<Checkpoint> checkpoint(const std::string& model_id) = 0;
  // Upserts the batch by primary key, applies its tombstones, marks its rows seen by `commit.run_id`, and
  // records the cursor, all in one transaction. Returns this batch's counts.
  virtual core::Counts write(const ModelSchema& model, const RecordBatch& batch, const Commit& commit) = 0;
  // After a complete full read: deletes rows the run did not see, in one transaction with `commit`.
  virtual core::Counts finish_full_pass(const ModelSchema& model, const Commit& commit) = 0;
  // A sweep for deletions after an incremental read; null when the destination has none.
  virtual std::unique_ptr<KeySweep> begin_key_sweep(const ModelSchema& /*model*/) { return nullptr; }
  // How many rows the model's table holds now; nullopt when the destination cannot tell.
  virtual std::optional<int64_t> count_rows(const ModelSchema& /*model*/) { return std::nullopt; }
  // Called from another thread when a shutdown's grace is over: the write, sweep or statement in flight and
  // every later call fail promptly with a FerryError (their transactions roll back, nothing committed is
  // lost). The destination is of no further use. Default: nothing to cancel.
  virtual void interrupt() {}
};
using DestinationPtr = std::unique_ptr<Destination>;

}  // namespace ferry::connectors
