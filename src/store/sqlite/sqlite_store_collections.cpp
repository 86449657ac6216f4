// The SQLite store's collections and their members (migration 8).
#include "store/sqlite/rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/stored_text.h"

namespace ferry::store {
namespace {

using core::Json;
using Lock = std::lock_guard<std::mutex>;

constexpr const char* kCollectionColumns =
    "SELECT c.id, c.tenant_id, c.readable_id, c.name, c.destination_type, c.destination_config, "
    "c.destination_secrets, c.created_at, c.updated_at FROM collections c ";

Collection read_collection(sqlite::Statement& stmt, const core::SecretBox& box) {
  Collection c;
  c.id = stmt.text(0);
  c.tenant_id = stmt.text(1);
  c.readable_id = stmt.text(2);
  c.name = stmt.text(3);
  c.destination_type = stmt.text(4);
  c.destination_config = Json::parse(stmt.text(5));
  // Collections carried over from SQLite files (migration 8) have no secrets.
  if (!stmt.is_null(6)) c.destination_secrets = Json::parse(box.open(stmt.text(6)));
  c.created_at = core::from_micros(stmt.int64(7));
  c.updated_at = core::from_micros(stmt.int64(8));
  return c;
}

}  // namespace

bool SqliteStore::insert_collection(const Collection& c) {
  require_storable_text("readable_id", c.readable_id);
  require_storable_text("name", c.name);
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached(
      "INSERT INTO collections (id, tenant_id, readable_id, name, destination_type, destination_config, "
      "destination_secrets, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (tenant_id, readable_id) DO NOTHING");
  stmt.bind(1, c.id).bind(2, c.tenant_id).bind(3, c.readable_id).bind(4, c.name).bind(5, c.destination_type);
  stmt.bind(6, c.destination_config.dump()).bind_blob(7, secrets_.seal(c.destination_secrets.dump()));
  stmt.bind(8, core::to_micros(c.created_at)).bind(9, core::to_micros(c.updated_at));
  stmt.run();
  return stmt.changes() == 1;
}

std::optional<Collection> SqliteStore::collection(const std::string& tenant_id,
                                                  const std::string& readable_id) {
  auto reader = readers_.lease();
  auto stmt =
      reader->prepare_cached(std::string(kCollectionColumns) + "WHERE c.tenant_id = ? AND c.readable_id = ?");
  stmt.bind(1, tenant_id).bind(2, readable_id);
  if (!stmt.step()) return std::nullopt;
  return read_collection(stmt, secrets_);
}

Page<Collection> SqliteStore::collections(const std::string& tenant_id, const PageRequest& page) {
  auto reader = readers_.lease();
  // page_condition names created_at and id unqualified: the one table here is the collections table.
  auto stmt =
      reader->prepare_cached(std::string(kCollectionColumns) + "WHERE tenant_id = ? " +
                             sqlite::page_condition(page) + " ORDER BY created_at DESC, id DESC LIMIT ?");
  stmt.bind(1, tenant_id);
  sqlite::bind_page(stmt, page, 2);
  std::vector<Collection> items;
  while (stmt.step()) items.push_back(read_collection(stmt, secrets_));
  return sqlite::make_page(std::move(items), page.limit);
}

bool SqliteStore::delete_collection(const std::string& tenant_id, const std::string& readable_id) {
  Lock lock(mutex_);
  // Its memberships go with it (ON DELETE CASCADE).
  auto stmt = db_.prepare_cached("DELETE FROM collections WHERE tenant_id = ? AND readable_id = ?");
  stmt.bind(1, tenant_id).bind(2, readable_id);
  stmt.run();
  return stmt.changes() == 1;
}

bool SqliteStore::add_to_collection(const std::string& tenant_id, const std::string& collection_id,
                                    const std::string& connection_id) {
  Lock lock(mutex_);
  // Both must be the tenant's: the insert selects them, so another tenant's ids insert nothing.
  auto stmt = db_.prepare_cached(
      "INSERT INTO collection_members (connection_id, collection_id, tenant_id) "
      "SELECT n.id, c.id, c.tenant_id FROM collections c JOIN connections n ON n.tenant_id = c.tenant_id "
      "WHERE c.tenant_id = ? AND c.id = ? AND n.id = ? "
      "ON CONFLICT (connection_id) DO UPDATE SET collection_id = excluded.collection_id");
  stmt.bind(1, tenant_id).bind(2, collection_id).bind(3, connection_id);
  stmt.run();
  return stmt.changes() == 1;
}

std::optional<Collection> SqliteStore::collection_of_connection(const std::string& tenant_id,
                                                                const std::string& connection_id) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(std::string(kCollectionColumns) +
                                     "JOIN collection_members m ON m.collection_id = c.id "
                                     "WHERE m.tenant_id = ? AND m.connection_id = ?");
  stmt.bind(1, tenant_id).bind(2, connection_id);
  if (!stmt.step()) return std::nullopt;
  return read_collection(stmt, secrets_);
}

std::vector<std::string> SqliteStore::connections_in_collection(const std::string& tenant_id,
                                                                const std::string& collection_id) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(
      "SELECT m.connection_id FROM collection_members m JOIN connections n ON n.id = m.connection_id "
      "WHERE m.tenant_id = ? AND m.collection_id = ? ORDER BY n.created_at, n.id");
  stmt.bind(1, tenant_id).bind(2, collection_id);
  std::vector<std::string> ids;
  while (stmt.step()) ids.push_back(stmt.text(0));
  return ids;
}

}  // namespace ferry::store
