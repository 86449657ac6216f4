#include "connectors/sqlite/sqlite_source_catalog.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/error.h"

namespace ferry::connectors::sqlite_source {
namespace {

using core::ErrorCategory;
using core::FerryError;

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// SQLite compares identifiers without regard to ASCII case.
bool same_name(std::string_view a, std::string_view b) {
  return upper(a) == upper(b);
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// sqlite_* tables belong to SQLite, _ferry* ones to ferry (a SQLite destination written into this file).
bool is_internal(std::string_view name) {
  const std::string u = upper(name);
  return u.starts_with("SQLITE_") || u.starts_with("_FERRY");
}

std::vector<std::string> ordinary_tables(sqlite::Database& db) {
  auto stmt =
      db.prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' ORDER BY name");
  std::vector<std::string> names;
  while (stmt.step()) {
    std::string name = stmt.text(0);
    if (!is_internal(name)) names.push_back(std::move(name));
  }
  return names;
}

// The first rowid alias no real column shadows; nullopt when the table has columns by all three names.
std::optional<std::string> free_rowid_alias(const std::vector<Column>& columns) {
  for (std::string_view alias : std::array<std::string_view, 3>{"rowid", "_rowid_", "oid"}) {
    const bool shadowed = std::any_of(columns.begin(), columns.end(),
                                      [&](const Column& c) { return same_name(c.field.name, alias); });
    if (!shadowed) return std::string(alias);
  }
  return std::nullopt;
}

std::optional<Table> load_table(sqlite::Database& db, const std::string& name) {
  Table table;
  table.name = name;
  // hidden: 1 marks a virtual table's hidden column; 2 and 3 are generated columns, which a SELECT reads.
  auto stmt = db.prepare(
      "SELECT name, type, \"notnull\", pk FROM pragma_table_xinfo(?1) WHERE hidden <> 1 ORDER BY cid");
  stmt.bind(1, name);
  std::vector<std::pair<int64_t, size_t>> key_positions;  // (position in the key, column index)
  while (stmt.step()) {
    const std::string declared = stmt.text(1);
    const int64_t key_position = stmt.int64(3);
    // Rows with a NULL key can't be identified, so the reader skips them: key columns are never null.
    const bool nullable = stmt.int64(2) == 0 && key_position == 0;
    table.columns.push_back({Field{stmt.text(0), field_type_for(declared), declared, nullable},
                             sqlite::quote_identifier(stmt.text(0))});
    if (key_position > 0) key_positions.emplace_back(key_position, table.columns.size() - 1);
  }
  std::sort(key_positions.begin(), key_positions.end());
  for (const auto& [position, index] : key_positions) table.key.push_back(index);
  if (table.key.empty()) {
    const auto alias = free_rowid_alias(table.columns);
    if (!alias) return std::nullopt;  // no way to name its rowid: not offered (documented)
    table.columns.insert(table.columns.begin(),
                         {Field{*alias, FieldType::kInteger, "INTEGER", false}, *alias});
    table.key.push_back(0);
    table.rowid_key = true;
  }
  return table;
}

std::optional<size_t> column_index(const Table& table, std::string_view name) {
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (same_name(table.columns[i].field.name, name)) return i;
  }
  return std::nullopt;
}

// The configured cursor column, else updated_at, else modified_at.
void choose_cursor(Table& table, const CatalogOptions& options) {
  for (const auto& [configured_table, column] : options.cursor_fields) {
    if (!same_name(configured_table, table.name)) continue;
    if (column.empty()) return;  // explicitly none: full reads only
    table.cursor = column_index(table, column);
    if (!table.cursor) {
      throw FerryError(ErrorCategory::kConfigInvalid, "config.cursor_fields." + configured_table +
                                                          ": table " + table.name + " has no column '" +
                                                          column + "'");
    }
    return;
  }
  table.cursor = column_index(table, "updated_at");
  if (!table.cursor) table.cursor = column_index(table, "modified_at");
}

}  // namespace

const Column* Table::column(std::string_view name) const {
  for (const auto& c : columns) {
    if (same_name(c.field.name, name)) return &c;
  }
  return nullptr;
}

FieldType field_type_for(std::string_view declared_type) {
  const std::string t = upper(declared_type);
  if (contains(t, "INT")) return FieldType::kInteger;
  if (contains(t, "CHAR") || contains(t, "CLOB") || contains(t, "TEXT")) return FieldType::kString;
  if (contains(t, "BLOB")) return FieldType::kBytes;
  if (t.empty() || t == "ANY") return FieldType::kString;
  if (contains(t, "REAL") || contains(t, "FLOA") || contains(t, "DOUB")) return FieldType::kNumber;
  // NUMERIC affinity from here on.
  if (contains(t, "BOOL")) return FieldType::kBoolean;
  if (contains(t, "DEC") || contains(t, "NUMERIC")) return FieldType::kDecimal;
  return FieldType::kString;
}

std::vector<Table> list_tables(sqlite::Database& db, const CatalogOptions& options) {
  const auto all = ordinary_tables(db);
  std::vector<std::string> chosen;
  if (options.tables.empty()) {
    chosen = all;
  } else {
    for (const auto& wanted : options.tables) {
      const auto it =
          std::find_if(all.begin(), all.end(), [&](const auto& n) { return same_name(n, wanted); });
      if (it == all.end()) {
        throw FerryError(ErrorCategory::kConfigInvalid,
                         "config.tables names '" + wanted + "', which is not a table of the database");
      }
      if (std::find(chosen.begin(), chosen.end(), *it) == chosen.end()) chosen.push_back(*it);
    }
  }
  for (const auto& [configured_table, column] : options.cursor_fields) {
    const bool known = std::any_of(chosen.begin(), chosen.end(),
                                   [&](const auto& n) { return same_name(n, configured_table); });
    if (!known) {
      throw FerryError(ErrorCategory::kConfigInvalid,
                       "config.cursor_fields names table '" + configured_table + "', which is not synced");
    }
  }
  std::vector<Table> tables;
  for (const auto& name : chosen) {
    auto table = load_table(db, name);
    if (!table) continue;
    choose_cursor(*table, options);
    tables.push_back(std::move(*table));
  }
  return tables;
}

ModelSchema to_schema(const Table& table) {
  ModelSchema schema;
  schema.model_id = table.name;
  for (const auto& c : table.columns) schema.fields.push_back(c.field);
  for (const size_t k : table.key) schema.primary_key.push_back(table.columns[k].field.name);
  schema.supports_incremental = table.cursor.has_value();
  if (table.cursor) schema.cursor_field = table.columns[*table.cursor].field.name;
  return schema;
}

}  // namespace ferry::connectors::sqlite_source
