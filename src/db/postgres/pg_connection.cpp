#include "db/postgres/pg_connection.h"

#include <charconv>

#include "db/postgres/pg_conninfo.h"

namespace ferry::postgres {
namespace {

using core::ErrorCategory;
using core::FerryError;

// libpq error messages end with a newline; run errors read better without it.
std::string trimmed(std::string_view message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.remove_suffix(1);
  return std::string(message);
}

ErrorCategory unavailable(Side side) {
  return side == Side::kSource ? ErrorCategory::kSourceUnavailable : ErrorCategory::kDestinationError;
}

// A kStore connection: kDeadPeerKeepalives ahead of the URL's own keywords (a keyword the URL sets wins).
PGconn* connect_url(const std::string& url, Side side) {
  if (side != Side::kStore) return PQconnectdb(url.c_str());
  auto keywords = keepalive_keywords();
  // expand_dbname: the URL, given as dbname after the defaults, is parsed as a connection string whose
  // settings override them.
  keywords.emplace_back("dbname", url);
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [key, value] : keywords) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return PQconnectdbParams(keys.data(), values.data(), 1);
}

}  // namespace

ErrorCategory classify_pg_error(std::string_view sqlstate, std::string_view message, Side side) {
  if (sqlstate == "28P01" || sqlstate == "28000") return ErrorCategory::kCredentialsInvalid;
  if (sqlstate == "42501") return ErrorCategory::kPermissionDenied;
  if (sqlstate == "3D000") return ErrorCategory::kConfigInvalid;  // database does not exist
  // connection exceptions, serialization failures, deadlocks, lock timeouts, statement timeouts and cancels,
  // shutdowns, resource limits
  if (sqlstate.starts_with("08") || sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" ||
      sqlstate == "57014" || sqlstate.starts_with("57P") || sqlstate.starts_with("53")) {
    return unavailable(side);
  }
  if (sqlstate.empty()) {
    if (message.find("password authentication failed") != std::string_view::npos ||
        message.find("no password supplied") != std::string_view::npos ||
        message.find("role \"") != std::string_view::npos) {
      return ErrorCategory::kCredentialsInvalid;
    }
    if (message.find("database \"") != std::string_view::npos &&
        message.find("does not exist") != std::string_view::npos) {
      return ErrorCategory::kConfigInvalid;
    }
    if (message.find("invalid connection option") != std::string_view::npos ||
        message.find("invalid URI") != std::string_view::npos ||
        message.find("missing \"=\"") != std::string_view::npos) {
      return ErrorCategory::kConfigInvalid;
    }
    return unavailable(side);  // refused, unreachable, reset, timed out
  }
  // ferry's own schema and constraints (as the SQLite store's): a violation is ferry's failure.
  if (side == Side::kStore) return ErrorCategory::kInternal;
  if (sqlstate == "42P01" || sqlstate == "3F000" || sqlstate == "42703") return ErrorCategory::kSchemaInvalid;
  return side == Side::kSource ? ErrorCategory::kSchemaInvalid : ErrorCategory::kDestinationError;
}

std::optional<std::string> PgResult::optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

int64_t PgResult::int64(int row, int column) const {
  if (row >= rows() || column >= columns()) {
    throw FerryError(ErrorCategory::kInternal, "postgres: a result has no row " + std::to_string(row) +
                                                   ", column " + std::to_string(column));
  }
  const char* v = PQgetvalue(result_.get(), row, column);
  int64_t out = 0;
  std::from_chars(v, v + std::char_traits<char>::length(v), out);
  return out;
}

int64_t PgResult::affected() const {
  const char* v = PQcmdTuples(result_.get());
  int64_t out = 0;
  std::from_chars(v, v + std::char_traits<char>::length(v), out);
  return out;
}

PgConnection::PgConnection(const std::string& url, Side side)
    : side_(side), conn_(connect_url(url, side), &PQfinish) {
  start_session();
}

PgConnection::PgConnection(const TenantConninfo& target, Side side) : side_(side), conn_(nullptr, &PQfinish) {
  const ConnParams params = pinned_parameters(target, side);
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [key, value] : params) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  // expand_dbname 0: a dbname is a name, never a second connection string that could add keys.
  conn_.reset(PQconnectdbParams(keys.data(), values.data(), 0));
  start_session();
}

void PgConnection::start_session() {
  if (!conn_) throw FerryError(ErrorCategory::kInternal, "postgres: out of memory");
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    // never echo the URL: it may carry a password
    const std::string message = trimmed(PQerrorMessage(conn_.get()));
    throw PgError(classify_pg_error("", message, side_), "postgres: cannot connect: " + message, "");
  }
  PQsetClientEncoding(conn_.get(), "UTF8");
  cancel_.reset(PQgetCancel(conn_.get()));
  exec(std::string("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO'; SET IntervalStyle = 'iso_8601'; "
                   "SET extra_float_digits = 3") +
       (side_ == Side::kStore ? server_keepalive_settings(PQserverVersion(conn_.get())) : ""));
}

void PgConnection::refuse_nul_text(const std::vector<std::optional<std::string>>& params) const {
  if (side_ != Side::kStore) return;
  for (const auto& param : params) {
    if (param && param->find('\0') != std::string::npos) {
      throw PgError(ErrorCategory::kConfigInvalid, "text holding a NUL character (\\u0000) cannot be stored",
                    "");
    }
  }
}

