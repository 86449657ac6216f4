#include "store/sqlite/migrations.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "core/error.h"

namespace ferry::sqlite {
namespace {

// Append only: a released migration never changes.
constexpr std::array<const char*, 17> kMigrations{
    R"sql(
CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE api_keys (key_hash TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),
                       created_at INTEGER NOT NULL);
CREATE TABLE connections (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
  source_type TEXT NOT NULL, config TEXT NOT NULL, secrets BLOB NOT NULL, account_token TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX connections_by_tenant ON connections(tenant_id, created_at DESC, id DESC);
CREATE TABLE syncs (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),
  connection_id TEXT NOT NULL REFERENCES connections(id),
  destination_type TEXT NOT NULL, destination_config TEXT NOT NULL, models TEXT,
  schedule_kind TEXT NOT NULL, interval_minutes INTEGER, cron TEXT, active INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL, next_sync_start INTEGER, models_changed_at INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX syncs_by_tenant ON syncs(tenant_id, created_at DESC, id DESC);
CREATE INDEX syncs_due ON syncs(next_sync_start) WHERE active = 1 AND schedule_kind <> 'manual';
CREATE TABLE runs (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, sync_id TEXT NOT NULL REFERENCES syncs(id) ON DELETE CASCADE,
  connection_id TEXT NOT NULL, state TEXT NOT NULL, full_refresh INTEGER NOT NULL, models TEXT NOT NULL,
  trigger TEXT NOT NULL, attempt INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
  lease_owner TEXT, lease_until INTEGER, next_attempt_at INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
  inserted INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0, error TEXT, error_category TEXT);
-- The store, not the caller, guarantees at most one active run per sync.
CREATE UNIQUE INDEX runs_one_active_per_sync ON runs(sync_id)
  WHERE state IN ('scheduled','queued','running','cancelling','pending_retry');
CREATE INDEX runs_by_sync ON runs(sync_id, created_at DESC, id DESC);
CREATE INDEX runs_claimable ON runs(state, created_at);
CREATE TABLE run_tasks (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, model_id TEXT NOT NULL, position INTEGER NOT NULL,
  state TEXT NOT NULL, full_refresh INTEGER NOT NULL,
  inserted INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0, checkpoint TEXT, error TEXT, PRIMARY KEY (run_id, model_id));
CREATE TABLE model_states (
  sync_id TEXT NOT NULL REFERENCES syncs(id) ON DELETE CASCADE, model_id TEXT NOT NULL, cursor TEXT,
  last_sync_start INTEGER, last_sync_finished INTEGER, last_sync_result TEXT, is_initial_sync INTEGER NOT NULL,
  PRIMARY KEY (sync_id, model_id));
CREATE TABLE events (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL,
                     created_at INTEGER NOT NULL);
CREATE INDEX events_by_tenant ON events(tenant_id, created_at DESC);
CREATE TABLE idempotency_keys (tenant_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
                               status INTEGER NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
                               PRIMARY KEY (tenant_id, key));
)sql",
    R"sql(
ALTER TABLE run_tasks ADD COLUMN id TEXT;
ALTER TABLE run_tasks ADD COLUMN started_at INTEGER;
ALTER TABLE run_tasks ADD COLUMN finished_at INTEGER;
CREATE UNIQUE INDEX run_tasks_by_id ON run_tasks(id);
ALTER TABLE runs ADD COLUMN identities TEXT;
ALTER TABLE runs ADD COLUMN test_run INTEGER NOT NULL DEFAULT 0;
CREATE INDEX connections_by_account_token ON connections(tenant_id, account_token);
)sql",
    R"sql(
ALTER TABLE syncs ADD COLUMN destination_secrets BLOB;
)sql",
    // API key lifecycle: an id to revoke by, a display prefix, last use and revocation. Keys created before
    // have no known prefix (only their hash was kept): they show "fry_".
    R"sql(
ALTER TABLE api_keys ADD COLUMN id TEXT;
ALTER TABLE api_keys ADD COLUMN prefix TEXT NOT NULL DEFAULT 'fry_';
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
UPDATE api_keys SET id = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||
                               substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random() % 4), 1) ||
                               substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
CREATE UNIQUE INDEX api_keys_by_id ON api_keys(id);
CREATE INDEX api_keys_by_tenant ON api_keys(tenant_id, created_at DESC, id DESC);
)sql",
    // Each connection's discovered models, so requests read them instead of calling the connector.
    R"sql(
