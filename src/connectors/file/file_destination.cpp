#include "connectors/file/file_destination.h"

#include <filesystem>
#include <map>

#include "connectors/deleted_rows.h"
#include "connectors/file/file_destination_export.h"
#include "connectors/sqlite/sqlite_destination.h"
#include "core/log.h"
#include "db/sqlite/database.h"

namespace ferry::connectors {
namespace {

namespace fs = std::filesystem;
using core::ErrorCategory;
using core::FerryError;
using file::FileFormat;

constexpr const char* kStateFile = ".ferry-state.sqlite";

fs::path created_directory(const std::string& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec || !fs::is_directory(directory)) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "file destination: cannot use directory " + directory + ": " + ec.message());
  }
  return directory;
}

// What the file's columns are: a schema change rewrites the file even when no row changed.
std::string fields_signature(const ModelSchema& schema) {
  core::Json fields = core::Json::array();
  for (const auto& f : schema.fields) fields.push_back({f.name, to_string(f.type)});
  return fields.dump();
}

bool changed_rows(const core::Counts& counts) {
  return counts.inserted + counts.updated + counts.deleted > 0;
}

class FileDestination final : public Destination {
 public:
  FileDestination(const std::string& directory, FileFormat format, int64_t rewrite_max_rows)
      : directory_(created_directory(directory)),
        format_(format),
        rewrite_max_rows_(rewrite_max_rows),
        state_(make_sqlite_destination({{"path", (directory_ / kStateFile).string()}})),
        db_((directory_ / kStateFile).string()) {
    // `behind` is set (and committed) before the state changes and cleared once the file is rewritten: a
    // crash in between leaves it set, and the next prepare() rewrites the file.
    db_.exec(
        "CREATE TABLE IF NOT EXISTS _ferry_file_exports (model_id TEXT PRIMARY KEY, file_stem TEXT NOT NULL "
        "UNIQUE, behind INTEGER NOT NULL, fields TEXT NOT NULL)");
  }

  ~FileDestination() override {
    for (auto& [model_id, file] : files_) {
      try {
        bring_up_to_date(file);
      } catch (const std::exception& e) {
        // The file stays marked behind in the state, so the next run's prepare() rewrites it.
        core::log(*core::named_logger("connectors.file"), spdlog::level::warn,
                  "file destination: could not rewrite a model file",
                  {{"model_id", model_id}, {"error", e.what()}});
      }
    }
  }

  void prepare(const ModelSchema& model) override {
    ModelFile& file = track(model);
    state_->prepare(model);
    file.schema = model;
    // The engine reads one model at a time: another model's prepare means the previous read is over.
    for (auto& [model_id, other] : files_) {
      if (model_id != model.model_id) bring_up_to_date(other);
    }
    if (file.stale || file.fields != fields_signature(model) || !fs::exists(file.path)) {
      rewrite(file);
    } else {
      file.rows = state_rows(model);
    }
  }

  std::optional<Checkpoint> checkpoint(const std::string& model_id) override {
    return state_->checkpoint(model_id);
  }

  core::Counts write(const ModelSchema& model, const RecordBatch& batch, const Commit& commit) override {
    ModelFile& file = prepared(model);
    mark_behind(file);
    const core::Counts counts = state_->write(model, batch, commit);
    file.stale = file.stale || changed_rows(counts);
    file.rows += counts.inserted - counts.deleted;
    if (file.stale && file.rows <= rewrite_max_rows_) rewrite(file);
    return counts;
  }

  core::Counts finish_full_pass(const ModelSchema& model, const Commit& commit) override {
    ModelFile& file = prepared(model);
    mark_behind(file);
    const core::Counts counts = state_->finish_full_pass(model, commit);
    file.stale = file.stale || changed_rows(counts);
    file.rows -= counts.deleted;
    bring_up_to_date(file);
    return counts;
  }

  std::optional<int64_t> count_rows(const ModelSchema& model) override {
    prepared(model);
    return state_->count_rows(model);
  }

  // The state's sweep, with the file brought up to date once it has deleted rows (the read is over).
  std::unique_ptr<KeySweep> begin_key_sweep(const ModelSchema& model) override {
    ModelFile& file = prepared(model);
    auto inner = state_->begin_key_sweep(model);
    if (!inner) return nullptr;
    return std::make_unique<FileKeySweep>(*this, file, std::move(inner));
  }

  void interrupt() override {
    state_->interrupt();
    db_.interrupt();
  }

 private:
  struct ModelFile;

  class FileKeySweep final : public KeySweep {
   public:
    FileKeySweep(FileDestination& destination, ModelFile& file, std::unique_ptr<KeySweep> inner)
        : destination_(destination), file_(file), inner_(std::move(inner)) {}
    void add(const RecordBatch& keys) override { inner_->add(keys); }
    core::Counts finish(const Commit& commit) override {
      destination_.mark_behind(file_);
      const core::Counts counts = inner_->finish(commit);
      file_.stale = file_.stale || changed_rows(counts);
      file_.rows -= counts.deleted;
      destination_.bring_up_to_date(file_);
      return counts;
    }

   private:
    FileDestination& destination_;
    ModelFile& file_;
    std::unique_ptr<KeySweep> inner_;
  };

  struct ModelFile {
    ModelSchema schema;
    fs::path path;
    std::string fields;   // the signature of the columns the file was last written with
    bool behind = false;  // as recorded in the state: the file may lag the rows
    bool stale = false;   // the rows changed since the file was written
    int64_t rows = 0;     // rows the model holds
  };

  ModelFile& prepared(const ModelSchema& model) {
    if (!files_.contains(model.model_id)) prepare(model);
    return files_.at(model.model_id);
  }

