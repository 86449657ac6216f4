// store/sqlite/reader_pool: the read-only connections the SQLite store reads through, so readers run beside
// each other and beside the single writer (WAL: a reader sees every transaction committed before its
// statement or snapshot began, and never waits for the writer). Connections are opened on first need, up to
// a bound, and a reader that finds them all busy waits for one. A database with no file (":memory:") has
// one connection only: its readers take the writer, under the writer's mutex.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "db/sqlite/database.h"

namespace ferry::store {

class ReaderPool {
 public:
  static constexpr size_t kDefaultMaxReaders = 8;

  ReaderPool(std::string path, sqlite::Database& writer, std::mutex& writer_mutex,
             size_t max_readers = kDefaultMaxReaders);
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // One connection, the caller's alone until the lease ends.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    sqlite::Database& operator*() const { return *db_; }
    sqlite::Database* operator->() const { return db_; }

   private:
    friend class ReaderPool;
    Lease(ReaderPool* pool, std::unique_ptr<sqlite::Database> pooled);
    Lease(sqlite::Database& writer, std::mutex& writer_mutex);

    ReaderPool* pool_ = nullptr;
    std::unique_ptr<sqlite::Database> pooled_;
    std::unique_lock<std::mutex> writer_lock_;
    sqlite::Database* db_ = nullptr;
  };

  Lease lease();
  // Connections opened so far (at most max_readers).
  size_t opened() const;

 private:
  void give_back(std::unique_ptr<sqlite::Database> db);

  std::string path_;
  sqlite::Database& writer_;
  std::mutex& writer_mutex_;
  size_t max_readers_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<sqlite::Database>> idle_;
  size_t opened_ = 0;
};

// A read transaction on a reader: the statements inside it see one snapshot (a run and its tasks agree).
class ReadSnapshot {
 public:
  explicit ReadSnapshot(sqlite::Database& db);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  sqlite::Database& db_;
  bool began_ = false;
};

}  // namespace ferry::store
