// The SQLite store's API keys: issued, resolved to their tenant, listed and revoked. Only a key's SHA-256
// is stored; its secret exists once, in what issue_api_key returns.
#include <fmt/format.h>

#include "core/ids.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {
namespace {

using Lock = std::lock_guard<std::mutex>;

constexpr std::string_view kKeyPrefix = "fry_";
constexpr size_t kDisplayedSecretChars = 8;
// last_used_at is for people reading a list: a minute is precise enough, and saves a write per request.
constexpr auto kLastUsedResolution = std::chrono::minutes(1);

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
  auto stmt = db.prepare("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?");
  stmt.bind(1, core::to_micros(core::SystemClock().now())).bind(2, id);
  stmt.run();
  return stmt.changes() == 1;
}

}  // namespace

CreatedApiKey SqliteStore::issue_api_key(const std::string& tenant_id) {
  Lock lock(mutex_);
  CreatedApiKey created;
  created.secret = core::new_token(kKeyPrefix);
  created.key = ApiKey{core::new_uuid(),
                       tenant_id,
                       created.secret.substr(0, kKeyPrefix.size() + kDisplayedSecretChars),
                       core::SystemClock().now(),
                       std::nullopt,
                       std::nullopt};
  auto stmt = db_.prepare(
      "INSERT INTO api_keys (key_hash, id, tenant_id, prefix, created_at) VALUES (?, ?, ?, ?, ?)");
  stmt.bind(1, core::hash_api_key(created.secret)).bind(2, created.key.id).bind(3, tenant_id);
  stmt.bind(4, created.key.prefix).bind(5, core::to_micros(created.key.created_at));
  stmt.run();
  return created;
}

std::optional<core::Tenant> SqliteStore::tenant_for_api_key(const std::string& key) {
  Lock lock(mutex_);
  auto stmt = db_.prepare(
      "SELECT t.id, t.name, t.created_at, k.id, k.last_used_at FROM api_keys k JOIN tenants t ON t.id = "
      "k.tenant_id WHERE k.key_hash = ? AND k.revoked_at IS NULL");
  stmt.bind(1, core::hash_api_key(key));
  if (!stmt.step()) return std::nullopt;
  core::Tenant tenant{stmt.text(0), stmt.text(1), core::from_micros(stmt.int64(2))};
  const std::string key_id = stmt.text(3);
  const auto last_used = sqlite::optional_time(stmt, 4);
  const auto now = core::SystemClock().now();
  if (!last_used || now - *last_used >= kLastUsedResolution) {
    auto touch = db_.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?");
    touch.bind(1, core::to_micros(now)).bind(2, key_id);
    touch.run();
  }
  return tenant;
}

Page<ApiKey> SqliteStore::api_keys(const std::string& tenant_id, const PageRequest& page) {
  Lock lock(mutex_);
  auto stmt = db_.prepare(fmt::format("{} WHERE tenant_id = ? {} ORDER BY created_at DESC, id DESC LIMIT ?",
                                      kApiKeyColumns, sqlite::page_condition(page)));
  stmt.bind(1, tenant_id);
  sqlite::bind_page(stmt, page, 2);
  std::vector<ApiKey> items;
  while (stmt.step()) items.push_back(read_api_key(stmt));
  return sqlite::make_page(std::move(items), page.limit);
}

bool SqliteStore::revoke_api_key(const std::string& tenant_id, const std::string& id) {
  Lock lock(mutex_);
  auto owned = db_.prepare("SELECT 1 FROM api_keys WHERE tenant_id = ? AND id = ?");
  owned.bind(1, tenant_id).bind(2, id);
  if (!owned.step()) return false;
  return mark_revoked(db_, id);
}

std::optional<ApiKey> SqliteStore::revoke_api_key_of_any_tenant(const std::string& id) {
  Lock lock(mutex_);
  if (!mark_revoked(db_, id)) return std::nullopt;
  auto stmt = db_.prepare(fmt::format("{} WHERE id = ?", kApiKeyColumns));
  stmt.bind(1, id);
  if (!stmt.step()) return std::nullopt;
  return read_api_key(stmt);
}

bool SqliteStore::tenant_exists(const std::string& tenant_id) {
  Lock lock(mutex_);
  auto stmt = db_.prepare("SELECT 1 FROM tenants WHERE id = ?");
  stmt.bind(1, tenant_id);
  return stmt.step();
}

}  // namespace ferry::store