  // Claims the model's file name in the state; two models whose ids map to one name are a config error.
  ModelFile& track(const ModelSchema& model) {
    if (auto it = files_.find(model.model_id); it != files_.end()) return it->second;
    const std::string stem = file::file_stem(model.model_id);
    auto owner = db_.prepare("SELECT model_id FROM _ferry_file_exports WHERE file_stem = ?");
    owner.bind(1, stem);
    if (owner.step() && owner.text(0) != model.model_id) {
      throw FerryError(ErrorCategory::kConfigInvalid, "file destination: models " + owner.text(0) + " and " +
                                                          model.model_id + " would both be written to " +
                                                          stem + "." + std::string(file::extension(format_)));
    }
    auto claim = db_.prepare(
        "INSERT INTO _ferry_file_exports (model_id, file_stem, behind, fields) VALUES (?, ?, 0, '') "
        "ON CONFLICT (model_id) DO NOTHING");
    claim.bind(1, model.model_id).bind(2, stem);
    claim.run();
    auto load = db_.prepare("SELECT behind, fields FROM _ferry_file_exports WHERE model_id = ?");
    load.bind(1, model.model_id);
    load.step();
    ModelFile file;
    file.schema = model;
    file.path = directory_ / (stem + "." + std::string(file::extension(format_)));
    file.behind = load.int64(0) != 0;
    file.stale = file.behind;  // a crash (or a failed rewrite) left it behind: it must be rewritten
    file.fields = load.text(1);
    return files_.emplace(model.model_id, std::move(file)).first->second;
  }

  void mark_behind(ModelFile& file) {
    if (file.behind) return;
    set_behind(file, true);
  }

  void bring_up_to_date(ModelFile& file) {
    if (file.stale) {
      rewrite(file);
    } else if (file.behind) {
      set_behind(file, false);
    }
  }

  void rewrite(ModelFile& file) {
    file.rows = file::export_model(db_, file.schema, format_, file.path);
    file.stale = false;
    file.fields = fields_signature(file.schema);
    auto stmt = db_.prepare("UPDATE _ferry_file_exports SET behind = 0, fields = ? WHERE model_id = ?");
    stmt.bind(1, file.fields).bind(2, file.schema.model_id);
    stmt.run();
    file.behind = false;
  }

  void set_behind(ModelFile& file, bool behind) {
    auto stmt = db_.prepare("UPDATE _ferry_file_exports SET behind = ? WHERE model_id = ?");
    stmt.bind(1, int64_t{behind ? 1 : 0}).bind(2, file.schema.model_id);
    stmt.run();
    file.behind = behind;
  }

  int64_t state_rows(const ModelSchema& model) {
    auto stmt = db_.prepare("SELECT count(*) FROM " + sqlite::quote_identifier(model.model_id));
    stmt.step();
    return stmt.int64(0);
  }

  fs::path directory_;
  FileFormat format_;
  int64_t rewrite_max_rows_;
  DestinationPtr state_;  // the SQLite destination keeping the rows and checkpoints
  sqlite::Database db_;   // a second connection to the same state, for exports and `_ferry_file_exports`
  std::map<std::string, ModelFile> files_;
};

}  // namespace

Spec file_destination_spec() {
  return Spec{
      "file",
      {
          {"directory", "string", true, false, nullptr,
           "directory receiving one <model_id>.jsonl or <model_id>.csv file per model, relative to the "
           "tenant's data directory",
           std::nullopt, std::nullopt, true},
          {"format", "string", false, false, "jsonl", "\"jsonl\" or \"csv\"", std::nullopt, std::nullopt},
          {"rewrite_max_rows", "integer", false, false, 10'000,
           "a model's file is rewritten after every batch while the model holds at most this many rows; "
           "larger models are rewritten when their read ends",
           0, std::nullopt},
          // Each rewrite of a file holds the model's current rows, so a row the source deleted is simply not
          // in the next file; ferry cannot read a file destination back to show kept rows either.
          {"deleted_rows",
           "string",
           false,
           false,
           "delete",
           "only \"delete\": a rewritten file holds the model's current rows, so a deleted row leaves the "
           "file "
           "(\"keep\" is a setting of the SQLite and PostgreSQL destinations)",
           std::nullopt,
           std::nullopt,
           false,
           {"delete"}},
      }};
}

DestinationPtr make_file_destination(const core::Json& config) {
  const core::Json full = with_defaults(file_destination_spec(), config);
  if (!full.contains("directory") || !full["directory"].is_string() ||
      full["directory"].get<std::string>().empty()) {
    throw FerryError(ErrorCategory::kConfigInvalid, "config.directory is required");
  }
  const std::string format = full.at("format").get<std::string>();
  if (format != "jsonl" && format != "csv") {
    throw FerryError(ErrorCategory::kConfigInvalid, "config.format must be \"jsonl\" or \"csv\"");
  }
  if (deleted_rows_of(full) != DeletedRows::kDelete) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "config.deleted_rows: a file destination can only delete the rows the source deleted "
                     "(\"keep\" is for SQLite and PostgreSQL destinations)");
  }
  const int64_t rewrite_max_rows = full.at("rewrite_max_rows").get<int64_t>();
  if (rewrite_max_rows < 0) {
    throw FerryError(ErrorCategory::kConfigInvalid, "config.rewrite_max_rows must be at least 0");
  }
  return std::make_unique<FileDestination>(full["directory"].get<std::string>(),
                                           format == "csv" ? FileFormat::kCsv : FileFormat::kJsonl,
                                           rewrite_max_rows);
}

}  // namespace ferry::connectors
