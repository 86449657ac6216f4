// store/postgres/pg_claim_migration: PostgreSQL migration 3, the claim as one function, so a claim costs one
// round trip (PgStore::claim, pg_store_claims.cpp) instead of BEGIN, pick, take, COMMIT and a read of the
// tasks. It is created in the schema being migrated and resolves its tables there whatever the caller's
// search_path (SET search_path FROM CURRENT), as stores sharing a database each have a schema of their own.
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
//   and its head (`heads`: one probe per tenant with queued runs). The tenants, ordered by (running count,
//   head), are tried in turn until one yields a row no other claimer holds. That row is locked (SKIP LOCKED:
//   concurrent claimers take different runs without waiting for one another). The tenants are tried in the
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
#pragma once

namespace ferry::store {

inline constexpr const char* kClaimFunctionMigration = R"sql(
CREATE FUNCTION ferry_claim_run(claimer TEXT, claimed_until BIGINT, claimed_at BIGINT, tenant_cap BIGINT)
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
      busy AS (SELECT tenant_id, count(*) AS running FROM runs WHERE state IN ('running','cancelling')
               GROUP BY tenant_id),
      candidates AS MATERIALIZED (
        SELECT h.tenant_id, coalesce(b.running, 0) AS running, h.created_at, h.id
        FROM heads h LEFT JOIN busy b ON b.tenant_id = h.tenant_id
        WHERE (tenant_cap <= 0 OR coalesce(b.running, 0) < tenant_cap) AND h.tenant_id <> ALL(full_tenants)
        ORDER BY coalesce(b.running, 0), h.created_at, h.id)
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

}  // namespace ferry::store
