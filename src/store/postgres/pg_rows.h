// store/postgres/pg_rows: helpers shared by the PostgreSQL store's files: numbered text parameters, list
// paging, optional and time columns, and BYTEA (which travels as text '\x…' hex both ways).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/postgres/pg_connection.h"
#include "store/page_cursor.h"
#include "store/store.h"

namespace ferry::store::pg {

// A statement's text parameters; add() returns the placeholder ("$3") naming the value just added, so SQL
// assembled piece by piece never miscounts.
class Params {
 public:
  Params() = default;
  Params(std::initializer_list<std::optional<std::string>> values) : values_(values) {}
  std::string add(std::optional<std::string> value) {
    values_.push_back(std::move(value));
    return "$" + std::to_string(values_.size());
  }
  const std::vector<std::optional<std::string>>& values() const { return values_; }
  operator const std::vector<std::optional<std::string>>&() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

inline std::string micros(core::Timestamp t) {
  return std::to_string(core::to_micros(t));
}
inline std::optional<std::string> optional_micros(const std::optional<core::Timestamp>& t) {
  if (!t) return std::nullopt;
  return micros(*t);
}
inline std::optional<core::Timestamp> optional_time(const postgres::PgResult& result, int row, int column) {
  if (result.is_null(row, column)) return std::nullopt;
  return core::from_micros(result.int64(row, column));
}
inline core::Timestamp time_at(const postgres::PgResult& result, int row, int column) {
  return core::from_micros(result.int64(row, column));
}
inline std::optional<int64_t> optional_int64(const postgres::PgResult& result, int row, int column) {
  if (result.is_null(row, column)) return std::nullopt;
  return result.int64(row, column);
}

// Whether PostgreSQL can hold `text` in a TEXT column: valid UTF-8 without NUL. An id or token from a
// request path or header that is not can name no stored row, so a lookup by it finds nothing (as in SQLite)
// instead of failing on the server's encoding check or being cut at its NUL.
bool storable(std::string_view text);
template <typename... Texts>
bool storable(std::string_view first, const Texts&... rest) {
  return storable(first) && (storable(std::string_view(rest)) && ...);
}

// A BYTEA parameter: the bytes as '\x…' hex text.
std::string bytea(std::string_view bytes);
// A BYTEA column read back as bytes (the server's hex output decoded).
std::string bytes_at(const postgres::PgResult& result, int row, int column);

// The rest of a paged query after its WHERE conditions: the cursor's condition (if the request carries
// one), then ORDER BY created_at DESC, id DESC and LIMIT one more row than asked (make_page learns from it
// whether a next page exists). `alias` qualifies the columns ("r." for runs r). Throws
// std::invalid_argument for a cursor ferry did not produce, as the SQLite store does.
std::string page_tail(const PageRequest& page, Params& params, std::string_view alias = "");

template <typename T>
Page<T> make_page(std::vector<T> items, int limit) {
  Page<T> page;
  if (static_cast<int>(items.size()) > limit) {
    items.resize(static_cast<size_t>(limit));
    page.next = encode_page_cursor({core::to_micros(items.back().created_at), items.back().id});
  }
  page.items = std::move(items);
  return page;
}

}  // namespace ferry::store::pg