void PgConnection::fail(const std::string& what, const PGresult* result) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  // A constraint violation's DETAIL quotes the row's values (an account token, a tenant's data): errors and
  // logs keep only its primary message, which names the constraint.
  const char* primary =
      result && sqlstate.starts_with("23") ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string message = trimmed(primary  ? primary
                                      : result ? PQresultErrorMessage(result)
                                               : PQerrorMessage(conn_.get()));
  ErrorCategory category = classify_pg_error(sqlstate, message, side_);
  if (sqlstate.empty() && PQstatus(conn_.get()) != CONNECTION_OK) category = unavailable(side_);
  throw PgError(category,
                "postgres: " + what + ": " + message + (sqlstate.empty() ? "" : " [" + sqlstate + "]"),
                sqlstate);
}

void PgConnection::throw_if_interrupted() const {
  if (interrupted_.load()) throw FerryError(unavailable(side_), "postgres: interrupted (ferry is stopping)");
}

PgResult PgConnection::exec(const std::string& sql) {
  throw_if_interrupted();
  PgResult result(PQexec(conn_.get(), sql.c_str()));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail("query failed", result.get());
  return result;
}

PgResult PgConnection::exec(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  throw_if_interrupted();
  refuse_nul_text(params);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult result(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail("query failed", result.get());
  return result;
}

PgResult PgConnection::exec_prepared(const std::string& sql,
                                     const std::vector<std::optional<std::string>>& params) {
  throw_if_interrupted();
  refuse_nul_text(params);
  auto statement = prepared_.find(sql);
  if (statement == prepared_.end()) {
    // A prepared statement belongs to the session: a transaction rolled back later keeps it.
    const std::string name = "ferry_" + std::to_string(prepared_.size() + 1);
    PgResult prepared(
        PQprepare(conn_.get(), name.c_str(), sql.c_str(), static_cast<int>(params.size()), nullptr));
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) fail("prepare failed", prepared.get());
    statement = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult result(PQexecPrepared(conn_.get(), statement->second.c_str(), static_cast<int>(values.size()),
                                 values.data(), nullptr, nullptr, 0));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail("query failed", result.get());
  return result;
}

void PgConnection::copy_out(const std::string& copy_sql,
                            const std::function<void(std::string_view)>& on_row) {
  throw_if_interrupted();
  {
    PgResult start(PQexec(conn_.get(), copy_sql.c_str()));
    if (PQresultStatus(start.get()) != PGRES_COPY_OUT) fail("COPY TO failed", start.get());
  }
  for (;;) {
    char* buffer = nullptr;
    const int n = PQgetCopyData(conn_.get(), &buffer, 0);
    if (n > 0) {
      std::unique_ptr<char, decltype(&PQfreemem)> owned(buffer, &PQfreemem);
      on_row(std::string_view(buffer, static_cast<size_t>(n)));
      continue;
    }
    if (n == -2) fail("COPY TO failed", nullptr);
    break;  // -1: done
  }
  drain_results("COPY TO failed");
}

int64_t PgConnection::drain_results(const std::string& what) {
  // Every result must be read before the connection takes the next command; the first error wins.
  int64_t rows = 0;
  std::optional<std::string> error;
  std::string sqlstate;
  while (PGresult* r = PQgetResult(conn_.get())) {
    PgResult result(r);
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
      rows += result.affected();
    } else if (!error) {
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      sqlstate = state ? state : "";
      error = trimmed(PQresultErrorMessage(r));
    }
  }
  if (error)
    throw PgError(classify_pg_error(sqlstate, *error, side_), "postgres: " + what + ": " + *error, sqlstate);
  return rows;
}

void PgConnection::copy_in_start(const std::string& copy_sql) {
  throw_if_interrupted();
  PgResult start(PQexec(conn_.get(), copy_sql.c_str()));
  if (PQresultStatus(start.get()) != PGRES_COPY_IN) fail("COPY FROM failed", start.get());
}

void PgConnection::copy_in_put(std::string_view bytes) {
  if (bytes.empty()) return;
  throw_if_interrupted();
  if (PQputCopyData(conn_.get(), bytes.data(), static_cast<int>(bytes.size())) != 1) {
    fail("COPY FROM failed", nullptr);
  }
}

int64_t PgConnection::copy_in_end() {
  throw_if_interrupted();
  if (PQputCopyEnd(conn_.get(), nullptr) != 1) fail("COPY FROM failed", nullptr);
  return drain_results("COPY FROM failed");
}

std::string PgConnection::quote_identifier(std::string_view name) const {
  std::unique_ptr<char, decltype(&PQfreemem)> q(PQescapeIdentifier(conn_.get(), name.data(), name.size()),
                                                &PQfreemem);
  if (!q) fail("bad identifier", nullptr);
  return q.get();
}

std::string PgConnection::quote_literal(std::string_view text) const {
  std::unique_ptr<char, decltype(&PQfreemem)> q(PQescapeLiteral(conn_.get(), text.data(), text.size()),
                                                &PQfreemem);
  if (!q) fail("bad literal", nullptr);
  return q.get();
}

void PgConnection::cancel() {
  if (!cancel_) return;
  char error[256];
  PQcancel(cancel_.get(), error, sizeof(error));
}

void PgConnection::interrupt() {
  interrupted_ = true;
  cancel();
}

std::pair<std::string, std::string> split_qualified_name(std::string_view name) {
  bool quoted = false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '"') quoted = !quoted;
    if (name[i] == '.' && !quoted) return {std::string(name.substr(0, i)), std::string(name.substr(i + 1))};
  }
  return {"public", std::string(name)};
}

}  // namespace ferry::postgres
