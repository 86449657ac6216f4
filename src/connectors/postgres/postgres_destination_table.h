// connectors/postgres/postgres_destination_table: where a model lands in PostgreSQL and in what shape.
// Creates the target table from the model (the source's own PostgreSQL type when it names a built-in one,
// else a mapping from ferry's field type), adds the columns the source added since, creates the
// bookkeeping tables in schema `_ferry`, and reads back the table's real column types, which decide how
// each value is encoded on the COPY stream.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connectors/postgres/pg_binary_writer.h"
#include "connectors/record.h"
#include "db/postgres/pg_connection.h"

namespace ferry::postgres {

// The schema that holds ferry's own tables: checkpoints, seen keys, replace staging.
inline constexpr const char* kStateSchema = "_ferry";
// The hidden column holding canonical_row_hash(): it decides updated vs unchanged.
inline constexpr const char* kHashColumn = "_ferry_hash";
// A probe row's index in its batch (postgres_destination_sql).
inline constexpr const char* kRowColumn = "_ferry_row";
// deleted_rows "keep": a keyed table's rows the source deleted stay, stamped in connectors::kDeletedAtColumn
// (timestamptz; NULL on a live row) with their hash cleared, so that the row's return rewrites it.

// Where a model lands (unquoted names): "hris.Employee" → hris / Employee; `schema` overrides the schema.
struct TargetName {
  std::string schema;
  std::string table;
};
TargetName target_name(const std::string& model_id, const std::optional<std::string>& schema);

// The SQL type a new column gets from ferry's field type alone.
std::string mapped_sql_type(connectors::FieldType type);

struct ColumnLayout {
  std::string name;
  std::string quoted;
  std::string sql_type;  // the target column's format_type()
  // How values travel on the COPY stream; nullopt: as text, cast to `sql_type` by the server when merged.
  std::optional<WireColumn> wire;

  std::string staging_type() const { return wire ? sql_type : "text"; }
  // `alias.column` read as the target's type.
  std::string read(const std::string& alias) const;
};

struct TableLayout {
  TargetName name;
  std::string target;                 // "schema"."table"
  std::string target_literal;         // the same as an SQL string literal: '"schema"."table"'
  std::vector<ColumnLayout> columns;  // one per model field, in the model's order
  std::vector<size_t> key;            // the primary key, as indexes into `columns`
  bool all_binary = true;             // every column travels in its target type: staging = target shape
  // One MERGE upserts a batch, its inserted and updated rows told apart by the transaction's own table
  // statistics: PostgreSQL 15 or later, track_counts on, and a plain table (a partitioned one counts in its
  // partitions). Otherwise an UPDATE and an INSERT, each counting its rows.
  bool merge_counted = false;
  bool keep_deleted = false;  // deleted_rows "keep" (keyed tables only): the table has kDeletedAtColumn
  std::string live_rows;      // what count(*) reads for the live rows: the target, filtered when keep_deleted
  std::string seen;           // _ferry."seen_<id>": keys written by the current full pass
  std::string replace;        // _ferry."replace_<id>": a key-less model's rows until the swap
  std::string stage;          // pg_temp."stage_<id>": one batch's upserts
  std::string tombstones;     // pg_temp."tombstones_<id>": one batch's deleted keys
  std::string probe;          // pg_temp."probe_<id>": one batch's (row, key, hash)

  bool has_key() const { return !key.empty(); }
};

// Creates `schema` unless it exists (then no CREATE privilege is needed).
void ensure_schema(PgConnection& connection, const std::string& schema);

// Creates or widens the target and its bookkeeping tables for `model`; returns the layout it ended with.
// A key-less model's replace table starts empty: each attempt reloads such a model from scratch.
// `keep_deleted` (deleted_rows "keep") adds kDeletedAtColumn to a keyed table that lacks it; without it, a
// table that has the column (kept in "keep" mode before) loses its kept deleted rows and the column. A
// key-less model is replaced wholesale in either mode: without a key no row can be told deleted.
TableLayout ensure_table(PgConnection& connection, const connectors::ModelSchema& model,
                         const TargetName& name, bool keep_deleted);

}  // namespace ferry::postgres
