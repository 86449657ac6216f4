// store/postgres/pg_claim_batch_migration: PostgreSQL migration 4, ferry_claim_runs, which claims up to
// `max_runs` runs in one call (PgStore::claim_batch, pg_store_claims.cpp). One call pays once for what
// dominates a claim's cost on the server - the function call, the skip scan over tenants, the running
// counts, the transaction - instead of once per run. Like ferry_claim_run (migration 3,
// pg_claim_migration.h) it lives in the migrated schema and resolves its tables there (SET search_path FROM
// CURRENT), and forces generic plans.
//
// ferry_claim_runs(claimer, claimed_until, claimed_at, tenant_cap, max_runs) returns the claimed runs in
// claim order, each with its tasks, one row per task in position order (task NULL for a run without tasks).
// The runs are those `max_runs` sequential claims (ClaimPolicy) would take, in their order: a tenant's i-th
// queued run (i from 0, in (created_at, id) order) would be claimed when its tenant has running + i runs,
// so the batch is the queued runs ordered by (running + i, created_at, id), with running + i < cap. Each
// pass of its loop, in a block of its own (a subtransaction):
// - the pick, one statement: the tenants with queued runs (the skip scan of migration 3), their running
//   counts, each open tenant's first min(max_runs, cap - running) queued runs with their rank i, ordered as
//   above (`candidates`, materialized in that order), then the first `max_runs` of them no other claimer
//   holds, each locked as the nested loop reaches it (SKIP LOCKED: concurrent claimers take different runs
//   without waiting for one another; LIMIT stops the loop once max_runs are locked). A candidate another
//   claimer took after this statement's snapshot fails the lock's recheck and is passed over (its newest
//   version stays locked to the end of the claim: its worker's next write to it waits that long).
// - all candidates gone that way (others claimed them since the snapshot; a busy box descheduling this
//   backend for a few milliseconds is enough), or locked by claimers still at work: the pass starts again
//   with a new snapshot, as others made progress. No candidates at all: nothing to claim, no row; nor after
//   100 passes in a row that found every candidate held (rows locked by something slower than a claim), as
//   a claim that finds nothing does.
// - with a cap, the advisory lock of each tenant picked (the key ferry_claim_run takes), in key order, so
//   batch claimers holding several never wait on each other in a cycle (a single claim holds one and waits
//   for nothing while it does). Then a recount, in a statement begun after the locks were granted (a fresh
//   snapshot, as in migration 3): a tenant whose running count plus its picked runs passes the cap raises
//   ferry_tenant_full (FR001), which aborts the block's subtransaction, releasing every picked row and
//   tenant lock at once; the next pass takes the recounted running counts as floors for those tenants.
// - the take: running, leased, attempt + 1, started_at kept from an earlier attempt; the tasks are read by
//   the same statement, whose snapshot is newer than the pick's (a run's tasks commit with the run).
//
// The migration also drops runs_leased (lease_until, migration 1). Every reader of lease_until names the
// state too (the reaper: running or cancelling runs whose lease expired), which runs_live serves: those runs
// are at most one per worker. Without it a claim writes one index entry fewer, and a heartbeat, which
// changes nothing else an index reads, can be a HOT update (no index entry at all).
#pragma once