CREATE TABLE connection_catalogs (
  connection_id TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE, tenant_id TEXT NOT NULL,
  models TEXT NOT NULL, refreshed_at INTEGER NOT NULL);
)sql",
    // 6: why a model's last sync failed (a run-level failure is recorded on every model it left unfinished).
    R"sql(
ALTER TABLE model_states ADD COLUMN last_error_category TEXT;
)sql",
    // 7: a counter raised whenever a key stops being valid, by any process (ferry admin revoke-key runs in
    // its own): the store's cache of authenticated keys is dropped when it sees the counter move.
    R"sql(
CREATE TABLE api_key_generation (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT INTO api_key_generation (id, value) VALUES (1, 0);
CREATE TRIGGER api_key_revoked AFTER UPDATE OF revoked_at ON api_keys
  WHEN NEW.revoked_at IS NOT OLD.revoked_at
  BEGIN UPDATE api_key_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER api_key_deleted AFTER DELETE ON api_keys
  BEGIN UPDATE api_key_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER api_key_tenant_deleted AFTER DELETE ON tenants
  BEGIN UPDATE api_key_generation SET value = value + 1 WHERE id = 1; END;
)sql",
    // 8: the runs one request started together (Stuut's batch): the id of the batch's first run; null for a
    // run that is a batch of its own.
    R"sql(
ALTER TABLE runs ADD COLUMN batch_id TEXT;
)sql",
    // 9: collections (the Airweave surface's): a tenant's named group of connections sharing one destination.
    // Collections that existed only as SQLite files at destinations/<readable_id>.db become rows, with the
    // connections whose syncs write there as members.
    R"sql(
CREATE TABLE collections (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  readable_id TEXT NOT NULL, name TEXT NOT NULL, destination_type TEXT NOT NULL,
  destination_config TEXT NOT NULL, destination_secrets BLOB, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, UNIQUE (tenant_id, readable_id));
CREATE INDEX collections_by_tenant ON collections(tenant_id, created_at DESC, id DESC);
CREATE TABLE collection_members (
  connection_id TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
  collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE, tenant_id TEXT NOT NULL);
CREATE INDEX collection_members_by_collection ON collection_members(collection_id);
INSERT INTO collections (id, tenant_id, readable_id, name, destination_type, destination_config,
                         destination_secrets, created_at, updated_at)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
             substr('89ab', 1 + abs(random() % 4), 1) || substr(hex(randomblob(2)), 2) || '-' ||
             hex(randomblob(6))),
       tenant_id, stem, stem, 'sqlite', json_object('path', path), NULL, min(created_at), min(created_at)
FROM (SELECT tenant_id, created_at, json_extract(destination_config, '$.path') AS path,
             substr(json_extract(destination_config, '$.path'), 14,
                    length(json_extract(destination_config, '$.path')) - 16) AS stem
      FROM syncs WHERE destination_type = 'sqlite')
WHERE path GLOB 'destinations/*.db' AND stem GLOB '[A-Za-z0-9]*' AND stem NOT GLOB '*[^A-Za-z0-9_-]*'
      AND length(stem) <= 128
GROUP BY tenant_id, path;
INSERT OR IGNORE INTO collection_members (connection_id, collection_id, tenant_id)
SELECT s.connection_id, c.id, s.tenant_id FROM syncs s JOIN collections c
  ON c.tenant_id = s.tenant_id AND s.destination_type = 'sqlite'
     AND json_extract(s.destination_config, '$.path') = json_extract(c.destination_config, '$.path')
ORDER BY s.created_at;
)sql",
    // 10: a sync's last finished run (every status poll) from an index, not a sort of all its runs: a sync
    // that runs every five minutes has thousands.
    R"sql(
CREATE INDEX runs_finished_by_sync ON runs(sync_id, finished_at DESC) WHERE finished_at IS NOT NULL;
)sql",
    // 11: the ids of a stored catalog's models beside the catalog, so a status poll reads a short array
    // instead of walking every field of every model.
    R"sql(
ALTER TABLE connection_catalogs ADD COLUMN model_ids TEXT;
UPDATE connection_catalogs SET model_ids = (SELECT json_group_array(id) FROM (
  SELECT json_extract(m.value, '$.model_id') AS id FROM json_each(connection_catalogs.models) m ORDER BY m.key));
)sql",
    // 12: an account token is unique within its tenant, not across the store: a store-wide UNIQUE told a
    // tenant importing a token that another tenant holds it. SQLite cannot drop a column's UNIQUE, so the
    // table is rebuilt (foreign keys off: kRebuildsTables), rows and rowids kept; the uniqueness moves to
    // the (tenant_id, account_token) index the token lookups already use, which a later change can drop.
    R"sql(
