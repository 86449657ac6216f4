// connectors/sqlite/sqlite_destination_sql: what the SQLite destination's writes and its key sweep both say
// in SQL: column types, how a value binds, and the "keep" mode's deletion mark.
#pragma once

#include <string>

#include "connectors/record.h"
#include "db/sqlite/database.h"

namespace ferry::connectors::sqlite_destination {

// "keep" mode: a deleted row's stamp (one time per statement), and the condition that it is not yet stamped,
// so that a row is marked, and counted, once.
inline constexpr const char* kMarkDeleted = "_ferry_deleted_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')";
inline constexpr const char* kNotDeleted = "_ferry_deleted_at IS NULL";

// The declared type of a column holding `type`.
const char* sql_type(FieldType type);

// Bytes bind as BLOB, so the stored value is the raw bytes (a zero byte included) and compares as bytes.
void bind_value(sqlite::Statement& stmt, int index, const Value& value, FieldType type);

}  // namespace ferry::connectors::sqlite_destination
