#include "connectors/exact_values.h"

#include <algorithm>
#include <cctype>
#include <string>

#include <nlohmann/json.hpp>

#include "core/encoding.h"

namespace ferry::connectors {
namespace {

bool digits(std::string_view s, size_t from, size_t count) {
  if (from + count > s.size()) return false;
  return std::all_of(s.begin() + from, s.begin() + from + count, [](char c) { return c >= '0' && c <= '9'; });
}

bool is_decimal(std::string_view s) {
  if (s == "NaN" || s == "Infinity" || s == "-Infinity") return true;
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  const size_t int_start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  bool any = i > int_start;
  if (i < s.size() && s[i] == '.') {
    const size_t frac_start = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    any = any || i > frac_start;
  }
  return any && i == s.size();
}

bool is_date(std::string_view s) {
  return s.size() == 10 && digits(s, 0, 4) && s[4] == '-' && digits(s, 5, 2) && s[7] == '-' &&
         digits(s, 8, 2);
}

// HH:MM:SS with an optional fraction of 1 to 6 digits.
bool is_time(std::string_view s) {
  if (s.size() < 8 || !digits(s, 0, 2) || s[2] != ':' || !digits(s, 3, 2) || s[5] != ':' || !digits(s, 6, 2))
    return false;
  if (s.size() == 8) return true;
  return s[8] == '.' && s.size() <= 15 && s.size() > 9 && digits(s, 9, s.size() - 9);
}

bool is_datetime(std::string_view s) {
  return s.size() >= 19 && is_date(s.substr(0, 10)) && (s[10] == 'T' || s[10] == ' ') &&
         is_time(s.substr(11));
}

std::optional<std::string> canonical_uuid(std::string_view s) {
  if (s.size() != 36) return std::nullopt;
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (out[i] == '-')) return std::nullopt;
    if (!dash) {
      if (!std::isxdigit(static_cast<unsigned char>(out[i]))) return std::nullopt;
      out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
    }
  }
  return out;
}

}  // namespace

bool is_exact_text_type(FieldType type) {
  switch (type) {
    case FieldType::kDecimal:
    case FieldType::kDate:
    case FieldType::kTime:
    case FieldType::kDateTime:
    case FieldType::kUuid:
    case FieldType::kBytes:
    case FieldType::kArray:
      return true;
    default:
      return false;
  }
}

std::optional<Value> exact_value(FieldType type, std::optional<std::string_view> string,
                                 std::string_view json_text) {
  if (type == FieldType::kArray) {
    const auto text = string ? *string : json_text;
    const auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_array()) return std::nullopt;
    return Value{parsed.dump()};
  }
  if (type == FieldType::kDecimal) {
    const auto text = string ? *string : json_text;
    if (!is_decimal(text)) return std::nullopt;
    return Value{std::string(text)};
  }
  if (!string) return std::nullopt;
  const std::string_view s = *string;
  switch (type) {
    case FieldType::kDate:
      if (is_date(s)) return Value{std::string(s)};
      return std::nullopt;
    case FieldType::kTime:
      if (is_time(s)) return Value{std::string(s)};
      return std::nullopt;
    case FieldType::kDateTime:
      if (!is_datetime(s)) return std::nullopt;
      {
        std::string out(s);
        out[10] = 'T';
        return Value{std::move(out)};
      }
    case FieldType::kUuid:
      if (auto u = canonical_uuid(s)) return Value{std::move(*u)};
      return std::nullopt;
    case FieldType::kBytes:
      if (auto b = core::base64_decode(s)) return Value{std::move(*b)};
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace ferry::connectors
