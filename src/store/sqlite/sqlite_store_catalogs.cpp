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
  auto stmt = reader->prepare_cached(
      "SELECT model_ids FROM connection_catalogs WHERE tenant_id = ? AND connection_id = ?");
  stmt.bind(1, tenant_id).bind(2, connection_id);
  if (!stmt.step()) return std::nullopt;
  std::vector<std::string> ids;
  if (stmt.is_null(0)) return ids;
  for (const auto& id : core::Json::parse(stmt.text(0))) {
    if (id.is_string()) ids.push_back(id.get<std::string>());
  }
  return ids;
}

void SqliteStore::save_connection_catalog(const std::string& tenant_id, const std::string& connection_id,
                                          const StoredCatalog& catalog) {
  Lock lock(mutex_);
  // Only a connection of this tenant gets a catalog (the insert selects it); a deleted one gets none.
  auto stmt = db_.prepare_cached(
      "INSERT INTO connection_catalogs (connection_id, tenant_id, models, refreshed_at, model_ids) "
      "SELECT id, tenant_id, ?1, ?2, (SELECT json_group_array(id) FROM (SELECT json_extract(m.value, "
      "'$.model_id') AS id FROM json_each(?1) m ORDER BY m.key)) FROM connections WHERE tenant_id = ?3 AND "
      "id = ?4 "
      "ON CONFLICT (connection_id) DO UPDATE SET models = excluded.models, refreshed_at = "
      "excluded.refreshed_at, model_ids = excluded.model_ids");
  stmt.bind(1, catalog.models.dump())
      .bind(2, core::to_micros(catalog.refreshed_at))
      .bind(3, tenant_id)
      .bind(4, connection_id);
  stmt.run();
}

}  // namespace ferry::store
