#include "connectors/file/file_source.h"

#include "connectors/exact_values.h"
#include "connectors/text_values.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <unordered_map>

#include "connectors/file/csv_reader.h"

namespace ferry::connectors {
namespace {

namespace fs = std::filesystem;
using core::ErrorCategory;
using core::FerryError;
using core::Json;
// Rows are parsed keeping their keys in file order: that order is the field order discover reports.
using RowJson = nlohmann::ordered_json;

constexpr size_t kInferenceRows = 1000;
constexpr size_t kStopCheckRows = 4096;

enum class Format { kCsv, kJsonl };

struct DataFile {
  std::string model_id;
  fs::path path;
  Format format;
};

[[noreturn]] void fail_at(const fs::path& path, uint64_t line, const std::string& what) {
  throw FerryError(ErrorCategory::kConfigInvalid, path.string() + ":" + std::to_string(line) + ": " + what);
}

// ---- scalar parsing and conversion
// -------------------------------------------------------------------------

std::optional<bool> parse_bool(std::string_view s) {
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

std::optional<std::string> normalize_timestamp(std::string_view s) {
  const auto t = core::parse_rfc3339(s);
  if (!t) return std::nullopt;
  return core::format_rfc3339(*t);
}

// "02134", "-007": identifiers that merely look numeric; inferring a number would lose the zeros.
bool has_leading_zero(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return s.size() > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9';
}

std::string format_double(double d) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("0");
}

// A CSV cell (never empty: empty cells are null) as a value of `type`; nullopt when it doesn't convert.
std::optional<Value> convert_text(const std::string& s, FieldType type) {
  switch (type) {
    case FieldType::kInteger:
      if (auto v = parse_int(s)) return Value{*v};
      return std::nullopt;
    case FieldType::kNumber:
      if (auto v = parse_number(s)) return Value{*v};
      return std::nullopt;
    case FieldType::kBoolean:
      if (auto v = parse_bool(s)) return Value{*v};
      return std::nullopt;
    case FieldType::kTimestamp:
      if (auto v = normalize_timestamp(s)) return Value{std::move(*v)};
      return std::nullopt;
    case FieldType::kJson: {
      const RowJson j = RowJson::parse(s, nullptr, false);
      if (j.is_discarded()) return std::nullopt;
      return Value{j.dump()};
    }
    case FieldType::kString:
      break;
    default:
      return exact_value(type, s, s);
  }
  return Value{s};
}

// A JSON value (never null) as a value of `type`; nullopt when it doesn't convert.
std::optional<Value> convert_json(const RowJson& v, FieldType type) {
  switch (type) {
    case FieldType::kInteger:
      if (v.is_number()) {
        if (auto i = whole_number(v)) return Value{*i};
        return std::nullopt;
      }
      if (v.is_string()) return convert_text(v.get_ref<const std::string&>(), type);
      return std::nullopt;
    case FieldType::kNumber:
      if (v.is_number()) return Value{v.get<double>()};
      if (v.is_string()) return convert_text(v.get_ref<const std::string&>(), type);
      return std::nullopt;
    case FieldType::kBoolean:
      if (v.is_boolean()) return Value{v.get<bool>()};
      if (v.is_string()) return convert_text(v.get_ref<const std::string&>(), type);
      return std::nullopt;
    case FieldType::kTimestamp:
      if (v.is_string()) return convert_text(v.get_ref<const std::string&>(), type);
      return std::nullopt;
    case FieldType::kString:
      if (v.is_string()) return Value{v.get<std::string>()};
      return Value{v.dump()};
    case FieldType::kJson:
      break;
    default:
      if (v.is_string()) return exact_value(type, v.get_ref<const std::string&>(), {});
      return exact_value(type, std::nullopt, v.dump());
  }
  return Value{v.dump()};
}

// Narrows a column's type over the values seen; a column with no values at all is a string.
class Inference {
 public:
  void text(std::string_view s) {
    any_ = true;
    const bool code = has_leading_zero(s);
    int_ = int_ && !code && parse_int(s).has_value();
    number_ = number_ && !code && parse_number(s).has_value();
    bool_ = bool_ && parse_bool(s).has_value();
    timestamp_ = timestamp_ && core::parse_rfc3339(s).has_value();
    json_ = false;
  }
  void json(const RowJson& v) {
    any_ = true;
    if (v.is_string()) return text_only(core::parse_rfc3339(v.get_ref<const std::string&>()).has_value());
    const bool is_int = v.is_number_integer() &&
                        (!v.is_number_unsigned() ||
                         v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
    int_ = int_ && is_int;
    number_ = number_ && v.is_number();
    bool_ = bool_ && v.is_boolean();
    timestamp_ = false;
    json_ = json_ && v.is_structured();
  }
  FieldType result() const {
    if (!any_) return FieldType::kString;
    if (int_) return FieldType::kInteger;
    if (number_) return FieldType::kNumber;
    if (bool_) return FieldType::kBoolean;
    if (timestamp_) return FieldType::kTimestamp;
    if (json_) return FieldType::kJson;
    return FieldType::kString;
  }

 private:
  void text_only(bool timestamp) {
    int_ = number_ = bool_ = json_ = false;
    timestamp_ = timestamp_ && timestamp;
  }

  bool any_ = false;
  bool int_ = true;
  bool number_ = true;
  bool bool_ = true;
  bool timestamp_ = true;
  bool json_ = true;
};

RowJson parse_object(const std::string& line, const fs::path& path, uint64_t line_number) {
  RowJson j;
  try {
    j = RowJson::parse(line);
  } catch (const RowJson::parse_error& e) {
    fail_at(path, line_number, std::string("malformed JSON: ") + e.what());
  }
  if (!j.is_object()) fail_at(path, line_number, "malformed JSON: expected an object");
  return j;
}

[[noreturn]] void fail_convert(const fs::path& path, uint64_t line, const Field& field) {
  fail_at(path, line,
          "column '" + field.name + "': value is not a valid " + std::string(to_string(field.type)));
}

// ---- cursors
// -------------------------------------------------------------------------------------------------

// A row's position in the incremental order: (cursor value, primary key), both as text.
struct Mark {
  std::string cursor_value;
  std::string key;
};

template <typename T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_cursor_values(const std::string& a, const std::string& b) {
  const auto ta = core::parse_rfc3339(a);
  const auto tb = core::parse_rfc3339(b);
  if (ta && tb) return three_way(*ta, *tb);
  const auto ia = parse_int(a);
  const auto ib = parse_int(b);
  if (ia && ib) return three_way(*ia, *ib);
  return three_way(a, b);
}

int compare_keys(const std::string& a, const std::string& b) {
  const auto ia = parse_int(a);
  const auto ib = parse_int(b);
  if (ia && ib) return three_way(*ia, *ib);
  return three_way(a, b);
}

bool after(const Mark& a, const Mark& b) {
  const int c = compare_cursor_values(a.cursor_value, b.cursor_value);
  return c != 0 ? c > 0 : compare_keys(a.key, b.key) > 0;
}

std::optional<std::string> key_text(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return format_double(*d);
  if (const auto* b = std::get_if<bool>(&v)) return std::string(*b ? "true" : "false");
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return std::nullopt;
}

Json mark_json(const std::optional<Mark>& mark) {
  if (!mark) return nullptr;
  return Json{{"cursor_value", mark->cursor_value}, {"key", mark->key}};
}

// Cursor shapes (JSON):
//   {}                                               nothing synced yet / no cursor field: a full read
//   {"cursor_value":V,"key":K}                       synced up to the pair (V, K): read rows after it
//   {"offset":O,"line":L,"since":S|null,"max":M|null} a read from S (null: full) done up to byte O
struct Position {
  bool resume = false;
  uint64_t offset = 0;
  uint64_t line = 0;
  std::optional<Mark> since;  // nullopt: a full read
  std::optional<Mark> max;
};

[[noreturn]] void bad_cursor(const std::string& model_id, const Cursor& cursor) {
  throw FerryError(ErrorCategory::kConfigInvalid, "file source: unreadable cursor for model " + model_id +
                                                      ": " + cursor + "; run a full refresh");
}

std::optional<Mark> mark_from(const Json& j, const std::string& model_id, const Cursor& cursor) {
  if (j.is_null()) return std::nullopt;
  if (!j.is_object() || !j.contains("cursor_value") || !j["cursor_value"].is_string() || !j.contains("key") ||
      !j["key"].is_string()) {
    bad_cursor(model_id, cursor);
  }
  return Mark{j["cursor_value"].get<std::string>(), j["key"].get<std::string>()};
}

Position parse_cursor(const Cursor& cursor, bool incremental, const std::string& model_id) {
  Position pos;
  if (cursor.empty()) return pos;
  const Json j = Json::parse(cursor, nullptr, false);
  if (!j.is_object()) bad_cursor(model_id, cursor);
  if (j.contains("offset")) {
    if (!j["offset"].is_number_unsigned() || !j.contains("line") || !j["line"].is_number_unsigned()) {
      bad_cursor(model_id, cursor);
    }
    pos.resume = true;
    pos.offset = j["offset"].get<uint64_t>();
    pos.line = j["line"].get<uint64_t>();
    pos.since = mark_from(j.value("since", Json()), model_id, cursor);
    pos.max = mark_from(j.value("max", Json()), model_id, cursor);
  } else if (!j.empty()) {
    pos.since = mark_from(j, model_id, cursor);
    pos.max = pos.since;
  }
  if (!incremental) pos.since = pos.max = std::nullopt;
  return pos;
}

// A saved offset must still fall on a row boundary; otherwise the file was rewritten under the cursor.
void check_resume_offset(const fs::path& path, uint64_t offset) {
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  bool ok = !ec && offset <= size;
  if (ok && offset > 0 && offset < size) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset - 1));
    ok = in && in.get() == '\n';
  }
  if (!ok) {
    throw FerryError(ErrorCategory::kConfigInvalid, "file source: " + path.string() +
                                                        " changed under the saved position (byte " +
                                                        std::to_string(offset) + "); run a full refresh");
  }
}

