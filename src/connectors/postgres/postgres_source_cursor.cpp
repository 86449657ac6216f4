#include "connectors/postgres/postgres_source_cursor.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace ferry::postgres {
namespace {

using core::ErrorCategory;
using core::FerryError;
using nlohmann::json;

[[noreturn]] void bad_cursor(const std::string& model_id) {
  throw FerryError(ErrorCategory::kConfigInvalid,
                   "postgres source: unreadable cursor for model " + model_id + "; run a full refresh");
}

std::optional<std::vector<std::string>> string_list(const json& j) {
  if (!j.is_array() || j.empty()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : j) {
    if (!item.is_string()) return std::nullopt;
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<KeyedPosition> keyed_position(const json& j) {
  if (!j.is_object() || !j.contains("cursor_value") || !j["cursor_value"].is_string() || !j.contains("key")) {
    return std::nullopt;
  }
  auto key = string_list(j["key"]);
  if (!key) return std::nullopt;
  return KeyedPosition{j["cursor_value"].get<std::string>(), std::move(*key)};
}

json position_json(const KeyedPosition& p) {
  return json{{"cursor_value", p.cursor_value}, {"key", p.key}};
}

}  // namespace

ReadPosition parse_source_cursor(const std::string& cursor, const std::string& model_id) {
  ReadPosition out;
  if (cursor.empty()) return out;
  const json j = json::parse(cursor, nullptr, false);
  if (!j.is_object()) bad_cursor(model_id);
  if (j.empty()) return out;
  if (j.contains("full_after")) {
    out.full_after = string_list(j["full_after"]);
    if (!out.full_after) bad_cursor(model_id);
    const json position = j.value("position", json());
    if (!position.is_null()) {
      out.position = keyed_position(position);
      if (!out.position) bad_cursor(model_id);
    }
    return out;
  }
  out.position = keyed_position(j);
  if (!out.position) bad_cursor(model_id);
  return out;
}

std::string position_cursor(const KeyedPosition& position) {
  return position_json(position).dump();
}

std::string full_read_cursor(const std::vector<std::string>& after,
                             const std::optional<KeyedPosition>& position) {
  return json{{"full_after", after}, {"position", position ? position_json(*position) : json()}}.dump();
}

std::optional<std::string> key_text(const connectors::Value& value, connectors::FieldType type) {
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&value)) return std::string(*b ? "true" : "false");
  if (const auto* d = std::get_if<double>(&value)) {
    if (std::isnan(*d)) return std::string("NaN");
    if (std::isinf(*d)) return std::string(*d > 0 ? "Infinity" : "-Infinity");
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, *d);
    return std::string(buffer, end);
  }
  if (const auto* s = std::get_if<std::string>(&value)) {
    if (type != connectors::FieldType::kBytes) return *s;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex = "\\x";
    for (const char c : *s) {
      const auto byte = static_cast<unsigned char>(c);
      hex.push_back(kHex[byte >> 4]);
      hex.push_back(kHex[byte & 0xF]);
    }
    return hex;
  }
  return std::nullopt;
}

}  // namespace ferry::postgres
