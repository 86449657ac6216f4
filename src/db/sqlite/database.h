// db/sqlite/database: RAII wrappers for sqlite3 handles, shared by the SQLite store and the SQLite and file
// connectors.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ferry::sqlite {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_), lent_(other.lent_) {
    other.stmt_ = nullptr;
    other.lent_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind_blob(int index, std::string_view value);
  Statement& bind_null(int index);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Advances; true while a row is available.
  bool step();
  // Runs to completion (for statements that return no rows).
  void run();
  void reset();
  int changes() const;

  bool is_null(int column) const;
  int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::optional<int64_t> optional_int64(int column) const;
  int column_type(int column) const;

 private:
  friend class Database;
  // A statement of the connection's cache, lent: reset and given back (*lent = false) instead of finalized.
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool* lent) : db_(db), stmt_(stmt), lent_(lent) {}

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool* lent_ = nullptr;
};

// kReadOnly opens an existing database without creating it or changing its journal mode (sources).
enum class OpenMode { kReadWrite, kReadOnly };
// kOneAtATime connections skip SQLite's own locking (a fifth of a key listing's time): the caller uses the
// connection from one thread at a time, or serialises it itself. interrupt() is safe from any thread either
// way.
enum class Threads { kOneAtATime, kShared };

class Database {
 public:
  // Opens (creating) `path` in WAL mode with a busy timeout; read-only opens only set the busy timeout.
  explicit Database(const std::string& path, OpenMode mode = OpenMode::kReadWrite,
                    Threads threads = Threads::kOneAtATime);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);
  Statement prepare(std::string_view sql) {
    throw_if_interrupted();
    return Statement(db_, sql);
  }
  // The same, but prepared once per connection and kept for the next call with the same SQL (parsing and
  // planning a statement costs more than running a point lookup): for the fixed statements a caller runs
  // again and again. The Statement returned resets it and gives it back. The same SQL lent twice at once
  // gets a statement of its own; past kMaxCachedStatements, statements are no longer kept.
  Statement prepare_cached(std::string_view sql);
  static constexpr size_t kMaxCachedStatements = 128;
  sqlite3* handle() { return db_; }
  int64_t last_insert_rowid() const;
  // Safe from any thread while another uses the connection: the statement running now and every later one
  // fail (FerryError, "interrupted"), so a shutdown past its grace does not wait for a long statement. The
  // connection is of no further use.
  void interrupt();

 private:
  // A statement too short for the progress check (a BEGIN) must not start after an interrupt either.
  void throw_if_interrupted() const;
  static int on_progress(void* self);
  static int on_busy(void* self, int attempts);

  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool lent = false;
  };

  sqlite3* db_ = nullptr;
  std::atomic<bool> interrupted_{false};
  // By SQL text. Elements never move (unordered_map), so a lent Statement may point at its `lent` flag.
  std::unordered_map<std::string, CachedStatement> statements_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

// Quotes an identifier for SQL ("hris.Employee" -> "\"hris.Employee\"").
std::string quote_identifier(std::string_view name);

}  // namespace ferry::sqlite
