// The PostgreSQL store's runs, tasks and model states; the queue (claims, leases, retries) is in
// pg_store_claims.cpp. Each mirrors its SqliteStore counterpart (sqlite_store_runs.cpp): where SQLite's
// single writer made a check-then-write safe, the unique index on a sync's active run, a conflict clause or
// a compare-and-set makes it safe across processes here.
#include <stdexcept>

#include "core/error.h"
#include "core/ids.h"
#include "store/postgres/pg_run_rows.h"
#include "store/postgres/pg_store.h"

namespace ferry::store {
namespace {

using core::Json;
using core::RunState;

std::string flag(bool value) {
  return value ? "1" : "0";
}

std::optional<std::string> number(std::optional<int64_t> value) {
  if (!value) return std::nullopt;
  return std::to_string(*value);
}

void write_task(postgres::PgConnection& connection, const core::RunTask& t) {
  connection.exec_prepared(
      "UPDATE run_tasks SET state = $1, full_refresh = $2, inserted = $3, updated = $4, deleted = $5, "
      "failed = $6, checkpoint = $7, error = $8, started_at = $9, finished_at = $10 "
      "WHERE run_id = $11 AND model_id = $12",
      {std::string(core::to_string(t.state)), flag(t.full_refresh), std::to_string(t.counts.inserted),
       std::to_string(t.counts.updated), std::to_string(t.counts.deleted), std::to_string(t.counts.failed),
       t.checkpoint, t.error, pg::optional_micros(t.started_at), pg::optional_micros(t.finished_at), t.run_id,
       t.model_id});
}

std::string active_run_sql() {
  return std::string(pg::kRunColumns) + "WHERE sync_id = $1 AND state IN " + pg::kActiveStates;
}

std::optional<core::Run> last_finished(postgres::PgConnection& connection, const std::string& sync_id) {
  return pg::query_run(connection,
                       std::string(pg::kRunColumns) +
                           "WHERE sync_id = $1 AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1",
                       {sync_id});
}

std::vector<core::ModelState> read_model_states(postgres::PgConnection& connection,
                                                const std::string& sync_id) {
  const auto result = connection.exec_prepared(
      "SELECT sync_id, model_id, cursor, last_sync_start, last_sync_finished, last_sync_result, "
      "is_initial_sync, last_error_category FROM model_states WHERE sync_id = $1 ORDER BY model_id COLLATE "
      "\"C\"",
      {sync_id});
  std::vector<core::ModelState> out;
  for (int row = 0; row < result.rows(); ++row) {
    core::ModelState m;
    m.sync_id = result.text(row, 0);
    m.model_id = result.text(row, 1);
    m.cursor = result.optional_text(row, 2);
    m.last_sync_start = pg::optional_time(result, row, 3);
    m.last_sync_finished = pg::optional_time(result, row, 4);
    if (auto state = result.optional_text(row, 5)) m.last_sync_result = core::parse_run_state(*state);
    m.is_initial_sync = result.int64(row, 6) != 0;
    if (auto category = result.optional_text(row, 7))
      m.last_error_category = core::parse_error_category(*category);
    out.push_back(std::move(m));
  }
  return out;
}

// What stops `run` from being created: the sync's active run, else the run of its schedule slot.
std::optional<core::Run> existing_run(postgres::PgConnection& connection, const core::Run& run) {
  if (auto active = pg::query_run(connection, active_run_sql(), {run.sync_id})) return active;
  if (!run.scheduled_for) return std::nullopt;
  return pg::query_run(connection, std::string(pg::kRunColumns) + "WHERE sync_id = $1 AND scheduled_for = $2",
                       {run.sync_id, pg::micros(*run.scheduled_for)});
}

// The run's tasks, in order, in one statement of fixed text (prepared once per connection).
void insert_tasks(postgres::PgConnection& connection, const core::Run& run) {
  if (run.tasks.empty()) return;
  std::vector<std::string> models, flags, ids;
  for (const auto& task : run.tasks) {
    models.push_back(task.model_id);
    flags.push_back(flag(task.full_refresh));
    ids.push_back(task.id.empty() ? core::new_uuid() : task.id);
  }
  connection.exec_prepared(
      "INSERT INTO run_tasks (run_id, model_id, position, state, full_refresh, id) "
      "SELECT $1, t.model_id, t.position - 1, 'pending', t.full_refresh::integer, t.id "
      "FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(model_id, full_refresh, id, "
      "position)",
      {run.id, pg::text_array(models), pg::text_array(flags), pg::text_array(ids)});
}

}  // namespace

CreatedRun PgStore::create_run(const core::Run& run) {
  constexpr const char* kInsert =
      "INSERT INTO runs (id, tenant_id, sync_id, connection_id, state, full_refresh, models, trigger, "
      "attempt, "
      "max_attempts, created_at, updated_at, identities, test_run, batch_id, scheduled_for) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15) "
      "ON CONFLICT DO NOTHING RETURNING id";
  const pg::Params params{run.id,
                          run.tenant_id,
                          run.sync_id,
                          run.connection_id,
                          std::string(core::to_string(run.state)),
                          flag(run.full_refresh),
                          Json(run.models).dump(),
                          run.trigger,
                          std::to_string(run.attempt),
                          std::to_string(run.max_attempts),
                          pg::micros(run.created_at),
                          run.identities ? std::optional(Json(*run.identities).dump()) : std::nullopt,
                          flag(run.test_run),
                          run.batch_id,
                          pg::optional_micros(run.scheduled_for)};
  auto connection = pool_.acquire();
  // The unique indexes decide between concurrent creators, in any process: the sync's one active run and a
  // schedule slot's one run. The loser's insert does nothing (after waiting for the winner's commit) and
  // returns the winner's run. A winner that finished between the two statements leaves no active run: the
  // insert is tried again.
  for (int tries = 0;; ++tries) {
    PgTransaction tx(*connection);
    if (!core::is_active(run.state)) {
      // Outside the active-run index's predicate: only the check can refuse it, as in SQLite.
      if (auto active = pg::query_run(*connection, active_run_sql(), {run.sync_id}))
        return {std::move(*active), false};
    }
    if (connection->exec_prepared(kInsert, params).rows() == 0) {
      if (auto existing = existing_run(*connection, run)) return {std::move(*existing), false};
      if (tries < 10) continue;
      throw core::FerryError(core::ErrorCategory::kInternal,
                             "could not create a run for sync " + run.sync_id);
    }
    insert_tasks(*connection, run);
    if (run.state == RunState::kQueued) pg::notify_queued(*connection);
    auto created = pg::query_run(*connection, std::string(pg::kRunColumns) + "WHERE id = $1", {run.id});
    tx.commit();
    return {std::move(*created), true};
  }
}

std::optional<core::Run> PgStore::run(const std::string& tenant_id, const std::string& id) {
  if (!pg::storable(tenant_id, id)) return std::nullopt;  // names no stored row
  auto connection = pool_.acquire();
  return pg::query_run(*connection, std::string(pg::kRunColumns) + "WHERE id = $1 AND tenant_id = $2",
                       {id, tenant_id});
}

std::optional<core::Run> PgStore::run_by_id(const std::string& id) {
  if (!pg::storable(id)) return std::nullopt;
  auto connection = pool_.acquire();
  return pg::query_run(*connection, std::string(pg::kRunColumns) + "WHERE id = $1", {id});
}

Page<core::Run> PgStore::runs_of_sync(const std::string& tenant_id, const std::string& sync_id,
                                      const PageRequest& page) {
  if (!pg::storable(tenant_id, sync_id)) return {};
  pg::Params params{tenant_id, sync_id};
  const auto sql =
      std::string(pg::kRunColumns) + "WHERE tenant_id = $1 AND sync_id = $2" + pg::page_tail(page, params);
  auto connection = pool_.acquire();
  // The runs and their tasks from one snapshot.
  PgTransaction tx(*connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  auto runs = pg::query_runs(*connection, sql, params);
  tx.commit();
  return pg::make_page(std::move(runs), page.limit);
}

std::optional<core::Run> PgStore::active_run(const std::string& sync_id) {
  if (!pg::storable(sync_id)) return std::nullopt;
  auto connection = pool_.acquire();
  return pg::query_run(*connection, active_run_sql(), {sync_id});
}

std::optional<core::Run> PgStore::last_finished_run(const std::string& sync_id) {
  if (!pg::storable(sync_id)) return std::nullopt;
  auto connection = pool_.acquire();
  return last_finished(*connection, sync_id);
}

SyncActivity PgStore::sync_activity(const std::string& sync_id) {
  if (!pg::storable(sync_id)) return {};
  auto connection = pool_.acquire();
  // One snapshot, so the runs and the model states agree.
  PgTransaction tx(*connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  const auto newest =
      connection->exec_prepared("SELECT max(created_at) FROM runs WHERE sync_id = $1", {sync_id});
  SyncActivity activity{pg::query_run(*connection, active_run_sql(), {sync_id}),
                        last_finished(*connection, sync_id), read_model_states(*connection, sync_id),
                        pg::optional_time(newest, 0, 0)};
  tx.commit();
  return activity;
}

bool PgStore::transition_path(const std::string& run_id, std::span<const RunState> path,
                              const RunPatch& patch) {
  if (path.size() == 2 && path.front() == path.back()) return true;
  if (path.size() < 2) throw std::logic_error("a run transition needs a state it leaves and one it enters");
  for (size_t i = 1; i < path.size(); ++i) core::require_legal_transition(path[i - 1], path[i]);
  if (!pg::storable(run_id)) return false;  // names no stored run
  const auto now = core::SystemClock().now();
  const pg::Params params{std::string(core::to_string(path.back())),
                          pg::micros(now),
                          pg::optional_micros(patch.started_at),
                          pg::optional_micros(patch.finished_at),
                          pg::optional_micros(patch.next_attempt_at),
                          patch.error,
                          pg::category_text(patch.error_category),
                          number(patch.counts ? std::optional(patch.counts->inserted) : std::nullopt),
                          number(patch.counts ? std::optional(patch.counts->updated) : std::nullopt),
                          number(patch.counts ? std::optional(patch.counts->deleted) : std::nullopt),
                          number(patch.counts ? std::optional(patch.counts->failed) : std::nullopt),
                          patch.clear_lease ? "true" : "false",
                          run_id,
                          std::string(core::to_string(path.front()))};
  constexpr const char* kUpdate =
      "UPDATE runs SET state = $1, updated_at = $2, started_at = coalesce($3, started_at), "
      "finished_at = coalesce($4, finished_at), next_attempt_at = coalesce($5, next_attempt_at), "
      "error = coalesce($6, error), error_category = coalesce($7, error_category), "
      "inserted = coalesce($8, inserted), updated = coalesce($9, updated), deleted = coalesce($10, deleted), "
      "failed = coalesce($11, failed), "
      "lease_owner = CASE WHEN $12::boolean THEN NULL ELSE lease_owner END, "
      "lease_until = CASE WHEN $12::boolean THEN NULL ELSE lease_until END "
      "WHERE id = $13 AND state = $14";
  auto connection = pool_.acquire();
  const bool failed = path.back() == RunState::kFailed;
  const bool queued = path.back() == RunState::kQueued;
  if (!failed && !queued && patch.tasks.empty())
    return connection->exec_prepared(kUpdate, params).affected() == 1;
  // A failure is recorded on the models, the patch's tasks saved, and a queued run announced, in the
  // transaction that moved it.
  PgTransaction tx(*connection);
  if (connection->exec_prepared(kUpdate, params).affected() != 1) return false;
  // Before the failure's sweep, which would otherwise take a finished task for an unfinished one.
  for (const auto& task : patch.tasks) write_task(*connection, task);
  if (failed)
    pg::fail_unfinished_models(*connection, run_id, patch.finished_at.value_or(now), patch.error,
                               patch.error_category);
  if (queued) pg::notify_queued(*connection);
  tx.commit();
  return true;
}

void PgStore::save_task(const core::RunTask& t) {
  auto connection = pool_.acquire();
  write_task(*connection, t);
}

std::vector<core::ModelState> PgStore::model_states(const std::string& sync_id) {
  if (!pg::storable(sync_id)) return {};
  auto connection = pool_.acquire();
  return read_model_states(*connection, sync_id);
}

void PgStore::save_model_state(const core::ModelState& m) {
  auto connection = pool_.acquire();
  connection->exec_prepared(
      "INSERT INTO model_states (sync_id, model_id, cursor, last_sync_start, last_sync_finished, "
      "last_sync_result, is_initial_sync, last_error_category) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "ON CONFLICT (sync_id, model_id) DO UPDATE SET cursor = excluded.cursor, "
      "last_sync_start = excluded.last_sync_start, last_sync_finished = excluded.last_sync_finished, "
      "last_sync_result = excluded.last_sync_result, is_initial_sync = excluded.is_initial_sync, "
      "last_error_category = excluded.last_error_category",
      {m.sync_id, m.model_id, m.cursor, pg::optional_micros(m.last_sync_start),
       pg::optional_micros(m.last_sync_finished),
       m.last_sync_result ? std::optional(std::string(core::to_string(*m.last_sync_result))) : std::nullopt,
       flag(m.is_initial_sync), pg::category_text(m.last_error_category)});
}

}  // namespace ferry::store
