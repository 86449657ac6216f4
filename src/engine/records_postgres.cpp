// Records read back from a PostgreSQL destination (connectors/postgres: a model lands in
// <schema>.<table> from its id, or in the destination's `schema`; one column per field plus _ferry_hash).
// The connection passes the operator's egress policy, as the destination's own does.
#include <set>

#include "connectors/deleted_rows.h"
#include "connectors/postgres/postgres_destination_table.h"
#include "db/postgres/pg_conninfo.h"
#include "engine/catalog.h"
#include "engine/records.h"
#include "engine/sources.h"

namespace ferry::engine {
namespace {

using connectors::ModelSchema;
using core::Json;

std::optional<std::string> as_text(const Json& value) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

class PostgresRecords final : public RecordReader {
 public:
  PostgresRecords(const connectors::Registry& registry, const core::Sync& sync, const ModelSchema& model,
                  RecordColumns columns)
      : model_(model), columns_(std::move(columns)) {
    require_connector_thread();
    const Json config = full_config(sync.destination_config, sync.destination_secrets);
    postgres::TenantConninfo target{config.value("url", std::string()),
                                    std::make_shared<const core::EgressPolicy>(registry.policy().egress)};
    if (auto problem = postgres::conninfo_problem(target.conninfo, "config.url"); !problem.empty())
      throw core::FerryError(core::ErrorCategory::kConfigInvalid, problem);
    std::optional<std::string> schema;
    if (config.contains("schema") && config.at("schema").is_string())
      schema = config.at("schema").get<std::string>();
    connection_.emplace(target, postgres::Side::kDestination);
    const auto name = postgres::target_name(model.model_id, schema);
    table_ = connection_->quote_identifier(name.schema) + "." + connection_->quote_identifier(name.table);
    auto existing = connection_->exec(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT "
        "attisdropped",
        {table_});
    std::set<std::string> present;
    for (int row = 0; row < existing.rows(); ++row) present.insert(existing.text(row, 0));
    for (const auto& field : model_.fields) {
      if (present.contains(field.name)) fields_.insert(field.name);
    }
    for (const auto& key : model_.primary_key) {
      if (!present.contains(key)) fields_.clear();  // not this model's table (yet)
    }
    keeps_deleted_ = present.contains(connectors::kDeletedAtColumn);
  }

  RecordPage page(const RecordQuery& query) override {
    RecordPage out;
    if (fields_.empty()) return out;
    std::vector<std::optional<std::string>> params;
    std::string sql = "SELECT to_jsonb(t)::text FROM " + table_ + " t";
    sql += page_conditions(
        columns_, query, "false", keeps_deleted_ ? live_only() : "",
        [&](const std::string& column, const char* op, core::Timestamp at) {
          params.push_back(core::format_rfc3339(at));
          return "t." + connection_->quote_identifier(column) + "::timestamptz " + op + " $" +
                 std::to_string(params.size()) + "::timestamptz";
        },
        [&](const char* op) {
          return "(" + key_list() + ") " + op + " (" + bind_all(*query.from_key, params) + ")";
        });
    sql +=
        " ORDER BY " + key_list(query.backward ? " DESC" : "") + " LIMIT " + std::to_string(query.limit + 1);
    const auto result = connection_->exec(sql, params);
    for (int row = 0; row < result.rows(); ++row) out.records.push_back(record_of(result.text(row, 0)));
    finish_page(out, query);
    return out;
  }

  std::optional<StoredRecord> find(const Json& key, bool include_deleted) override {
    if (fields_.empty() || !key.is_array() || key.size() != model_.primary_key.size()) return std::nullopt;
    std::vector<std::optional<std::string>> params;
    const std::string marks = bind_all(key, params);
    const auto result =
        connection_->exec("SELECT to_jsonb(t)::text FROM " + table_ + " t WHERE (" + key_list() + ") = (" +
                              marks + ")" + (keeps_deleted_ && !include_deleted ? " AND " + live_only() : ""),
                          params);
    if (result.rows() == 0) return std::nullopt;
    return record_of(result.text(0, 0));
  }

 private:
  // Appends each of `values` to `params` as text and returns their placeholders ("$3, $4").
  static std::string bind_all(const Json& values, std::vector<std::optional<std::string>>& params) {
    std::string marks;
    for (const auto& value : values) {
      params.push_back(as_text(value));
      marks += (marks.empty() ? "$" : ", $") + std::to_string(params.size());
    }
    return marks;
  }

  static std::string live_only() { return std::string("t.") + connectors::kDeletedAtColumn + " IS NULL"; }

  std::string key_list(const std::string& suffix = "") const {
    std::string out;
    for (const auto& key : model_.primary_key)
      out += (out.empty() ? "t." : ", t.") + connection_->quote_identifier(key) + suffix;
    return out;
  }

  StoredRecord record_of(const std::string& row_json) const {
    const Json row = Json::parse(row_json);
    StoredRecord record{Json::array(), Json::object()};
    for (const auto& field : model_.fields) {
      if (fields_.contains(field.name)) record.values[field.name] = row.value(field.name, Json());
    }
    for (const auto& key : model_.primary_key) record.key.push_back(record.values[key]);
    if (const auto deleted_at = row.find(connectors::kDeletedAtColumn);
        keeps_deleted_ && deleted_at != row.end() && deleted_at->is_string())
      record.deleted_at = core::parse_rfc3339(deleted_at->get<std::string>());
    return record;
  }

  const ModelSchema model_;
  RecordColumns columns_;
  std::optional<postgres::PgConnection> connection_;
  std::string table_;             // "schema"."table"
  std::set<std::string> fields_;  // the model's fields its table has
  bool keeps_deleted_ = false;    // the table has `_ferry_deleted_at` (deleted_rows "keep")
};

}  // namespace

RecordReaderPtr open_postgres_records(const connectors::Registry& registry, const core::Sync& sync,
                                      const ModelSchema& model, const RecordColumns& columns) {
  return std::make_unique<PostgresRecords>(registry, sync, model, columns);
}

}  // namespace ferry::engine
