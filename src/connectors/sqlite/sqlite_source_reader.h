// connectors/sqlite/sqlite_source_reader: one model's read for the sqlite source. Keyset batches — primary
// key order for a full read, (cursor column, primary key) order for an incremental one — each batch its own
// short read transaction, so the application writing the database is never locked out for a whole read.
//
// Cursors (JSON text):
//   "" or "{}"                               start a full read
//   {"after":[k...],"high_water":[c,k...]|null}  a full read done up to key k; `high_water` is the largest
//                                            (cursor, key) when it began: where the next incremental read
//                                            starts
//   {"since":[c,k...]}                       synced up to the row (c, k): an incremental read takes rows
//   after it
// Values keep their SQLite storage class (see sqlite_source_values.h) so they compare as SQLite compares.
#pragma once

#include <optional>
#include <stop_token>

#include "connectors/source.h"
#include "connectors/sqlite/sqlite_source_catalog.h"

namespace ferry::connectors::sqlite_source {

// Reads `schema` (discovered from `table`) from `from`, `batch_size` rows per batch, into `sink`. Throws
// core::FerryError: kConfigInvalid for an unreadable cursor, kSchemaInvalid when the table changed shape or
// holds a value its declared type can't carry.
void read_table(sqlite::Database& db, const Table& table, const ModelSchema& schema, const Cursor& from,
                size_t batch_size, BatchSink& sink, std::stop_token stop);

// read_table, after counting the table's rows (Source::read_counting): the count is taken before the read's
// first batch, in its own statement; nullopt when the read was stopped or some row lacks a key or a cursor
// value (it would be counted but never read incrementally).
std::optional<int64_t> count_then_read_table(sqlite::Database& db, const Table& table,
                                             const ModelSchema& schema, const Cursor& from, size_t batch_size,
                                             BatchSink& sink, std::stop_token stop);

// Every primary key the table holds now, in key order, as batches of the key columns (Source::read_keys).
void read_table_keys(sqlite::Database& db, const Table& table, const ModelSchema& schema, size_t batch_size,
                     BatchSink& sink, std::stop_token stop);

}  // namespace ferry::connectors::sqlite_source
