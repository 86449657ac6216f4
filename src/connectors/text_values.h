// connectors/text_values: strict parsing of numbers that sources receive as text (CSV cells, JSON strings).
// The whole text must be the number; non-finite doubles are refused.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace ferry::connectors {

inline std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

inline std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A JSON number (nlohmann json or ordered_json) as an int64: integers in range, and floats that are whole
// numbers (APIs often send 5.0). nullopt for anything else, strings included (callers parse those).
template <typename JsonValue>
std::optional<int64_t> whole_number(const JsonValue& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.template get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.template get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.template get<double>();
    if (std::trunc(d) == d && std::abs(d) < 9.0e18) return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

}  // namespace ferry::connectors
