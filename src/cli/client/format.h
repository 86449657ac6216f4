// cli/client/format: how the client shows what the API returns to a person: aligned tables, grouped numbers,
// short times and durations. Pure functions over strings and JSON; text from the server is made printable
// first, so a name holding escape codes cannot drive the terminal.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::cli::client {

using Json = nlohmann::json;

// Control characters (escape codes, newlines, tabs) as '?'; the rest unchanged.
std::string printable(std::string_view text);

// 1234567 -> "1,234,567".
std::string group_digits(int64_t value);

// Seconds as "0.4s", "12.3s", "3m04s", "1h02m03s".
std::string format_duration(double seconds);

// A string field ("-" when missing, null or empty), made printable; numbers and booleans as JSON text.
std::string text_of(const Json& object, const std::string& key);
// An integer field, 0 when missing or not a number.
int64_t int_of(const Json& object, const std::string& key);
// An RFC 3339 field as "2026-12-05 23:09:23" (UTC, whole seconds); "-" when null.
std::string time_of(const Json& object, const std::string& key);

// Columns padded to their widest cell (counted in characters), separated by two spaces, headers first.
// Columns listed in `right_aligned` (by index) are aligned right, for numbers.
struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> right_aligned;
};
std::string render_table(const Table& table);

// "key: value" lines with the keys padded to one width.
std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace ferry::cli::client
