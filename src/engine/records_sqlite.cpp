// Records read back from a SQLite destination (connectors/sqlite/sqlite_destination: one table per model,
// named by the model id, one column per field plus ferry's _ferry_* bookkeeping columns).
#include <filesystem>
#include <set>

#include "connectors/deleted_rows.h"
#include "core/encoding.h"
#include "db/sqlite/database.h"
#include "engine/records.h"

namespace ferry::engine {
namespace {

using connectors::FieldType;
using connectors::ModelSchema;
using core::Json;

void bind_json(sqlite::Statement& stmt, int index, const Json& value) {
  if (value.is_number_integer()) {
    stmt.bind(index, value.get<int64_t>());
  } else if (value.is_number()) {
    stmt.bind(index, value.get<double>());
  } else if (value.is_boolean()) {
    stmt.bind(index, int64_t{value.get<bool>() ? 1 : 0});
  } else if (value.is_string()) {
    stmt.bind(index, value.get<std::string>());
  } else {
    stmt.bind_null(index);
  }
}

Json read_value(sqlite::Statement& stmt, int column, FieldType type) {
  if (stmt.is_null(column)) return nullptr;
  switch (type) {
    case FieldType::kInteger:
      return stmt.int64(column);
    case FieldType::kBoolean:
      return stmt.int64(column) != 0;
    case FieldType::kNumber:
      return stmt.real(column);
    case FieldType::kBytes:
      return core::base64_encode(stmt.text(column));
    case FieldType::kJson:
    case FieldType::kArray: {
      auto parsed = Json::parse(stmt.text(column), nullptr, false);
      return parsed.is_discarded() ? Json(stmt.text(column)) : parsed;
    }
    default:
      return stmt.text(column);
  }
}

class SqliteRecords final : public RecordReader {
 public:
  SqliteRecords(const std::string& path, const ModelSchema& model, RecordColumns columns)
      : model_(model), columns_(std::move(columns)) {  // model_ is a copy: fields_ point into it
    if (!std::filesystem::exists(path)) return;        // never written: no records yet
    db_.emplace(path, sqlite::OpenMode::kReadOnly);
    std::set<std::string> existing;
    auto info = db_->prepare("SELECT name FROM pragma_table_info(?)");
    info.bind(1, model.model_id);
    while (info.step()) existing.insert(info.text(0));
    for (const auto& field : model_.fields) {
      if (existing.contains(field.name)) fields_.push_back(&field);
    }
    for (const auto& key : model.primary_key) {
      if (!existing.contains(key)) fields_.clear();  // not this model's table (yet)
    }
    keeps_deleted_ = existing.contains(connectors::kDeletedAtColumn);
  }

  RecordPage page(const RecordQuery& query) override {
    RecordPage out;
    if (fields_.empty()) return out;
    std::vector<Json> params;
    std::string sql = "SELECT " + select_list() + " FROM " + sqlite::quote_identifier(model_.model_id);
    sql += page_conditions(
        columns_, query, "0", keeps_deleted_ ? live_only() : "",
        [&](const std::string& column, const char* op, core::Timestamp at) {
          params.push_back(core::format_rfc3339(at));
          return sqlite::quote_identifier(column) + " " + op + " ?";
        },
        [&](const char* op) {
          for (const auto& value : *query.from_key) params.push_back(value);
          return "(" + key_list() + ") " + op + " (" + marks() + ")";
        });
    sql += " ORDER BY " + key_list(query.backward ? " DESC" : "") + " LIMIT ?";
    auto stmt = db_->prepare(sql);
    int index = 1;
    for (const auto& value : params) bind_json(stmt, index++, value);
    stmt.bind(index, static_cast<int64_t>(query.limit + 1));
    while (stmt.step()) out.records.push_back(read_row(stmt));
    finish_page(out, query);
    return out;
  }

  std::optional<StoredRecord> find(const Json& key, bool include_deleted) override {
    if (fields_.empty() || !key.is_array() || key.size() != model_.primary_key.size()) return std::nullopt;
    auto stmt =
        db_->prepare("SELECT " + select_list() + " FROM " + sqlite::quote_identifier(model_.model_id) +
                     " WHERE (" + key_list() + ") = (" + marks() + ")" +
                     (keeps_deleted_ && !include_deleted ? " AND " + live_only() : ""));
    int index = 1;
    for (const auto& value : key) bind_json(stmt, index++, value);
    if (!stmt.step()) return std::nullopt;
    return read_row(stmt);
  }

 private:
  std::string select_list() const {
    std::string out;
    for (const auto* field : fields_)
      out += (out.empty() ? "" : ", ") + sqlite::quote_identifier(field->name);
    if (keeps_deleted_) out += std::string(", ") + connectors::kDeletedAtColumn;  // last: read_row's index
    return out;
  }
  static std::string live_only() { return std::string(connectors::kDeletedAtColumn) + " IS NULL"; }
  std::string key_list(const std::string& suffix = "") const {
    std::string out;
    for (const auto& key : model_.primary_key)
      out += (out.empty() ? "" : ", ") + sqlite::quote_identifier(key) + suffix;
    return out;
  }
  std::string marks() const {
    std::string out;
    for (size_t i = 0; i < model_.primary_key.size(); ++i) out += i ? ", ?" : "?";
    return out;
  }

  StoredRecord read_row(sqlite::Statement& stmt) const {
    StoredRecord record{Json::array(), Json::object()};
    for (size_t i = 0; i < fields_.size(); ++i)
      record.values[fields_[i]->name] = read_value(stmt, static_cast<int>(i), fields_[i]->type);
    for (const auto& key : model_.primary_key) record.key.push_back(record.values[key]);
    const int deleted_at = static_cast<int>(fields_.size());
    if (keeps_deleted_ && !stmt.is_null(deleted_at))
      record.deleted_at = core::parse_rfc3339(stmt.text(deleted_at));
    return record;
  }

  const ModelSchema model_;
  RecordColumns columns_;
  std::optional<sqlite::Database> db_;
  std::vector<const connectors::Field*> fields_;  // the model's fields its table has
  bool keeps_deleted_ = false;                    // the table has `_ferry_deleted_at` (deleted_rows "keep")
};

}  // namespace

RecordReaderPtr open_sqlite_records(const std::string& path, const ModelSchema& model,
                                    const RecordColumns& columns) {
  return std::make_unique<SqliteRecords>(path, model, columns);
}

}  // namespace ferry::engine