// ---- files
// ---------------------------------------------------------------------------------------------------

// The directory's data files, sorted by model id.
std::vector<DataFile> list_files(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw FerryError(ErrorCategory::kConfigInvalid, "file source: " + dir.string() + " is not a directory");
  }
  std::vector<DataFile> files;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    const std::string ext = p.extension().string();
    if (name.empty() || name.front() == '.' || (ext != ".csv" && ext != ".jsonl")) continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    files.push_back({p.stem().string(), p, ext == ".csv" ? Format::kCsv : Format::kJsonl});
  }
  if (ec) {
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "file source: cannot read directory " + dir.string() + ": " + ec.message());
  }
  std::sort(files.begin(), files.end(),
            [](const DataFile& a, const DataFile& b) { return a.model_id < b.model_id; });
  for (size_t i = 1; i < files.size(); ++i) {
    if (files[i].model_id == files[i - 1].model_id) {
      throw FerryError(ErrorCategory::kConfigInvalid, "file source: both " + files[i - 1].path.string() +
                                                          " and " + files[i].path.string() +
                                                          " define model " + files[i].model_id);
    }
  }
  return files;
}

std::vector<std::string> read_header(file::CsvReader& reader, const fs::path& path) {
  std::vector<std::string> header;
  if (!reader.next(header)) return header;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i].empty())
      fail_at(path, reader.record_line(), "column " + std::to_string(i + 1) + " has no name");
    if (std::find(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(i), header[i]) !=
        header.begin() + static_cast<std::ptrdiff_t>(i)) {
      fail_at(path, reader.record_line(), "duplicate column '" + header[i] + "'");
    }
  }
  return header;
}

