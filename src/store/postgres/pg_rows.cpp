#include "store/postgres/pg_rows.h"

#include <sodium.h>

#include <memory>
#include <stdexcept>

#include "core/error.h"

namespace ferry::store::pg {

bool storable(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return false;
  try {
    (void)core::Json(std::string(text)).dump();  // strict: throws on invalid UTF-8
    return true;
  } catch (const core::Json::type_error&) {
    return false;
  }
}

std::string bytea(std::string_view bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  hex.pop_back();  // the terminating NUL sodium writes
  return "\\x" + hex;
}

std::string bytes_at(const postgres::PgResult& result, int row, int column) {
  size_t length = 0;
  // PQunescapeBytea reads both of the server's output formats (hex and the old escape format).
  std::unique_ptr<unsigned char, decltype(&PQfreemem)> bytes(
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result.get(), row, column)), &length),
      &PQfreemem);
  if (!bytes)
    throw core::FerryError(core::ErrorCategory::kInternal, "postgres: cannot decode a bytea column");
  return std::string(reinterpret_cast<const char*>(bytes.get()), length);
}

std::string page_tail(const PageRequest& page, Params& params, std::string_view alias) {
  const std::string created_at = std::string(alias) + "created_at";
  // Ids compare byte by byte, as in SQLite, whatever the database's collation.
  const std::string id = std::string(alias) + "id COLLATE \"C\"";
  std::string sql;
  if (page.after) {
    const auto position = decode_page_cursor(*page.after);
    if (!position) throw std::invalid_argument("malformed page cursor");
    const auto at = params.add(std::to_string(position->created_at_micros));
    sql += " AND (" + created_at + " < " + at + " OR (" + created_at + " = " + at + " AND " + id + " < " +
           params.add(position->id) + "))";
  }
  // A negative limit is none, as in SQLite (PostgreSQL's LIMIT NULL).
  const int limit = page.limit + 1;
  sql += " ORDER BY " + created_at + " DESC, " + id + " DESC LIMIT " +
         params.add(limit < 0 ? std::nullopt : std::optional(std::to_string(limit)));
  return sql;
}

}  // namespace ferry::store::pg
