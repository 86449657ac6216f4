#include "connectors/postgres/postgres_source_config.h"

#include <algorithm>
#include <array>

namespace ferry::postgres {
namespace {

using connectors::FieldType;
using core::ErrorCategory;
using core::FerryError;
using core::Json;

constexpr std::array<std::string_view, 3> kConventionalCursorNames{"updated_at", "modified_at",
                                                                   "last_modified"};
constexpr uint32_t kTimestampOid = 1114;
constexpr uint32_t kTimestamptzOid = 1184;

// "a, b,,c" -> {"a", "b", "c"}
std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    if (first != std::string::npos) out.push_back(item.substr(first, last - first + 1));
    start = end + 1;
  }
  return out;
}

// A cursor must order rows the way PostgreSQL sorts it and read back from its text.
bool usable_cursor_type(FieldType type) {
  return type != FieldType::kJson && type != FieldType::kArray && type != FieldType::kBoolean;
}

}  // namespace

bool PostgresSourceConfig::allows(const PgTable& table) const {
  if (tables.empty()) return true;
  const std::string id = table.model_id();
  return std::any_of(tables.begin(), tables.end(),
                     [&](const std::string& entry) { return entry == id || entry == table.name; });
}

connectors::Spec postgres_source_config_spec() {
  return connectors::Spec{
      "postgres",
      {
          {"url", "string", true, true, nullptr,
           "libpq connection URI or key=value string, e.g. postgresql://user:password@host:5432/db; only "
           "host, "
           "port, dbname, user, password, sslmode, connect_timeout and application_name",
           std::nullopt, std::nullopt},
          {"schemas", "string", false, false, "public", "comma-separated schemas whose tables are models",
           std::nullopt, std::nullopt},
          {"tables", "string", false, false, "",
           "optional comma-separated allow-list of tables (\"schema.table\" or a bare table name)",
           std::nullopt, std::nullopt},
          {"cursor_fields", "object", false, false, Json::object(),
           "cursor column per table, {\"schema.table\": \"column\"}; default: updated_at, modified_at or "
           "last_modified when it is a timestamp",
           std::nullopt, std::nullopt},
          {"lookback_seconds", "integer", false, false, 0,
           "incremental reads re-read this many seconds before the saved cursor (for writers whose "
           "transactions commit after later ones started); 0 reads exactly after (cursor, primary key)",
           0, 30LL * 86'400},
          {"batch_size", "integer", false, false, 10'000, "rows per batch", 1, 1'000'000},
          {"include_views", "boolean", false, false, false,
           "also offer views and materialized views (always read in full)", std::nullopt, std::nullopt},
      }};
}

PostgresSourceConfig parse_postgres_source_config(const Json& raw,
                                                  std::shared_ptr<const core::EgressPolicy> egress) {
  const Json config = connectors::with_defaults(postgres_source_config_spec(), raw);
  PostgresSourceConfig out;
  if (!config.contains("url") || !config["url"].is_string() || config["url"].get<std::string>().empty()) {
    throw FerryError(ErrorCategory::kConfigInvalid, "config.url is required");
  }
  out.url = {config["url"].get<std::string>(), std::move(egress)};
  if (auto problem = conninfo_problem(out.url.conninfo, "config.url"); !problem.empty()) {
    throw FerryError(ErrorCategory::kConfigInvalid, problem);
  }
  out.schemas = comma_list(config.at("schemas").get<std::string>());
  if (out.schemas.empty()) throw FerryError(ErrorCategory::kConfigInvalid, "config.schemas names no schema");
  out.tables = comma_list(config.at("tables").get<std::string>());
  for (const auto& [model_id, column] : config.at("cursor_fields").items()) {
    if (!column.is_string() || column.get<std::string>().empty()) {
      throw FerryError(ErrorCategory::kConfigInvalid,
                       "config.cursor_fields." + model_id + " must be a column name");
    }
    out.cursor_fields[model_id] = column.get<std::string>();
  }
  out.lookback_seconds = config.at("lookback_seconds").get<int64_t>();
  const auto batch_size = config.at("batch_size").get<int64_t>();
  if (batch_size < 1) throw FerryError(ErrorCategory::kConfigInvalid, "config.batch_size must be at least 1");
  if (out.lookback_seconds < 0) {
    throw FerryError(ErrorCategory::kConfigInvalid, "config.lookback_seconds must not be negative");
  }
  out.batch_size = static_cast<size_t>(batch_size);
  out.include_views = config.at("include_views").get<bool>();
  return out;
}

std::string cursor_problem(const PostgresSourceConfig& config, const PgTable& table) {
  const auto configured = config.cursor_fields.find(table.model_id());
  if (configured == config.cursor_fields.end()) return "";
  const PgColumn* column = table.column(configured->second);
  if (column == nullptr) {
    return "config.cursor_fields." + table.model_id() + ": table has no column '" + configured->second + "'";
  }
  if (!usable_cursor_type(plan_column(*column).field.type)) {
    return "config.cursor_fields." + table.model_id() + ": column '" + column->name + "' (" +
           column->format_type + ") cannot order changes";
  }
  return "";
}

std::optional<std::string> cursor_column(const PostgresSourceConfig& config, const PgTable& table) {
  if (const auto configured = config.cursor_fields.find(table.model_id());
      configured != config.cursor_fields.end()) {
    if (!cursor_problem(config, table).empty()) return std::nullopt;
    return configured->second;
  }
  for (const auto name : kConventionalCursorNames) {
    const PgColumn* column = table.column(std::string(name));
    if (column && (column->type_oid == kTimestamptzOid || column->type_oid == kTimestampOid)) {
      return column->name;
    }
  }
  return std::nullopt;
}

}  // namespace ferry::postgres
