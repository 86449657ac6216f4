// store/postgres/pg_claim_functions: the PostgreSQL store's claim functions, created by migrations 3
// (ferry_claim_run) and 4 (ferry_claim_runs) and replaced by migration 5 (pg_migrations.cpp). Migration 5
// counts each tenant's running runs with an index scan of its own instead of one bitmap scan over all of
// runs_live, and reads the batch's tasks run by run through their index instead of hashing every task
// (with 20,000 finished runs the two cost 24 ms and 17 ms of a 74 ms batch of 32). The earlier migrations
// create the functions in this form too: every database ends with the same ones, whatever version it
// started from.
//
// ferry_claim_run: the claim as one function, so a claim costs one round trip (PgStore::claim,
// pg_store_claims.cpp) instead of BEGIN, pick, take, COMMIT and a read of the tasks. Both functions are
// created in the schema being migrated and resolve their tables there whatever the caller's search_path
// (SET search_path FROM CURRENT), as stores sharing a database each have a schema of their own.
//
// ferry_claim_run(claimer, claimed_until, claimed_at, tenant_cap) returns the claimed run (the runs row as
// the claim left it) with each of its tasks, one row per task in position order (task NULL for a run without
// tasks), or no row. The tasks are read by a statement of the function begun after the take: the caller's
// statement has a snapshot older than the pick's, in which a run queued a moment before the pick, and its
// tasks, may not exist yet. Each pass of its loop, in a block of its own (a subtransaction):
// - the pick: the first queued run in ClaimPolicy's order (its tenant's running count, created_at, id)
//   among tenants below the cap as this statement's snapshot sees them, and not already found full, without
//   reading the whole queue. Each tenant's oldest queued run heads its range of runs_queued_by_tenant
//   (tenant_id, created_at, id), so one probe past the previous tenant's range finds both the next tenant
//   and its head (`heads`: one probe per tenant with queued runs). Each such tenant's running runs are
//   counted through runs_live (tenant_id), one index scan per tenant: a scan that visits the heap marks the
//   entries of runs no longer running dead, so the count stays small under churn between vacuums (one
//   bitmap scan over all of runs_live kills nothing: after 20,000 claims it read 7,695 entries and 1,208
//   heap pages, 24 ms). The tenants, ordered by (running count, head), are tried in turn until one yields
//   a row no other claimer holds. That row is locked (SKIP LOCKED: concurrent claimers take different runs
//   without waiting for one another). The tenants are tried in the
//   order of the materialized `candidates` scan (a nested loop keeps its outer order, and LIMIT 1 stops at
//   the first row), so at most one row is locked. The states are literals, so the generic plan can use the
//   partial indexes; generic plans are forced (plan_cache_mode), as the cache would otherwise keep planning
//   the pick afresh on every call (it was a sixth of the claim's cost).
// - with a cap, the tenant's advisory lock (per schema: stores sharing a database do not contend). The
//   pick's running counts come from a snapshot taken before the lock, so the take counts again. It is a
//   statement of its own begun after the lock was granted, and a VOLATILE function's statements each take
//   a fresh snapshot under READ COMMITTED: it sees every claim of the tenant that committed first (an
//   advisory lock is released only after its commit is visible).
// - the take: running, leased, attempt + 1, started_at kept from an earlier attempt.
// A tenant found full after all raises ferry_tenant_full (SQLSTATE FR001), which aborts the block's
// subtransaction: that releases the picked row's lock and the tenant's advisory lock (both belong to the
// subtransaction), so a claim holds at most one tenant lock at a time, claims never wait on each other in a
// cycle, and the run stays free for a claimer that finds its tenant below the cap. The next pass skips
// that tenant.
//
// Migration 4 also dropped runs_leased (lease_until, migration 1). Every reader of lease_until names the
// state too (the reaper: running or cancelling runs whose lease expired), which runs_live serves: those runs
// are at most one per worker. Without it a claim writes one index entry fewer, and a heartbeat, which
// changes nothing else an index reads, can be a HOT update (no index entry at all).
//
// ferry_claim_runs: claims up to `max_runs` runs in one call (PgStore::claim_batch, pg_store_claims.cpp).
// One call pays once for what dominates a claim's cost on the server - the function call, the skip scan
// over tenants, the running counts, the transaction - instead of once per run. It forces generic plans too.
//
// ferry_claim_runs(claimer, claimed_until, claimed_at, tenant_cap, max_runs) returns the claimed runs in
// claim order, each with its tasks, one row per task in position order (task NULL for a run without tasks).
// The runs are those `max_runs` sequential claims (ClaimPolicy) would take, in their order: a tenant's i-th
// queued run (i from 0, in (created_at, id) order) would be claimed when its tenant has running + i runs,
// so the batch is the queued runs ordered by (running + i, created_at, id), with running + i < cap. Each
// pass of its loop, in a block of its own (a subtransaction):
// - the pick, one statement: the tenants with queued runs (ferry_claim_run's skip scan), their running
//   counts (its index scan per tenant), each open tenant's first min(max_runs, cap - running) queued runs
//   with their rank i, ordered as above (`candidates`, materialized in that order), then the first `max_runs`
//   of them no other claimer holds, each locked as the nested loop reaches it (SKIP LOCKED: concurrent
//   claimers take different runs without waiting for one another; LIMIT stops the loop once max_runs are
//   locked). A candidate another claimer took after this statement's snapshot fails the lock's recheck and is
//   passed over (its newest version stays locked to the end of the claim: its worker's next write to it waits
//   that long).
// - all candidates gone that way (others claimed them since the snapshot; a busy box descheduling this
//   backend for a few milliseconds is enough), or locked by claimers still at work: the pass starts again
//   with a new snapshot, as others made progress. No candidates at all: nothing to claim, no row; nor after
//   100 passes in a row that found every candidate held (rows locked by something slower than a claim), as
//   a claim that finds nothing does.
// - with a cap, the advisory lock of each tenant picked (the key ferry_claim_run takes), in key order, so
//   batch claimers holding several never wait on each other in a cycle (a single claim holds one and waits
//   for nothing while it does). Then a recount, in a statement begun after the locks were granted (a fresh
//   snapshot, as in ferry_claim_run): a tenant whose running count plus its picked runs passes the cap raises
//   ferry_tenant_full (FR001), which aborts the block's subtransaction, releasing every picked row and
//   tenant lock at once; the next pass takes the recounted running counts as floors for those tenants.
// - the take: running, leased, attempt + 1, started_at kept from an earlier attempt; the tasks are read by
//   the same statement, whose snapshot is newer than the pick's (a run's tasks commit with the run), one
//   run at a time through run_tasks' index.
#pragma once

