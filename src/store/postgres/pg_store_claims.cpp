// The PostgreSQL store's queue: fair claims under the per-tenant cap across every process, leases and
// heartbeats, the reaper of expired leases, and retry promotion. Each mirrors its SqliteStore counterpart
// (sqlite_store_runs.cpp); SQLite's single writer is replaced by row locks (FOR UPDATE SKIP LOCKED), one
// advisory lock per tenant for the cap, and one for the reaper.
#include "core/ids.h"
#include "store/postgres/pg_run_rows.h"
#include "store/postgres/pg_store.h"

namespace ferry::store {
namespace {

using core::Json;
using core::RunState;

// One round trip: ferry_claim_run (PostgreSQL migrations 3 and 5, pg_claim_functions.h) picks, locks,
// recounts under the tenant's lock, takes and reads the taken run's tasks, in the one transaction of this
// statement.
std::string claim_sql() {
  return "SELECT " + pg::qualified_columns("(c.run)", pg::kRunColumnList) + ", " +
         pg::qualified_columns("(c.task)", pg::kTaskColumnList) +
         " FROM ferry_claim_run($1, $2::bigint, $3::bigint, $4::bigint) c";
}

// One round trip for up to max runs: ferry_claim_runs (PostgreSQL migrations 4 and 5, pg_claim_functions.h),
// rows in claim order, each run's tasks together in position order.
std::string claim_batch_sql() {
  return "SELECT " + pg::qualified_columns("(c.run)", pg::kRunColumnList) + ", " +
         pg::qualified_columns("(c.task)", pg::kTaskColumnList) +
         " FROM ferry_claim_runs($1, $2::bigint, $3::bigint, $4::bigint, $5::integer) c";
}

}  // namespace

std::optional<core::Run> PgStore::claim(const std::string& worker, core::Timestamp now,
                                        core::Timestamp lease_until, const ClaimPolicy& policy) {
  pg::hop(RunState::kQueued, RunState::kRunning);  // the hop the function writes
  static const std::string sql = claim_sql();
  auto connection = pool_.acquire();
  const auto claimed = connection->exec_prepared(
      sql, {worker, pg::micros(lease_until), pg::micros(now), std::to_string(policy.tenant_max_running)});
  if (claimed.rows() == 0) return std::nullopt;
  auto run = pg::read_run(claimed, 0);
  for (int row = 0; row < claimed.rows(); ++row) {
    if (!claimed.is_null(row, pg::kRunColumnCount))
      run.tasks.push_back(pg::read_task(claimed, row, pg::kRunColumnCount));
  }
  return run;
}

std::vector<core::Run> PgStore::claim_batch(const std::string& worker, core::Timestamp now,
                                            core::Timestamp lease_until, const ClaimPolicy& policy, int max) {
  std::vector<core::Run> runs;
  if (max < 1) return runs;
  pg::hop(RunState::kQueued, RunState::kRunning);  // the hop the function writes
  static const std::string sql = claim_batch_sql();
  auto connection = pool_.acquire();
  const auto claimed =
      connection->exec_prepared(sql, {worker, pg::micros(lease_until), pg::micros(now),
                                      std::to_string(policy.tenant_max_running), std::to_string(max)});
  for (int row = 0; row < claimed.rows(); ++row) {
    // A run's rows are adjacent: its first starts it, each carries one task (none: NULL task columns).
    if (runs.empty() || runs.back().id != claimed.text(row, 0)) runs.push_back(pg::read_run(claimed, row));
    if (!claimed.is_null(row, pg::kRunColumnCount))
      runs.back().tasks.push_back(pg::read_task(claimed, row, pg::kRunColumnCount));
  }
  return runs;
}

std::optional<RunState> PgStore::heartbeat(const std::string& run_id, const std::string& worker,
                                           core::Timestamp lease_until) {
  if (!pg::storable(run_id, worker)) return std::nullopt;
  auto connection = pool_.acquire();
  const auto result = connection->exec_prepared(
      "UPDATE runs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND state IN "
      "('running','cancelling') "
      "RETURNING state",
      {pg::micros(lease_until), run_id, worker});
  if (result.rows() == 0) return std::nullopt;
  return core::parse_run_state(result.text(0, 0));
}

int PgStore::reclaim_expired_leases(core::Timestamp now, const ReclaimPolicy& policy) {
  const auto poisoned = pg::hop(RunState::kRunning, RunState::kFailed);
  const auto requeued_hop = pg::hop(RunState::kRunning, RunState::kQueued);
  const auto cancelled_hop = pg::hop(RunState::kCancelling, RunState::kCancelled);
  const auto at = pg::micros(now);
  auto connection = pool_.acquire();
  PgTransaction tx(*connection);
  // One reaper at a time across processes: two would lock the same expired runs in different orders (one
  // failing a poison run the other is requeuing). A reaper that finds another at work leaves it the job.
  const auto alone = connection->exec_prepared(
      "SELECT pg_try_advisory_xact_lock(hashtext('ferry reaper:' || current_schema()), 0)", {});
  if (alone.text(0, 0) != "t") return 0;

  const auto failed = connection->exec_prepared(
      "UPDATE runs SET state = $4, lease_owner = NULL, lease_until = NULL, finished_at = $1, updated_at = "
      "$1, "
      "error = 'the worker died on ' || attempt || ' attempts in a row (its lease expired each time); "
      "the run is not retried again', error_category = $5 "
      "WHERE state = $3 AND lease_until < $1 AND attempt >= max_attempts + $2::bigint "
      "RETURNING id, tenant_id, sync_id, error",
      {at, std::to_string(policy.lease_expiry_margin), poisoned.from, poisoned.to,
       std::string(core::to_string(core::ErrorCategory::kInternal))});
  for (int row = 0; row < failed.rows(); ++row) {
    const auto run_id = failed.text(row, 0);
    const auto error = failed.text(row, 3);
    pg::fail_unfinished_models(*connection, run_id, now, error, core::ErrorCategory::kInternal);
    // The executor announces the failures it sees; nobody else sees this one.
    const Json payload = {{"run_id", run_id},
                          {"sync_id", failed.text(row, 2)},
                          {"error", error},
                          {"error_category", core::to_string(core::ErrorCategory::kInternal)}};
    connection->exec_prepared(
        "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
        {core::new_uuid(), failed.text(row, 1), std::string("run.failed"), payload.dump(), at});
  }
  const auto requeued = connection->exec_prepared(
      "UPDATE runs SET state = $3, lease_owner = NULL, lease_until = NULL, updated_at = $1 "
      "WHERE state = $2 AND lease_until < $1",
      {at, requeued_hop.from, requeued_hop.to});
  const auto cancelled = connection->exec_prepared(
      "UPDATE runs SET state = $3, lease_owner = NULL, lease_until = NULL, finished_at = $1, updated_at = $1 "
      "WHERE state = $2 AND lease_until < $1",
      {at, cancelled_hop.from, cancelled_hop.to});
  if (requeued.affected() > 0) pg::notify_queued(*connection);
  tx.commit();
  return static_cast<int>(failed.rows() + requeued.affected() + cancelled.affected());
}

int PgStore::promote_retries(core::Timestamp now) {
  pg::hop(RunState::kPendingRetry, RunState::kQueued);  // the hop the statement below writes
  auto connection = pool_.acquire();
  // One statement: the promotion and, when it queued anything, the announcement, committed together.
  const auto result = connection->exec_prepared(
      "WITH promoted AS (UPDATE runs SET state = 'queued', updated_at = $1 "
      "WHERE state = 'pending_retry' AND next_attempt_at <= $1 RETURNING 1), "
      "announced AS (SELECT pg_notify($2, '') FROM (SELECT 1 FROM promoted LIMIT 1) one) "
      "SELECT (SELECT count(*) FROM promoted), (SELECT count(*) FROM announced)",
      {pg::micros(now), std::string(kRunQueuedChannel)});
  return static_cast<int>(result.int64(0, 0));
}

std::vector<std::pair<RunState, int64_t>> PgStore::unfinished_run_counts() {
  auto connection = pool_.acquire();
  // The predicate is runs_one_active_per_sync's: the count reads that index, never the history.
  const auto result = connection->exec_prepared(
      "SELECT state, count(*) FROM runs WHERE state IN ('scheduled','queued','running','cancelling',"
      "'pending_retry') GROUP BY state ORDER BY state",
      {});
  std::vector<std::pair<RunState, int64_t>> counts;
  for (int row = 0; row < result.rows(); ++row) {
    if (const auto state = core::parse_run_state(result.text(row, 0)))
      counts.emplace_back(*state, result.int64(row, 1));
  }
  return counts;
}

}  // namespace ferry::store
