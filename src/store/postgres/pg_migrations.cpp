#include "store/postgres/pg_migrations.h"

#include <algorithm>
#include <array>

#include "store/postgres/pg_claim_functions.h"
#include "store/postgres/pg_event_triggers.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_webhook_tables.h"

namespace ferry::store {
namespace {

// The advisory lock key migrations hold (any 64-bit number no other ferry lock uses).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7231950001)";

// A migration's statements, run in order in one transaction.
struct Migration {
  const char* sql;
  const char* more_sql = nullptr;
};

// Append only: a released migration never changes what a database holds once every later one has run too
// (migrations 3 and 4 create the claim functions in the form migration 5 replaces them with, so every
// database ends with the same functions whatever version it started from). Column names and meanings are
// the SQLite store's (store/sqlite/migrations.cpp, as of its migration 12), so `ferry admin migrate-store`
// copies column by column: times are microseconds since the epoch (BIGINT), flags 0/1, JSON documents TEXT
// (kept byte for byte), sealed secrets BYTEA. Ids sort byte by byte (COLLATE "C"), as in SQLite, whatever the
// database's collation, so pages and the claim order match the SQLite store's and read straight from the
// indexes.
constexpr std::array<Migration, 7> kMigrations{{
    {R"sql(
CREATE TABLE tenants (id TEXT COLLATE "C" PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE api_keys (
  key_hash TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), created_at BIGINT NOT NULL,
  id TEXT COLLATE "C" NOT NULL UNIQUE, prefix TEXT NOT NULL DEFAULT 'fry_', last_used_at BIGINT, revoked_at BIGINT);
CREATE INDEX api_keys_by_tenant ON api_keys(tenant_id, created_at DESC, id DESC);
-- Raised whenever a key stops being valid, by any process: each process's cache of authenticated keys is
-- dropped when it sees the counter move.
CREATE TABLE api_key_generation (id INTEGER PRIMARY KEY CHECK (id = 1), value BIGINT NOT NULL);
INSERT INTO api_key_generation (id, value) VALUES (1, 0);
CREATE FUNCTION ferry_bump_api_key_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE api_key_generation SET value = value + 1 WHERE id = 1; RETURN NULL; END $$;
CREATE TRIGGER api_key_revoked AFTER UPDATE OF revoked_at ON api_keys FOR EACH ROW
  WHEN (NEW.revoked_at IS DISTINCT FROM OLD.revoked_at) EXECUTE FUNCTION ferry_bump_api_key_generation();
CREATE TRIGGER api_key_deleted AFTER DELETE ON api_keys FOR EACH ROW
  EXECUTE FUNCTION ferry_bump_api_key_generation();
CREATE TRIGGER api_key_tenant_deleted AFTER DELETE ON tenants FOR EACH ROW
  EXECUTE FUNCTION ferry_bump_api_key_generation();
CREATE TABLE connections (
  id TEXT COLLATE "C" PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
  source_type TEXT NOT NULL, config TEXT NOT NULL, secrets BYTEA NOT NULL, account_token TEXT NOT NULL,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE INDEX connections_by_tenant ON connections(tenant_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX connections_by_account_token ON connections(tenant_id, account_token);
CREATE TABLE connection_catalogs (
  connection_id TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE, tenant_id TEXT NOT NULL,
  models TEXT NOT NULL, refreshed_at BIGINT NOT NULL, model_ids TEXT);
CREATE TABLE syncs (
  id TEXT COLLATE "C" PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),
  connection_id TEXT NOT NULL REFERENCES connections(id),
  destination_type TEXT NOT NULL, destination_config TEXT NOT NULL, models TEXT,
  schedule_kind TEXT NOT NULL, interval_minutes INTEGER, cron TEXT, active INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL, next_sync_start BIGINT, models_changed_at BIGINT,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, destination_secrets BYTEA);
CREATE INDEX syncs_by_tenant ON syncs(tenant_id, created_at DESC, id DESC);
CREATE INDEX syncs_by_connection ON syncs(connection_id);
CREATE INDEX syncs_due ON syncs(next_sync_start) WHERE active = 1 AND schedule_kind <> 'manual';
CREATE TABLE runs (
  id TEXT COLLATE "C" PRIMARY KEY, tenant_id TEXT NOT NULL, sync_id TEXT NOT NULL REFERENCES syncs(id) ON DELETE CASCADE,
  connection_id TEXT NOT NULL, state TEXT NOT NULL, full_refresh INTEGER NOT NULL, models TEXT NOT NULL,
  trigger TEXT NOT NULL, attempt INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
  lease_owner TEXT, lease_until BIGINT, next_attempt_at BIGINT,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, started_at BIGINT, finished_at BIGINT,
  inserted BIGINT NOT NULL DEFAULT 0, updated BIGINT NOT NULL DEFAULT 0, deleted BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0, error TEXT, error_category TEXT, identities TEXT,
  test_run INTEGER NOT NULL DEFAULT 0, batch_id TEXT, scheduled_for BIGINT);
-- The store, not the caller, guarantees at most one active run per sync.
CREATE UNIQUE INDEX runs_one_active_per_sync ON runs(sync_id)
  WHERE state IN ('scheduled','queued','running','cancelling','pending_retry');
-- A schedule slot fires once, whichever process leads the scheduler when it comes due.
CREATE UNIQUE INDEX runs_one_per_schedule_slot ON runs(sync_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
CREATE INDEX runs_by_sync ON runs(sync_id, created_at DESC, id DESC);
CREATE INDEX runs_finished_by_sync ON runs(sync_id, finished_at DESC) WHERE finished_at IS NOT NULL;
-- Claims read the queue in order; running counts per tenant and lease expiry read the live runs.
CREATE INDEX runs_queued_by_tenant ON runs(tenant_id, created_at, id) WHERE state = 'queued';
CREATE INDEX runs_live ON runs(tenant_id) WHERE state IN ('running','cancelling');
CREATE INDEX runs_leased ON runs(lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX runs_retrying ON runs(next_attempt_at) WHERE state = 'pending_retry';
CREATE TABLE run_tasks (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, model_id TEXT NOT NULL, position INTEGER NOT NULL,
  state TEXT NOT NULL, full_refresh INTEGER NOT NULL,
  inserted BIGINT NOT NULL DEFAULT 0, updated BIGINT NOT NULL DEFAULT 0, deleted BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0, checkpoint TEXT, error TEXT, id TEXT UNIQUE, started_at BIGINT,
  finished_at BIGINT, PRIMARY KEY (run_id, model_id));
CREATE TABLE model_states (
  sync_id TEXT NOT NULL REFERENCES syncs(id) ON DELETE CASCADE, model_id TEXT NOT NULL, cursor TEXT,
  last_sync_start BIGINT, last_sync_finished BIGINT, last_sync_result TEXT, is_initial_sync INTEGER NOT NULL,
  last_error_category TEXT, PRIMARY KEY (sync_id, model_id));
CREATE TABLE events (id TEXT COLLATE "C" PRIMARY KEY, tenant_id TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL,
                     created_at BIGINT NOT NULL);
CREATE INDEX events_by_tenant ON events(tenant_id, created_at DESC);
CREATE TABLE idempotency_keys (tenant_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
                               status INTEGER NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL,
                               PRIMARY KEY (tenant_id, key));
CREATE TABLE collections (
  id TEXT COLLATE "C" PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  readable_id TEXT NOT NULL, name TEXT NOT NULL, destination_type TEXT NOT NULL,
  destination_config TEXT NOT NULL, destination_secrets BYTEA, created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL, UNIQUE (tenant_id, readable_id));
CREATE INDEX collections_by_tenant ON collections(tenant_id, created_at DESC, id DESC);
CREATE TABLE collection_members (
  connection_id TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
  collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE, tenant_id TEXT NOT NULL);
CREATE INDEX collection_members_by_collection ON collection_members(collection_id);
-- Worker processes announce their threads, so the default per-tenant cap counts every live worker.
-- A known text sealed under the master key by the first process: a process started with another key is refused
-- at once instead of failing on the first secret it opens.
CREATE TABLE master_key_check (id INTEGER PRIMARY KEY CHECK (id = 1), sealed BYTEA NOT NULL);
CREATE TABLE worker_hosts (host_id TEXT PRIMARY KEY, threads INTEGER NOT NULL, alive_until BIGINT NOT NULL);
)sql"},
    // 2: the per-key rate-limit buckets every `ferry serve` shares (pg_store_rate_buckets.cpp), keyed by the
    // credential's SHA-256 hex. `granted` is what the last take gave, as RETURNING reads only the new row.
    // Idle buckets are deleted once full again; the index finds them.
    {R"sql(
CREATE TABLE rate_buckets (key_hash TEXT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL,
                           updated_at BIGINT NOT NULL, granted INTEGER NOT NULL);
CREATE INDEX rate_buckets_by_age ON rate_buckets(updated_at);
)sql"},
    // 3: a claim in one round trip, the function ferry_claim_run (pg_claim_functions.h).
    {kClaimRunFunction},
    // 4: many claims in one round trip, the function ferry_claim_runs; runs_leased dropped.
    {"DROP INDEX runs_leased;", kClaimRunsFunction},
    // 5: both claim functions replaced: running counts per tenant, tasks per run.
    {kClaimRunFunction, kClaimRunsFunction},
    // 6: events written by the changes of state that cause them (pg_event_triggers.h).
    {kEventTriggers},
    // 7: webhooks and their deliveries, fanned out from each event (pg_webhook_tables.h).
    {kWebhookTables},
}};

}  // namespace

int pg_latest_schema_version() {
  return static_cast<int>(kMigrations.size());
}

void pg_migrate(postgres::PgConnection& connection, int up_to) {
  {
    PgTransaction tx(connection);
    connection.exec(kMigrationLock);
    connection.exec("SET LOCAL client_min_messages = warning");  // no NOTICE that the table exists
    connection.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT "
        "NULL)");
    tx.commit();
  }
  for (int version = 1; version <= std::min(up_to, pg_latest_schema_version()); ++version) {
    PgTransaction tx(connection);
    connection.exec(kMigrationLock);  // held to the end of this transaction
    const auto done =
        connection.exec("SELECT 1 FROM schema_migrations WHERE version = $1", {std::to_string(version)});
    if (done.rows() > 0) continue;
    const auto& migration = kMigrations[static_cast<size_t>(version - 1)];
    connection.exec(migration.sql);
    if (migration.more_sql != nullptr) connection.exec(migration.more_sql);
    connection.exec(
        "INSERT INTO schema_migrations (version, applied_at) VALUES "
        "($1, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
        {std::to_string(version)});
    tx.commit();
  }
}

}  // namespace ferry::store