void check_width(const file::CsvReader& reader, const fs::path& path, size_t found, size_t expected) {
  if (found != expected) {
    fail_at(path, reader.record_line(),
            "expected " + std::to_string(expected) + " fields, found " + std::to_string(found));
  }
}

std::vector<Field> infer_csv(const DataFile& f) {
  file::CsvReader reader(f.path, 0, 0);
  const std::vector<std::string> header = read_header(reader, f.path);
  std::vector<Inference> inference(header.size());
  std::vector<std::string> cells;
  for (size_t n = 0; n < kInferenceRows && reader.next(cells); ++n) {
    check_width(reader, f.path, cells.size(), header.size());
    for (size_t i = 0; i < cells.size(); ++i) {
      if (!cells[i].empty()) inference[i].text(cells[i]);
    }
  }
  std::vector<Field> fields;
  for (size_t i = 0; i < header.size(); ++i) fields.push_back({header[i], inference[i].result()});
  return fields;
}

std::vector<Field> infer_jsonl(const DataFile& f) {
  file::LineReader reader(f.path, 0, 0);
  std::vector<std::string> names;
  std::unordered_map<std::string, size_t> index;
  std::vector<Inference> inference;
  std::string line;
  for (size_t n = 0; n < kInferenceRows && reader.next(line); ++n) {
    const RowJson row = parse_object(line, f.path, reader.record_line());
    for (const auto& [key, value] : row.items()) {
      auto [it, inserted] = index.try_emplace(key, names.size());
      if (inserted) {
        names.push_back(key);
        inference.emplace_back();
      }
      if (!value.is_null()) inference[it->second].json(value);
    }
  }
  std::vector<Field> fields;
  for (size_t i = 0; i < names.size(); ++i) fields.push_back({names[i], inference[i].result()});
  return fields;
}

