#include "store/sqlite/sqlite_store.h"

#include "core/ids.h"
#include "store/page_cursor.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/rows.h"
#include "store/stored_text.h"

namespace ferry::store {

using core::Json;
using Lock = std::lock_guard<std::mutex>;

namespace {
std::optional<core::FileLock> lock_in_use(const std::string& path) {
  if (path == ":memory:") return std::nullopt;
  auto lock = core::FileLock::try_lock(SqliteStore::in_use_lock_path(path), core::FileLock::Mode::kShared);
  if (!lock) {
    throw core::FerryError(core::ErrorCategory::kConfigInvalid,
                           "the store " + path + " is being copied by `ferry admin migrate-store`; use the " +
                               "PostgreSQL store it is moving to");
  }
  return lock;
}
}  // namespace

SqliteStore::SqliteStore(const std::string& path, core::SecretBox secrets)
    : in_use_(lock_in_use(path)),
      db_(path, sqlite::OpenMode::kReadWrite, sqlite::Threads::kShared),
      readers_(path, db_, mutex_, commits_),
      secrets_(std::move(secrets)) {
  sqlite::migrate(db_);
  // Counts the writer's commits for pinned readers (ReaderPool::Pin). The hook runs just before a commit is
  // visible: the writing thread has returned before it reads again, so it always sees its own write; another
  // thread's snapshot may miss that one commit until its request ends.
  sqlite3_commit_hook(
      db_.handle(),
      [](void* commits) {
        static_cast<std::atomic<uint64_t>*>(commits)->fetch_add(1, std::memory_order_release);
        return 0;
      },
      &commits_);
}

namespace {
class PinnedReader final : public Store::PinnedReads {
 public:
  explicit PinnedReader(ReaderPool& pool) : pool_(pool), pin_(pool) {}
  std::optional<SnapshotToken> snapshot() override { return pool_.snapshot_token(); }

