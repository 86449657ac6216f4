// The SQLite store's runs, tasks and the queue (fair claim, lease, heartbeat, reclaim, retry promotion).
#include <stdexcept>

#include "core/ids.h"

#include "store/sqlite/rows.h"
#include "store/sqlite/sqlite_store.h"

namespace ferry::store {
namespace {

using core::Json;
using core::RunState;
using Lock = std::lock_guard<std::mutex>;

constexpr const char* kRunColumns =
    "SELECT id, tenant_id, sync_id, connection_id, state, full_refresh, models, trigger, attempt, "
    "max_attempts, "
    "lease_owner, lease_until, next_attempt_at, created_at, updated_at, started_at, finished_at, inserted, "
    "updated, "
    "deleted, failed, error, error_category, identities, test_run, batch_id, scheduled_for FROM runs ";
constexpr const char* kActiveStates = "('scheduled','queued','running','cancelling','pending_retry')";

core::Run read_run(sqlite::Statement& stmt) {
  core::Run r;
  r.id = stmt.text(0);
  r.tenant_id = stmt.text(1);
  r.sync_id = stmt.text(2);
  r.connection_id = stmt.text(3);
  r.state = core::parse_run_state(stmt.text(4)).value_or(RunState::kFailed);
  r.full_refresh = stmt.int64(5) != 0;
  r.models = Json::parse(stmt.text(6)).get<std::vector<std::string>>();
  r.trigger = stmt.text(7);
  r.attempt = static_cast<int>(stmt.int64(8));
  r.max_attempts = static_cast<int>(stmt.int64(9));
  r.lease_owner = stmt.optional_text(10);
  r.lease_until = sqlite::optional_time(stmt, 11);
  r.next_attempt_at = sqlite::optional_time(stmt, 12);
  r.created_at = core::from_micros(stmt.int64(13));
  r.updated_at = core::from_micros(stmt.int64(14));
  r.started_at = sqlite::optional_time(stmt, 15);
  r.finished_at = sqlite::optional_time(stmt, 16);
  r.counts = {stmt.int64(17), stmt.int64(18), stmt.int64(19), stmt.int64(20)};
  r.error = stmt.optional_text(21);
  if (auto category = stmt.optional_text(22)) r.error_category = core::parse_error_category(*category);
  if (auto identities = stmt.optional_text(23))
    r.identities = Json::parse(*identities).get<std::vector<std::string>>();
  r.test_run = stmt.int64(24) != 0;
  r.batch_id = stmt.optional_text(25);
  r.scheduled_for = sqlite::optional_time(stmt, 26);
  return r;
}

// A state change written in SQL: its states' names, checked against the transition table first, so the
// table stays the only place a transition is allowed.
RunStateHop hop(RunState from, RunState to) {
  core::require_legal_transition(from, to);
  return {std::string(core::to_string(from)), std::string(core::to_string(to))};
}

void bind_category(sqlite::Statement& stmt, int index, std::optional<core::ErrorCategory> category) {
  if (category) {
    stmt.bind(index, std::string(core::to_string(*category)));
  } else {
    stmt.bind_null(index);
  }
}

int64_t now_micros() {
  return core::to_micros(core::SystemClock().now());
}

}  // namespace

std::vector<core::Run> SqliteStore::query_runs(sqlite::Database& db, sqlite::Statement& stmt) {
  std::vector<core::Run> runs;
  while (stmt.step()) runs.push_back(read_run(stmt));
  for (auto& run : runs) load_tasks(db, run);
  return runs;
}

void SqliteStore::load_tasks(sqlite::Database& db, core::Run& run) {
  auto stmt = db.prepare_cached(
      "SELECT model_id, state, full_refresh, inserted, updated, deleted, failed, checkpoint, error, id, "
      "started_at, finished_at FROM run_tasks "
      "WHERE run_id = ? ORDER BY position");
  stmt.bind(1, run.id);
  run.tasks.clear();
  while (stmt.step()) {
    core::RunTask t;
    t.run_id = run.id;
    t.model_id = stmt.text(0);
    t.state = core::parse_task_state(stmt.text(1)).value_or(core::TaskState::kPending);
    t.full_refresh = stmt.int64(2) != 0;
    t.counts = {stmt.int64(3), stmt.int64(4), stmt.int64(5), stmt.int64(6)};
    t.checkpoint = stmt.optional_text(7);
    t.error = stmt.optional_text(8);
    t.id = stmt.text(9);
    t.started_at = sqlite::optional_time(stmt, 10);
    t.finished_at = sqlite::optional_time(stmt, 11);
    run.tasks.push_back(std::move(t));
  }
}

std::optional<core::Run> SqliteStore::run_where(sqlite::Database& db, const std::string& condition,
                                                const std::string& a, const std::string& b) {
  auto stmt = db.prepare_cached(std::string(kRunColumns) + "WHERE " + condition + " LIMIT 1");
  stmt.bind(1, a);
  if (!b.empty()) stmt.bind(2, b);
  auto runs = query_runs(db, stmt);
  if (runs.empty()) return std::nullopt;
  return std::move(runs.front());
}

std::optional<core::Run> SqliteStore::read_run_where(const std::string& condition, const std::string& a,
                                                     const std::string& b) {
  auto reader = readers_.lease();
  const ReadSnapshot snapshot(*reader);
  return run_where(*reader, condition, a, b);
}

CreatedRun SqliteStore::create_run(const core::Run& run) {
  Lock lock(mutex_);
  sqlite::Transaction tx(db_);
  if (auto active = run_where(db_, std::string("sync_id = ? AND state IN ") + kActiveStates, run.sync_id)) {
    return {std::move(*active), false};
  }
  if (run.scheduled_for) {
    auto same_slot = db_.prepare_cached(std::string(kRunColumns) + "WHERE sync_id = ? AND scheduled_for = ?");
    same_slot.bind(1, run.sync_id).bind(2, core::to_micros(*run.scheduled_for));
    if (auto runs = query_runs(db_, same_slot); !runs.empty()) return {std::move(runs.front()), false};
  }
  auto stmt = db_.prepare_cached(
      "INSERT INTO runs (id, tenant_id, sync_id, connection_id, state, full_refresh, models, trigger, "
      "attempt, max_attempts, created_at, updated_at, identities, test_run, batch_id, scheduled_for) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  stmt.bind(1, run.id).bind(2, run.tenant_id).bind(3, run.sync_id).bind(4, run.connection_id);
  stmt.bind(5, std::string(core::to_string(run.state))).bind(6, int64_t{run.full_refresh ? 1 : 0});
  stmt.bind(7, Json(run.models).dump()).bind(8, run.trigger).bind(9, run.attempt).bind(10, run.max_attempts);
  stmt.bind(11, core::to_micros(run.created_at)).bind(12, core::to_micros(run.created_at));
  if (run.identities) {
    stmt.bind(13, Json(*run.identities).dump());
  } else {
    stmt.bind_null(13);
  }
  stmt.bind(14, int64_t{run.test_run ? 1 : 0});
  if (run.batch_id) {
    stmt.bind(15, *run.batch_id);
  } else {
    stmt.bind_null(15);
  }
  stmt.bind(16, sqlite::optional_micros(run.scheduled_for));
  stmt.run();
  auto task = db_.prepare_cached(
      "INSERT INTO run_tasks (run_id, model_id, position, state, full_refresh, id) "
      "VALUES (?, ?, ?, 'pending', ?, ?)");
  for (size_t i = 0; i < run.tasks.size(); ++i) {
    task.bind(1, run.id).bind(2, run.tasks[i].model_id).bind(3, static_cast<int64_t>(i));
    task.bind(4, int64_t{run.tasks[i].full_refresh ? 1 : 0});
    task.bind(5, run.tasks[i].id.empty() ? core::new_uuid() : run.tasks[i].id);
    task.run();
    task.reset();
  }
  auto created = run_where(db_, "id = ?", run.id);
  tx.commit();
  return {std::move(*created), true};
}

std::optional<core::Run> SqliteStore::run(const std::string& tenant_id, const std::string& id) {
  return read_run_where("id = ? AND tenant_id = ?", id, tenant_id);
}

std::optional<core::Run> SqliteStore::run_by_id(const std::string& id) {
  return read_run_where("id = ?", id);
}

Page<core::Run> SqliteStore::runs_of_sync(const std::string& tenant_id, const std::string& sync_id,
                                          const PageRequest& page) {
  auto reader = readers_.lease();
  const ReadSnapshot snapshot(*reader);
  auto stmt =
      reader->prepare_cached(std::string(kRunColumns) + "WHERE tenant_id = ? AND sync_id = ?" +
                             sqlite::page_condition(page) + " ORDER BY created_at DESC, id DESC LIMIT ?");
  stmt.bind(1, tenant_id).bind(2, sync_id);
  sqlite::bind_page(stmt, page, 3);
  return sqlite::make_page(query_runs(*reader, stmt), page.limit);
}

std::optional<core::Run> SqliteStore::active_run(const std::string& sync_id) {
  return read_run_where(std::string("sync_id = ? AND state IN ") + kActiveStates, sync_id);
}

std::optional<core::Run> SqliteStore::last_finished_run(const std::string& sync_id) {
  auto reader = readers_.lease();
  const ReadSnapshot snapshot(*reader);
  return last_finished_run(*reader, sync_id);
}

std::optional<core::Run> SqliteStore::last_finished_run(sqlite::Database& db, const std::string& sync_id) {
  auto stmt =
      db.prepare_cached(std::string(kRunColumns) +
                        "WHERE sync_id = ? AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1");
  stmt.bind(1, sync_id);
  auto runs = query_runs(db, stmt);
  if (runs.empty()) return std::nullopt;
  return std::move(runs.front());
}

SyncActivity SqliteStore::sync_activity(const std::string& sync_id) {
  auto reader = readers_.lease();
  const ReadSnapshot snapshot(*reader);
  auto newest = reader->prepare_cached("SELECT max(created_at) FROM runs WHERE sync_id = ?");
  newest.bind(1, sync_id);
  newest.step();
  return {run_where(*reader, std::string("sync_id = ? AND state IN ") + kActiveStates, sync_id),
          last_finished_run(*reader, sync_id), model_states(*reader, sync_id),
          sqlite::optional_time(newest, 0)};
}

bool SqliteStore::transition_path(const std::string& run_id, std::span<const RunState> path,
                                  const RunPatch& patch) {
  if (path.size() == 2 && path.front() == path.back()) return true;
  if (path.size() < 2) throw std::logic_error("a run transition needs a state it leaves and one it enters");
  for (size_t i = 1; i < path.size(); ++i) core::require_legal_transition(path[i - 1], path[i]);
  Lock lock(mutex_);
  sqlite::Transaction tx(db_);
  auto stmt = db_.prepare_cached(
      "UPDATE runs SET state = ?1, updated_at = ?2, started_at = coalesce(?3, started_at), "
      "finished_at = coalesce(?4, finished_at), next_attempt_at = coalesce(?5, next_attempt_at), "
      "error = coalesce(?6, error), error_category = coalesce(?7, error_category), "
      "inserted = coalesce(?8, inserted), updated = coalesce(?9, updated), deleted = coalesce(?10, deleted), "
      "failed = coalesce(?11, failed), "
      "lease_owner = CASE WHEN ?12 THEN NULL ELSE lease_owner END, "
      "lease_until = CASE WHEN ?12 THEN NULL ELSE lease_until END "
      "WHERE id = ?13 AND state = ?14");
  stmt.bind(1, std::string(core::to_string(path.back()))).bind(2, now_micros());
  stmt.bind(3, sqlite::optional_micros(patch.started_at)).bind(4, sqlite::optional_micros(patch.finished_at));
  stmt.bind(5, sqlite::optional_micros(patch.next_attempt_at)).bind(6, patch.error);
  bind_category(stmt, 7, patch.error_category);
  if (patch.counts) {
    stmt.bind(8, patch.counts->inserted).bind(9, patch.counts->updated);
    stmt.bind(10, patch.counts->deleted).bind(11, patch.counts->failed);
  }
  stmt.bind(12, int64_t{patch.clear_lease ? 1 : 0}).bind(13, run_id);
  stmt.bind(14, std::string(core::to_string(path.front())));
  stmt.run();
  if (stmt.changes() != 1) return false;
  // Before the failure's sweep, which would otherwise take a finished task for an unfinished one.
  for (const auto& task : patch.tasks) write_task(task);
  if (path.back() == RunState::kFailed) {
    fail_unfinished_models(run_id, patch.finished_at.value_or(core::SystemClock().now()), patch.error,
                           patch.error_category);
  }
  tx.commit();
  return true;
}

void SqliteStore::fail_unfinished_models(const std::string& run_id, core::Timestamp finished_at,
                                         const std::optional<std::string>& error,
                                         std::optional<core::ErrorCategory> category) {
  // The models' states first: the tasks' update below is what marks them finished. A sync deleted under
  // the run has no states to write.
  auto models = db_.prepare_cached(
      "INSERT INTO model_states (sync_id, model_id, last_sync_finished, last_sync_result, is_initial_sync, "
      "last_error_category) "
      "SELECT r.sync_id, t.model_id, ?1, 'failed', 1, ?2 FROM run_tasks t JOIN runs r ON r.id = t.run_id "
      "JOIN syncs s ON s.id = r.sync_id WHERE t.run_id = ?3 AND t.state IN ('pending','running') "
      "ON CONFLICT (sync_id, model_id) DO UPDATE SET last_sync_finished = excluded.last_sync_finished, "
      "last_sync_result = excluded.last_sync_result, last_error_category = excluded.last_error_category");
  models.bind(1, core::to_micros(finished_at));
  bind_category(models, 2, category);
  models.bind(3, run_id);
  models.run();
  auto tasks = db_.prepare_cached(
      "UPDATE run_tasks SET state = 'failed', error = coalesce(error, ?1), finished_at = ?2 "
      "WHERE run_id = ?3 AND state IN ('pending','running')");
  tasks.bind(1, error).bind(2, core::to_micros(finished_at)).bind(3, run_id);
  tasks.run();
}

std::optional<core::Run> SqliteStore::claim(const std::string& worker, core::Timestamp now,
                                            core::Timestamp lease_until, const ClaimPolicy& policy) {
  const auto claimed = hop(RunState::kQueued, RunState::kRunning);
  Lock lock(mutex_);
  // The pick and the update share one write (IMMEDIATE) transaction, so two claimers, threads or processes,
  // never both see a tenant below its cap.
  sqlite::Transaction tx(db_);
  std::string id;
  {
    // Ordering by (the tenant's running count, created_at, id) picks the least busy tenant, then its oldest
    // run (ClaimPolicy). The first run in that order is some tenant's oldest queued run, so only those are
    // compared: the tenants with queued runs are found by skipping through runs_queued_by_tenant (one probe
    // per tenant), and each one's oldest run heads its range of that index. The cost grows with the tenants
    // that have queued runs, not with the queue. 'queued' is a literal so the partial index applies; INDEXED
    // BY because without statistics the planner prefers runs_claimable and sorts the whole queue.
    auto pick = db_.prepare_cached(
        "WITH RECURSIVE queued_tenants(tenant_id) AS ("
        "SELECT (SELECT tenant_id FROM runs INDEXED BY runs_queued_by_tenant WHERE state = 'queued' ORDER BY "
        "tenant_id LIMIT 1) "
        "UNION ALL SELECT (SELECT r.tenant_id FROM runs r INDEXED BY runs_queued_by_tenant WHERE r.state = "
        "'queued' AND r.tenant_id > "
        "t.tenant_id ORDER BY r.tenant_id LIMIT 1) FROM queued_tenants t WHERE t.tenant_id IS NOT NULL), "
        "heads(id) AS (SELECT (SELECT r.id FROM runs r INDEXED BY runs_queued_by_tenant WHERE r.state = "
        "'queued' AND r.tenant_id = "
        "t.tenant_id ORDER BY r.created_at, r.id LIMIT 1) FROM queued_tenants t WHERE t.tenant_id IS NOT "
        "NULL), "
        "busy AS (SELECT tenant_id, count(*) AS running FROM runs "
        "WHERE state IN ('running','cancelling') GROUP BY tenant_id) "
        "SELECT q.id FROM heads h JOIN runs q ON q.id = h.id LEFT JOIN busy b ON b.tenant_id = q.tenant_id "
        "WHERE ?1 <= 0 OR coalesce(b.running, 0) < ?1 "
        "ORDER BY coalesce(b.running, 0), q.created_at, q.id LIMIT 1");
    pick.bind(1, int64_t{policy.tenant_max_running});
    if (!pick.step()) return std::nullopt;
    id = pick.text(0);
  }
  auto stmt = db_.prepare_cached(
      "UPDATE runs SET state = ?6, lease_owner = ?1, lease_until = ?2, attempt = attempt + 1, "
      "started_at = coalesce(started_at, ?3), updated_at = ?4 WHERE id = ?5 AND state = ?7");
  stmt.bind(1, worker).bind(2, core::to_micros(lease_until)).bind(3, core::to_micros(now));
  stmt.bind(4, core::to_micros(now)).bind(5, id).bind(6, claimed.to).bind(7, claimed.from);
  stmt.run();
  auto run = run_where(db_, "id = ?", id);
  tx.commit();
  return run;
}

std::optional<RunState> SqliteStore::heartbeat(const std::string& run_id, const std::string& worker,
                                               core::Timestamp lease_until) {
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached(
      "UPDATE runs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state IN "
      "('running','cancelling') "
      "RETURNING state");
  stmt.bind(1, core::to_micros(lease_until)).bind(2, run_id).bind(3, worker);
  if (!stmt.step()) return std::nullopt;
  auto state = core::parse_run_state(stmt.text(0));
  stmt.run();
  return state;
}

int SqliteStore::reclaim_expired_leases(core::Timestamp now, const ReclaimPolicy& policy) {
  const auto poisoned = hop(RunState::kRunning, RunState::kFailed);
  const auto requeued_hop = hop(RunState::kRunning, RunState::kQueued);
  const auto cancelled_hop = hop(RunState::kCancelling, RunState::kCancelled);
  Lock lock(mutex_);
  sqlite::Transaction tx(db_);
  const int failed = fail_poison_runs(now, policy, poisoned);
  auto requeue = db_.prepare_cached(
      "UPDATE runs SET state = ?3, lease_owner = NULL, lease_until = NULL, updated_at = ?1 "
      "WHERE state = ?2 AND lease_until < ?1");
  requeue.bind(1, core::to_micros(now)).bind(2, requeued_hop.from).bind(3, requeued_hop.to);
  requeue.run();
  const int requeued = requeue.changes();
  auto cancel = db_.prepare_cached(
      "UPDATE runs SET state = ?3, lease_owner = NULL, lease_until = NULL, finished_at = ?1, "
      "updated_at = ?1 "
      "WHERE state = ?2 AND lease_until < ?1");
  cancel.bind(1, core::to_micros(now)).bind(2, cancelled_hop.from).bind(3, cancelled_hop.to);
  cancel.run();
  const int cancelled = cancel.changes();
  tx.commit();
  return failed + requeued + cancelled;
}

int SqliteStore::fail_poison_runs(core::Timestamp now, const ReclaimPolicy& policy,
                                  const RunStateHop& poisoned) {
  auto fail = db_.prepare_cached(
      "UPDATE runs SET state = ?4, lease_owner = NULL, lease_until = NULL, finished_at = ?1, updated_at = "
      "?1, "
      "error = 'the worker died on ' || attempt || ' attempts in a row (its lease expired each time); "
      "the run is not retried again', error_category = ?5 "
      "WHERE state = ?3 AND lease_until < ?1 AND attempt >= max_attempts + ?2 "
      "RETURNING id, tenant_id, sync_id, error");
  fail.bind(1, core::to_micros(now)).bind(2, int64_t{policy.lease_expiry_margin});
  fail.bind(3, poisoned.from).bind(4, poisoned.to);
  fail.bind(5, std::string(core::to_string(core::ErrorCategory::kInternal)));
  struct Poisoned {
    std::string id, tenant_id, sync_id, error;
  };
  std::vector<Poisoned> runs;
  while (fail.step()) runs.push_back({fail.text(0), fail.text(1), fail.text(2), fail.text(3)});
  for (const auto& run : runs) {
    fail_unfinished_models(run.id, now, run.error, core::ErrorCategory::kInternal);
    // The executor announces the failures it sees; nobody else sees this one.
    auto event = db_.prepare_cached(
        "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, ?, ?, ?)");
    const Json payload = {{"run_id", run.id},
                          {"sync_id", run.sync_id},
                          {"error", run.error},
                          {"error_category", core::to_string(core::ErrorCategory::kInternal)}};
    event.bind(1, core::new_uuid()).bind(2, run.tenant_id).bind(3, std::string("run.failed"));
    event.bind(4, payload.dump()).bind(5, core::to_micros(now));
    event.run();
  }
  return static_cast<int>(runs.size());
}

int SqliteStore::promote_retries(core::Timestamp now) {
  const auto promoted = hop(RunState::kPendingRetry, RunState::kQueued);
  Lock lock(mutex_);
  auto stmt = db_.prepare_cached(
      "UPDATE runs SET state = ?3, updated_at = ?1 WHERE state = ?2 AND next_attempt_at <= ?1");
  stmt.bind(1, core::to_micros(now)).bind(2, promoted.from).bind(3, promoted.to);
  stmt.run();
  return stmt.changes();
}

std::vector<std::pair<RunState, int64_t>> SqliteStore::unfinished_run_counts() {
  auto reader = readers_.lease();
  auto stmt = reader->prepare_cached(
      "SELECT state, count(*) FROM runs WHERE state IN ('scheduled','queued','running','cancelling',"
      "'pending_retry') GROUP BY state ORDER BY state");
  std::vector<std::pair<RunState, int64_t>> counts;
  while (stmt.step()) {
    if (const auto state = core::parse_run_state(stmt.text(0))) counts.emplace_back(*state, stmt.int64(1));
  }
  return counts;
}

void SqliteStore::save_task(const core::RunTask& t) {
  Lock lock(mutex_);
  write_task(t);
}

void SqliteStore::write_task(const core::RunTask& t) {
  auto stmt = db_.prepare_cached(
      "UPDATE run_tasks SET state = ?, full_refresh = ?, inserted = ?, updated = ?, deleted = ?, failed = ?, "
      "checkpoint = ?, error = ?, started_at = ?, finished_at = ? WHERE run_id = ? AND model_id = ?");
  stmt.bind(1, std::string(core::to_string(t.state))).bind(2, int64_t{t.full_refresh ? 1 : 0});
  stmt.bind(3, t.counts.inserted)
      .bind(4, t.counts.updated)
      .bind(5, t.counts.deleted)
      .bind(6, t.counts.failed);
  stmt.bind(7, t.checkpoint).bind(8, t.error);
  stmt.bind(9, sqlite::optional_micros(t.started_at)).bind(10, sqlite::optional_micros(t.finished_at));
  stmt.bind(11, t.run_id).bind(12, t.model_id);
  stmt.run();
}

}  // namespace ferry::store