namespace ferry::store {

inline constexpr const char* kClaimBatchFunctionMigration = R"sql(
DROP INDEX runs_leased;
CREATE FUNCTION ferry_claim_runs(claimer TEXT, claimed_until BIGINT, claimed_at BIGINT, tenant_cap BIGINT,
                                 max_runs INTEGER)
RETURNS TABLE (run runs, task run_tasks) LANGUAGE plpgsql VOLATILE ROWS 32
SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  known_tenants TEXT[] := '{}';  -- tenants a recount found fuller than the pick saw them, and those counts
  known_running BIGINT[] := '{}';
  any_candidates BOOLEAN;
  taken_passes INTEGER := 0;  -- passes whose every candidate another claimer held
  picked_ids TEXT[];
  picked_tenants TEXT[];
  over_tenants TEXT[];
  over_running BIGINT[];
BEGIN
  IF max_runs < 1 THEN
    RETURN;
  END IF;
  LOOP
    BEGIN
      WITH RECURSIVE heads(tenant_id) AS (
        (SELECT tenant_id FROM runs WHERE state = 'queued' ORDER BY tenant_id LIMIT 1)
        UNION ALL
        SELECT next_head.tenant_id FROM heads h
        CROSS JOIN LATERAL (SELECT r.tenant_id FROM runs r WHERE r.state = 'queued' AND r.tenant_id > h.tenant_id
                            ORDER BY r.tenant_id LIMIT 1) next_head),
      busy AS (SELECT tenant_id, count(*) AS running FROM runs WHERE state IN ('running','cancelling')
               GROUP BY tenant_id),
      known AS (SELECT k.tenant_id, max(k.running) AS running
                FROM unnest(known_tenants, known_running) AS k(tenant_id, running) GROUP BY k.tenant_id),
      open_tenants AS MATERIALIZED (
        SELECT t.* FROM (
          SELECT h.tenant_id, greatest(coalesce(b.running, 0), coalesce(k.running, 0)) AS running
          FROM heads h LEFT JOIN busy b ON b.tenant_id = h.tenant_id LEFT JOIN known k ON k.tenant_id = h.tenant_id) t
        WHERE tenant_cap <= 0 OR t.running < tenant_cap),
      candidates AS MATERIALIZED (
        SELECT q.id, t.tenant_id, t.running + q.rank AS level, q.created_at
        FROM open_tenants t
        CROSS JOIN LATERAL (
          SELECT r.id, r.created_at, row_number() OVER (ORDER BY r.created_at, r.id) - 1 AS rank
          FROM runs r WHERE r.state = 'queued' AND r.tenant_id = t.tenant_id
          ORDER BY r.created_at, r.id
          LIMIT CASE WHEN tenant_cap > 0 THEN least(max_runs, tenant_cap - t.running) ELSE max_runs END) q
        ORDER BY t.running + q.rank, q.created_at, q.id)
      SELECT array_agg(c.id ORDER BY c.level, c.created_at, c.id), array_agg(c.tenant_id),
             EXISTS (SELECT 1 FROM candidates)
      INTO picked_ids, picked_tenants, any_candidates
      FROM (SELECT c.* FROM candidates c
            CROSS JOIN LATERAL (SELECT r.id FROM runs r WHERE r.id = c.id AND r.state = 'queued'
                                FOR UPDATE SKIP LOCKED) taken
            LIMIT max_runs) c;
      IF NOT any_candidates THEN
        RETURN;
      END IF;
      IF picked_ids IS NULL THEN
        taken_passes := taken_passes + 1;
        CONTINUE WHEN taken_passes < 100;
        RETURN;
      END IF;
      IF tenant_cap > 0 THEN
        PERFORM pg_advisory_xact_lock(hashtext('ferry claim:' || current_schema()), keys.key)
        FROM (SELECT DISTINCT hashtext(p.tenant_id) AS key FROM unnest(picked_tenants) AS p(tenant_id)
              ORDER BY 1) keys;
        SELECT array_agg(o.tenant_id), array_agg(o.running) INTO over_tenants, over_running
        FROM (SELECT p.tenant_id, count(*) AS picked,
                     (SELECT count(*) FROM runs r WHERE r.tenant_id = p.tenant_id
                      AND r.state IN ('running','cancelling')) AS running
              FROM unnest(picked_tenants) AS p(tenant_id) GROUP BY p.tenant_id) o
        WHERE o.running + o.picked > tenant_cap;
        IF over_tenants IS NOT NULL THEN
          RAISE SQLSTATE 'FR001' USING MESSAGE = 'ferry_tenant_full';
        END IF;
      END IF;
      -- The picked rows are this pass's, locked as it saw them queued: the take names them by id alone (a
      -- state test would let the generic plan scan a partial index of states instead of the primary key).
      -- picked_ids is TEXT[] in the database's collation, as run_tasks.run_id: its index serves the join.
      RETURN QUERY
        WITH taken AS (
          UPDATE runs SET state = 'running', lease_owner = claimer, lease_until = claimed_until,
                          attempt = attempt + 1, started_at = coalesce(started_at, claimed_at),
                          updated_at = claimed_at
          WHERE id = ANY(picked_ids)
          RETURNING runs AS claimed, runs.id)
        SELECT c.claimed, t FROM unnest(picked_ids) WITH ORDINALITY AS p(id, ord)
        JOIN taken c ON c.id = p.id
        LEFT JOIN run_tasks t ON t.run_id = p.id
        ORDER BY p.ord, t.position;
      RETURN;
    EXCEPTION WHEN SQLSTATE 'FR001' THEN
      known_tenants := known_tenants || over_tenants;
      known_running := known_running || over_running;
    END;
  END LOOP;
END $$;
)sql";

}  // namespace ferry::store
