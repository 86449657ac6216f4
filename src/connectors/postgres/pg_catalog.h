// connectors/postgres/pg_catalog: what the PostgreSQL source learns from the system catalogs — tables, their
// columns in order with types, primary keys and the reader's privileges — and how each column travels
// (ferry field type, the source's own type name, binary decoder or `::text`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connectors/postgres/pg_binary.h"
#include "connectors/record.h"
#include "db/postgres/pg_connection.h"

namespace ferry::postgres {

struct PgColumn {
  std::string name;
  uint32_t type_oid = 0;
  uint32_t element_oid = 0;  // for array types, the element type; 0 otherwise
  std::string format_type;   // format_type(): "numeric(12,2)", "integer[]", "character(3)"
  bool builtin = true;       // the type lives in pg_catalog (a destination can create it by name)
  bool not_null = false;
};

struct PgTable {
  std::string schema;
  std::string name;
  char relkind = 'r';                    // r table, p partitioned table, v view, m materialized view
  bool readable = true;                  // USAGE on the schema and SELECT on the relation
  std::vector<PgColumn> columns;         // in column order
  std::vector<std::string> primary_key;  // in key order; empty when there is none

  std::string model_id() const { return schema + "." + name; }
  const PgColumn* column(const std::string& name) const;
};

// Tables (and, with `include_views`, views and materialized views) in `schemas`, sorted by model id.
// Partitions are left out: their partitioned parent carries their rows.
std::vector<PgTable> load_tables(PgConnection& conn, const std::vector<std::string>& schemas,
                                 bool include_views);
// The relation whose model id ("schema.table") is `model_id`, or nullopt when there is none.
std::optional<PgTable> load_table(PgConnection& conn, const std::string& model_id);
// Those of `schemas` that do not exist.
std::vector<std::string> missing_schemas(PgConnection& conn, const std::vector<std::string>& schemas);

// How one column travels: its field, its binary decoder, and whether it is selected as `col::text`
// (types without a binary decoder: interval, inet, enums, domains, ranges… travel as their text output).
struct ColumnPlan {
  connectors::Field field;
  WireType wire = WireType::kText;
  bool select_as_text = false;
};
ColumnPlan plan_column(const PgColumn& column);

}  // namespace ferry::postgres
