// store/sqlite/rows: helpers shared by the SQLite store's files: list paging and optional columns.
#pragma once

#include <stdexcept>

#include "db/sqlite/database.h"
#include "store/page_cursor.h"
#include "store/store.h"

namespace ferry::sqlite {

// Appended to a WHERE clause; binds three values when the request carries a cursor (see bind_page).
inline std::string page_condition(const store::PageRequest& page) {
  return page.after ? " AND (created_at < ? OR (created_at = ? AND id < ?))" : "";
}

// Binds the cursor (if any) and LIMIT (one extra row, to learn whether a next page exists).
inline void bind_page(Statement& stmt, const store::PageRequest& page, int index) {
  if (page.after) {
    const auto position = store::decode_page_cursor(*page.after);
    if (!position) throw std::invalid_argument("malformed page cursor");
    stmt.bind(index, position->created_at_micros);
    stmt.bind(index + 1, position->created_at_micros);
    stmt.bind(index + 2, position->id);
    index += 3;
  }
  stmt.bind(index, page.limit + 1);
}

template <typename T>
store::Page<T> make_page(std::vector<T> items, int limit) {
  store::Page<T> page;
  if (static_cast<int>(items.size()) > limit) {
    items.resize(static_cast<size_t>(limit));
    page.next = store::encode_page_cursor({core::to_micros(items.back().created_at), items.back().id});
  }
  page.items = std::move(items);
  return page;
}

inline std::optional<core::Timestamp> optional_time(const Statement& stmt, int column) {
  if (stmt.is_null(column)) return std::nullopt;
  return core::from_micros(stmt.int64(column));
}

inline std::optional<int64_t> optional_micros(const std::optional<core::Timestamp>& t) {
  if (!t) return std::nullopt;
  return core::to_micros(*t);
}

}  // namespace ferry::sqlite
