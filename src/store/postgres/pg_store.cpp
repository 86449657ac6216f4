// The PostgreSQL store's opening (migrations, the master key check), tenants, connections, events and
// idempotent responses. Each mirrors its SqliteStore counterpart; where SQLite's single writer made a
// check-then-write safe, a row lock or a conflict clause makes it safe across processes here.
#include "store/postgres/pg_store.h"

#include "core/error.h"
#include "core/ids.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_rows.h"
#include "store/stored_text.h"

namespace ferry::store {
namespace {

using core::Json;

// Sealed by the first process to open the store; every later one must open it with its own key.
constexpr std::string_view kMasterKeyCheckText = "ferry master key check";

void check_master_key(postgres::PgConnection& connection, const core::SecretBox& secrets) {
  // Two processes opening a new store at once: the first insert wins, the other reads the winner's seal.
  connection.exec("INSERT INTO master_key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                  {pg::bytea(secrets.seal(kMasterKeyCheckText))});
  const auto stored = connection.exec("SELECT sealed FROM master_key_check WHERE id = 1");
  bool opened = false;
  try {
    opened = stored.rows() == 1 && secrets.open(pg::bytes_at(stored, 0, 0)) == kMasterKeyCheckText;
  } catch (const core::FerryError&) {
    opened = false;  // sealed under another key
  }
  if (!opened) {
    throw core::FerryError(
        core::ErrorCategory::kConfigInvalid,
        "the PostgreSQL store was created with another master key: start every ferry process "
        "sharing it with the same FERRY_MASTER_KEY (or --master-key-file)");
  }
}

constexpr const char* kConnectionColumns =
    "SELECT id, tenant_id, name, source_type, config, secrets, account_token, created_at, updated_at FROM "
    "connections ";

core::Connection read_connection(const postgres::PgResult& r, int row, const core::SecretBox& box) {
  core::Connection c;
  c.id = r.text(row, 0);
  c.tenant_id = r.text(row, 1);
  c.name = r.text(row, 2);
  c.source_type = r.text(row, 3);
  c.config = Json::parse(r.text(row, 4));
  c.secrets = Json::parse(box.open(pg::bytes_at(r, row, 5)));
  c.account_token = r.text(row, 6);
  c.created_at = pg::time_at(r, row, 7);
  c.updated_at = pg::time_at(r, row, 8);
  return c;
}

}  // namespace

PgStore::PgStore(const std::string& url, core::SecretBox secrets, size_t max_connections)
    : pool_(url, max_connections), secrets_(std::move(secrets)) {
  auto connection = pool_.acquire();
  pg_migrate(*connection);
  check_master_key(*connection, secrets_);
}

core::Tenant PgStore::create_tenant(const std::string& name) {
  require_storable_text("name", name);
  core::Tenant tenant{core::new_uuid(), name, core::SystemClock().now()};
  auto connection = pool_.acquire();
  connection->exec("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)",
                   {tenant.id, tenant.name, pg::micros(tenant.created_at)});
  return tenant;
}

bool PgStore::tenant_exists(const std::string& tenant_id) {
  if (!pg::storable(tenant_id)) return false;
  auto connection = pool_.acquire();
  return connection->exec("SELECT 1 FROM tenants WHERE id = $1", {tenant_id}).rows() > 0;
}

// ---- connections ----

void PgStore::insert_connection(const core::Connection& c) {
  require_storable_text("name", c.name);
  require_storable_text("account_token", c.account_token);
  auto connection = pool_.acquire();
  connection->exec(
      "INSERT INTO connections (id, tenant_id, name, source_type, config, secrets, account_token, "
      "created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {c.id, c.tenant_id, c.name, c.source_type, c.config.dump(), pg::bytea(secrets_.seal(c.secrets.dump())),
       c.account_token, pg::micros(c.created_at), pg::micros(c.updated_at)});
}

std::optional<core::Connection> PgStore::connection(const std::string& tenant_id, const std::string& id) {
  if (!pg::storable(tenant_id, id)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r =
      connection->exec(std::string(kConnectionColumns) + "WHERE tenant_id = $1 AND id = $2", {tenant_id, id});
  if (r.rows() == 0) return std::nullopt;
  return read_connection(r, 0, secrets_);
}

std::optional<core::Connection> PgStore::connection_by_account_token(const std::string& tenant_id,
                                                                     const std::string& token) {
  if (!pg::storable(token)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r = connection->exec(
      std::string(kConnectionColumns) + "WHERE tenant_id = $1 AND account_token = $2", {tenant_id, token});
  if (r.rows() == 0) return std::nullopt;
  return read_connection(r, 0, secrets_);
}

Page<core::Connection> PgStore::connections(const std::string& tenant_id, const PageRequest& page) {
  pg::Params params{tenant_id};
  const auto sql = std::string(kConnectionColumns) + "WHERE tenant_id = $1" + pg::page_tail(page, params);
  auto connection = pool_.acquire();
  const auto r = connection->exec(sql, params);
  std::vector<core::Connection> items;
  for (int row = 0; row < r.rows(); ++row) items.push_back(read_connection(r, row, secrets_));
  return pg::make_page(std::move(items), page.limit);
}

bool PgStore::update_connection(const core::Connection& c) {
  require_storable_text("name", c.name);
  auto connection = pool_.acquire();
  return connection
             ->exec(
                 "UPDATE connections SET name = $1, config = $2, secrets = $3, updated_at = $4 WHERE "
                 "tenant_id = "
                 "$5 AND id = $6",
                 {c.name, c.config.dump(), pg::bytea(secrets_.seal(c.secrets.dump())),
                  pg::micros(c.updated_at), c.tenant_id, c.id})
             .affected() == 1;
}

DeleteResult PgStore::delete_connection(const std::string& tenant_id, const std::string& id) {
  if (!pg::storable(tenant_id, id)) return DeleteResult::kNotFound;
  auto connection = pool_.acquire();
  PgTransaction tx(*connection);
  // The row lock keeps a sync from being inserted for the connection (its foreign key check takes a
  // conflicting lock) between the check below and the delete.
  if (connection
          ->exec("SELECT 1 FROM connections WHERE tenant_id = $1 AND id = $2 FOR UPDATE", {tenant_id, id})
          .rows() == 0) {
    return DeleteResult::kNotFound;
  }
  if (connection->exec("SELECT 1 FROM syncs WHERE connection_id = $1 LIMIT 1", {id}).rows() > 0) {
    return DeleteResult::kInUse;
  }
  connection->exec("DELETE FROM connections WHERE tenant_id = $1 AND id = $2", {tenant_id, id});
  tx.commit();
  return DeleteResult::kDeleted;
}

// ---- events, idempotency ----

void PgStore::append_event(const core::Event& e) {
  auto connection = pool_.acquire();
  connection->exec(
      "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
      {e.id, e.tenant_id, e.type, e.payload.dump(), pg::micros(e.created_at)});
}

std::vector<core::Event> PgStore::events(const std::string& tenant_id, int limit) {
  auto connection = pool_.acquire();
  const auto r = connection->exec(
      "SELECT id, tenant_id, type, payload, created_at FROM events WHERE tenant_id = $1 ORDER BY created_at "
      "DESC LIMIT $2",
      // A negative limit is none, as in SQLite (PostgreSQL's LIMIT NULL).
      {tenant_id, limit < 0 ? std::nullopt : std::optional(std::to_string(limit))});
  std::vector<core::Event> out;
  for (int row = 0; row < r.rows(); ++row) {
    out.push_back({r.text(row, 0), r.text(row, 1), r.text(row, 2), Json::parse(r.text(row, 3)),
                   pg::time_at(r, row, 4)});
  }
  return out;
}

std::optional<StoredResponse> PgStore::idempotent_response(const std::string& tenant_id,
                                                           const std::string& key) {
  if (!pg::storable(key)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r = connection->exec(
      "SELECT fingerprint, status, body FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
      {tenant_id, key});
  if (r.rows() == 0) return std::nullopt;
  return StoredResponse{r.text(0, 0), static_cast<int>(r.int64(0, 1)), r.text(0, 2)};
}

void PgStore::save_idempotent_response(const std::string& tenant_id, const std::string& key,
                                       const StoredResponse& response) {
  auto connection = pool_.acquire();
  // The first response saved under a key is the one kept, as in SQLite (INSERT OR IGNORE).
  connection->exec(
      "INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, body, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, key) DO NOTHING",
      {tenant_id, key, response.fingerprint, std::to_string(response.status), response.body,
       pg::micros(core::SystemClock().now())});
}

}  // namespace ferry::store
