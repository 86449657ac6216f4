// connectors/postgres/postgres_destination_sql: the statements the PostgreSQL destination runs for a table
// layout, built once per prepare(): COPY targets, the staging tables, the merge, and delete inference.
#pragma once

#include <string>

#include "connectors/postgres/postgres_destination_batch.h"
#include "connectors/postgres/postgres_destination_table.h"

namespace ferry::postgres {

struct TableStatements {
  std::string copy_target;        // COPY target (columns, _ferry_hash) FROM STDIN binary
  std::string copy_stage;         // the same shape into the batch staging table
  std::string copy_tombstones;    // key columns into the tombstone staging table
  std::string copy_replace;       // columns into a key-less model's replace table
  std::string create_stage;       // TEMP, ON COMMIT DELETE ROWS: each batch starts it empty
  std::string create_tombstones;  // likewise
  // The staged rows into the target: merge_update rewrites the rows whose hash changed, then merge_insert
  // adds those whose key is new; each reports its row count.
  std::string merge_update;
  std::string merge_insert;
  // Or both in one statement (TableLayout::merge_counted), its counts the difference of tuple_counts (this
  // transaction's inserted and updated rows of the target) before and after.
  std::string merge;
  std::string tuple_counts;
  std::string mark_seen;  // the staged keys into the seen table
  // Probing: a batch's (row, key, hash) COPYed first, so that only rows whose hash differs from the stored
  // one (or that are new) travel in full. Pays off when most rows of a pass are unchanged.
  std::string create_probe;
  std::string copy_probe;
  std::string changed_rows;      // the indexes of probed rows whose hash differs or that are new
  std::string mark_seen_probed;  // the probed keys into the seen table
  // The deletes below, in deleted_rows "keep" mode (TableLayout::keep_deleted), mark the rows not yet marked
  // instead (each reports the rows it newly marked), and the merge clears the mark of a row that came back.
  std::string delete_tombstones;  // target rows whose keys are staged as tombstones
  std::string delete_unseen;      // target rows the full pass did not write
  std::string delete_all;         // every target row (a full pass that wrote none)
  std::string count_revived;      // "keep" mode: staged rows whose target row is marked deleted
  std::string clear_seen;
  // A key sweep after an incremental read: every key the source lists now, then the rows whose key it did
  // not list are deleted.
  std::string create_sweep;
  std::string copy_sweep;
  std::string delete_unswept;
  std::string clear_sweep;
  std::string is_empty;  // one row: true when the target has no rows
  std::string swap_in;   // a key-less model's replace table into its (emptied) target
};

TableStatements table_statements(const TableLayout& layout);

}  // namespace ferry::postgres