// ---- row readers
// ---------------------------------------------------------------------------------------------

// Yields a file's rows as values of the schema's fields, from the start or from a saved position.
class RowReader {
 public:
  virtual ~RowReader() = default;
  virtual bool next(std::vector<Value>& row) = 0;
  virtual bool has_column(const std::string& name) const = 0;
  // Byte offset and line count after the last row read.
  virtual uint64_t offset() const = 0;
  virtual uint64_t lines() const = 0;
};

class CsvRows final : public RowReader {
 public:
  CsvRows(const DataFile& f, const ModelSchema& schema, const Position& pos)
      : path_(f.path), schema_(schema), reader_(f.path, 0, 0) {
    header_ = read_header(reader_, path_);
    for (const auto& field : schema.fields) {
      const auto it = std::find(header_.begin(), header_.end(), field.name);
      column_of_.push_back(it == header_.end() ? -1 : static_cast<int>(it - header_.begin()));
    }
    if (pos.resume) {
      if (pos.offset < reader_.offset()) {
        throw FerryError(ErrorCategory::kConfigInvalid, "file source: saved position inside the header of " +
                                                            path_.string() + "; run a full refresh");
      }
      reader_ = file::CsvReader(path_, pos.offset, pos.line);
    }
  }

  bool next(std::vector<Value>& row) override {
    if (!reader_.next(cells_)) return false;
    check_width(reader_, path_, cells_.size(), header_.size());
    row.assign(schema_.fields.size(), Value{});
    for (size_t i = 0; i < row.size(); ++i) {
      const int column = column_of_[i];
      if (column < 0 || cells_[static_cast<size_t>(column)].empty()) continue;
      auto value = convert_text(cells_[static_cast<size_t>(column)], schema_.fields[i].type);
      if (!value) fail_convert(path_, reader_.record_line(), schema_.fields[i]);
      row[i] = std::move(*value);
    }
    return true;
  }
  bool has_column(const std::string& name) const override {
    return std::find(header_.begin(), header_.end(), name) != header_.end();
  }
  uint64_t offset() const override { return reader_.offset(); }
  uint64_t lines() const override { return reader_.lines(); }

 private:
  fs::path path_;
  const ModelSchema& schema_;
  file::CsvReader reader_;
  std::vector<std::string> header_;
  std::vector<int> column_of_;  // schema field -> header column, or -1
  std::vector<std::string> cells_;
};