CREATE TABLE connections_rebuilt (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
  source_type TEXT NOT NULL, config TEXT NOT NULL, secrets BLOB NOT NULL, account_token TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
INSERT INTO connections_rebuilt (rowid, id, tenant_id, name, source_type, config, secrets, account_token,
                                 created_at, updated_at)
SELECT rowid, id, tenant_id, name, source_type, config, secrets, account_token, created_at, updated_at
FROM connections;
DROP TABLE connections;
ALTER TABLE connections_rebuilt RENAME TO connections;
CREATE INDEX connections_by_tenant ON connections(tenant_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX connections_by_account_token ON connections(tenant_id, account_token);
)sql",
    // 13: a scheduled run's slot (core::Run::scheduled_for): one run per slot of a sync, so a scheduler that
    // dies between queueing a run and moving the schedule on never fires that slot twice.
    R"sql(
ALTER TABLE runs ADD COLUMN scheduled_for INTEGER;
CREATE UNIQUE INDEX runs_one_per_schedule_slot ON runs(sync_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
)sql",
    // 14: per-key rate-limit buckets a store shares between its processes (sqlite_store_rate_buckets.cpp),
    // keyed by the credential's SHA-256 hex; idle ones are deleted once full again, found by the index.
    R"sql(
CREATE TABLE rate_buckets (key_hash TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at INTEGER NOT NULL,
                           granted INTEGER NOT NULL);
CREATE INDEX rate_buckets_by_age ON rate_buckets(updated_at);
)sql",
    // 15: the queued runs of each tenant in claim order, so a claim finds each tenant's oldest queued run
    // with one probe (sqlite_store_runs.cpp claim) instead of sorting the whole queue.
    R"sql(
CREATE INDEX runs_queued_by_tenant ON runs(tenant_id, created_at, id) WHERE state = 'queued';
)sql",
    // 16: the outbox of webhooks (issue 19): a run's or a model's change of state writes its event in the
    // statement that changes it, whichever path moves it (a worker, a cancel through the API, the reaper, a
    // claim), so no crash can keep one without the other. pg_event_triggers.h is the PostgreSQL twin.
    R"sql(
CREATE TRIGGER runs_write_events AFTER UPDATE OF state ON runs
WHEN NEW.state <> OLD.state AND (NEW.state IN ('complete', 'failed', 'cancelled')
                                 OR (NEW.state = 'running' AND OLD.started_at IS NULL))
BEGIN
  INSERT INTO events (id, tenant_id, type, payload, created_at)
  VALUES ('evt_' || lower(hex(randomblob(16))), NEW.tenant_id,
          CASE NEW.state WHEN 'running' THEN 'run.started' WHEN 'complete' THEN 'run.completed'
                         WHEN 'failed' THEN 'run.failed' ELSE 'run.cancelled' END,
          json_object('run_id', NEW.id, 'sync_id', NEW.sync_id, 'connection_id', NEW.connection_id,
                      'state', NEW.state, 'trigger', NEW."trigger", 'attempt', NEW.attempt,
                      'full_refresh', json(CASE NEW.full_refresh WHEN 0 THEN 'false' ELSE 'true' END),
                      'counts', json_object('inserted', NEW.inserted, 'updated', NEW.updated,
                                            'deleted', NEW.deleted, 'failed', NEW.failed),
                      'error', NEW.error, 'error_category', NEW.error_category),
          NEW.updated_at);
  INSERT INTO events (id, tenant_id, type, payload, created_at)
  SELECT 'evt_' || lower(hex(randomblob(16))), NEW.tenant_id, 'connection.needs_reauth',
         json_object('connection_id', NEW.connection_id, 'run_id', NEW.id, 'sync_id', NEW.sync_id,
                     'error', NEW.error, 'error_category', NEW.error_category),
         NEW.updated_at
  WHERE NEW.state = 'failed' AND NEW.error_category IN ('credentials_invalid', 'oauth_credentials_expired');
END;
CREATE TRIGGER run_tasks_write_events AFTER UPDATE OF state ON run_tasks
WHEN NEW.state = 'failed' AND OLD.state <> 'failed'
BEGIN
  INSERT INTO events (id, tenant_id, type, payload, created_at)
  SELECT 'evt_' || lower(hex(randomblob(16))), r.tenant_id, 'model.failed',
         json_object('run_id', r.id, 'sync_id', r.sync_id, 'connection_id', r.connection_id,
                     'model_id', NEW.model_id, 'error', NEW.error,
                     'counts', json_object('inserted', NEW.inserted, 'updated', NEW.updated,
                                           'deleted', NEW.deleted, 'failed', NEW.failed)),
         coalesce(NEW.finished_at, r.updated_at)
  FROM runs r WHERE r.id = NEW.run_id;
