// connectors/sqlite/sqlite_source_catalog: what a SQLite database offers the sqlite source — its ordinary
// tables, each column with a ferry type chosen from the declared type, the primary key and the cursor column.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/record.h"
#include "db/sqlite/database.h"

namespace ferry::connectors::sqlite_source {

struct Column {
  Field field;
  // How a query names the column: the quoted name, or a bare rowid alias for the synthetic rowid key.
  std::string sql;
};

struct Table {
  std::string name;
  std::vector<Column> columns;   // table order; a synthetic rowid key comes first
  std::vector<size_t> key;       // indexes into `columns`, primary-key order
  std::optional<size_t> cursor;  // index into `columns`
  bool rowid_key = false;        // no declared primary key: the rowid identifies rows

  const Column* column(std::string_view name) const;
};

// Which tables to offer and how to read changes from them (from the source's config).
struct CatalogOptions {
  std::vector<std::string> tables;                   // empty: every table
  std::map<std::string, std::string> cursor_fields;  // table -> column; "" = no cursor (full reads only)
};

// The ferry type for a declared column type, by SQLite's affinity rules (https://sqlite.org/datatype3.html
// 3.1) refined for the common NUMERIC-affinity names: BOOL* is boolean, DECIMAL/NUMERIC exact decimal, and
// every other NUMERIC name (DATE, DATETIME, TIMESTAMP, JSON, ...) a string, since SQLite stores those as
// whatever the application wrote. A column without a declared type (or STRICT's ANY) is a string too.
FieldType field_type_for(std::string_view declared_type);

// The tables to sync: ordinary tables of the main schema (no views, virtual or shadow tables, no sqlite_*
// or _ferry* tables) narrowed to `options.tables`. Throws core::FerryError(kConfigInvalid) when the options
// name a table or column that does not exist.
std::vector<Table> list_tables(sqlite::Database& db, const CatalogOptions& options);

ModelSchema to_schema(const Table& table);

}  // namespace ferry::connectors::sqlite_source
