#include "connectors/postgres/pg_catalog.h"

#include <algorithm>
#include <charconv>
#include <map>

namespace ferry::postgres {
namespace {

uint32_t oid_at(const PgResult& result, int row, int column) {
  const std::string text = result.text(row, column);
  uint32_t out = 0;
  std::from_chars(text.data(), text.data() + text.size(), out);
  return out;
}

std::string literal_list(const PgConnection& conn, const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + conn.quote_literal(v);
  return out.empty() ? "NULL" : out;
}

// Every relation matching `where` (SQL over pg_class c and pg_namespace n), with columns and primary keys:
// three catalog queries whatever the number of tables.
std::vector<PgTable> load(PgConnection& conn, const std::string& where) {
  const PgResult relations = conn.exec(
      "SELECT c.oid, n.nspname, c.relname, c.relkind, "
      "has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE NOT c.relispartition AND (" +
      where + ") ORDER BY n.nspname, c.relname");
  std::vector<PgTable> tables;
  std::map<uint32_t, size_t> by_oid;
  std::string oids;
  for (int r = 0; r < relations.rows(); ++r) {
    PgTable t;
    t.schema = relations.text(r, 1);
    t.name = relations.text(r, 2);
    t.relkind = relations.text(r, 3).front();
    t.readable = relations.text(r, 4) == "t";
    const uint32_t oid = oid_at(relations, r, 0);
    by_oid[oid] = tables.size();
    oids += (oids.empty() ? "" : ",") + std::to_string(oid);
    tables.push_back(std::move(t));
  }
  if (tables.empty()) return tables;
  const std::string oid_array = "{" + oids + "}";

  const PgResult columns = conn.exec(
      "SELECT a.attrelid, a.attname, a.atttypid, "
      "CASE WHEN t.typcategory = 'A' AND t.typlen = -1 THEN t.typelem ELSE 0 END, "
      "format_type(a.atttypid, a.atttypmod), t.typnamespace = 'pg_catalog'::regnamespace, a.attnotnull "
      "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
      "WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped "
      "ORDER BY a.attrelid, a.attnum",
      {oid_array});
  for (int r = 0; r < columns.rows(); ++r) {
    PgColumn c;
    c.name = columns.text(r, 1);
    c.type_oid = oid_at(columns, r, 2);
    c.element_oid = oid_at(columns, r, 3);
    c.format_type = columns.text(r, 4);
    c.builtin = columns.text(r, 5) == "t";
    c.not_null = columns.text(r, 6) == "t";
    tables[by_oid.at(oid_at(columns, r, 0))].columns.push_back(std::move(c));
  }

  const PgResult keys = conn.exec(
      "SELECT i.indrelid, a.attname FROM pg_index i "
      "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indisprimary AND i.indrelid = ANY($1::oid[]) ORDER BY i.indrelid, k.ord",
      {oid_array});
  for (int r = 0; r < keys.rows(); ++r) {
    tables[by_oid.at(oid_at(keys, r, 0))].primary_key.push_back(keys.text(r, 1));
  }
  return tables;
}

}  // namespace

const PgColumn* PgTable::column(const std::string& column_name) const {
  const auto it =
      std::find_if(columns.begin(), columns.end(), [&](const PgColumn& c) { return c.name == column_name; });
  return it == columns.end() ? nullptr : &*it;
}

std::vector<PgTable> load_tables(PgConnection& conn, const std::vector<std::string>& schemas,
                                 bool include_views) {
  const std::string kinds = include_views ? "'r', 'p', 'v', 'm'" : "'r', 'p'";
  return load(conn, "n.nspname IN (" + literal_list(conn, schemas) + ") AND c.relkind IN (" + kinds + ")");
}

std::optional<PgTable> load_table(PgConnection& conn, const std::string& model_id) {
  auto tables = load(conn, "n.nspname || '.' || c.relname = " + conn.quote_literal(model_id) +
                               " AND c.relkind IN ('r', 'p', 'v', 'm')");
  if (tables.empty()) return std::nullopt;
  return std::move(tables.front());
}

std::vector<std::string> missing_schemas(PgConnection& conn, const std::vector<std::string>& schemas) {
  const PgResult found =
      conn.exec("SELECT nspname FROM pg_namespace WHERE nspname IN (" + literal_list(conn, schemas) + ")");
  std::vector<std::string> missing;
  for (const auto& s : schemas) {
    bool present = false;
    for (int r = 0; r < found.rows() && !present; ++r) present = found.text(r, 0) == s;
    if (!present) missing.push_back(s);
  }
  return missing;
}

ColumnPlan plan_column(const PgColumn& column) {
  const bool nullable = !column.not_null;
  if (const auto wire = wire_type_of(column.type_oid)) {
    return {{column.name, field_type_of(*wire), column.format_type, nullable}, *wire, false};
  }
  if (column.element_oid != 0 && wire_type_of(column.element_oid)) {
    return {
        {column.name, connectors::FieldType::kArray, column.format_type, nullable}, WireType::kArray, false};
  }
  // No binary decoder: PostgreSQL's own text output. A destination can only recreate built-in types by name.
  return {
      {column.name, connectors::FieldType::kString, column.builtin ? column.format_type : "text", nullable},
      WireType::kText,
      true};
}

}  // namespace ferry::postgres
