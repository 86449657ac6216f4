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

// The first queued run in ClaimPolicy's order (its tenant's running count, created_at, id) among tenants
// below the cap as this statement's snapshot sees them, and not already found at the cap ($2), without
// reading the whole queue: the tenants with queued runs are found by skipping through
// runs_queued_by_tenant (one probe per tenant), each tenant's oldest queued run is the head of its range of
// that index, and the tenants, ordered by (running count, head), are tried in turn until one yields a row
// no other claimer holds. That row is locked (SKIP LOCKED: concurrent claimers take different runs without
// waiting for one another). The tenants are tried in the order of the materialized `candidates` scan (a
// nested loop keeps its outer order, and LIMIT 1 stops at the first row), so at most one row is locked. The
// outer select, and with a cap the tenant's advisory lock, runs for that one row. The states are literals,
// not parameters, so the prepared statement's generic plan can use the partial indexes.
constexpr const char* kPick =
    "SELECT p.id, p.tenant_id%s FROM (WITH RECURSIVE queued_tenants(tenant_id) AS ("
    "(SELECT tenant_id FROM runs WHERE state = 'queued' ORDER BY tenant_id LIMIT 1) UNION ALL "
    "SELECT (SELECT r.tenant_id FROM runs r WHERE r.state = 'queued' AND r.tenant_id > t.tenant_id "
    "ORDER BY r.tenant_id LIMIT 1) FROM queued_tenants t WHERE t.tenant_id IS NOT NULL), "
    "busy AS (SELECT tenant_id, count(*) AS running FROM runs WHERE state IN ('running','cancelling') "
    "GROUP BY tenant_id), "
    "candidates AS MATERIALIZED (SELECT t.tenant_id, coalesce(b.running, 0) AS running, head.created_at, "
    "head.id "
    "FROM queued_tenants t LEFT JOIN busy b ON b.tenant_id = t.tenant_id "
    "CROSS JOIN LATERAL (SELECT r.created_at, r.id FROM runs r WHERE r.state = 'queued' AND r.tenant_id = "
    "t.tenant_id "
    "ORDER BY r.created_at, r.id LIMIT 1) head "
    "WHERE t.tenant_id IS NOT NULL AND ($1::bigint <= 0 OR coalesce(b.running, 0) < $1::bigint) "
    "AND t.tenant_id <> ALL($2::text[]) "
    "ORDER BY coalesce(b.running, 0), head.created_at, head.id) "
    "SELECT taken.id, taken.tenant_id FROM candidates c "
    "CROSS JOIN LATERAL (SELECT r.id, r.tenant_id FROM runs r WHERE r.state = 'queued' AND r.tenant_id = "
    "c.tenant_id "
    "ORDER BY r.created_at, r.id LIMIT 1 FOR UPDATE SKIP LOCKED) taken LIMIT 1) p";

// Claims of one tenant queue behind this lock (per schema: stores sharing a database do not contend), so
// the recount that follows it sees every claim of the tenant that committed before.
constexpr const char* kTenantLock =
    ", pg_advisory_xact_lock(hashtext('ferry claim:' || current_schema()), hashtext(p.tenant_id))";

std::string pick_sql(bool capped) {
  const std::string pick = kPick;
  const auto at = pick.find("%s");
  return pick.substr(0, at) + (capped ? kTenantLock : "") + pick.substr(at + 2);
}

}  // namespace

std::optional<core::Run> PgStore::claim(const std::string& worker, core::Timestamp now,
                                        core::Timestamp lease_until, const ClaimPolicy& policy) {
  pg::hop(RunState::kQueued, RunState::kRunning);  // the hop the statements below write
  const bool capped = policy.tenant_max_running > 0;
  const std::string cap = std::to_string(policy.tenant_max_running);
  const std::string pick = pick_sql(capped);
  // The pick's running counts come from a snapshot taken before the tenant's lock, so with a cap the update
  // counts again, in a statement begun after the lock was granted: under READ COMMITTED it sees every claim
  // of the tenant that committed first (an advisory lock is released only after its commit is visible).
  std::string take =
      "UPDATE runs SET state = 'running', lease_owner = $1, lease_until = $2, attempt = attempt + 1, "
      "started_at = coalesce(started_at, $3), updated_at = $3 WHERE id = $4 AND state = 'queued'";
  if (capped) {
    take +=
        " AND (SELECT count(*) FROM runs WHERE tenant_id = $5 AND state IN ('running','cancelling')) < $6";
  }
  take += " RETURNING ";
  take += pg::kRunColumnList;

  auto connection = pool_.acquire();
  // Tenants found at the cap by a recount: passed over by the next picks of this claim.
  std::vector<std::string> full_tenants;
  for (;;) {
    std::vector<core::Run> runs;
    {
      PgTransaction tx(*connection);
      const auto picked = connection->exec_prepared(pick, {cap, pg::text_array(full_tenants)});
      if (picked.rows() == 0) return std::nullopt;
      const auto id = picked.text(0, 0);
      const auto tenant_id = picked.text(0, 1);
      pg::Params params{worker, pg::micros(lease_until), pg::micros(now), id};
      if (capped) {
        params.add(tenant_id);
        params.add(cap);
      }
      const auto taken = connection->exec_prepared(take, params);
      if (taken.rows() == 0) {
        // At the cap after all. Rolling back frees the tenant's lock before the next pick, so a claim holds
        // at most one tenant lock at a time and claims never wait on each other in a cycle.
        if (!capped) return std::nullopt;  // unreachable: the locked row was queued
        full_tenants.push_back(tenant_id);
        continue;
      }
      runs.push_back(pg::read_run(taken, 0));
      tx.commit();
    }
    // A claimed run's tasks change only through its claimer: read after the commit, outside the lock.
    pg::load_tasks(*connection, runs);
    return std::move(runs.front());
  }
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

}  // namespace ferry::store
