#include "connectors/rest/rest_values.h"

#include <cmath>
#include <limits>

#include "connectors/exact_values.h"
#include "connectors/text_values.h"

namespace ferry::connectors::rest {

std::optional<Value> convert(simdjson::dom::element v, FieldType type) {
  using T = simdjson::dom::element_type;
  const T t = v.type();
  switch (type) {
    case FieldType::kInteger:
      if (t == T::INT64) return Value{int64_t(v.get_int64().value_unsafe())};
      if (t == T::UINT64) {
        const uint64_t u = v.get_uint64().value_unsafe();
        if (u > uint64_t(std::numeric_limits<int64_t>::max())) return std::nullopt;
        return Value{int64_t(u)};
      }
      if (t == T::DOUBLE) {
        const double d = v.get_double().value_unsafe();
        if (std::trunc(d) == d && std::abs(d) < 9.0e18) return Value{int64_t(d)};
        return std::nullopt;
      }
      if (t == T::STRING) {
        if (auto i = parse_int(v.get_string().value_unsafe())) return Value{*i};
      }
      return std::nullopt;
    case FieldType::kNumber:
      if (t == T::INT64 || t == T::UINT64 || t == T::DOUBLE)
        return Value{double(v.get_double().value_unsafe())};
      if (t == T::STRING) {
        if (auto d = parse_number(v.get_string().value_unsafe())) return Value{*d};
      }
      return std::nullopt;
    case FieldType::kBoolean:
      if (t == T::BOOL) return Value{bool(v.get_bool().value_unsafe())};
      if (t == T::STRING) {
        const std::string_view s = v.get_string().value_unsafe();
        if (s == "true") return Value{true};
        if (s == "false") return Value{false};
      }
      return std::nullopt;
    case FieldType::kTimestamp:
      if (t == T::STRING) {
        if (auto ts = core::parse_rfc3339(v.get_string().value_unsafe()))
          return Value{core::format_rfc3339(*ts)};
      }
      if (t == T::INT64) {  // epoch seconds
        return Value{core::format_rfc3339(core::from_micros(v.get_int64().value_unsafe() * 1'000'000))};
      }
      return std::nullopt;
    case FieldType::kString:
      if (t == T::STRING) return Value{std::string(v.get_string().value_unsafe())};
      return Value{simdjson::minify(v)};
    case FieldType::kJson:
      return Value{simdjson::minify(v)};
    default:
      if (t == T::STRING) return exact_value(type, v.get_string().value_unsafe(), {});
      return exact_value(type, std::nullopt, simdjson::minify(v));
  }
  return std::nullopt;
}

std::string minus_lookback(const std::string& value, int64_t lookback_seconds) {
  if (const auto t = core::parse_rfc3339(value)) {
    return core::format_rfc3339(*t - std::chrono::seconds(lookback_seconds));
  }
  if (const auto i = parse_int(value)) return std::to_string(*i - lookback_seconds);
  return value;
}

CursorMax::CursorMax(const std::optional<std::string>& start) : text_(start) {
  if (text_) key_ = key_of(*text_);
}

CursorMax::Key CursorMax::key_of(std::string_view text) {
  Key key;
  key.instant = core::parse_rfc3339(text);
  if (!key.instant) key.integer = parse_int(text);
  return key;
}

bool CursorMax::below(const Key& key, std::string_view text) const {
  if (!text_) return true;
  if (key_.instant && key.instant) return *key_.instant < *key.instant;
  if (key_.integer && key.integer) return *key_.integer < *key.integer;
  return std::string_view(*text_) < text;
}

void CursorMax::offer(const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) return;
  if (const auto* i = std::get_if<int64_t>(&value)) {
    const Key key{std::nullopt, *i};
    // Text comparison (against a non-integer maximum) needs the digits; integer comparison does not.
    if (key_.integer ? *key_.integer < *i : below(key, std::to_string(*i))) {
      text_ = std::to_string(*i);
      key_ = key;
    }
    return;
  }
  const std::string* text = std::get_if<std::string>(&value);
  const std::string rendered = text ? std::string() : value_as_text(value);
  const std::string_view view = text ? std::string_view(*text) : std::string_view(rendered);
  Key key = key_of(view);
  if (below(key, view)) {
    text_ = std::string(view);
    key_ = std::move(key);
  }
}

}  // namespace ferry::connectors::rest
