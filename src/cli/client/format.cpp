#include "cli/client/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ferry::cli::client {
namespace {

// Characters, not bytes: UTF-8 continuation bytes do not count.
size_t width_of(std::string_view text) {
  return static_cast<size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

std::string pad(const std::string& text, size_t width, bool right) {
  const size_t have = width_of(text);
  if (have >= width) return text;
  const std::string fill(width - have, ' ');
  return right ? fill + text : text + fill;
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const bool c1 = byte == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0 &&
                    static_cast<unsigned char>(text[i + 1]) >= 0x80;  // U+0080..U+009F: C1 controls (CSI…)
    if (c1) ++i;
    out.push_back(byte < 0x20 || byte == 0x7f || c1 ? '?' : text[i]);
  }
  return out;
}

std::string group_digits(int64_t value) {
  const std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return value < 0 ? "-" + out : out;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  if (seconds < 60) return fmt::format("{:.1f}s", std::floor(seconds * 10) / 10);
  const auto whole = static_cast<int64_t>(seconds);
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m{:02}s", whole / 3600, whole % 3600 / 60, whole % 60);
}

std::string text_of(const Json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key)) return "-";
  const Json& value = object[key];
  if (value.is_null()) return "-";
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return text.empty() ? "-" : printable(text);
  }
  return printable(value.dump());
}

int64_t int_of(const Json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key)) return 0;
  const Json& value = object[key];
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number()) return static_cast<int64_t>(value.get<double>());
  return 0;
}

std::string time_of(const Json& object, const std::string& key) {
  std::string text = text_of(object, key);
  // "2026-12-05T23:09:23.765090Z" -> "2026-12-05 23:09:23"; anything else as it came.
  if (text.size() >= 19 && text[10] == 'T') {
    text[10] = ' ';
    text.resize(19);
  }
  return text;
}

std::string render_table(const Table& table) {
  std::vector<size_t> widths(table.headers.size(), 0);
  auto widen = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], width_of(row[i]));
  };
  widen(table.headers);
  for (const auto& row : table.rows) widen(row);
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      const bool right =
          std::find(table.right_aligned.begin(), table.right_aligned.end(), i) != table.right_aligned.end();
      const bool last = i + 1 == widths.size();
      out += last && !right ? cell : pad(cell, widths[i], right);
      if (!last) out += "  ";
    }
    return out + "\n";
  };
  std::string out = line(table.headers);
  for (const auto& row : table.rows) out += line(row);
  return out;
}

std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, width_of(key) + 1);
  std::string out;
  for (const auto& [key, value] : fields) out += pad(key + ":", width, false) + " " + value + "\n";
  return out;
}

}  // namespace ferry::cli::client
