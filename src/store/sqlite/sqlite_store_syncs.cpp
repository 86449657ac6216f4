// The SQLite store's syncs and model states.
#include "store/sqlite/rows.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {
namespace {

using core::Json;
using Lock = std::lock_guard<std::mutex>;

constexpr const char* kSyncColumns =
    "SELECT id, tenant_id, connection_id, destination_type, destination_config, models, schedule_kind, "
    "interval_minutes, cron, active, max_attempts, next_sync_start, models_changed_at, created_at, "
    "updated_at, destination_secrets "
    "FROM syncs ";

core::Sync read_sync(sqlite::Statement& stmt, const core::SecretBox& box) {
  core::Sync s;
  s.id = stmt.text(0);
  s.tenant_id = stmt.text(1);
  s.connection_id = stmt.text(2);
  s.destination_type = stmt.text(3);
  s.destination_config = Json::parse(stmt.text(4));
  if (!stmt.is_null(5)) s.models = Json::parse(stmt.text(5)).get<std::vector<std::string>>();
  s.schedule.kind = core::parse_schedule_kind(stmt.text(6)).value_or(core::ScheduleKind::kManual);
  s.schedule.interval_minutes = stmt.optional_int64(7);
  s.schedule.cron = stmt.optional_text(8);
  s.active = stmt.int64(9) != 0;
  s.max_attempts = static_cast<int>(stmt.int64(10));
  s.next_sync_start = sqlite::optional_time(stmt, 11);
  s.models_changed_at = sqlite::optional_time(stmt, 12);
  s.created_at = core::from_micros(stmt.int64(13));
  s.updated_at = core::from_micros(stmt.int64(14));
  if (!stmt.is_null(15)) s.destination_secrets = Json::parse(box.open(stmt.text(15)));
  return s;
}

std::vector<core::Sync> read_syncs(sqlite::Statement& stmt, const core::SecretBox& box) {
  std::vector<core::Sync> out;
  while (stmt.step()) out.push_back(read_sync(stmt, box));
  return out;
}

// Binds every mutable column of a sync at 1..12 in the order of kSyncWritableColumns, and the sealed
// destination secrets at `secrets_index`.
void bind_sync(sqlite::Statement& stmt, const core::Sync& s, const core::SecretBox& box, int secrets_index) {
  stmt.bind_blob(secrets_index, box.seal(s.destination_secrets.dump()));
  stmt.bind(1, s.connection_id).bind(2, s.destination_type).bind(3, s.destination_config.dump());
  if (s.models) {
    stmt.bind(4, Json(*s.models).dump());
  } else {
    stmt.bind_null(4);
  }
  stmt.bind(5, std::string(core::to_string(s.schedule.kind))).bind(6, s.schedule.interval_minutes);
  stmt.bind(7, s.schedule.cron).bind(8, int64_t{s.active ? 1 : 0}).bind(9, s.max_attempts);
  stmt.bind(10, sqlite::optional_micros(s.next_sync_start))
      .bind(11, sqlite::optional_micros(s.models_changed_at));
  stmt.bind(12, core::to_micros(s.updated_at));
}

}  // namespace

void SqliteStore::insert_sync(const core::Sync& s) {
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached(
      "INSERT INTO syncs (connection_id, destination_type, destination_config, models, schedule_kind, "
      "interval_minutes, cron, active, max_attempts, next_sync_start, models_changed_at, updated_at, id, "
      "tenant_id, "
      "created_at, destination_secrets) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
      "?15, ?16)");
  bind_sync(stmt, s, secrets_, 16);
  stmt.bind(13, s.id).bind(14, s.tenant_id).bind(15, core::to_micros(s.created_at));
  stmt.run();
}

std::optional<core::Sync> SqliteStore::sync(const std::string& tenant_id, const std::string& id) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(std::string(kSyncColumns) + "WHERE tenant_id = ? AND id = ?");
  stmt.bind(1, tenant_id).bind(2, id);
  if (!stmt.step()) return std::nullopt;
  return read_sync(stmt, secrets_);
}

Page<core::Sync> SqliteStore::syncs(const std::string& tenant_id, const PageRequest& page) {
  auto reader = readers_.lease();
  auto stmt =
      reader->prepare_cached(std::string(kSyncColumns) + "WHERE tenant_id = ?" +
                             sqlite::page_condition(page) + " ORDER BY created_at DESC, id DESC LIMIT ?");
  stmt.bind(1, tenant_id);
  sqlite::bind_page(stmt, page, 2);
  return sqlite::make_page(read_syncs(stmt, secrets_), page.limit);
}

