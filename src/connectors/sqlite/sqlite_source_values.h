// connectors/sqlite/sqlite_source_values: the values the sqlite source reads. A column of a result row as a
// ferry Value of the field's type, and a stored value kept exactly (its SQLite storage class included) for
// cursors, so a saved position compares the way SQLite compared the row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "connectors/record.h"
#include "core/domain.h"
#include "db/sqlite/database.h"

namespace ferry::connectors::sqlite_source {

// Column `column` of the current row as a Value of `type`; nullopt when the stored value can't be one
// (SQLite keeps whatever was written: 'abc' in an INTEGER column). NULL is always the null Value.
//   integer: INTEGER, or a whole REAL;  number: INTEGER or REAL;  boolean: INTEGER 0 or 1;
//   decimal: INTEGER, REAL (shortest exact text, no exponent) or decimal-shaped TEXT;
//   string: TEXT as is, numbers as their shortest round-trip text, BLOB as its bytes;
//   bytes: BLOB or TEXT as its bytes, numbers as their text.
std::optional<Value> read_value(const sqlite::Statement& row, int column, FieldType type);

// A value as SQLite stored it.
struct StoredValue {
  int storage = SQLITE_NULL;  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL
  int64_t integer = 0;
  double real = 0;
  std::string bytes;  // TEXT and BLOB
};

StoredValue read_stored(const sqlite::Statement& row, int column);
void bind_stored(sqlite::Statement& stmt, int index, const StoredValue& value);
// For errors: 42, 1.5, 'text', x'00ff', NULL.
std::string describe(const StoredValue& value);

// JSON for cursors: integers and reals as JSON numbers, text as a string, {"blob": base64} for blobs (and
// {"text": base64} for text that isn't UTF-8), null for NULL. nullopt from JSON of any other shape.
core::Json to_json(const StoredValue& value);
std::optional<StoredValue> from_json(const core::Json& json);

}  // namespace ferry::connectors::sqlite_source
