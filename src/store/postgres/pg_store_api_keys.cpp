// The PostgreSQL store's API keys: issued, resolved to their tenant, listed and revoked. Only a key's SHA-256
// is stored; its secret exists once, in what issue_api_key returns. Every process caches the keys it has
// authenticated under the revocation generation (api_key_generation, raised by triggers whichever process
// revokes), so a key revoked anywhere fails on its very next request everywhere.
#include <fmt/format.h>

#include "core/ids.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace ferry::store {
namespace {

constexpr const char* kApiKeyColumns = "id, tenant_id, prefix, created_at, last_used_at, revoked_at";

ApiKey read_api_key(const postgres::PgResult& r, int row) {
  return ApiKey{r.text(row, 0),
                r.text(row, 1),
                r.text(row, 2),
                pg::time_at(r, row, 3),
                pg::optional_time(r, row, 4),
                pg::optional_time(r, row, 5)};
}

// Writes last_used_at when the stored one is older than its resolution; returns the time now stored.
std::optional<core::Timestamp> touch_api_key(postgres::PgConnection& connection, const std::string& key_id,
                                             std::optional<core::Timestamp> last_used) {
  const auto now = core::SystemClock().now();
  if (last_used && now - *last_used < kApiKeyLastUsedResolution) return last_used;
  connection.exec_prepared("UPDATE api_keys SET last_used_at = $1 WHERE id = $2", {pg::micros(now), key_id});
  return now;
}

}  // namespace

CreatedApiKey PgStore::issue_api_key(const std::string& tenant_id) {
  const auto created = new_api_key(tenant_id);
  auto connection = pool_.acquire();
  connection->exec(
      "INSERT INTO api_keys (key_hash, id, tenant_id, prefix, created_at) VALUES ($1, $2, $3, $4, $5)",
      {core::hash_api_key(created.secret), created.key.id, tenant_id, created.key.prefix,
       pg::micros(created.key.created_at)});
  return created;
}

std::optional<core::Tenant> PgStore::tenant_for_api_key(const std::string& key) {
  const std::string key_hash = core::hash_api_key(key);
  auto connection = pool_.acquire();
  // The generation first: a revocation committed after it is seen by the next lookup, one before it by
  // this one (the key query below is a later statement, so it reads at least as new a snapshot).
  // Prepared: every authenticated request runs these.
  const auto generation_row =
      connection->exec_prepared("SELECT value FROM api_key_generation WHERE id = 1", {});
  const int64_t generation = generation_row.rows() > 0 ? generation_row.int64(0, 0) : 0;
  auto found = key_cache_.find(key_hash, generation);
  if (!found) {
    const auto r = connection->exec_prepared(
        "SELECT t.id, t.name, t.created_at, k.id, k.last_used_at FROM api_keys k JOIN tenants t ON t.id = "
        "k.tenant_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
        {key_hash});
    if (r.rows() == 0) return std::nullopt;
    found = CachedApiKey{core::Tenant{r.text(0, 0), r.text(0, 1), pg::time_at(r, 0, 2)}, r.text(0, 3),
                         pg::optional_time(r, 0, 4)};
    key_cache_.remember(key_hash, generation, *found);
  }
  const auto last_used = touch_api_key(*connection, found->key_id, found->last_used_at);
  if (last_used != found->last_used_at) {
    found->last_used_at = last_used;
    key_cache_.remember(key_hash, generation, *found);
  }
  return std::move(found->tenant);
}

Page<ApiKey> PgStore::api_keys(const std::string& tenant_id, const PageRequest& page) {
  pg::Params params{tenant_id};
  const auto sql = fmt::format("SELECT {} FROM api_keys WHERE tenant_id = $1{}", kApiKeyColumns,
                               pg::page_tail(page, params));
  auto connection = pool_.acquire();
  const auto r = connection->exec(sql, params);
  std::vector<ApiKey> items;
  for (int row = 0; row < r.rows(); ++row) items.push_back(read_api_key(r, row));
  return pg::make_page(std::move(items), page.limit);
}

// revoked_at is set unless already set, so the first revocation's time is the one kept (and only a first
// revocation raises the generation: the trigger fires when revoked_at changes).
bool PgStore::revoke_api_key(const std::string& tenant_id, const std::string& id) {
  if (!pg::storable(id)) return false;
  auto connection = pool_.acquire();
  return connection
             ->exec(
                 "UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE tenant_id = $2 AND id = $3",
                 {pg::micros(core::SystemClock().now()), tenant_id, id})
             .affected() == 1;
}

std::optional<ApiKey> PgStore::revoke_api_key_of_any_tenant(const std::string& id) {
  if (!pg::storable(id)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r = connection->exec(
      fmt::format("UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 RETURNING {}",
                  kApiKeyColumns),
      {pg::micros(core::SystemClock().now()), id});
  if (r.rows() == 0) return std::nullopt;
  return read_api_key(r, 0);
}

}  // namespace ferry::store
