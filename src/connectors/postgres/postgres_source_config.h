// connectors/postgres/postgres_source_config: the PostgreSQL source's settings, parsed once from its config,
// and the table choices they imply (which tables are models, which column is a model's cursor).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/postgres/pg_catalog.h"
#include "connectors/spec.h"
#include "db/postgres/pg_conninfo.h"

namespace ferry::postgres {

struct PostgresSourceConfig {
  TenantConninfo url;  // secret: holds the password; never in messages or logs
  std::vector<std::string> schemas;
  std::vector<std::string> tables;                   // allow-list; empty: every table in `schemas`
  std::map<std::string, std::string> cursor_fields;  // model id -> column
  int64_t lookback_seconds = 0;
  size_t batch_size = 10'000;
  bool include_views = false;

  // Whether the allow-list (if any) names `table`: by model id "schema.table", or by bare table name.
  bool allows(const PgTable& table) const;
};

connectors::Spec postgres_source_config_spec();
// `config` with defaults applied (see with_defaults); connections go only where `egress` allows. Throws
// core::FerryError (config_invalid), also for a connection string with a key a tenant may not set.
PostgresSourceConfig parse_postgres_source_config(const core::Json& config,
                                                  std::shared_ptr<const core::EgressPolicy> egress);

// The column that orders a table's changes: the configured one (nullopt when it isn't a column of a usable
// type, see `cursor_problem`), else the first of updated_at, modified_at, last_modified that is a timestamp.
std::optional<std::string> cursor_column(const PostgresSourceConfig& config, const PgTable& table);
// Why the configured cursor field of `table` cannot be used, or "" when it can (or none is configured).
std::string cursor_problem(const PostgresSourceConfig& config, const PgTable& table);

}  // namespace ferry::postgres
