#include "connectors/postgres/postgres_destination_table.h"

#include <algorithm>
#include <map>

#include "connectors/deleted_rows.h"
#include "connectors/postgres/postgres_destination_transaction.h"
#include "core/encoding.h"
#include "core/text.h"

namespace ferry::postgres {
namespace {

using core::join;

using connectors::Field;
using connectors::FieldType;
using core::ErrorCategory;
using core::FerryError;

// OIDs below this are PostgreSQL's own (FirstNormalObjectId).
constexpr int64_t kFirstUserOid = 16384;
// PostgreSQL truncates longer identifiers (NAMEDATALEN - 1).
constexpr size_t kMaxIdentifierBytes = 63;

// A column as the catalog describes it.
struct CatalogColumn {
  uint32_t type_oid = 0;
  uint32_t element_oid = 0;  // arrays only
  std::string sql_type;      // format_type()
};

std::string unquoted(std::string part) {
  if (part.size() >= 2 && part.front() == '"' && part.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < part.size(); ++i) {
      out.push_back(part[i]);
      if (part[i] == '"' && part[i + 1] == '"') ++i;  // "" is an escaped quote
    }
    return out;
  }
  return part;
}

// format_type() spells built-in types in lower case with only these characters: a type written so is safe
// to splice into DDL, and an upper-case spelling ("INTEGER") is some other database's type name.
bool looks_like_format_type(const std::string& type) {
  return !type.empty() && std::all_of(type.begin(), type.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' || c == '_' || c == '(' || c == ')' ||
           c == ',' || c == '[' || c == ']';
  });
}

bool carries(FieldType field_type, uint32_t oid, uint32_t element_oid) {
  switch (field_type) {
    case FieldType::kInteger:
      return oid == 20 || oid == 21 || oid == 23;
    case FieldType::kNumber:
      return oid == 700 || oid == 701;
    case FieldType::kDecimal:
      return oid == 1700;
    case FieldType::kBoolean:
      return oid == 16;
    case FieldType::kTimestamp:
      return oid == 1184;
    case FieldType::kDateTime:
      return oid == 1114;
    case FieldType::kDate:
      return oid == 1082;
    case FieldType::kTime:
      return oid == 1083;
    case FieldType::kUuid:
      return oid == 2950;
    case FieldType::kJson:
      return oid == 114 || oid == 3802;
    case FieldType::kBytes:
      return oid == 17;
    case FieldType::kArray:
      return element_oid != 0 && wire_column_for(oid, element_oid).has_value();
    case FieldType::kString:
      return true;  // other types travel as their text
  }
  return false;
}

// The field's native type when it names a built-in PostgreSQL type that holds the field's values (the
// source is PostgreSQL); nullopt otherwise. Runs outside any transaction: a malformed name is an error.
std::optional<std::string> builtin_native_type(PgConnection& connection, const Field& field) {
  if (!looks_like_format_type(field.native_type)) return std::nullopt;
  try {
    auto r = connection.exec(
        "SELECT t.oid::int8, CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0 END::int8 "
        "FROM pg_type t WHERE t.oid = to_regtype($1)",
        {field.native_type});
    if (r.rows() != 1 || r.int64(0, 0) >= kFirstUserOid) return std::nullopt;
    if (!carries(field.type, static_cast<uint32_t>(r.int64(0, 0)), static_cast<uint32_t>(r.int64(0, 1)))) {
      return std::nullopt;
    }
    return field.native_type;
  } catch (const FerryError& e) {
    if (!e.transient()) return std::nullopt;  // not a type name PostgreSQL parses
    throw;
  }
}

std::map<std::string, CatalogColumn> read_columns(PgConnection& connection, const std::string& table) {
  auto r = connection.exec(
      "SELECT a.attname, a.atttypid::int8, format_type(a.atttypid, a.atttypmod), "
      "CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0 END::int8 "
      "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
      "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
      {table});
  std::map<std::string, CatalogColumn> out;
  for (int row = 0; row < r.rows(); ++row) {
    out[r.text(row, 0)] = CatalogColumn{static_cast<uint32_t>(r.int64(row, 1)),
                                        static_cast<uint32_t>(r.int64(row, 3)), r.text(row, 2)};
  }
  return out;
}