END;
)sql",
    // 17: webhooks (store/webhook_store.h). An event fans out to one pending delivery per webhook of its
    // tenant subscribed to its type, in the statement that inserts the event, so the outbox's guarantee
    // carries over: no state change without its deliveries. pg_migrations.cpp 7 is the PostgreSQL twin.
    R"sql(
CREATE TABLE webhooks (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), url TEXT NOT NULL,
                       events TEXT NOT NULL, secret BLOB NOT NULL, created_at INTEGER NOT NULL,
                       updated_at INTEGER NOT NULL);
CREATE INDEX webhooks_by_tenant ON webhooks(tenant_id, created_at DESC, id DESC);
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL, state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, lease_owner TEXT, lease_until INTEGER,
  last_status INTEGER, last_error TEXT, created_at INTEGER NOT NULL, finished_at INTEGER);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_in_flight ON webhook_deliveries(tenant_id, lease_until) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries(event_id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries(finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX events_by_age ON events(created_at);
CREATE TRIGGER events_fan_out_to_webhooks AFTER INSERT ON events
BEGIN
  INSERT INTO webhook_deliveries (id, webhook_id, tenant_id, event_id, event_type, state, next_attempt_at,
                                  created_at)
  SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
               substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' ||
               hex(randomblob(6))),
         w.id, w.tenant_id, NEW.id, NEW.type, 'pending', NEW.created_at, NEW.created_at
  FROM webhooks w
  WHERE w.tenant_id = NEW.tenant_id AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = NEW.type);
END;
)sql",
};

// Migrations that rebuild a table other tables refer to. They run with foreign keys off (with them on,
// dropping the old table would cascade its deletes into the tables that refer to it), then check the
// references to the rebuilt table before they commit. Each names the tables whose references it checks.
struct TableRebuild {
  int version;
  std::array<const char*, 4> checked_tables;
};
constexpr std::array<TableRebuild, 1> kRebuildsTables{
    TableRebuild{12, {"connections", "syncs", "connection_catalogs", "collection_members"}},
};

const TableRebuild* table_rebuild(int version) {
  for (const auto& rebuild : kRebuildsTables) {
    if (rebuild.version == version) return &rebuild;
  }
  return nullptr;
}

// PRAGMA foreign_keys does nothing inside a transaction: this is set before the migration's BEGIN and
// restored after its COMMIT or ROLLBACK (declare it before the Transaction).
class ForeignKeysOff {
 public:
  explicit ForeignKeysOff(Database& db) : db_(db) { db_.exec("PRAGMA foreign_keys=OFF"); }
  ~ForeignKeysOff() { sqlite3_exec(db_.handle(), "PRAGMA foreign_keys=ON", nullptr, nullptr, nullptr); }
  ForeignKeysOff(const ForeignKeysOff&) = delete;
  ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;

 private:
  Database& db_;
};

void check_references(Database& db, const TableRebuild& rebuild) {
  for (const char* table : rebuild.checked_tables) {
    auto violations = db.prepare(std::string("PRAGMA foreign_key_check(") + table + ")");
    if (violations.step()) {
      throw core::FerryError(core::ErrorCategory::kInternal,
                             "migration " + std::to_string(rebuild.version) + " left table " +
                                 violations.text(0) + " referring to a missing row of " + violations.text(2));
    }
  }
}

}  // namespace

int latest_schema_version() {
  return static_cast<int>(kMigrations.size());
}

void migrate(Database& db, int up_to) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
  for (int version = 1; version <= std::min(up_to, latest_schema_version()); ++version) {
    const TableRebuild* rebuild = table_rebuild(version);
    std::optional<ForeignKeysOff> foreign_keys_off;
    if (rebuild) foreign_keys_off.emplace(db);
    Transaction tx(db);
    auto done = db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
    done.bind(1, version);
    if (done.step()) continue;  // tx rolls back an empty transaction
    db.exec(kMigrations[static_cast<size_t>(version - 1)]);
    if (rebuild) check_references(db, *rebuild);
    auto record = db.prepare(
        "INSERT INTO schema_migrations (version, applied_at) VALUES (?, "
        "strftime('%Y-%m-%dT%H:%M:%fZ','now'))");
    record.bind(1, version);
    record.run();
    tx.commit();
  }
}

}  // namespace ferry::sqlite
