#include "store/sqlite/reader_pool.h"

namespace ferry::store {
namespace {

bool has_file(const std::string& path) {
  return !path.empty() && path != ":memory:" && path.rfind("file::memory:", 0) != 0;
}

// Ends a read transaction: nothing to keep, so a failed COMMIT rolls back and leaves the connection fit for
// its next use.
void end_read(sqlite::Database& db) {
  try {
    db.prepare_cached("COMMIT").run();
  } catch (const std::exception&) {
    sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

}  // namespace

ReaderPool::ReaderPool(std::string path, sqlite::Database& writer, std::mutex& writer_mutex,
                       const std::atomic<uint64_t>& commits, size_t max_readers)
    : path_(std::move(path)),
      writer_(writer),
      writer_mutex_(writer_mutex),
      max_readers_(has_file(path_) ? max_readers : 0),
      commits_(commits) {}

ReaderPool::Lease ReaderPool::lease() {
  if (max_readers_ == 0) return Lease(writer_, writer_mutex_);
  {
    std::unique_lock lock(mutex_);
    if (auto it = pinned_.find(std::this_thread::get_id()); it != pinned_.end()) {
      // Only this thread touches its entry, and an unordered_map's elements stay where they are.
      Pinned& pinned = it->second;
      lock.unlock();
      return Lease(&pinned_reader(pinned));
    }
  }
  return Lease(this, take());
}

std::unique_ptr<sqlite::Database> ReaderPool::take() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [this] { return !idle_.empty() || opened_ < max_readers_; });
  if (!idle_.empty()) {
    auto db = std::move(idle_.back());
    idle_.pop_back();
    return db;
  }
  ++opened_;
  lock.unlock();
  std::unique_ptr<sqlite::Database> db;
  try {
    // Read-write, so it shares the writer's WAL and error categories; query_only, so it never writes.
    db =
        std::make_unique<sqlite::Database>(path_, sqlite::OpenMode::kReadWrite, sqlite::Threads::kOneAtATime);
    db->exec("PRAGMA query_only = 1");
  } catch (...) {
    lock.lock();
    --opened_;
    returned_.notify_one();
    throw;
  }
  lock.lock();
  serials_[db.get()] = ++last_serial_;
  return db;
}

sqlite::Database& ReaderPool::pinned_reader(Pinned& pinned) {
  if (!pinned.db) {
    pinned.db = take();
    std::lock_guard lock(mutex_);
    pinned.reader = serials_.at(pinned.db.get());
  }
  auto& db = *pinned.db;
  const uint64_t commits = commits_.load(std::memory_order_acquire);
  const bool in_snapshot = sqlite3_get_autocommit(db.handle()) == 0;
  if (in_snapshot && pinned.snapshot_commits == commits) return db;
  if (in_snapshot) end_read(db);
  // The count is read before BEGIN: a commit that lands in between makes the next lease begin again, never
  // keeps a snapshot that misses it.
  pinned.snapshot_commits = commits;
  pinned.data_version.reset();
  db.prepare_cached("BEGIN").run();
  return db;
}

std::optional<SnapshotToken> ReaderPool::snapshot_token() {
  if (max_readers_ == 0) return std::nullopt;
  Pinned* pinned = nullptr;
  {
    std::lock_guard lock(mutex_);
    const auto it = pinned_.find(std::this_thread::get_id());
    if (it == pinned_.end()) return std::nullopt;
    pinned = &it->second;  // only this thread touches its entry
  }
  auto& db = pinned_reader(*pinned);
  if (!pinned->data_version) {
    // The transaction's first read: it takes the snapshot the version names, and the thread's reads see.
    auto version = db.prepare_cached("PRAGMA data_version");
    version.step();
    pinned->data_version = version.int64(0);
  }
  return SnapshotToken{pinned->reader, *pinned->data_version};
}

ReaderPool::Pin::Pin(ReaderPool& pool) {
  if (pool.max_readers_ == 0) return;
  std::lock_guard lock(pool.mutex_);
  if (pool.pinned_.try_emplace(std::this_thread::get_id()).second) pool_ = &pool;  // nested pins: the outer
}

ReaderPool::Pin::~Pin() {
  if (pool_ != nullptr) pool_->unpin();
}

void ReaderPool::unpin() {
  std::unique_ptr<sqlite::Database> db;
  {
    std::lock_guard lock(mutex_);
    const auto it = pinned_.find(std::this_thread::get_id());
    if (it == pinned_.end()) return;
    db = std::move(it->second.db);
    pinned_.erase(it);
  }
  if (!db) return;
  if (sqlite3_get_autocommit(db->handle()) == 0) end_read(*db);
  give_back(std::move(db));
}

size_t ReaderPool::opened() const {
  std::lock_guard lock(mutex_);
  return opened_;
}

void ReaderPool::give_back(std::unique_ptr<sqlite::Database> db) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(db));
  }
  returned_.notify_one();
}

ReaderPool::Lease::Lease(ReaderPool* pool, std::unique_ptr<sqlite::Database> pooled)
    : pool_(pool), pooled_(std::move(pooled)), db_(pooled_.get()) {}

ReaderPool::Lease::Lease(sqlite::Database* pinned) : db_(pinned) {}

ReaderPool::Lease::Lease(sqlite::Database& writer, std::mutex& writer_mutex)
    : writer_lock_(writer_mutex), db_(&writer) {}

ReaderPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_),
      pooled_(std::move(other.pooled_)),
      writer_lock_(std::move(other.writer_lock_)),
      db_(other.db_) {
  other.pool_ = nullptr;
  other.db_ = nullptr;
}

ReaderPool::Lease::~Lease() {
  if (pool_ != nullptr && pooled_ != nullptr) pool_->give_back(std::move(pooled_));
}

ReadSnapshot::ReadSnapshot(sqlite::Database& db) : db_(db) {
  // Inside a write transaction (the writer's own reads) the transaction already is the snapshot.
  if (sqlite3_get_autocommit(db_.handle()) == 0) return;
  db_.prepare_cached("BEGIN").run();
  began_ = true;
}

ReadSnapshot::~ReadSnapshot() {
  if (began_) end_read(db_);
}

}  // namespace ferry::store
