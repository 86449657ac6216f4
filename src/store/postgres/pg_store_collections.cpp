// The PostgreSQL store's collections and their members.
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"
#include "store/stored_text.h"

namespace ferry::store {
namespace {

using core::Json;

constexpr const char* kCollectionColumns =
    "SELECT c.id, c.tenant_id, c.readable_id, c.name, c.destination_type, c.destination_config, "
    "c.destination_secrets, c.created_at, c.updated_at FROM collections c ";

Collection read_collection(const postgres::PgResult& r, int row, const core::SecretBox& box) {
  Collection c;
  c.id = r.text(row, 0);
  c.tenant_id = r.text(row, 1);
  c.readable_id = r.text(row, 2);
  c.name = r.text(row, 3);
  c.destination_type = r.text(row, 4);
  c.destination_config = Json::parse(r.text(row, 5));
  // Collections copied from a SQLite store that had them before they had secrets have none.
  if (!r.is_null(row, 6)) c.destination_secrets = Json::parse(box.open(pg::bytes_at(r, row, 6)));
  c.created_at = pg::time_at(r, row, 7);
  c.updated_at = pg::time_at(r, row, 8);
  return c;
}

}  // namespace

bool PgStore::insert_collection(const Collection& c) {
  require_storable_text("readable_id", c.readable_id);
  require_storable_text("name", c.name);
  auto connection = pool_.acquire();
  return connection
             ->exec(
                 "INSERT INTO collections (id, tenant_id, readable_id, name, destination_type, "
                 "destination_config, destination_secrets, created_at, updated_at) VALUES ($1, $2, $3, $4, "
                 "$5, "
                 "$6, $7, $8, $9) ON CONFLICT (tenant_id, readable_id) DO NOTHING",
                 {c.id, c.tenant_id, c.readable_id, c.name, c.destination_type, c.destination_config.dump(),
                  pg::bytea(secrets_.seal(c.destination_secrets.dump())), pg::micros(c.created_at),
                  pg::micros(c.updated_at)})
             .affected() == 1;
}

std::optional<Collection> PgStore::collection(const std::string& tenant_id, const std::string& readable_id) {
  if (!pg::storable(readable_id)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r =
      connection->exec(std::string(kCollectionColumns) + "WHERE c.tenant_id = $1 AND c.readable_id = $2",
                       {tenant_id, readable_id});
  if (r.rows() == 0) return std::nullopt;
  return read_collection(r, 0, secrets_);
}

Page<Collection> PgStore::collections(const std::string& tenant_id, const PageRequest& page) {
  pg::Params params{tenant_id};
  const auto sql =
      std::string(kCollectionColumns) + "WHERE c.tenant_id = $1" + pg::page_tail(page, params, "c.");
  auto connection = pool_.acquire();
  const auto r = connection->exec(sql, params);
  std::vector<Collection> items;
  for (int row = 0; row < r.rows(); ++row) items.push_back(read_collection(r, row, secrets_));
  return pg::make_page(std::move(items), page.limit);
}

bool PgStore::delete_collection(const std::string& tenant_id, const std::string& readable_id) {
  if (!pg::storable(readable_id)) return false;
  auto connection = pool_.acquire();
  // Its memberships go with it (ON DELETE CASCADE).
  return connection
             ->exec("DELETE FROM collections WHERE tenant_id = $1 AND readable_id = $2",
                    {tenant_id, readable_id})
             .affected() == 1;
}

bool PgStore::add_to_collection(const std::string& tenant_id, const std::string& collection_id,
                                const std::string& connection_id) {
  if (!pg::storable(collection_id, connection_id)) return false;
  auto connection = pool_.acquire();
  // Both must be the tenant's: the insert selects them, so another tenant's ids insert nothing.
  try {
    return connection
               ->exec(
                   "INSERT INTO collection_members (connection_id, collection_id, tenant_id) "
                   "SELECT n.id, c.id, c.tenant_id FROM collections c JOIN connections n ON n.tenant_id = "
                   "c.tenant_id WHERE c.tenant_id = $1 AND c.id = $2 AND n.id = $3 "
                   "ON CONFLICT (connection_id) DO UPDATE SET collection_id = excluded.collection_id",
                   {tenant_id, collection_id, connection_id})
               .affected() == 1;
  } catch (const postgres::PgError& e) {
    // Either one deleted by another process after the insert selected it: as if it had been missing.
    if (e.sqlstate() == postgres::kForeignKeyViolation) return false;
    throw;
  }
}

std::optional<Collection> PgStore::collection_of_connection(const std::string& tenant_id,
                                                            const std::string& connection_id) {
  if (!pg::storable(connection_id)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r = connection->exec(std::string(kCollectionColumns) +
                                      "JOIN collection_members m ON m.collection_id = c.id "
                                      "WHERE m.tenant_id = $1 AND m.connection_id = $2",
                                  {tenant_id, connection_id});
  if (r.rows() == 0) return std::nullopt;
  return read_collection(r, 0, secrets_);
}

std::vector<std::string> PgStore::connections_in_collection(const std::string& tenant_id,
                                                            const std::string& collection_id) {
  if (!pg::storable(collection_id)) return {};
  auto connection = pool_.acquire();
  const auto r = connection->exec(
      "SELECT m.connection_id FROM collection_members m JOIN connections n ON n.id = m.connection_id "
      "WHERE m.tenant_id = $1 AND m.collection_id = $2 ORDER BY n.created_at, n.id COLLATE \"C\"",
      {tenant_id, collection_id});
  std::vector<std::string> ids;
  for (int row = 0; row < r.rows(); ++row) ids.push_back(r.text(row, 0));
  return ids;
}

}  // namespace ferry::store
