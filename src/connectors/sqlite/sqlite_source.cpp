#include "connectors/sqlite/sqlite_source.h"

#include "connectors/sqlite/sqlite_source_catalog.h"
#include "connectors/sqlite/sqlite_source_reader.h"

namespace ferry::connectors {
namespace {

using core::ErrorCategory;
using core::FerryError;
using core::Json;
using sqlite_source::CatalogOptions;

std::string trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  const auto end = s.find_last_not_of(" \t");
  return std::string(s.substr(begin, end - begin + 1));
}

// "users, orders" -> {"users", "orders"}
std::vector<std::string> table_list(const std::string& text) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (auto name = trim(std::string_view(text).substr(start, comma - start)); !name.empty()) {
      names.push_back(std::move(name));
    }
    start = comma + 1;
  }
  return names;
}

CatalogOptions catalog_options(const Json& config) {
  CatalogOptions options;
  if (config.contains("tables") && config["tables"].is_string()) {
    options.tables = table_list(config["tables"].get<std::string>());
  }
  if (config.contains("cursor_fields") && config["cursor_fields"].is_object()) {
    for (const auto& [table, column] : config["cursor_fields"].items()) {
      if (!column.is_string()) {
        throw FerryError(ErrorCategory::kConfigInvalid,
                         "config.cursor_fields." + table + " must be a column name (or \"\" for none)");
      }
      options.cursor_fields[table] = column.get<std::string>();
    }
  }
  return options;
}

class SqliteSource final : public Source {
 public:
  SqliteSource(std::string path, CatalogOptions options, size_t batch_size)
      : path_(std::move(path)), options_(std::move(options)), batch_size_(batch_size) {}

  CheckResult check() override {
    try {
      sqlite::Database db = open();
      const auto tables = sqlite_source::list_tables(db, options_);
      return {true, "sqlite source: " + std::to_string(tables.size()) + " table(s) in " + path_,
              std::nullopt};
    } catch (const FerryError& e) {
      // Every failure here (no such file, not a database, a table the config names) is the config's.
      return {false, e.what(), ErrorCategory::kConfigInvalid};
    }
  }

  std::vector<ModelSchema> discover() override {
    sqlite::Database db = open();
    std::vector<ModelSchema> models;
    for (const auto& table : sqlite_source::list_tables(db, options_)) {
      models.push_back(sqlite_source::to_schema(table));
    }
    return models;
  }

  void read(const ModelSchema& model, const Cursor& from, BatchSink& sink, std::stop_token stop) override {
    sqlite::Database db = open();
    until_stopped(db, stop, [&] {
      sqlite_source::read_table(db, table(db, model), model, from, batch_size_, sink, stop);
    });
  }

  // The count lets an incremental run that deleted nothing skip the key listing (a million keys cost ~0.3 s,
  // the count ~20 ms). Each batch is its own short transaction (sqlite_source_reader.h), so the count cannot
  // share the read's snapshot; counted before the read looks at the table, it is still a count the
  // destination can be held to (engine/run_sinks.h, sweep_deleted_keys).
  std::optional<int64_t> read_counting(const ModelSchema& model, const Cursor& from, BatchSink& sink,
                                       std::stop_token stop) override {
    sqlite::Database db = open();
    std::optional<int64_t> rows;
    until_stopped(db, stop, [&] {
      rows = sqlite_source::count_then_read_table(db, table(db, model), model, from, batch_size_, sink, stop);
    });
    return stop.stop_requested() ? std::nullopt : rows;
  }

  // Incremental reads by a cursor column never see a deleted row; the engine compares keys instead.
  bool read_keys(const ModelSchema& model, BatchSink& sink, std::stop_token stop) override {
    sqlite::Database db = open();
    until_stopped(db, stop, [&] {
      sqlite_source::read_table_keys(db, table(db, model), model, batch_size_, sink, stop);
    });
    return true;
  }

 private:
  // Runs `read`; a stop interrupts the statement in flight too (a sort before the first row can take
  // minutes), and the read then returns early as a stopped read does, not with the interruption's error.
  template <typename Read>
  static void until_stopped(sqlite::Database& db, const std::stop_token& stop, Read read) {
    const std::stop_callback interrupt(stop, [&db] { db.interrupt(); });
    try {
      read();
    } catch (const FerryError&) {
      if (!stop.stop_requested()) throw;
    }
  }

  sqlite_source::Table table(sqlite::Database& db, const ModelSchema& model) const {
    for (auto& table : sqlite_source::list_tables(db, options_)) {
      if (table.name == model.model_id) return table;
    }
    throw FerryError(ErrorCategory::kSchemaInvalid,
                     "sqlite source: " + path_ + " has no table " + model.model_id + " any more");
  }

  // Read-only: the source never writes (or creates, or changes the journal mode of) the database it reads.
  sqlite::Database open() const { return sqlite::Database(path_, sqlite::OpenMode::kReadOnly); }

  std::string path_;
  CatalogOptions options_;
  size_t batch_size_;
};

}  // namespace

Spec sqlite_source_spec() {
  return Spec{"sqlite",
              {
                  {"path", "string", true, false, nullptr,
                   "the SQLite database file to read, relative to the tenant's data directory", std::nullopt,
                   std::nullopt, true},
                  {"tables", "string", false, false, nullptr,
                   "comma-separated tables to sync (default: every table)", std::nullopt, std::nullopt},
                  {"cursor_fields", "object", false, false, nullptr,
                   "{\"table\": \"column\"}: the column ordering a table's changes (default updated_at, then "
                   "modified_at; \"\" for none)",
                   std::nullopt, std::nullopt},
                  {"batch_size", "integer", false, false, 1000, "rows per batch", 1, 100'000},
              }};
}

SourcePtr make_sqlite_source(const core::Json& config) {
  const Json full = with_defaults(sqlite_source_spec(), config);
  if (!full.contains("path") || !full["path"].is_string() || full["path"].get<std::string>().empty()) {
    throw FerryError(ErrorCategory::kConfigInvalid, "config.path is required");
  }
  const int64_t batch_size = full.at("batch_size").get<int64_t>();
  if (batch_size < 1) throw FerryError(ErrorCategory::kConfigInvalid, "config.batch_size must be at least 1");
  return std::make_unique<SqliteSource>(full["path"].get<std::string>(), catalog_options(full),
                                        static_cast<size_t>(batch_size));
}

}  // namespace ferry::connectors
