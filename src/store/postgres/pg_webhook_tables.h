// store/postgres/pg_webhook_tables: webhooks and their deliveries (store/webhook_store.h), the SQLite store's
// migration 17 in PostgreSQL: an event fans out to one pending delivery per subscribed webhook of its tenant
// in the statement that inserts the event.
#pragma once

namespace ferry::store {

inline constexpr const char* kWebhookTables = R"sql(
CREATE TABLE webhooks (id TEXT COLLATE "C" PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),
                       url TEXT NOT NULL, events TEXT NOT NULL, secret BYTEA NOT NULL,
                       created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE INDEX webhooks_by_tenant ON webhooks(tenant_id, created_at DESC, id DESC);
CREATE TABLE webhook_deliveries (
  id TEXT COLLATE "C" PRIMARY KEY, webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL, state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, lease_owner TEXT, lease_until BIGINT,
  last_status INTEGER, last_error TEXT, created_at BIGINT NOT NULL, finished_at BIGINT);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_in_flight ON webhook_deliveries(tenant_id, lease_until) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries(event_id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries(finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX events_by_age ON events(created_at);
CREATE FUNCTION ferry_event_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_deliveries (id, webhook_id, tenant_id, event_id, event_type, state, next_attempt_at,
                                  created_at)
  SELECT gen_random_uuid()::text, w.id, w.tenant_id, NEW.id, NEW.type, 'pending', NEW.created_at,
         NEW.created_at
  FROM webhooks w WHERE w.tenant_id = NEW.tenant_id AND w.events::jsonb ? NEW.type;
  RETURN NULL;
END $$;
CREATE TRIGGER events_fan_out_to_webhooks AFTER INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION ferry_event_deliveries();
)sql";

}  // namespace ferry::store
