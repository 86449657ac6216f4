#include "connectors/sqlite/sqlite_source_values.h"

#include <charconv>
#include <cmath>

#include <simdjson.h>

#include "connectors/exact_values.h"
#include "core/encoding.h"

namespace ferry::connectors::sqlite_source {
namespace {

std::string shortest_text(double d) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  return ec == std::errc{} ? std::string(buffer, end) : std::string();
}

// Decimal text with no exponent ("0.000001", "100000000000000000000"): exponents are not decimal-shaped.
std::optional<std::string> decimal_text(double d) {
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buffer[400];  // the largest double in fixed notation has 309 digits
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::fixed);
  if (ec != std::errc{}) return std::nullopt;
  return std::string(buffer, end);
}

bool is_utf8(const std::string& s) {
  return simdjson::validate_utf8(s.data(), s.size());
}

}  // namespace

std::optional<Value> read_value(const sqlite::Statement& row, int column, FieldType type) {
  const int storage = row.column_type(column);
  if (storage == SQLITE_NULL) return Value{};
  switch (type) {
    case FieldType::kInteger:
      if (storage == SQLITE_INTEGER) return Value{row.int64(column)};
      if (storage == SQLITE_FLOAT) {
        const double d = row.real(column);
        if (std::trunc(d) == d && std::abs(d) < 9.0e18) return Value{static_cast<int64_t>(d)};
      }
      return std::nullopt;
    case FieldType::kNumber:
      if (storage == SQLITE_INTEGER) return Value{static_cast<double>(row.int64(column))};
      if (storage == SQLITE_FLOAT && std::isfinite(row.real(column))) return Value{row.real(column)};
      return std::nullopt;
    case FieldType::kBoolean:
      if (storage == SQLITE_INTEGER && (row.int64(column) == 0 || row.int64(column) == 1)) {
        return Value{row.int64(column) == 1};
      }
      return std::nullopt;
    case FieldType::kDecimal:
      if (storage == SQLITE_INTEGER) return Value{std::to_string(row.int64(column))};
      if (storage == SQLITE_FLOAT) {
        if (auto text = decimal_text(row.real(column))) return Value{std::move(*text)};
        return std::nullopt;
      }
      if (storage == SQLITE_TEXT) {
        const std::string text = row.text(column);
        return exact_value(FieldType::kDecimal, text, text);
      }
      return std::nullopt;
    default:
      // Strings and bytes: every stored value has a text form. SQLite's own text for a REAL rounds to 15
      // digits, so reals are formatted here to round-trip exactly.
      if (storage == SQLITE_INTEGER) return Value{std::to_string(row.int64(column))};
      if (storage == SQLITE_FLOAT) return Value{shortest_text(row.real(column))};
      return Value{row.text(column)};
  }
}

StoredValue read_stored(const sqlite::Statement& row, int column) {
  StoredValue v;
  v.storage = row.column_type(column);
  if (v.storage == SQLITE_INTEGER) v.integer = row.int64(column);
  if (v.storage == SQLITE_FLOAT) v.real = row.real(column);
  if (v.storage == SQLITE_TEXT || v.storage == SQLITE_BLOB) v.bytes = row.text(column);
  return v;
}

void bind_stored(sqlite::Statement& stmt, int index, const StoredValue& value) {
  switch (value.storage) {
    case SQLITE_INTEGER:
      stmt.bind(index, value.integer);
      break;
    case SQLITE_FLOAT:
      stmt.bind(index, value.real);
      break;
    case SQLITE_TEXT:
      stmt.bind(index, value.bytes);
      break;
    case SQLITE_BLOB:
      stmt.bind_blob(index, value.bytes);
      break;
    default:
      stmt.bind_null(index);
  }
}

std::string describe(const StoredValue& value) {
  switch (value.storage) {
    case SQLITE_INTEGER:
      return std::to_string(value.integer);
    case SQLITE_FLOAT:
      return shortest_text(value.real);
    case SQLITE_TEXT: {
      constexpr size_t kShown = 40;
      std::string out = "'";
      out.append(value.bytes, 0, kShown);
      out += value.bytes.size() > kShown ? "...'" : "'";
      return out;
    }
    case SQLITE_BLOB:
      return "blob of " + std::to_string(value.bytes.size()) + " bytes";
    default:
      return "NULL";
  }
}

core::Json to_json(const StoredValue& value) {
  switch (value.storage) {
    case SQLITE_INTEGER:
      return value.integer;
    case SQLITE_FLOAT:
      return value.real;
    case SQLITE_TEXT:
      if (is_utf8(value.bytes)) return value.bytes;
      return core::Json{{"text", core::base64_encode(value.bytes)}};
    case SQLITE_BLOB:
      return core::Json{{"blob", core::base64_encode(value.bytes)}};
    default:
      return nullptr;
  }
}

std::optional<StoredValue> from_json(const core::Json& json) {
  StoredValue v;
  if (json.is_null()) return v;
  if (json.is_number_integer() && !json.is_number_unsigned()) {
    v.storage = SQLITE_INTEGER;
    v.integer = json.get<int64_t>();
  } else if (json.is_number_unsigned()) {
    const auto u = json.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    v.storage = SQLITE_INTEGER;
    v.integer = static_cast<int64_t>(u);
  } else if (json.is_number_float()) {
    v.storage = SQLITE_FLOAT;
    v.real = json.get<double>();
  } else if (json.is_string()) {
    v.storage = SQLITE_TEXT;
    v.bytes = json.get<std::string>();
  } else if (json.is_object() && json.size() == 1 && (json.contains("blob") || json.contains("text"))) {
    const bool blob = json.contains("blob");
    const auto& encoded = json.begin().value();
    if (!encoded.is_string()) return std::nullopt;
    auto bytes = core::base64_decode(encoded.get<std::string>());
    if (!bytes) return std::nullopt;
    v.storage = blob ? SQLITE_BLOB : SQLITE_TEXT;
    v.bytes = std::move(*bytes);
  } else {
    return std::nullopt;
  }
  return v;
}

}  // namespace ferry::connectors::sqlite_source
