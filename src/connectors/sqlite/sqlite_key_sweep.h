// connectors/sqlite/sqlite_key_sweep: the SQLite destination's key sweep (Destination::begin_key_sweep).
// Collects the source's current keys, then deletes the rows whose key is not among them and records the
// commit, in one transaction. One integer or text key is held in memory (SweepKeySet) and the table's keys
// are checked against it in one scan; other keys, or more than the memory budget holds, go to a temporary
// table that the delete anti-joins. In "keep" mode the rows are marked deleted instead of deleted.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "connectors/destination.h"
#include "db/sqlite/database.h"

namespace ferry::connectors {

// What a sweep needs of its destination. The table exists (prepared) and outlives the sweep.
struct SqliteSweepTarget {
  sqlite::Database& db;
  const ModelSchema& model;
  std::vector<FieldType> key_types;  // of the primary key's columns, in key order
  bool keep_deleted;                 // deleted_rows: "keep"
  // Records the commit (cursor and counts) inside the sweep's transaction.
  std::function<void(const Commit&, const core::Counts&)> record;
};

std::unique_ptr<KeySweep> make_sqlite_key_sweep(SqliteSweepTarget target);

}  // namespace ferry::connectors
