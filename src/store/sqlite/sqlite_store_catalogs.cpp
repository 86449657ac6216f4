// The SQLite store's connection catalogs: what each connection's source last discovered.
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {

using Lock = std::lock_guard<std::mutex>;

std::optional<StoredCatalog> SqliteStore::connection_catalog(const std::string& tenant_id,
                                                             const std::string& connection_id) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(
      "SELECT models, refreshed_at FROM connection_catalogs WHERE tenant_id = ? AND connection_id = ?");
  stmt.bind(1, tenant_id).bind(2, connection_id);
  if (!stmt.step()) return std::nullopt;
  return StoredCatalog{core::Json::parse(stmt.text(0)), core::from_micros(stmt.int64(1))};
}

std::optional<std::vector<std::string>> SqliteStore::connection_model_ids(const std::string& tenant_id,
                                                                          const std::string& connection_id) {
  auto reader = readers_.lease();
  // SQLite's JSON reader picks the ids out; building the catalog's whole document to read them cost a poll
  // more than its queries did. An empty catalog is one row with a NULL id; no catalog, no row.
  auto stmt = reader->prepare_cached(
      "SELECT json_extract(m.value, '$.model_id') FROM connection_catalogs c LEFT JOIN json_each(c.models) m "
      "WHERE c.tenant_id = ? AND c.connection_id = ? ORDER BY m.key");
  stmt.bind(1, tenant_id).bind(2, connection_id);
  if (!stmt.step()) return std::nullopt;
  std::vector<std::string> ids;
  do {
    if (stmt.is_null(0)) continue;
    ids.push_back(stmt.text(0));
  } while (stmt.step());
  return ids;
}

void SqliteStore::save_connection_catalog(const std::string& tenant_id, const std::string& connection_id,
                                          const StoredCatalog& catalog) {
  Lock lock(mutex_);
  // Only a connection of this tenant gets a catalog (the insert selects it); a deleted one gets none.
  auto stmt = db_.prepare_cached(
      "INSERT INTO connection_catalogs (connection_id, tenant_id, models, refreshed_at) "
      "SELECT id, tenant_id, ?, ? FROM connections WHERE tenant_id = ? AND id = ? "
      "ON CONFLICT (connection_id) DO UPDATE SET models = excluded.models, refreshed_at = "
      "excluded.refreshed_at");
  stmt.bind(1, catalog.models.dump())
      .bind(2, core::to_micros(catalog.refreshed_at))
      .bind(3, tenant_id)
      .bind(4, connection_id);
  stmt.run();
}

}  // namespace ferry::store
