// The SQLite store's API keys: issued, resolved to their tenant, listed and revoked. Only a key's SHA-256
// is stored; its secret exists once, in what issue_api_key returns.
#include <fmt/format.h>

#include "core/ids.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {
namespace {

using Lock = std::lock_guard<std::mutex>;

constexpr const char* kApiKeyColumns =
    "SELECT id, tenant_id, prefix, created_at, last_used_at, revoked_at FROM api_keys";

ApiKey read_api_key(const sqlite::Statement& stmt) {
  return ApiKey{stmt.text(0),
                stmt.text(1),
                stmt.text(2),
                core::from_micros(stmt.int64(3)),
                sqlite::optional_time(stmt, 4),
                sqlite::optional_time(stmt, 5)};
}

// Sets revoked_at unless already set, so the first revocation's time is the one kept.
bool mark_revoked(sqlite::Database& db, const std::string& id) {
  auto stmt = db.prepare_cached("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?");
  stmt.bind(1, core::to_micros(core::SystemClock().now())).bind(2, id);
  stmt.run();
  return stmt.changes() == 1;
}

}  // namespace

CreatedApiKey SqliteStore::issue_api_key(const std::string& tenant_id) {
  Lock lock(mutex_);
  const auto created = new_api_key(tenant_id);
  auto stmt = db_.prepare_cached(
      "INSERT INTO api_keys (key_hash, id, tenant_id, prefix, created_at) VALUES (?, ?, ?, ?, ?)");
  stmt.bind(1, core::hash_api_key(created.secret)).bind(2, created.key.id).bind(3, tenant_id);
  stmt.bind(4, created.key.prefix).bind(5, core::to_micros(created.key.created_at));
  stmt.run();
  return created;
}

std::optional<core::Tenant> SqliteStore::tenant_for_api_key(const std::string& key) {
  const std::string key_hash = core::hash_api_key(key);
  std::optional<CachedApiKey> found;
  int64_t generation = 0;
  {
    auto reader = readers_.lease();
    // The generation first: a revocation committed after it is seen by the next lookup, one before it by
    // this one (the key query below reads at least as new a snapshot).
    auto generation_stmt = reader->prepare_cached("SELECT value FROM api_key_generation WHERE id = 1");
    generation = generation_stmt.step() ? generation_stmt.int64(0) : 0;
    found = key_cache_.find(key_hash, generation);
    if (!found) {
      auto stmt = reader->prepare_cached(
          "SELECT t.id, t.name, t.created_at, k.id, k.last_used_at FROM api_keys k JOIN tenants t ON t.id = "
          "k.tenant_id WHERE k.key_hash = ? AND k.revoked_at IS NULL");
      stmt.bind(1, key_hash);
      if (!stmt.step()) return std::nullopt;
      found = CachedApiKey{core::Tenant{stmt.text(0), stmt.text(1), core::from_micros(stmt.int64(2))},
                           stmt.text(3), sqlite::optional_time(stmt, 4)};
      key_cache_.remember(key_hash, generation, *found);
    }
  }
  // After the reader is back: the touch takes the writer.
  const auto last_used = touch_api_key(found->key_id, found->last_used_at);
  if (last_used != found->last_used_at) {
    found->last_used_at = last_used;
    key_cache_.remember(key_hash, generation, *found);
  }
  return std::move(found->tenant);
}

std::optional<core::Timestamp> SqliteStore::touch_api_key(const std::string& key_id,
                                                          std::optional<core::Timestamp> last_used) {
  const auto now = core::SystemClock().now();
  if (last_used && now - *last_used < kApiKeyLastUsedResolution) return last_used;
  Lock lock(mutex_);
  auto touch = db_.prepare_cached("UPDATE api_keys SET last_used_at = ? WHERE id = ?");
  touch.bind(1, core::to_micros(now)).bind(2, key_id);
  touch.run();
  return now;
}

Page<ApiKey> SqliteStore::api_keys(const std::string& tenant_id, const PageRequest& page) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(
      fmt::format("{} WHERE tenant_id = ? {} ORDER BY created_at DESC, id DESC LIMIT ?", kApiKeyColumns,
                  sqlite::page_condition(page)));
  stmt.bind(1, tenant_id);
  sqlite::bind_page(stmt, page, 2);
  std::vector<ApiKey> items;
  while (stmt.step()) items.push_back(read_api_key(stmt));
  return sqlite::make_page(std::move(items), page.limit);
}

bool SqliteStore::revoke_api_key(const std::string& tenant_id, const std::string& id) {
  Lock lock(mutex_);
  auto owned = db_.prepare_cached("SELECT 1 FROM api_keys WHERE tenant_id = ? AND id = ?");
  owned.bind(1, tenant_id).bind(2, id);
  if (!owned.step()) return false;
  return mark_revoked(db_, id);
}

std::optional<ApiKey> SqliteStore::revoke_api_key_of_any_tenant(const std::string& id) {
  Lock lock(mutex_);
  if (!mark_revoked(db_, id)) return std::nullopt;
  auto stmt = db_.prepare_cached(fmt::format("{} WHERE id = ?", kApiKeyColumns));
  stmt.bind(1, id);
  if (!stmt.step()) return std::nullopt;
  return read_api_key(stmt);
}

bool SqliteStore::tenant_exists(const std::string& tenant_id) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached("SELECT 1 FROM tenants WHERE id = ?");
  stmt.bind(1, tenant_id);
  return stmt.step();
}

}  // namespace ferry::store