 private:
  ReaderPool& pool_;
  ReaderPool::Pin pin_;
};
}  // namespace

std::unique_ptr<Store::PinnedReads> SqliteStore::pin_reads() {
  return std::make_unique<PinnedReader>(readers_);
}

core::Tenant SqliteStore::create_tenant(const std::string& name) {
  require_storable_text("name", name);
  Lock lock(mutex_);
  core::Tenant tenant{core::new_uuid(), name, core::SystemClock().now()};
  auto stmt = db_.prepare_cached("INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)");
  stmt.bind(1, tenant.id).bind(2, tenant.name).bind(3, core::to_micros(tenant.created_at));
  stmt.run();
  return tenant;
}

// ---- api keys: sqlite_store_api_keys.cpp ----

// ---- connections ----

void SqliteStore::insert_connection(const core::Connection& c) {
  require_storable_text("name", c.name);
  require_storable_text("account_token", c.account_token);
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached(
      "INSERT INTO connections (id, tenant_id, name, source_type, config, secrets, account_token, "
      "created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  stmt.bind(1, c.id).bind(2, c.tenant_id).bind(3, c.name).bind(4, c.source_type).bind(5, c.config.dump());
  stmt.bind_blob(6, secrets_.seal(c.secrets.dump())).bind(7, c.account_token);
  stmt.bind(8, core::to_micros(c.created_at)).bind(9, core::to_micros(c.updated_at));
  stmt.run();
}

core::Connection SqliteStore::read_connection(sqlite::Statement& stmt) const {
  core::Connection c;
  c.id = stmt.text(0);
  c.tenant_id = stmt.text(1);
  c.name = stmt.text(2);
  c.source_type = stmt.text(3);
  c.config = Json::parse(stmt.text(4));
  c.secrets = Json::parse(secrets_.open(stmt.text(5)));
  c.account_token = stmt.text(6);
  c.created_at = core::from_micros(stmt.int64(7));
  c.updated_at = core::from_micros(stmt.int64(8));
  return c;
}

constexpr const char* kConnectionColumns =
    "SELECT id, tenant_id, name, source_type, config, secrets, account_token, created_at, updated_at FROM "
    "connections ";

std::optional<core::Connection> SqliteStore::connection(const std::string& tenant_id, const std::string& id) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(std::string(kConnectionColumns) + "WHERE tenant_id = ? AND id = ?");
  stmt.bind(1, tenant_id).bind(2, id);
  if (!stmt.step()) return std::nullopt;
  return read_connection(stmt);
}

std::optional<core::Connection> SqliteStore::connection_by_account_token(const std::string& tenant_id,
                                                                         const std::string& token) {
  auto reader = readers_.lease();
  auto stmt =
      reader->prepare_cached(std::string(kConnectionColumns) + "WHERE tenant_id = ? AND account_token = ?");
  stmt.bind(1, tenant_id).bind(2, token);
  if (!stmt.step()) return std::nullopt;
  return read_connection(stmt);
}

Page<core::Connection> SqliteStore::connections(const std::string& tenant_id, const PageRequest& page) {
  auto reader = readers_.lease();
  auto stmt =
      reader->prepare_cached(std::string(kConnectionColumns) + "WHERE tenant_id = ? " +
                             sqlite::page_condition(page) + " ORDER BY created_at DESC, id DESC LIMIT ?");
  stmt.bind(1, tenant_id);
  sqlite::bind_page(stmt, page, 2);
  std::vector<core::Connection> items;
  while (stmt.step()) items.push_back(read_connection(stmt));
  return sqlite::make_page(std::move(items), page.limit);
}

bool SqliteStore::update_connection(const core::Connection& c) {
  require_storable_text("name", c.name);
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached(
      "UPDATE connections SET name = ?, config = ?, secrets = ?, updated_at = ? WHERE tenant_id = ? AND id = "
      "?");
  stmt.bind(1, c.name).bind(2, c.config.dump()).bind_blob(3, secrets_.seal(c.secrets.dump()));
  stmt.bind(4, core::to_micros(c.updated_at)).bind(5, c.tenant_id).bind(6, c.id);
  stmt.run();
  return stmt.changes() == 1;
}

DeleteResult SqliteStore::delete_connection(const std::string& tenant_id, const std::string& id) {
  Lock lock(mutex_);
  sqlite::Transaction tx(db_);
  auto in_use = db_.prepare_cached("SELECT 1 FROM syncs WHERE connection_id = ? LIMIT 1");
  in_use.bind(1, id);
  auto remove = db_.prepare_cached("DELETE FROM connections WHERE tenant_id = ? AND id = ?");
  remove.bind(1, tenant_id).bind(2, id);
  auto exists = db_.prepare_cached("SELECT 1 FROM connections WHERE tenant_id = ? AND id = ?");
  exists.bind(1, tenant_id).bind(2, id);
  if (!exists.step()) return DeleteResult::kNotFound;
  if (in_use.step()) return DeleteResult::kInUse;
  remove.run();
  tx.commit();
  return DeleteResult::kDeleted;
}

// ---- events, idempotency ----

void SqliteStore::append_event(const core::Event& e) {
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached(
      "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, ?, ?, ?)");
  stmt.bind(1, e.id)
      .bind(2, e.tenant_id)
      .bind(3, e.type)
      .bind(4, e.payload.dump())
      .bind(5, core::to_micros(e.created_at));
  stmt.run();
}

std::vector<core::Event> SqliteStore::events(const std::string& tenant_id, int limit) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(
      "SELECT id, tenant_id, type, payload, created_at FROM events WHERE tenant_id = ? ORDER BY created_at "
      "DESC LIMIT ?");
  stmt.bind(1, tenant_id).bind(2, limit);
  std::vector<core::Event> out;
  while (stmt.step()) {
    out.push_back({stmt.text(0), stmt.text(1), stmt.text(2), Json::parse(stmt.text(3)),
                   core::from_micros(stmt.int64(4))});
  }
  return out;
}

std::optional<StoredResponse> SqliteStore::idempotent_response(const std::string& tenant_id,
                                                               const std::string& key) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(
      "SELECT fingerprint, status, body FROM idempotency_keys WHERE tenant_id = ? AND key = ?");
  stmt.bind(1, tenant_id).bind(2, key);
  if (!stmt.step()) return std::nullopt;
  return StoredResponse{stmt.text(0), static_cast<int>(stmt.int64(1)), stmt.text(2)};
}

void SqliteStore::save_idempotent_response(const std::string& tenant_id, const std::string& key,
                                           const StoredResponse& response) {
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached(
      "INSERT OR IGNORE INTO idempotency_keys (tenant_id, key, fingerprint, status, body, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  stmt.bind(1, tenant_id)
      .bind(2, key)
      .bind(3, response.fingerprint)
      .bind(4, response.status)
      .bind(5, response.body);
  stmt.bind(6, core::to_micros(core::SystemClock().now()));
  stmt.run();
}

}  // namespace ferry::store
