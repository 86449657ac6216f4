#include "connectors/sqlite/sqlite_destination_sql.h"

namespace ferry::connectors::sqlite_destination {

const char* sql_type(FieldType type) {
  switch (type) {
    case FieldType::kInteger:
    case FieldType::kBoolean:
      return "INTEGER";
    case FieldType::kNumber:
      return "REAL";
    case FieldType::kBytes:
      return "BLOB";
    default:
      return "TEXT";
  }
}

void bind_value(sqlite::Statement& stmt, int index, const Value& value, FieldType type) {
  if (const auto* i = std::get_if<int64_t>(&value)) {
    stmt.bind(index, *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    stmt.bind(index, *d);
  } else if (const auto* b = std::get_if<bool>(&value)) {
    stmt.bind(index, int64_t{*b ? 1 : 0});
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    if (type == FieldType::kBytes) {
      stmt.bind_blob(index, *s);
    } else {
      stmt.bind(index, *s);
    }
  } else {
    stmt.bind_null(index);
  }
}

}  // namespace ferry::connectors::sqlite_destination
