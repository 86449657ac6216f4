// core/enum_names: enums whose wire names live in one array, indexed by the enum's value.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace ferry::core {

template <typename Enum, size_t N>
constexpr std::string_view enum_name(const std::array<std::string_view, N>& names, Enum value) {
  return names[static_cast<size_t>(value)];
}

template <typename Enum, size_t N>
constexpr std::optional<Enum> parse_enum(const std::array<std::string_view, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace ferry::core