class JsonlRows final : public RowReader {
 public:
  JsonlRows(const DataFile& f, const ModelSchema& schema, const Position& pos)
      : path_(f.path),
        schema_(schema),
        reader_(f.path, pos.resume ? pos.offset : 0, pos.resume ? pos.line : 0) {
    for (size_t i = 0; i < schema.fields.size(); ++i) index_.emplace(schema.fields[i].name, i);
  }

  bool next(std::vector<Value>& row) override {
    if (!reader_.next(line_)) return false;
    const RowJson object = parse_object(line_, path_, reader_.record_line());
    row.assign(schema_.fields.size(), Value{});
    for (const auto& [key, json] : object.items()) {
      const auto it = index_.find(key);
      if (it == index_.end() || json.is_null()) continue;
      auto value = convert_json(json, schema_.fields[it->second].type);
      if (!value) fail_convert(path_, reader_.record_line(), schema_.fields[it->second]);
      row[it->second] = std::move(*value);
    }
    return true;
  }
  bool has_column(const std::string& name) const override { return index_.contains(name); }
  uint64_t offset() const override { return reader_.offset(); }
  uint64_t lines() const override { return reader_.lines(); }

 private:
  fs::path path_;
  const ModelSchema& schema_;
  file::LineReader reader_;
  std::unordered_map<std::string, size_t> index_;
  std::string line_;
};

// ---- the source
// ----------------------------------------------------------------------------------------------

class FileSource final : public Source {
 public:
  FileSource(fs::path dir, std::string primary_key, std::string cursor_field, int64_t batch_size)
      : dir_(std::move(dir)),
        primary_key_(std::move(primary_key)),
        cursor_field_(std::move(cursor_field)),
        batch_size_(static_cast<size_t>(batch_size)) {}

  CheckResult check() override {
    std::error_code ec;
    if (!fs::exists(dir_, ec)) {
      return {false, "file source: directory " + dir_.string() + " does not exist",
              ErrorCategory::kConfigInvalid};
    }
    try {
      const auto files = list_files(dir_);
      if (files.empty()) {
        return {false, "file source: " + dir_.string() + " holds no .csv or .jsonl files",
                ErrorCategory::kConfigInvalid};
      }
      for (const auto& f : files) {
        if (!std::ifstream(f.path, std::ios::binary)) {
          return {false, "file source: cannot read " + f.path.string(), ErrorCategory::kConfigInvalid};
        }
      }
      return {true, "file source: " + std::to_string(files.size()) + " model file(s) in " + dir_.string(),
              std::nullopt};
    } catch (const FerryError& e) {
      return {false, e.what(), e.category()};
    }
  }

  std::vector<ModelSchema> discover() override {
    std::vector<ModelSchema> models;
    for (const auto& f : list_files(dir_)) {
      ModelSchema m;
      m.model_id = f.model_id;
      m.fields = f.format == Format::kCsv ? infer_csv(f) : infer_jsonl(f);
      m.primary_key = {primary_key_};
      m.supports_incremental = m.field_index(cursor_field_) >= 0;
      if (m.supports_incremental) m.cursor_field = cursor_field_;
      models.push_back(std::move(m));
    }
    return models;
  }

