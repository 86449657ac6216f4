// store/postgres/pg_event_triggers: the outbox of webhooks (issue 19), the SQLite store's migration 16 in
// PL/pgSQL. A run's change to running (its first claim only), complete, failed or cancelled, and a model's
// change to failed, write their event in the statement that makes the change, whichever path makes it (the
// claim functions, a worker's transition, a cancel, the reaper). A run failed by its credentials also writes
// connection.needs_reauth.
#pragma once

namespace ferry::store {

inline constexpr const char* kEventTriggers = R"sql(
CREATE FUNCTION ferry_run_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kind TEXT;
BEGIN
  kind := CASE NEW.state WHEN 'complete' THEN 'run.completed' WHEN 'failed' THEN 'run.failed'
                         WHEN 'cancelled' THEN 'run.cancelled'
                         WHEN 'running' THEN CASE WHEN OLD.started_at IS NULL THEN 'run.started' END END;
  IF NEW.state = OLD.state OR kind IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO events (id, tenant_id, type, payload, created_at)
  VALUES ('evt_' || replace(gen_random_uuid()::text, '-', ''), NEW.tenant_id, kind,
          json_build_object('run_id', NEW.id, 'sync_id', NEW.sync_id, 'connection_id', NEW.connection_id,
                            'state', NEW.state, 'trigger', NEW."trigger", 'attempt', NEW.attempt,
                            'full_refresh', NEW.full_refresh <> 0,
                            'counts', json_build_object('inserted', NEW.inserted, 'updated', NEW.updated,
                                                        'deleted', NEW.deleted, 'failed', NEW.failed),
                            'error', NEW.error, 'error_category', NEW.error_category)::text,
          NEW.updated_at);
  IF NEW.state = 'failed' AND NEW.error_category IN ('credentials_invalid', 'oauth_credentials_expired') THEN
    INSERT INTO events (id, tenant_id, type, payload, created_at)
    VALUES ('evt_' || replace(gen_random_uuid()::text, '-', ''), NEW.tenant_id, 'connection.needs_reauth',
            json_build_object('connection_id', NEW.connection_id, 'run_id', NEW.id, 'sync_id', NEW.sync_id,
                              'error', NEW.error, 'error_category', NEW.error_category)::text,
            NEW.updated_at);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER runs_write_events AFTER UPDATE OF state ON runs
  FOR EACH ROW EXECUTE FUNCTION ferry_run_events();
CREATE FUNCTION ferry_run_task_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state <> 'failed' OR OLD.state = 'failed' THEN
    RETURN NULL;
  END IF;
  INSERT INTO events (id, tenant_id, type, payload, created_at)
  SELECT 'evt_' || replace(gen_random_uuid()::text, '-', ''), r.tenant_id, 'model.failed',
         json_build_object('run_id', r.id, 'sync_id', r.sync_id, 'connection_id', r.connection_id,
                           'model_id', NEW.model_id, 'error', NEW.error,
                           'counts', json_build_object('inserted', NEW.inserted, 'updated', NEW.updated,
                                                       'deleted', NEW.deleted, 'failed', NEW.failed))::text,
         coalesce(NEW.finished_at, r.updated_at)
  FROM runs r WHERE r.id = NEW.run_id;
  RETURN NULL;
END $$;
CREATE TRIGGER run_tasks_write_events AFTER UPDATE OF state ON run_tasks
  FOR EACH ROW EXECUTE FUNCTION ferry_run_task_events();
)sql";

}  // namespace ferry::store
