#include "connectors/postgres/postgres_source.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "connectors/postgres/pg_catalog.h"
#include "connectors/postgres/postgres_source_config.h"
#include "connectors/postgres/postgres_source_read.h"
#include "db/postgres/pg_conninfo.h"

namespace ferry::connectors {
namespace {

using core::ErrorCategory;
using core::FerryError;
using postgres::PgConnection;
using postgres::PgTable;
using postgres::PostgresSourceConfig;

std::string names(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

ModelSchema model_of(const PostgresSourceConfig& config, const PgTable& table) {
  ModelSchema model;
  model.model_id = table.model_id();
  for (const auto& column : table.columns) model.fields.push_back(postgres::plan_column(column).field);
  model.primary_key = table.primary_key;
  model.cursor_field = postgres::cursor_column(config, table);
  // Without a primary key there is nothing to upsert by: such a table is always read in full.
  model.supports_incremental = !model.primary_key.empty() && model.cursor_field.has_value();
  return model;
}

class PostgresSource final : public Source {
 public:
  explicit PostgresSource(PostgresSourceConfig config) : config_(std::move(config)) {}

  CheckResult check() override {
    try {
      PgConnection conn(config_.url, postgres::Side::kSource);
      if (const auto missing = postgres::missing_schemas(conn, config_.schemas); !missing.empty()) {
        return fail("schema(s) " + names(missing) + " do not exist", ErrorCategory::kSchemaInvalid);
      }
      const auto tables = postgres::load_tables(conn, config_.schemas, config_.include_views);
      for (const auto& entry : config_.tables) {
        PostgresSourceConfig only = config_;
        only.tables = {entry};
        if (std::none_of(tables.begin(), tables.end(), [&](const PgTable& t) { return only.allows(t); })) {
          return fail("table " + entry + " not found in schema(s) " + names(config_.schemas),
                      ErrorCategory::kSchemaInvalid);
        }
      }
      std::vector<std::string> readable, unreadable, without_key;
      for (const auto& t : tables) {
        if (!config_.allows(t)) continue;
        if (auto problem = postgres::cursor_problem(config_, t); !problem.empty()) {
          return fail(problem, ErrorCategory::kConfigInvalid);
        }
        (t.readable ? readable : unreadable).push_back(t.model_id());
        if (t.readable && t.primary_key.empty()) without_key.push_back(t.model_id());
      }
      if (readable.empty() && unreadable.empty()) {
        return fail("no tables in schema(s) " + names(config_.schemas), ErrorCategory::kSchemaInvalid);
      }
      if (!unreadable.empty() && (readable.empty() || !config_.tables.empty())) {
        return fail("permission denied for table(s) " + names(unreadable) +
                        " (the user needs USAGE on the schema and SELECT on each table)",
                    ErrorCategory::kPermissionDenied);
      }
      std::string message = "postgres source: " + std::to_string(readable.size()) + " table(s) readable";
      if (!without_key.empty()) {
        message += "; without a primary key, so always read in full: " + names(without_key);
      }
      if (!unreadable.empty()) message += "; skipped, no SELECT privilege: " + names(unreadable);
      return {true, message, std::nullopt};
    } catch (const FerryError& e) {
      return {false, e.what(), e.category()};
    }
  }

  std::vector<ModelSchema> discover() override {
    auto conn = std::make_unique<PgConnection>(config_.url, postgres::Side::kSource);
    std::vector<ModelSchema> models;
    for (const auto& table : postgres::load_tables(*conn, config_.schemas, config_.include_views)) {
      if (!config_.allows(table)) continue;
      // Unreadable tables are skipped unless the allow-list names them: then their reads say why they fail.
      if (!table.readable && config_.tables.empty()) continue;
      if (auto problem = postgres::cursor_problem(config_, table); !problem.empty()) {
        throw FerryError(ErrorCategory::kConfigInvalid, "postgres source: " + problem);
      }
      models.push_back(model_of(config_, table));
    }
    spare_ = std::move(conn);
    return models;
  }

  void read(const ModelSchema& model, const Cursor& from, BatchSink& sink, std::stop_token stop) override {
    postgres::read_postgres_model(config_, model, from, sink, std::move(stop), std::exchange(spare_, nullptr),
                                  false);
  }

  // count(*) in the read's own transaction: the same snapshot, after its COPY.
  std::optional<int64_t> read_counting(const ModelSchema& model, const Cursor& from, BatchSink& sink,
                                       std::stop_token stop) override {
    return postgres::read_postgres_model(config_, model, from, sink, std::move(stop),
                                         std::exchange(spare_, nullptr), true);
  }

  // A table's deletions leave no trace an incremental read could see; its keys show them.
  bool read_keys(const ModelSchema& model, BatchSink& sink, std::stop_token stop) override {
    if (model.primary_key.empty()) return false;
    postgres::read_postgres_keys(config_, model, sink, std::move(stop));
    return true;
  }

 private:
  static CheckResult fail(const std::string& message, ErrorCategory category) {
    return {false, "postgres source: " + message, category};
  }

  PostgresSourceConfig config_;
  // discover()'s connection, kept for the read that follows it in a run (a connection costs ~20 ms).
  std::unique_ptr<PgConnection> spare_;
};

}  // namespace

Spec postgres_source_spec() {
  return postgres::postgres_source_config_spec();
}

SourcePtr make_postgres_source(const core::Json& config, const ConnectorContext& context) {
  return std::make_unique<PostgresSource>(postgres::parse_postgres_source_config(
      config, std::make_shared<const core::EgressPolicy>(context.policy.egress)));
}

std::string postgres_url_problem(const core::Json& config, const ConnectorContext&) {
  const auto url = config.find("url");
  if (url == config.end() || !url->is_string()) return "";  // the spec's own check names it
  return postgres::conninfo_problem(url->get<std::string>(), "config.url");
}

}  // namespace ferry::connectors