namespace ferry::store {

inline constexpr const char* kClaimRunFunction = R"sql(
CREATE OR REPLACE FUNCTION ferry_claim_run(claimer TEXT, claimed_until BIGINT, claimed_at BIGINT, tenant_cap BIGINT)
RETURNS TABLE (run runs, task run_tasks) LANGUAGE plpgsql VOLATILE ROWS 4
SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  full_tenants TEXT[] := '{}';
  picked RECORD;
  claimed runs;
  claimed_id TEXT;
BEGIN
  LOOP
    BEGIN
      WITH RECURSIVE heads(tenant_id, created_at, id) AS (
        (SELECT tenant_id, created_at, id FROM runs WHERE state = 'queued'
         ORDER BY tenant_id, created_at, id LIMIT 1)
        UNION ALL
        SELECT next_head.tenant_id, next_head.created_at, next_head.id FROM heads h
        CROSS JOIN LATERAL (SELECT r.tenant_id, r.created_at, r.id FROM runs r
                            WHERE r.state = 'queued' AND r.tenant_id > h.tenant_id
                            ORDER BY r.tenant_id, r.created_at, r.id LIMIT 1) next_head),
      candidates AS MATERIALIZED (
        SELECT h.tenant_id, b.running, h.created_at, h.id
        FROM heads h
        CROSS JOIN LATERAL (SELECT count(*) AS running FROM runs r
                            WHERE r.tenant_id = h.tenant_id AND r.state IN ('running','cancelling')) b
        WHERE (tenant_cap <= 0 OR b.running < tenant_cap) AND h.tenant_id <> ALL(full_tenants)
        ORDER BY b.running, h.created_at, h.id)
      SELECT taken.id, taken.tenant_id INTO picked FROM candidates c
      CROSS JOIN LATERAL (SELECT r.id, r.tenant_id FROM runs r
                          WHERE r.state = 'queued' AND r.tenant_id = c.tenant_id
                          ORDER BY r.created_at, r.id LIMIT 1 FOR UPDATE SKIP LOCKED) taken
      LIMIT 1;
      IF NOT FOUND THEN
        RETURN;
      END IF;
      IF tenant_cap > 0 THEN
        PERFORM pg_advisory_xact_lock(hashtext('ferry claim:' || current_schema()), hashtext(picked.tenant_id));
      END IF;
      UPDATE runs SET state = 'running', lease_owner = claimer, lease_until = claimed_until,
                      attempt = attempt + 1, started_at = coalesce(started_at, claimed_at),
                      updated_at = claimed_at
      WHERE id = picked.id AND state = 'queued'
        AND (tenant_cap <= 0 OR (SELECT count(*) FROM runs
                                 WHERE tenant_id = picked.tenant_id AND state IN ('running','cancelling'))
                                < tenant_cap)
      RETURNING * INTO claimed;
      IF FOUND THEN
        claimed_id := claimed.id;  -- TEXT in the database's collation, as run_tasks.run_id: its index serves
        RETURN QUERY SELECT claimed, t FROM run_tasks t WHERE t.run_id = claimed_id ORDER BY t.position;
        IF NOT FOUND THEN
          RETURN QUERY SELECT claimed, NULL::run_tasks;
        END IF;
        RETURN;
      END IF;
      RAISE SQLSTATE 'FR001' USING MESSAGE = 'ferry_tenant_full';
    EXCEPTION WHEN SQLSTATE 'FR001' THEN
      full_tenants := full_tenants || picked.tenant_id;
    END;
  END LOOP;
END $$;
)sql";

