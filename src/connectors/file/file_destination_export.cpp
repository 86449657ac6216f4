#include "connectors/file/file_destination_export.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "connectors/file/file_destination_atomic_file.h"
#include "core/encoding.h"
#include "core/text.h"

namespace ferry::connectors::file {
namespace {

using core::join;

std::string shortest_text(double d) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  return ec == std::errc{} ? std::string(buffer, end) : std::string();
}

// Text that isn't UTF-8 has its bad bytes replaced by U+FFFD: JSON can only carry Unicode.
void append_json_string(std::string& out, std::string_view text) {
  out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool is_json_text(FieldType type) {
  return type == FieldType::kJson || type == FieldType::kArray;
}

// One stored value as JSON. Types survive: integers and numbers as JSON numbers, booleans as true/false,
// decimals as strings (every digit kept), bytes as base64, JSON and arrays embedded as JSON.
void append_json_value(std::string& out, const sqlite::Statement& row, int column, FieldType type) {
  switch (row.column_type(column)) {
    case SQLITE_NULL:
      out += "null";
      return;
    case SQLITE_INTEGER: {
      const std::string text = std::to_string(row.int64(column));
      if (type == FieldType::kBoolean) {
        out += row.int64(column) != 0 ? "true" : "false";
      } else if (type == FieldType::kDecimal) {
        out += '"' + text + '"';
      } else {
        out += text;
      }
      return;
    }
    case SQLITE_FLOAT: {
      const double d = row.real(column);
      if (!std::isfinite(d)) {
        out += "null";  // JSON has no infinities
      } else if (type == FieldType::kDecimal) {
        append_json_string(out, shortest_text(d));
      } else {
        out += shortest_text(d);
      }
      return;
    }
    case SQLITE_BLOB:
      append_json_string(out, core::base64_encode(row.text(column)));
      return;
    default:
      break;
  }
  const std::string text = row.text(column);
  if (type == FieldType::kBytes) {
    append_json_string(out, core::base64_encode(text));  // bytes a destination stored as TEXT before BLOBs
  } else if (is_json_text(type) && nlohmann::json::accept(text)) {
    // Valid JSON holds line breaks only as whitespace (inside strings they are escaped): a space keeps the
    // value and the one-line-per-row shape, and the text is embedded untouched otherwise (big numbers too).
    for (const char c : text) out += (c == '\n' || c == '\r') ? ' ' : c;
  } else {
    append_json_string(out, text);
  }
}

// RFC 4180: a field holding a comma, quote, CR or LF is quoted with quotes doubled; the empty string is
// written "" so that it differs from NULL, which is an empty field.
void append_csv_field(std::string& out, std::string_view text) {
  if (!text.empty() && text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void append_csv_value(std::string& out, const sqlite::Statement& row, int column, FieldType type) {
  switch (row.column_type(column)) {
    case SQLITE_NULL:
      return;
    case SQLITE_INTEGER:
      if (type == FieldType::kBoolean) {
        out += row.int64(column) != 0 ? "true" : "false";
      } else {
        out += std::to_string(row.int64(column));
      }
      return;
    case SQLITE_FLOAT:
      out += shortest_text(row.real(column));
      return;
    case SQLITE_BLOB:
      out += core::base64_encode(row.text(column));
      return;
    default:
      break;
  }
  const std::string text = row.text(column);
  append_csv_field(out, type == FieldType::kBytes ? core::base64_encode(text) : text);
}

}  // namespace

std::string_view extension(FileFormat format) {
  return format == FileFormat::kCsv ? "csv" : "jsonl";
}

std::string file_stem(std::string_view model_id) {
  std::string out;
  for (const char c : model_id) {
    const bool kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
    out += kept ? c : '_';
  }
  if (out.empty() || out.front() == '.') out.insert(out.begin(), '_');
  return out;
}

int64_t export_model(sqlite::Database& state, const ModelSchema& schema, FileFormat format,
                     const std::filesystem::path& target) {
  std::vector<std::string> columns;
  std::vector<std::string> json_keys;  // "\"name\":" per field
  for (const auto& f : schema.fields) {
    columns.push_back(sqlite::quote_identifier(f.name));
    std::string key;
    append_json_string(key, f.name);
    json_keys.push_back(key + ":");
  }
  std::vector<std::string> key;
  for (const auto& k : schema.primary_key) key.push_back(sqlite::quote_identifier(k));
  auto rows = state.prepare("SELECT " + join(columns, ", ") + " FROM " +
                            sqlite::quote_identifier(schema.model_id) + " ORDER BY " + join(key, ", "));

  AtomicFileWriter file(target);
  std::string line;
  if (format == FileFormat::kCsv) {
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      if (i > 0) line += ',';
      append_csv_field(line, schema.fields[i].name);
    }
    line += "\r\n";
    file.write(line);
  }
  int64_t count = 0;
  while (rows.step()) {
    line.clear();
    if (format == FileFormat::kCsv) {
      for (size_t i = 0; i < schema.fields.size(); ++i) {
        if (i > 0) line += ',';
        append_csv_value(line, rows, static_cast<int>(i), schema.fields[i].type);
      }
      line += "\r\n";
    } else {
      line += '{';
      for (size_t i = 0; i < schema.fields.size(); ++i) {
        if (i > 0) line += ',';
        line += json_keys[i];
        append_json_value(line, rows, static_cast<int>(i), schema.fields[i].type);
      }
      line += "}\n";
    }
    file.write(line);
    ++count;
  }
  file.commit();
  return count;
}

}  // namespace ferry::connectors::file
