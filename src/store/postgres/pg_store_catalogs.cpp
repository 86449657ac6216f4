// The PostgreSQL store's connection catalogs: what each connection's source last discovered.
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace ferry::store {
namespace {

// The catalog's model ids in order, stored beside it so a status poll reads them without parsing the whole
// catalog: what SQLite's json_group_array(json_extract(model, '$.model_id')) stores, null for a model
// without a string id (skipped when read).
std::string model_ids_of(const core::Json& models) {
  auto ids = core::Json::array();
  for (const auto& model : models) {
    const auto id = model.is_object() ? model.find("model_id") : model.end();
    ids.push_back(model.is_object() && id != model.end() ? *id : core::Json());
  }
  return ids.dump();
}

}  // namespace

std::optional<StoredCatalog> PgStore::connection_catalog(const std::string& tenant_id,
                                                         const std::string& connection_id) {
  if (!pg::storable(connection_id)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r = connection->exec(
      "SELECT models, refreshed_at FROM connection_catalogs WHERE tenant_id = $1 AND connection_id = $2",
      {tenant_id, connection_id});
  if (r.rows() == 0) return std::nullopt;
  return StoredCatalog{core::Json::parse(r.text(0, 0)), pg::time_at(r, 0, 1)};
}

std::optional<std::vector<std::string>> PgStore::connection_model_ids(const std::string& tenant_id,
                                                                      const std::string& connection_id) {
  if (!pg::storable(connection_id)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r = connection->exec(
      "SELECT model_ids FROM connection_catalogs WHERE tenant_id = $1 AND connection_id = $2",
      {tenant_id, connection_id});
  if (r.rows() == 0) return std::nullopt;
  std::vector<std::string> ids;
  if (r.is_null(0, 0)) return ids;
  for (const auto& id : core::Json::parse(r.text(0, 0))) {
    if (id.is_string()) ids.push_back(id.get<std::string>());
  }
  return ids;
}

void PgStore::save_connection_catalog(const std::string& tenant_id, const std::string& connection_id,
                                      const StoredCatalog& catalog) {
  auto connection = pool_.acquire();
  // Only a connection of this tenant gets a catalog (the insert selects it); a deleted one gets none, also
  // when another process deletes it after the insert selected it (the foreign key check then refuses).
  try {
    connection->exec(
        "INSERT INTO connection_catalogs (connection_id, tenant_id, models, refreshed_at, model_ids) "
        "SELECT id, tenant_id, $1, $2, $3 FROM connections WHERE tenant_id = $4 AND id = $5 "
        "ON CONFLICT (connection_id) DO UPDATE SET models = excluded.models, refreshed_at = "
        "excluded.refreshed_at, model_ids = excluded.model_ids",
        {catalog.models.dump(), pg::micros(catalog.refreshed_at), model_ids_of(catalog.models), tenant_id,
         connection_id});
  } catch (const postgres::PgError& e) {
    if (e.sqlstate() != postgres::kForeignKeyViolation) throw;
  }
}

}  // namespace ferry::store