inline constexpr const char* kClaimRunsFunction = R"sql(
CREATE OR REPLACE FUNCTION ferry_claim_runs(claimer TEXT, claimed_until BIGINT, claimed_at BIGINT, tenant_cap BIGINT,
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
      known AS (SELECT k.tenant_id, max(k.running) AS running
                FROM unnest(known_tenants, known_running) AS k(tenant_id, running) GROUP BY k.tenant_id),
      open_tenants AS MATERIALIZED (
        SELECT t.* FROM (
          SELECT h.tenant_id, greatest(b.running, coalesce(k.running, 0)) AS running
          FROM heads h
          CROSS JOIN LATERAL (SELECT count(*) AS running FROM runs r
                              WHERE r.tenant_id = h.tenant_id AND r.state IN ('running','cancelling')) b
          LEFT JOIN known k ON k.tenant_id = h.tenant_id) t
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
      -- picked_ids is TEXT[] in the database's collation, as run_tasks.run_id: its index serves the join,
      -- which the subquery's ORDER BY keeps a nested loop (joined flat, the generic plan hashed every task).
      RETURN QUERY
        WITH taken AS (
          UPDATE runs SET state = 'running', lease_owner = claimer, lease_until = claimed_until,
                          attempt = attempt + 1, started_at = coalesce(started_at, claimed_at),
                          updated_at = claimed_at
          WHERE id = ANY(picked_ids)
          RETURNING runs AS claimed, runs.id)
        SELECT c.claimed, t.task FROM unnest(picked_ids) WITH ORDINALITY AS p(id, ord)
        JOIN taken c ON c.id = p.id
        LEFT JOIN LATERAL (SELECT rt AS task, rt.position FROM run_tasks rt WHERE rt.run_id = p.id
                           ORDER BY rt.position) t ON true
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
