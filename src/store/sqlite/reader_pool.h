// store/sqlite/reader_pool: the read-only connections the SQLite store reads through, so readers run beside
// each other and beside the single writer (WAL: a reader sees every transaction committed before its
// statement or snapshot began, and never waits for the writer). Connections are opened on first need, up to
// a bound, and a reader that finds them all busy waits for one. A database with no file (":memory:") has
// one connection only: its readers take the writer, under the writer's mutex.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "db/sqlite/database.h"
#include "store/store.h"

namespace ferry::store {

class ReaderPool {
 public:
  static constexpr size_t kDefaultMaxReaders = 8;

  // `commits` counts the writes committed through `writer`: a pinned reader whose snapshot is older begins
  // a new one before its next read.
  ReaderPool(std::string path, sqlite::Database& writer, std::mutex& writer_mutex,
             const std::atomic<uint64_t>& commits, size_t max_readers = kDefaultMaxReaders);
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
    explicit Lease(sqlite::Database* pinned);
    Lease(sqlite::Database& writer, std::mutex& writer_mutex);

    ReaderPool* pool_ = nullptr;
    std::unique_ptr<sqlite::Database> pooled_;
    std::unique_lock<std::mutex> writer_lock_;
    sqlite::Database* db_ = nullptr;
  };

  // The calling thread's pinned reader when it holds a Pin, else a connection of its own for the lease.
  Lease lease();
  // Connections opened so far (at most max_readers).
  size_t opened() const;

  // Until it ends, the calling thread's leases are one reader inside one read transaction (taken at its
  // first lease), begun again when the writer has committed since. A database without a file pins nothing.
  class Pin {
   public:
    explicit Pin(ReaderPool& pool);
    ~Pin();
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;

   private:
    ReaderPool* pool_ = nullptr;
  };

  // The snapshot the calling thread's Pin reads from here on, begun now if none is open (or if the writer has
  // committed since it began): its reader and that reader's `PRAGMA data_version` inside it, which changes
  // whenever any other connection, in any process, has committed. nullopt without a Pin or a file.
  std::optional<SnapshotToken> snapshot_token();

 private:
  struct Pinned {
    std::unique_ptr<sqlite::Database> db;  // null until the thread's first lease
    uint64_t snapshot_commits = 0;         // the writer's commits when its read transaction began
    uint64_t reader = 0;                   // db's serial number
    std::optional<int64_t> data_version;   // read inside the open read transaction; reset by each BEGIN
  };
  std::unique_ptr<sqlite::Database> take();  // an idle connection or a new one; waits at the bound
  void give_back(std::unique_ptr<sqlite::Database> db);
  sqlite::Database& pinned_reader(Pinned& pinned);
  void unpin();

  std::string path_;
  sqlite::Database& writer_;
  std::mutex& writer_mutex_;
  size_t max_readers_;
  const std::atomic<uint64_t>& commits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::thread::id, Pinned> pinned_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<sqlite::Database>> idle_;
  size_t opened_ = 0;
  // Each connection's serial number, for snapshot tokens: an address could be reused, a serial is not.
  std::unordered_map<const sqlite::Database*, uint64_t> serials_;
  uint64_t last_serial_ = 0;
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
