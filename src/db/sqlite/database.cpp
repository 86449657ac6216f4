#include "db/sqlite/database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <mutex>

#include "core/error.h"

namespace ferry::sqlite {
namespace {

// What a run can do about a failure: retry a busy database or a full disk (it may be freed), give up on a
// file it may not write. A source opens its file read-only, so an I/O failure there is the source's.
core::ErrorCategory category_of(sqlite3* db, int code) {
  const bool source = db != nullptr && sqlite3_db_readonly(db, "main") == 1;
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return core::ErrorCategory::kDestinationError;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_INTERRUPT:
      return source ? core::ErrorCategory::kSourceUnavailable : core::ErrorCategory::kDestinationError;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return core::ErrorCategory::kPermissionDenied;
    default:
      return core::ErrorCategory::kInternal;
  }
}

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  const int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  const std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
  throw core::FerryError(category_of(db, code), message);
}

// Keeps only permission bits `path` already has, within 0600: a file its owner made read-only stays so.
void narrow_to_owner(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) ::chmod(path.c_str(), st.st_mode & 0600);
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
    fail(db, "prepare " + std::string(sql.substr(0, 80)));
  }
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (lent_ == nullptr) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *lent_ = false;
}

Statement& Statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}
Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}
Statement& Statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    fail(db_, "bind");
  }
  return *this;
}
Statement& Statement::bind_blob(int index, std::string_view value) {
  if (sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    fail(db_, "bind");
  }
  return *this;
}
Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "step");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::changes() const {
  return sqlite3_changes(db_);
}
bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}
double Statement::real(int column) const {
  return sqlite3_column_double(stmt_, column);
}
int Statement::column_type(int column) const {
  return sqlite3_column_type(stmt_, column);
}

std::string Statement::text(int column) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? std::string() : std::string(data, static_cast<size_t>(size));
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

Database::Database(const std::string& path, OpenMode mode, Threads threads) {
  // SQLite's allocator otherwise takes a global mutex on every allocation to keep statistics ferry never
  // reads.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  const int flags =
      (mode == OpenMode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      (threads == Threads::kShared ? SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX);
  // Created owner-only: SQLite gives its WAL and shared-memory files the database file's mode.
  if (mode != OpenMode::kReadOnly && path != ":memory:" && !path.empty()) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    // Files an older ferry created with the umask's mode are narrowed too (a no-op for another user's file).
    for (const char* suffix : {"", "-wal", "-shm"}) narrow_to_owner(path + suffix);
  }
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message =
        "cannot open SQLite database " + path + ": " + (db_ ? sqlite3_errmsg(db_) : "");
    sqlite3_close(db_);
    db_ = nullptr;
    throw core::FerryError(core::ErrorCategory::kConfigInvalid, message);
  }
  sqlite3_busy_handler(db_, &Database::on_busy, this);
  // sqlite3_interrupt() stops only the statements running when it is called; this check, every few thousand
  // virtual-machine steps, stops the ones started after it too.
  sqlite3_progress_handler(db_, 4000, &Database::on_progress, this);
  if (mode == OpenMode::kReadOnly) return;  // someone else's database: its journal mode is theirs to choose
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
}

Database::~Database() {
  for (auto& [sql, cached] : statements_) sqlite3_finalize(cached.stmt);
  sqlite3_close(db_);
}

Statement Database::prepare_cached(std::string_view sql) {
  throw_if_interrupted();
  std::string key(sql);
  auto found = statements_.find(key);
  if (found == statements_.end()) {
    if (statements_.size() >= kMaxCachedStatements) return Statement(db_, sql);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                           nullptr) != SQLITE_OK) {
      sqlite3_finalize(stmt);
      fail(db_, "prepare " + std::string(sql.substr(0, 80)));
    }
    found = statements_.emplace(std::move(key), CachedStatement{stmt, false}).first;
  }
  if (found->second.lent) return Statement(db_, sql);
  found->second.lent = true;
  return Statement(db_, found->second.stmt, &found->second.lent);
}

void Database::throw_if_interrupted() const {
  if (interrupted_.load()) {
    throw core::FerryError(category_of(db_, SQLITE_INTERRUPT), "sqlite: interrupted (ferry is stopping)");
  }
}

void Database::exec(std::string_view sql) {
  throw_if_interrupted();
  const std::string owned(sql);
  char* error = nullptr;
  if (sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    fail(db_, "exec: " + message);
  }
}

int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

void Database::interrupt() {
  interrupted_ = true;
  sqlite3_interrupt(db_);
}

// sqlite3_busy_timeout(10 s) with its own delays, except that an interrupt ends the wait: a write queued
// behind another process's lock is as much in flight as a running statement.
int Database::on_busy(void* self, int attempts) {
  constexpr int kDelaysMs[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
  constexpr int kCount = static_cast<int>(std::size(kDelaysMs));
  constexpr int kTimeoutMs = 10'000;
  int waited = 0;
  for (int i = 0; i < attempts; ++i) waited += kDelaysMs[std::min(i, kCount - 1)];
  const int delay = kDelaysMs[std::min(attempts, kCount - 1)];
  if (static_cast<Database*>(self)->interrupted_.load() || waited + delay > kTimeoutMs) return 0;
  sqlite3_sleep(delay);
  return 1;
}

int Database::on_progress(void* self) {
  return static_cast<Database*>(self)->interrupted_.load(std::memory_order_relaxed) ? 1 : 0;
}

Transaction::Transaction(Database& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace ferry::sqlite
