// db/postgres/pg_connection: RAII over libpq, shared by the PostgreSQL source and destination and the
// PostgreSQL store. Failures become PgError (a core::FerryError with the SQLSTATE) with a category a run can
// act on: a refused password is permanent (credentials_invalid), a lost or unreachable server is transient
// (source_unavailable, or destination_error for a destination and the store), a missing object is
// schema_invalid, a denied one permission_denied; anything else is the destination's (destination_error),
// the source's (schema_invalid) or, in ferry's own store, ferry's (internal).
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "db/postgres/pg_keepalives.h"

namespace ferry::postgres {

// Which side a connection serves: decides the categories of its failures. kStore is ferry's own store: a
// constraint it breaks is ferry's failure (internal), never a tenant's destination's. Its sessions also
// detect a dead peer within about 30 seconds (kDeadPeerKeepalives), and refuse text holding a NUL byte.
enum class Side { kSource, kDestination, kStore };

// A failure with its SQLSTATE ("" when the server sent none: connecting, a lost connection).
class PgError : public core::FerryError {
 public:
  PgError(core::ErrorCategory category, const std::string& message, std::string sqlstate)
      : core::FerryError(category, message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};
inline constexpr std::string_view kForeignKeyViolation = "23503";

struct TenantConninfo;  // db/postgres/pg_conninfo.h

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}
  PGresult* get() const { return result_.get(); }
  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string text(int row, int column) const { return PQgetvalue(result_.get(), row, column); }
  std::optional<std::string> optional_text(int row, int column) const;
  int64_t int64(int row, int column) const;
  // The number of rows an INSERT/UPDATE/DELETE affected.
  int64_t affected() const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

class PgConnection {
 public:
  // Connects to `url` (a libpq URI or key=value string) as it is: for the operator's own connections and
  // tests, never for a tenant's. A kStore connection adds kDeadPeerKeepalives (libpq's keepalive and
  // tcp_user_timeout keywords, unless `url` sets its own, and the server's per-session settings). Throws
  // PgError.
  PgConnection(const std::string& url, Side side);
  // Connects to a tenant's connection string: its keys limited, its host resolved here and pinned to the
  // addresses the egress policy allows (pg_conninfo.h). Throws FerryError.
  PgConnection(const TenantConninfo& target, Side side);
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` (one or more statements, no parameters). Throws FerryError on failure.
  PgResult exec(const std::string& sql);
  // Runs one statement with text parameters ($1, $2…; nullopt is NULL). libpq takes them as C strings, so
  // on a kStore connection a parameter holding a NUL byte is refused (config_invalid) instead of being cut
  // short at it.
  PgResult exec(const std::string& sql, const std::vector<std::optional<std::string>>& params);
  // The same, as a statement prepared on this connection the first time this exact text runs: later runs
  // skip the server's parse and plan. For the few fixed statements run most often (a claim's), never for SQL
  // that varies without bound (each text stays prepared for the connection's life).
  PgResult exec_prepared(const std::string& sql, const std::vector<std::optional<std::string>>& params);

  // COPY … TO STDOUT: calls `on_row` with each row's bytes as libpq delivers them (one CopyData message per
  // row; for FORMAT binary the first carries the file header, the last the trailer). Returns when done.
  void copy_out(const std::string& copy_sql, const std::function<void(std::string_view)>& on_row);
  // COPY … FROM STDIN: starts the copy; then `put` any number of times and `end` once.
  void copy_in_start(const std::string& copy_sql);
  void copy_in_put(std::string_view bytes);
  // Finishes the copy and returns the number of rows loaded.
  int64_t copy_in_end();

  // Quotes an identifier ("schema"."table" parts one at a time) or a literal for this connection.
  std::string quote_identifier(std::string_view name) const;
  std::string quote_literal(std::string_view text) const;

  // Asks the server to cancel the running statement (safe from another thread).
  void cancel();
  // cancel(), and every later statement or copy on this connection fails at once (a FerryError of the
  // side's transient category, "interrupted"): for a shutdown past its grace. Safe from another thread; the
  // connection is of no further use.
  void interrupt();
  PGconn* raw() const { return conn_.get(); }

 private:
  // Checks the new connection and sets the session up (time zone, output formats; kStore: keepalives).
  void start_session();
  void refuse_nul_text(const std::vector<std::optional<std::string>>& params) const;
  [[noreturn]] void fail(const std::string& what, const PGresult* result) const;
  int64_t drain_results(const std::string& what);
  void throw_if_interrupted() const;

  Side side_;
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
  // Made on the connecting thread: libpq lets another thread use a PGcancel, not the PGconn it came from.
  std::unique_ptr<PGcancel, decltype(&PQfreeCancel)> cancel_{nullptr, &PQfreeCancel};
  std::atomic<bool> interrupted_{false};
  std::map<std::string, std::string> prepared_;  // SQL text -> its prepared statement's name (exec_prepared)
};

// A category for a libpq error: by SQLSTATE when there is one, else by the message (connection time).
core::ErrorCategory classify_pg_error(std::string_view sqlstate, std::string_view message, Side side);

// "schema.table" split at the first unquoted dot; a name without a dot is in `public`.
std::pair<std::string, std::string> split_qualified_name(std::string_view name);

}  // namespace ferry::postgres