  void read(const ModelSchema& schema, const Cursor& from, BatchSink& sink, std::stop_token stop) override {
    const DataFile f = find_file(schema.model_id);
    const std::string pk = schema.primary_key.empty() ? primary_key_ : schema.primary_key.front();
    const int pk_field = schema.field_index(pk);
    if (pk_field < 0) missing_column(schema.model_id, "primary key", pk, f);
    const auto pk_index = static_cast<size_t>(pk_field);
    std::optional<size_t> cursor_index;
    if (schema.cursor_field) {
      const int i = schema.field_index(*schema.cursor_field);
      if (i < 0) missing_column(schema.model_id, "cursor", *schema.cursor_field, f);
      cursor_index = static_cast<size_t>(i);
    }

    const Position pos = parse_cursor(from, cursor_index.has_value(), schema.model_id);
    if (pos.resume) check_resume_offset(f.path, pos.offset);
    std::unique_ptr<RowReader> rows;
    if (f.format == Format::kCsv) {
      rows = std::make_unique<CsvRows>(f, schema, pos);
    } else {
      rows = std::make_unique<JsonlRows>(f, schema, pos);
    }
    if (!rows->has_column(pk)) missing_column(schema.model_id, "primary key", pk, f);
    if (schema.cursor_field && !rows->has_column(*schema.cursor_field)) {
      missing_column(schema.model_id, "cursor", *schema.cursor_field, f);
    }

    const std::optional<Mark>& since = pos.since;
    std::optional<Mark> max = pos.max;
    const size_t columns = schema.fields.size();
    auto fresh_batch = [&] {
      RecordBatch b(columns);
      b.reserve(batch_size_);
      return b;
    };
    RecordBatch batch = fresh_batch();
    std::vector<Value> row;
    for (size_t scanned = 1; rows->next(row); ++scanned) {
      bool emit = true;
      if (cursor_index) {
        auto value = key_text(row[*cursor_index]);
        if (!value) {
          emit = !since.has_value();  // rows without a cursor value only travel on full reads
        } else {
          Mark mark{std::move(*value), key_text(row[pk_index]).value_or("")};
          emit = !since || after(mark, *since);
          if (!max || after(mark, *max)) max = std::move(mark);
        }
      }
      if (emit) batch.add_row(std::move(row));
      if (batch.rows() >= batch_size_) {
        if (stop.stop_requested()) return;
        const Json position{{"offset", rows->offset()},
                            {"line", rows->lines()},
                            {"since", mark_json(since)},
                            {"max", mark_json(max)}};
        sink.accept(std::move(batch), position.dump());
        batch = fresh_batch();
        if (stop.stop_requested()) return;
      } else if (scanned % kStopCheckRows == 0 && stop.stop_requested()) {
        return;  // long stretches of filtered rows: the last committed cursor still covers them
      }
    }
    if (stop.stop_requested()) return;
    sink.accept(std::move(batch), cursor_index && max ? mark_json(max).dump() : std::string("{}"));
  }

 private:
  DataFile find_file(const std::string& model_id) const {
    for (auto& f : list_files(dir_)) {
      if (f.model_id == model_id) return f;
    }
    throw FerryError(ErrorCategory::kConfigInvalid,
                     "file source: no .csv or .jsonl file for model " + model_id + " in " + dir_.string());
  }

  [[noreturn]] static void missing_column(const std::string& model_id, const std::string& role,
                                          const std::string& column, const DataFile& f) {
    throw FerryError(ErrorCategory::kConfigInvalid, "file source: model " + model_id + " has no " + role +
                                                        " column '" + column + "' (" + f.path.string() + ")");
  }

  fs::path dir_;
  std::string primary_key_;
  std::string cursor_field_;
  size_t batch_size_;
};

}  // namespace

Spec file_source_spec() {
  return Spec{"file",
              {
                  {"path", "string", true, false, nullptr,
                   "a directory holding one <model_id>.csv or <model_id>.jsonl file per model, relative to "
                   "the tenant's data directory",
                   std::nullopt, std::nullopt, true},
                  {"primary_key", "string", false, false, "id", "the primary-key column of every model",
                   std::nullopt, std::nullopt},
                  {"cursor_field", "string", false, false, "updated_at",
                   "the column that orders changes; models with it are read incrementally", std::nullopt,
                   std::nullopt},
                  {"batch_size", "integer", false, false, 1000, "records per batch", 1, 100'000},
              }};
}

SourcePtr make_file_source(const core::Json& config) {
  const Json full = with_defaults(file_source_spec(), config);
  if (!full.contains("path") || !full["path"].is_string()) {
    throw FerryError(ErrorCategory::kConfigInvalid, "config.path is required");
  }
  const int64_t batch_size = full.at("batch_size").get<int64_t>();
  if (batch_size < 1) throw FerryError(ErrorCategory::kConfigInvalid, "config.batch_size must be at least 1");
  return std::make_unique<FileSource>(full["path"].get<std::string>(),
                                      full.at("primary_key").get<std::string>(),
                                      full.at("cursor_field").get<std::string>(), batch_size);
}

}  // namespace ferry::connectors