bool relation_exists(PgConnection& connection, const std::string& table) {
  return !connection.exec("SELECT to_regclass($1)", {table}).is_null(0, 0);
}

// How a field's values travel into a column of `column`'s type.
std::optional<WireColumn> wire_for(const Field& field, const CatalogColumn& column) {
  auto wire = wire_column_for(column.type_oid, column.element_oid);
  if (!wire) return std::nullopt;
  // Text-typed fields keep the text the source gave; the server's cast reads any type's text output.
  if (field.type == FieldType::kString && wire->type != EncodeType::kText) return std::nullopt;
  // An array column gets arrays as ferry's JSON arrays only; other values are PostgreSQL array text.
  if (wire->type == EncodeType::kArray && field.type != FieldType::kArray) return std::nullopt;
  return wire;
}

void check_model(const connectors::ModelSchema& model) {
  for (const auto& f : model.fields) {
    if (f.name == kHashColumn || f.name == kRowColumn || f.name == connectors::kDeletedAtColumn) {
      throw FerryError(ErrorCategory::kConfigInvalid,
                       model.model_id + ": the column name " + f.name + " is reserved by ferry");
    }
    if (f.name.empty() || f.name.size() > kMaxIdentifierBytes) {
      throw FerryError(ErrorCategory::kConfigInvalid, model.model_id + ": column name '" + f.name +
                                                          "' must be 1 to 63 bytes for PostgreSQL");
    }
  }
  for (const auto& k : model.primary_key) {
    if (model.field_index(k) < 0) {
      throw FerryError(ErrorCategory::kConfigInvalid,
                       model.model_id + " has no primary key column '" + k + "'");
    }
  }
}

}  // namespace

TargetName target_name(const std::string& model_id, const std::optional<std::string>& schema) {
  auto [model_schema, table] = split_qualified_name(model_id);
  TargetName out{unquoted(model_schema), unquoted(table)};
  if (schema && !schema->empty()) out.schema = *schema;
  return out;
}

std::string mapped_sql_type(FieldType type) {
  switch (type) {
    case FieldType::kInteger:
      return "bigint";
    case FieldType::kNumber:
      return "double precision";
    case FieldType::kDecimal:
      return "numeric";
    case FieldType::kBoolean:
      return "boolean";
    case FieldType::kTimestamp:
      return "timestamp with time zone";
    case FieldType::kDateTime:
      return "timestamp without time zone";
    case FieldType::kDate:
      return "date";
    case FieldType::kTime:
      return "time without time zone";
    case FieldType::kUuid:
      return "uuid";
    case FieldType::kJson:
    case FieldType::kArray:
      return "jsonb";
    case FieldType::kBytes:
      return "bytea";
    case FieldType::kString:
      return "text";
  }
  return "text";
}

void ensure_schema(PgConnection& connection, const std::string& schema) {
  // CREATE SCHEMA IF NOT EXISTS demands the CREATE privilege even when the schema is there.
  if (connection.exec("SELECT 1 FROM pg_namespace WHERE nspname = $1", {schema}).rows() == 0) {
    connection.exec("CREATE SCHEMA IF NOT EXISTS " + connection.quote_identifier(schema));
  }
}

std::string ColumnLayout::read(const std::string& alias) const {
  return alias + "." + quoted + (wire ? "" : "::" + sql_type);
}