std::vector<core::Sync> SqliteStore::syncs_of_connection(const std::string& tenant_id,
                                                         const std::string& connection_id) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(std::string(kSyncColumns) +
                                     "WHERE tenant_id = ? AND connection_id = ? ORDER BY created_at, id");
  stmt.bind(1, tenant_id).bind(2, connection_id);
  return read_syncs(stmt, secrets_);
}

bool SqliteStore::update_sync(const core::Sync& s) {
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached(
      "UPDATE syncs SET connection_id = ?1, destination_type = ?2, destination_config = ?3, models = ?4, "
      "schedule_kind = ?5, interval_minutes = ?6, cron = ?7, active = ?8, max_attempts = ?9, next_sync_start "
      "= ?10, "
      "models_changed_at = ?11, updated_at = ?12, destination_secrets = ?15 WHERE id = ?13 AND tenant_id = "
      "?14");
  bind_sync(stmt, s, secrets_, 15);
  stmt.bind(13, s.id).bind(14, s.tenant_id);
  stmt.run();
  return stmt.changes() == 1;
}

DeleteResult SqliteStore::delete_sync(const std::string& tenant_id, const std::string& id) {
  Lock lock(mutex_);
  sqlite::Transaction tx(db_);
  auto exists = db_.prepare_cached("SELECT 1 FROM syncs WHERE tenant_id = ? AND id = ?");
  exists.bind(1, tenant_id).bind(2, id);
  if (!exists.step()) return DeleteResult::kNotFound;
  auto active = db_.prepare_cached(
      "SELECT 1 FROM runs WHERE sync_id = ? AND state IN "
      "('scheduled','queued','running','cancelling','pending_retry')");
  active.bind(1, id);
  if (active.step()) return DeleteResult::kInUse;
  auto remove = db_.prepare_cached("DELETE FROM syncs WHERE tenant_id = ? AND id = ?");
  remove.bind(1, tenant_id).bind(2, id);
  remove.run();
  tx.commit();
  return DeleteResult::kDeleted;
}

std::vector<core::Sync> SqliteStore::due_syncs(core::Timestamp now) {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(
      std::string(kSyncColumns) +
      "WHERE active = 1 AND schedule_kind <> 'manual' AND next_sync_start IS NOT NULL AND "
      "next_sync_start <= ? ORDER BY next_sync_start");
  stmt.bind(1, core::to_micros(now));
  return read_syncs(stmt, secrets_);
}

std::vector<core::ModelState> SqliteStore::model_states(const std::string& sync_id) {
  auto reader = readers_.lease();
  return model_states(*reader, sync_id);
}

std::vector<core::ModelState> SqliteStore::model_states(sqlite::Database& db, const std::string& sync_id) {
  auto stmt = db.prepare_cached(
      "SELECT sync_id, model_id, cursor, last_sync_start, last_sync_finished, last_sync_result, "
      "is_initial_sync, last_error_category "
      "FROM model_states WHERE sync_id = ? ORDER BY model_id");
  stmt.bind(1, sync_id);
  std::vector<core::ModelState> out;
  while (stmt.step()) {
    core::ModelState m;
    m.sync_id = stmt.text(0);
    m.model_id = stmt.text(1);
    m.cursor = stmt.optional_text(2);
    m.last_sync_start = sqlite::optional_time(stmt, 3);
    m.last_sync_finished = sqlite::optional_time(stmt, 4);
    if (auto result = stmt.optional_text(5)) m.last_sync_result = core::parse_run_state(*result);
    m.is_initial_sync = stmt.int64(6) != 0;
    if (auto category = stmt.optional_text(7)) m.last_error_category = core::parse_error_category(*category);
    out.push_back(std::move(m));
  }
  return out;
}

void SqliteStore::save_model_state(const core::ModelState& m) {
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached(
      "INSERT INTO model_states (sync_id, model_id, cursor, last_sync_start, last_sync_finished, "
      "last_sync_result, "
      "is_initial_sync, last_error_category) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (sync_id, "
      "model_id) DO UPDATE SET cursor = ?3, last_sync_start = ?4, last_sync_finished = ?5, "
      "last_sync_result = ?6, is_initial_sync = ?7, last_error_category = ?8");
  stmt.bind(1, m.sync_id).bind(2, m.model_id).bind(3, m.cursor);
  stmt.bind(4, sqlite::optional_micros(m.last_sync_start))
      .bind(5, sqlite::optional_micros(m.last_sync_finished));
  if (m.last_sync_result) {
    stmt.bind(6, std::string(core::to_string(*m.last_sync_result)));
  } else {
    stmt.bind_null(6);
  }
  stmt.bind(7, int64_t{m.is_initial_sync ? 1 : 0});
  if (m.last_error_category) {
    stmt.bind(8, std::string(core::to_string(*m.last_error_category)));
  } else {
    stmt.bind_null(8);
  }
  stmt.run();
}

}  // namespace ferry::store
