// The PostgreSQL store's syncs (model states live with the runs, in pg_store_runs.cpp).
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace ferry::store {
namespace {

using core::Json;

constexpr const char* kSyncColumns =
    "SELECT id, tenant_id, connection_id, destination_type, destination_config, models, schedule_kind, "
    "interval_minutes, cron, active, max_attempts, next_sync_start, models_changed_at, created_at, "
    "updated_at, destination_secrets "
    "FROM syncs ";

core::Sync read_sync(const postgres::PgResult& r, int row, const core::SecretBox& box) {
  core::Sync s;
  s.id = r.text(row, 0);
  s.tenant_id = r.text(row, 1);
  s.connection_id = r.text(row, 2);
  s.destination_type = r.text(row, 3);
  s.destination_config = Json::parse(r.text(row, 4));
  if (!r.is_null(row, 5)) s.models = Json::parse(r.text(row, 5)).get<std::vector<std::string>>();
  s.schedule.kind = core::parse_schedule_kind(r.text(row, 6)).value_or(core::ScheduleKind::kManual);
  s.schedule.interval_minutes = pg::optional_int64(r, row, 7);
  s.schedule.cron = r.optional_text(row, 8);
  s.active = r.int64(row, 9) != 0;
  s.max_attempts = static_cast<int>(r.int64(row, 10));
  s.next_sync_start = pg::optional_time(r, row, 11);
  s.models_changed_at = pg::optional_time(r, row, 12);
  s.created_at = pg::time_at(r, row, 13);
  s.updated_at = pg::time_at(r, row, 14);
  if (!r.is_null(row, 15)) s.destination_secrets = Json::parse(box.open(pg::bytes_at(r, row, 15)));
  return s;
}

std::vector<core::Sync> read_syncs(const postgres::PgResult& r, const core::SecretBox& box) {
  std::vector<core::Sync> out;
  for (int row = 0; row < r.rows(); ++row) out.push_back(read_sync(r, row, box));
  return out;
}

// Every mutable column of a sync as $1..$12, in the order the statements below name them, then the sealed
// destination secrets as $13.
std::vector<std::optional<std::string>> sync_params(const core::Sync& s, const core::SecretBox& box) {
  return {s.connection_id,
          s.destination_type,
          s.destination_config.dump(),
          s.models ? std::optional(Json(*s.models).dump()) : std::nullopt,
          std::string(core::to_string(s.schedule.kind)),
          s.schedule.interval_minutes ? std::optional(std::to_string(*s.schedule.interval_minutes))
                                      : std::nullopt,
          s.schedule.cron,
          s.active ? "1" : "0",
          std::to_string(s.max_attempts),
          pg::optional_micros(s.next_sync_start),
          pg::optional_micros(s.models_changed_at),
          pg::micros(s.updated_at),
          pg::bytea(box.seal(s.destination_secrets.dump()))};
}

}  // namespace

void PgStore::insert_sync(const core::Sync& s) {
  auto params = sync_params(s, secrets_);
  params.insert(params.end(), {s.id, s.tenant_id, pg::micros(s.created_at)});
  auto connection = pool_.acquire();
  connection->exec(
      "INSERT INTO syncs (connection_id, destination_type, destination_config, models, schedule_kind, "
      "interval_minutes, cron, active, max_attempts, next_sync_start, models_changed_at, updated_at, "
      "destination_secrets, id, tenant_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
      "$12, $13, $14, $15, $16)",
      params);
}

std::optional<core::Sync> PgStore::sync(const std::string& tenant_id, const std::string& id) {
  if (!pg::storable(id)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto r =
      connection->exec(std::string(kSyncColumns) + "WHERE tenant_id = $1 AND id = $2", {tenant_id, id});
  if (r.rows() == 0) return std::nullopt;
  return read_sync(r, 0, secrets_);
}

Page<core::Sync> PgStore::syncs(const std::string& tenant_id, const PageRequest& page) {
  pg::Params params{tenant_id};
  const auto sql = std::string(kSyncColumns) + "WHERE tenant_id = $1" + pg::page_tail(page, params);
  auto connection = pool_.acquire();
  return pg::make_page(read_syncs(connection->exec(sql, params), secrets_), page.limit);
}

std::vector<core::Sync> PgStore::syncs_of_connection(const std::string& tenant_id,
                                                     const std::string& connection_id) {
  if (!pg::storable(connection_id)) return {};
  auto connection = pool_.acquire();
  return read_syncs(
      connection->exec(std::string(kSyncColumns) +
                           "WHERE tenant_id = $1 AND connection_id = $2 ORDER BY created_at, id "
                           "COLLATE \"C\"",
                       {tenant_id, connection_id}),
      secrets_);
}

bool PgStore::update_sync(const core::Sync& s) {
  auto params = sync_params(s, secrets_);
  params.insert(params.end(), {s.id, s.tenant_id});
  auto connection = pool_.acquire();
  return connection
             ->exec(
                 "UPDATE syncs SET connection_id = $1, destination_type = $2, destination_config = $3, "
                 "models = "
                 "$4, schedule_kind = $5, interval_minutes = $6, cron = $7, active = $8, max_attempts = $9, "
                 "next_sync_start = $10, models_changed_at = $11, updated_at = $12, destination_secrets = "
                 "$13 "
                 "WHERE id = $14 AND tenant_id = $15",
                 params)
             .affected() == 1;
}

DeleteResult PgStore::delete_sync(const std::string& tenant_id, const std::string& id) {
  if (!pg::storable(id)) return DeleteResult::kNotFound;
  auto connection = pool_.acquire();
  PgTransaction tx(*connection);
  // The row lock keeps a run from being created for the sync (its foreign key check takes a conflicting
  // lock) between the check for an active run and the delete, which would take that run with it.
  if (connection->exec("SELECT 1 FROM syncs WHERE tenant_id = $1 AND id = $2 FOR UPDATE", {tenant_id, id})
          .rows() == 0) {
    return DeleteResult::kNotFound;
  }
  if (connection
          ->exec("SELECT 1 FROM runs WHERE sync_id = $1 AND state IN "
                 "('scheduled','queued','running','cancelling','pending_retry') LIMIT 1",
                 {id})
          .rows() > 0) {
    return DeleteResult::kInUse;
  }
  connection->exec("DELETE FROM syncs WHERE tenant_id = $1 AND id = $2", {tenant_id, id});
  tx.commit();
  return DeleteResult::kDeleted;
}

std::vector<core::Sync> PgStore::due_syncs(core::Timestamp now) {
  auto connection = pool_.acquire();
  return read_syncs(
      connection->exec(std::string(kSyncColumns) +
                           "WHERE active = 1 AND schedule_kind <> 'manual' AND next_sync_start IS "
                           "NOT NULL AND next_sync_start <= $1 ORDER BY next_sync_start",
                       {pg::micros(now)}),
      secrets_);
}

}  // namespace ferry::store