TableLayout ensure_table(PgConnection& connection, const connectors::ModelSchema& model,
                         const TargetName& name, bool keep_deleted) {
  check_model(model);
  TableLayout layout;
  layout.name = name;
  layout.target = connection.quote_identifier(name.schema) + "." + connection.quote_identifier(name.table);
  layout.target_literal = connection.quote_literal(layout.target);
  const std::string id = core::sha256_hex(name.schema + '\0' + name.table).substr(0, 16);
  const std::string state = connection.quote_identifier(kStateSchema);
  layout.seen = state + ".seen_" + id;
  layout.replace = state + ".replace_" + id;
  layout.stage = "pg_temp.stage_" + id;
  layout.tombstones = "pg_temp.tombstones_" + id;
  layout.probe = "pg_temp.probe_" + id;
  const bool keyed = !model.primary_key.empty();

  // Types of the columns to create are settled first: resolving a native type may fail harmlessly, which
  // must not happen inside the transaction.
  auto existing = read_columns(connection, layout.target);
  const bool table_exists = !existing.empty() || relation_exists(connection, layout.target);
  std::vector<std::string> new_columns;
  for (const auto& f : model.fields) {
    if (existing.contains(f.name)) continue;
    const auto native = f.native_type.empty() ? std::nullopt : builtin_native_type(connection, f);
    new_columns.push_back(connection.quote_identifier(f.name) + " " +
                          native.value_or(mapped_sql_type(f.type)));
  }
  if (keyed && !existing.contains(kHashColumn)) new_columns.push_back(std::string(kHashColumn) + " bigint");
  layout.keep_deleted = keyed && keep_deleted;
  const std::string deleted_at = connectors::kDeletedAtColumn;
  if (layout.keep_deleted && !existing.contains(deleted_at))
    new_columns.push_back(deleted_at + " timestamptz");
  const bool drop_deleted_at = !layout.keep_deleted && existing.contains(deleted_at);
  layout.live_rows = layout.target + (layout.keep_deleted ? " WHERE " + deleted_at + " IS NULL" : "");

  PgTransaction tx(connection);
  if (!table_exists) {
    ensure_schema(connection, name.schema);
    std::vector<std::string> keys;
    for (const auto& k : model.primary_key) keys.push_back(connection.quote_identifier(k));
    if (keyed) new_columns.push_back("PRIMARY KEY (" + join(keys, ", ") + ")");
    connection.exec("CREATE TABLE " + layout.target + " (" + join(new_columns, ", ") + ")");
  } else {
    // A field the source added since becomes a new column; existing rows keep theirs, nothing is dropped.
    for (const auto& column : new_columns) {
      connection.exec("ALTER TABLE " + layout.target + " ADD COLUMN IF NOT EXISTS " + column);
    }
    // Back in "delete" mode: the rows kept as deleted go (they were counted deleted when marked), and the
    // column with them, so none of them can read as a live row.
    if (drop_deleted_at) {
      connection.exec("DELETE FROM " + layout.target + " WHERE " + deleted_at + " IS NOT NULL");
      connection.exec("ALTER TABLE " + layout.target + " DROP COLUMN " + deleted_at);
    }
  }
  existing = read_columns(connection, layout.target);
  for (const auto& f : model.fields) {
    const CatalogColumn& column = existing.at(f.name);
    layout.columns.push_back(
        ColumnLayout{f.name, connection.quote_identifier(f.name), column.sql_type, wire_for(f, column)});
    layout.all_binary = layout.all_binary && layout.columns.back().wire.has_value();
  }
  for (const auto& k : model.primary_key) layout.key.push_back(static_cast<size_t>(model.field_index(k)));

  if (keyed) {
    std::vector<std::string> key_columns;
    for (size_t k : layout.key)
      key_columns.push_back(layout.columns[k].quoted + " " + layout.columns[k].sql_type);
    connection.exec("CREATE TABLE IF NOT EXISTS " + layout.seen + " (" + join(key_columns, ", ") + ")");
  } else {
    // Unlogged: its rows only matter until this attempt's swap, and every attempt starts it afresh.
    std::vector<std::string> columns;
    for (const auto& c : layout.columns) columns.push_back(c.quoted + " " + c.staging_type());
    connection.exec("DROP TABLE IF EXISTS " + layout.replace);
    connection.exec("CREATE UNLOGGED TABLE " + layout.replace + " (" + join(columns, ", ") + ")");
  }
  // MERGE refuses a table with rules; statistics count an inheritance child's rows on the child.
  layout.merge_counted =
      keyed && connection
                       .exec(
                           "SELECT current_setting('server_version_num')::int >= 150000 AND "
                           "current_setting('track_counts')::bool AND (SELECT relkind = 'r' "
                           "AND NOT relhasrules AND NOT relhassubclass FROM pg_class WHERE "
                           "oid = to_regclass($1))",
                           {layout.target})
                       .text(0, 0) == "t";
  tx.commit();
  // The batch staging tables follow the layout: built afresh on the next write.
  connection.exec("DROP TABLE IF EXISTS " + layout.stage + ", " + layout.tombstones + ", " + layout.probe);
  return layout;
}

}  // namespace ferry::postgres
