// The `polytomic` SDK (pinned in package.json) driving ferry's Polytomic surface (seed 004): model syncs,
// executions with resync / identities / test, status, cancel, activate, and Polytomic's error shapes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PolytomicClient, Polytomic, PolytomicError } from 'polytomic';
import { startFerry } from './harness.mjs';

const VERSION = '2024-02-08';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const TERMINAL = ['completed', 'failed', 'canceled'];
const STATUSES = ['created', 'scheduled', 'queued', 'waiting', 'running', 'processing', 'canceling', 'canceled',
  'completed', 'failed', 'interrupted'];
// The sample source with size N has 40% employees, 10% teams, 30% candidates, 20% applications.
const MODELS = ['hris.Employee', 'hris.Team', 'ats.Candidate', 'ats.Application'];

let ferry;
let client;
let clientB;

function polytomic(token, options = {}) {
  return new PolytomicClient({ token, environment: ferry.baseUrl, version: VERSION, ...options });
}

async function connection(size = 200, key = ferry.keyA, batchSize = 100) {
  return ferry.v1('POST', '/v1/connections', {
    name: `sample ${size}`, source_type: 'sample', config: { seed: 11, size, generation: 0, batch_size: batchSize },
  }, key);
}

let syncCount = 0;
async function createSync(conn, { models = ['*'], schedule = { frequency: 'manual' }, name, active } = {}) {
  const response = await client.modelSync.create({
    name: name ?? `sync ${++syncCount}`,
    mode: Polytomic.ModelSyncMode.UpdateOrCreate,
    fields: models.map((m) => ({ source: { model_id: conn.id, field: m }, target: m })),
    schedule,
    target: { connection_id: conn.id },
    ...(active === undefined ? {} : { active }),
  });
  return response.data;
}

async function finished(syncId, executionId, sdk = client) {
  return ferry.eventually(async () => {
    const { data } = await sdk.modelSync.executions.get(syncId, executionId);
    return TERMINAL.includes(data.status) ? data : null;
  }, `execution ${executionId} to finish`);
}

// Plain HTTP for what the SDK cannot send (missing headers, Basic auth, Idempotency-Key, malformed JSON).
async function raw(method, path, { key = ferry.keyA, version = VERSION, body, headers = {} } = {}) {
  const res = await fetch(ferry.baseUrl + path, {
    method,
    headers: {
      ...(key ? { Authorization: `Bearer ${key}` } : {}),
      ...(version ? { 'X-Polytomic-Version': version } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

async function rejects(promise, ErrorClass, status) {
  const error = await promise.then(() => null, (e) => e);
  assert.ok(error, `expected ${ErrorClass.name} ${status}`);
  assert.ok(error instanceof ErrorClass, `expected ${ErrorClass.name}, got ${error.constructor.name}: ${error.message}`);
  assert.equal(error.statusCode, status);
  return error.body;
}

function assertApiError(body, status) {
  assert.equal(body.status, status);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0);
  assert.equal(typeof body.metadata, 'object');
}

function assertExecution(e) {
  assert.match(e.id, UUID);
  assert.ok(STATUSES.includes(e.status), e.status);
  assert.ok(['manual', 'scheduled'].includes(e.type));
  assert.match(e.created_at, SECONDS);
  for (const key of ['insert', 'update', 'delete', 'error', 'total', 'upserts', 'warnings']) {
    assert.equal(typeof e.counts[key], 'number', key);
  }
  assert.ok(Array.isArray(e.errors));
}

before(async () => {
  ferry = await startFerry();
  client = polytomic(ferry.keyA);
  clientB = polytomic(ferry.keyB);
});

after(async () => {
  assert.equal(await ferry.stop(), 0);
});

describe('model syncs', () => {
  test('create, get, list, update, patch, schedules and delete', async () => {
    const conn = await connection();
    const created = await createSync(conn, {
      name: 'Employees', models: ['hris.Employee', 'hris.Team'],
      schedule: { frequency: 'daily', hour: '6', minute: '30' },
    });
    assert.match(created.id, UUID);
    assert.equal(created.name, 'Employees');
    assert.equal(created.active, true);
    assert.equal(created.mode, 'updateOrCreate');
    assert.deepEqual(created.model_ids, [conn.id]);
    assert.deepEqual(created.fields, [
      { source: { model_id: conn.id, field: 'hris.Employee' }, target: 'hris.Employee' },
      { source: { model_id: conn.id, field: 'hris.Team' }, target: 'hris.Team' },
    ]);
    assert.deepEqual(created.schedule, { frequency: 'daily', minute: '30', hour: '6' });
    assert.equal(created.target.object, 'Employees');
    assert.equal(created.target.connection_id, created.organization_id);
    assert.match(created.created_at, SECONDS);
    assert.match(created.updated_at, SECONDS);

    // The same sync through ferry's own API: models, cron schedule, a managed SQLite destination.
    const native = await ferry.v1('GET', `/v1/syncs/${created.id}`);
    assert.equal(native.connection_id, conn.id);
    assert.deepEqual(native.models, ['hris.Employee', 'hris.Team']);
    assert.deepEqual(native.schedule, { kind: 'cron', interval_minutes: null, cron: '30 6 * * *' });
    assert.equal(native.destination.type, 'sqlite');
    assert.equal(native.destination.config.path, 'destinations/Employees.db');
    assert.ok(native.next_sync_start);

    const got = (await client.modelSync.get(created.id)).data;
    assert.deepEqual(got, created);

    const listed = (await client.modelSync.list()).data;
    assert.ok(listed.some((s) => s.id === created.id));
    assert.ok(!(await client.modelSync.list({ active: false })).data.some((s) => s.id === created.id));
    assert.ok((await client.modelSync.list({ mode: 'updateOrCreate' })).data.some((s) => s.id === created.id));
    assert.ok(!(await client.modelSync.list({ mode: 'create' })).data.some((s) => s.id === created.id));
    assert.ok(!(await clientB.modelSync.list()).data.some((s) => s.id === created.id));

    // PUT replaces the configuration: every model, weekly on Mondays, a new name (and destination file).
    const updated = (await client.modelSync.update(created.id, {
      name: 'Employees v2',
      mode: 'updateOrCreate',
      fields: [{ source: { model_id: conn.id, field: '*' }, target: '*' }],
      schedule: { frequency: 'weekly', day_of_week: 'monday', hour: '9', minute: '15' },
      target: { connection_id: created.organization_id },
    })).data;
    assert.equal(updated.name, 'Employees v2');
    assert.deepEqual(updated.schedule, { frequency: 'weekly', minute: '15', hour: '9', day_of_week: 'monday' });
    assert.deepEqual(updated.fields, [{ source: { model_id: conn.id, field: '*' }, target: '*' }]);
    const nativeUpdated = await ferry.v1('GET', `/v1/syncs/${created.id}`);
    assert.equal(nativeUpdated.models, null);
    assert.equal(nativeUpdated.schedule.cron, '15 9 * * mon');
    assert.equal(nativeUpdated.destination.config.path, 'destinations/Employees v2.db');

    // PATCH (Polytomic's older update) merges: only the schedule changes.
    const patched = await raw('PATCH', `/api/syncs/${created.id}`, {
      body: { schedule: { frequency: 'hourly', minute: '5' } },
    });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.data.schedule, { frequency: 'hourly', minute: '5' });
    assert.equal(patched.body.data.name, 'Employees v2');

    const continuous = await raw('PATCH', `/api/syncs/${created.id}`, { body: { schedule: { frequency: 'continuous' } } });
    assert.deepEqual(continuous.body.data.schedule, { frequency: 'continuous' });
    assert.deepEqual((await ferry.v1('GET', `/v1/syncs/${created.id}`)).schedule,
      { kind: 'interval', interval_minutes: 1, cron: null });

    const custom = await raw('PATCH', `/api/syncs/${created.id}`, {
      body: { schedule: { frequency: 'custom', minute: '*/15', hour: '8-18', day_of_week: 'mon-fri' } },
    });
    assert.deepEqual(custom.body.data.schedule, {
      frequency: 'custom', minute: '*/15', hour: '8-18', day_of_month: '*', month: '*', day_of_week: 'mon-fri',
    });

    const options = (await client.modelSync.getScheduleOptions()).data.schedule_options;
    assert.deepEqual(options.map((o) => o.frequency), ['manual', 'continuous', 'hourly', 'daily', 'weekly', 'custom']);
    for (const o of options) {
      assert.equal(typeof o.label, 'string');
      assert.equal(typeof o.description, 'string');
      assert.equal(o.configuration.type, 'object');
    }

    // Two syncs cannot share a name: it is their destination file.
    const duplicate = await rejects(createSync(conn, { name: 'Employees v2' }), Polytomic.UnprocessableEntityError, 422);
    assertApiError(duplicate, 422);

    await client.modelSync.remove(created.id);
    await rejects(client.modelSync.get(created.id), Polytomic.NotFoundError, 404);
    await rejects(client.modelSync.remove(created.id), Polytomic.NotFoundError, 404);
  });

  test('activate turns the schedule off and on, and an inactive sync does not start', async () => {
    const conn = await connection(40);
    const sync = await createSync(conn, { schedule: { frequency: 'hourly', minute: '0' } });
    let status = (await client.modelSync.getStatus(sync.id)).data;
    assert.match(status.next_execution_time, /^\d{4}-\d\d-\d\dT\d\d:00:00Z$/);
    assert.ok(Date.parse(status.next_execution_time) > Date.now());

    const off = await client.modelSync.activate(sync.id, { active: false });
    assert.deepEqual(off.data, { id: sync.id, active: false });
    assert.equal((await client.modelSync.get(sync.id)).data.active, false);
    status = (await client.modelSync.getStatus(sync.id)).data;
    assert.equal(status.next_execution_time, null);
    assert.equal((await ferry.v1('GET', `/v1/syncs/${sync.id}`)).status, 'paused');
    const inactive = await rejects(client.modelSync.start(sync.id, {}, { maxRetries: 0 }), Polytomic.ConflictError, 409);
    assertApiError(inactive, 409);

    const on = await client.modelSync.activate(sync.id, { active: true });
    assert.deepEqual(on.data, { id: sync.id, active: true });
    assert.ok((await client.modelSync.getStatus(sync.id)).data.next_execution_time);
    assert.ok((await client.modelSync.list({ active: true })).data.some((s) => s.id === sync.id));
  });
});

describe('executions', () => {
  test('start with resync runs a full refresh; a plain start is incremental; list and page executions', async () => {
    const conn = await connection(200);
    const sync = await createSync(conn);

    const started = await client.modelSync.start(sync.id, { resync: true });
    assert.equal(started.data.status, 'created');
    assert.match(started.data.id, UUID);
    assert.match(started.data.created_at, SECONDS);
    const first = await finished(sync.id, started.data.id);
    assertExecution(first);
    assert.equal(first.status, 'completed');
    assert.equal(first.type, 'manual');
    assert.deepEqual(first.counts, { insert: 200, update: 0, delete: 0, error: 0, upserts: 200, warnings: 0, total: 200 });
    assert.deepEqual(first.errors, []);
    assert.match(first.started_at, SECONDS);
    assert.match(first.completed_at, SECONDS);
    assert.equal((await ferry.v1('GET', `/v1/runs/${first.id}`)).full_refresh, true);

    const second = await finished(sync.id, (await client.modelSync.start(sync.id)).data.id);
    assert.equal(second.status, 'completed');
    assert.equal(second.counts.insert, 0);
    assert.equal((await ferry.v1('GET', `/v1/runs/${second.id}`)).full_refresh, false);

    const third = await finished(sync.id, (await client.modelSync.start(sync.id, { resync: true })).data.id);
    assert.equal(third.status, 'completed');
    assert.deepEqual([third.counts.insert, third.counts.update, third.counts.delete], [0, 0, 0]);
    const thirdRun = await ferry.v1('GET', `/v1/runs/${third.id}`);
    assert.equal(thirdRun.full_refresh, true);
    assert.ok(thirdRun.tasks.every((t) => t.full_refresh));

    const list = await client.modelSync.executions.list(sync.id);
    assert.deepEqual(list.data.map((e) => e.id), [third.id, second.id, first.id]);
    list.data.forEach(assertExecution);
    assert.equal(list.pagination, undefined);
    const ascending = await client.modelSync.executions.list(sync.id, { ascending: true, only_completed: true });
    assert.deepEqual(ascending.data.map((e) => e.id), [first.id, second.id, third.id]);

    // Pages of one, newest first and oldest first, following next_page_token.
    for (const [order, expected] of [['false', [third.id, second.id, first.id]], ['true', [first.id, second.id, third.id]]]) {
      const seen = [];
      let token = '';
      do {
        const page = await raw('GET', `/api/syncs/${sync.id}/executions?limit=1&ascending=${order}&page_token=${encodeURIComponent(token)}`);
        assert.equal(page.status, 200);
        assert.equal(page.body.data.length, 1);
        seen.push(page.body.data[0].id);
        token = page.body.pagination?.next_page_token ?? '';
      } while (token);
      assert.deepEqual(seen, expected);
    }

    const status = (await client.modelSync.getStatus(sync.id)).data;
    assert.equal(status.current_execution, null);
    assert.equal(status.last_execution.id, third.id);
    assert.equal(status.last_execution.status, 'completed');
    assert.equal(status.next_execution_time, null);  // manual schedule
  });

  test('identities restrict the execution to those primary keys', async () => {
    const conn = await connection(200);
    const sync = await createSync(conn);
    const started = await client.modelSync.start(sync.id, { identities: ['1', '2'], resync: true });
    assert.equal(started.data.status, 'created');
    const done = await finished(sync.id, started.data.id);
    assert.equal(done.status, 'completed');
    // Ids 1 and 2 exist in each of the four models: exactly two records written per model.
    assert.equal(done.counts.insert, 2 * MODELS.length);
    assert.equal(done.counts.total, 2 * MODELS.length);
    const run = await ferry.v1('GET', `/v1/runs/${done.id}`);
    assert.deepEqual(run.identities, ['1', '2']);
    for (const task of run.tasks) assert.equal(task.inserted, 2, task.model_id);

    // The model cursors did not move: a normal execution afterwards still writes everything else.
    const next = await finished(sync.id, (await client.modelSync.start(sync.id)).data.id);
    assert.equal(next.counts.insert, 200 - 2 * MODELS.length);
  });

  test('test executions read a sample and write nothing', async () => {
    const conn = await connection(200);
    const sync = await createSync(conn, { models: ['hris.Employee'] });
    const started = await client.modelSync.start(sync.id, { test: true });
    const done = await finished(sync.id, started.data.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual([done.counts.insert, done.counts.update, done.counts.total], [0, 0, 0]);
    assert.equal((await ferry.v1('GET', `/v1/runs/${done.id}`)).test, true);

    const real = await finished(sync.id, (await client.modelSync.start(sync.id)).data.id);
    assert.equal(real.counts.insert, 80);  // 40% of 200: the test execution had written none of them
  });

  test('status shows the current execution; a second start conflicts; cancel stops it', async () => {
    const conn = await connection(200000, ferry.keyA, 50);
    const sync = await createSync(conn, { schedule: { frequency: 'daily', hour: '3', minute: '0' } });
    const started = await client.modelSync.start(sync.id, { resync: true });

    const status = (await client.modelSync.getStatus(sync.id)).data;
    assert.equal(status.current_execution.id, started.data.id);
    assert.ok(['queued', 'running'].includes(status.current_execution.status), status.current_execution.status);
    assert.match(status.next_execution_time, /T03:00:00Z$/);

    const conflict = await rejects(client.modelSync.start(sync.id, {}, { maxRetries: 0 }), Polytomic.ConflictError, 409);
    assertApiError(conflict, 409);
    assert.ok(conflict.message.includes(started.data.id));

    const cancelled = await client.modelSync.cancel(sync.id);
    assert.equal(typeof cancelled.data.message, 'string');
    const done = await finished(sync.id, started.data.id);
    assert.equal(done.status, 'canceled');
    const after = (await client.modelSync.getStatus(sync.id)).data;
    assert.equal(after.current_execution, null);
    assert.equal(after.last_execution.id, started.data.id);
    assert.equal(after.last_execution.status, 'canceled');

    // Cancelling one execution by setting its status, as the SDK's executions.update does.
    const another = await client.modelSync.start(sync.id, { resync: true });
    const updated = await client.modelSync.executions.update(sync.id, another.data.id, { status: 'canceled' });
    assert.equal(updated.data.id, another.data.id);
    assert.ok(['canceling', 'canceled'].includes(updated.data.status), updated.data.status);
    assert.equal((await finished(sync.id, another.data.id)).status, 'canceled');
    const again = await rejects(
      client.modelSync.executions.update(sync.id, another.data.id, { status: 'canceled' }, { maxRetries: 0 }),
      PolytomicError, 409);
    assertApiError(again, 409);
    assert.equal((await client.modelSync.cancel(sync.id)).data.message, 'no execution is in progress');
  });

  test('a failed execution reports failed with its errors', async () => {
    // A file connection whose model file disappears after the sync was created.
    const relative = `files-${randomUUID()}`;
    const dir = ferry.hostPath(relative);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hr.People.csv'), 'id,name\n1,Ada\n2,Grace\n');
    const conn = await ferry.v1('POST', '/v1/connections', { name: 'files', source_type: 'file', config: { path: relative } });
    const sync = await createSync(conn, { models: ['hr.People'] });
    rmSync(join(dir, 'hr.People.csv'));
    const done = await finished(sync.id, (await client.modelSync.start(sync.id)).data.id);
    assertExecution(done);
    assert.equal(done.status, 'failed');
    assert.ok(done.errors.length >= 1);
    assert.ok(done.errors.some((e) => e.includes('hr.People')), JSON.stringify(done.errors));
    assert.equal(done.counts.insert, 0);
    const status = (await client.modelSync.getStatus(sync.id)).data;
    assert.equal(status.last_execution.status, 'failed');
  });

  test('Idempotency-Key replays the first response and starts one execution', async () => {
    const conn = await connection(40);
    const sync = await createSync(conn);
    const key = `start-${randomUUID()}`;
    const path = `/api/syncs/${sync.id}/executions`;
    const first = await raw('POST', path, { body: { resync: true }, headers: { 'Idempotency-Key': key } });
    assert.equal(first.status, 200);
    assert.equal(first.body.data.status, 'created');
    await finished(sync.id, first.body.data.id);
    const replay = await raw('POST', path, { body: { resync: true }, headers: { 'Idempotency-Key': key } });
    assert.equal(replay.status, 200);
    assert.deepEqual(replay.body, first.body);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal((await client.modelSync.executions.list(sync.id)).data.length, 1);

    const reused = await raw('POST', path, { body: { resync: false }, headers: { 'Idempotency-Key': key } });
    assert.equal(reused.status, 400);
    assertApiError(reused.body, 400);
    const badKey = await raw('POST', path, { body: {}, headers: { 'Idempotency-Key': 'short' } });
    assert.equal(badKey.status, 400);
    assertApiError(badKey.body, 400);

    // Creating a sync is replayed too: one sync, the same id.
    const createKey = `create-${randomUUID()}`;
    const body = {
      name: 'idempotent', mode: 'updateOrCreate', schedule: { frequency: 'manual' },
      fields: [{ source: { model_id: conn.id, field: '*' }, target: '*' }], target: { connection_id: conn.id },
    };
    const a = await raw('POST', '/api/syncs', { body, headers: { 'Idempotency-Key': createKey } });
    const b = await raw('POST', '/api/syncs', { body, headers: { 'Idempotency-Key': createKey } });
    assert.equal(a.status, 200);
    assert.deepEqual(b.body, a.body);
    assert.equal((await client.modelSync.list()).data.filter((s) => s.name === 'idempotent').length, 1);
  });
});

describe('errors', () => {
  let sync;
  let otherSync;
  before(async () => {
    sync = await createSync(await connection(40));
    otherSync = (await ferry.sampleSync({ size: 40, key: ferry.keyB })).sync;
  });

  test('a missing X-Polytomic-Version header is served as the newest version', async () => {
    const res = await raw('GET', `/api/syncs/${sync.id}`, { version: null });
    assert.equal(res.status, 200);
    assert.equal(res.body.data.id, sync.id);
    const noVersion = new PolytomicClient({ token: ferry.keyA, environment: ferry.baseUrl });
    assert.equal((await noVersion.modelSync.get(sync.id)).data.id, sync.id);
    assert.ok((await noVersion.bulkSync.list()).data.some((s) => s.id === sync.id));
  });

  test('unknown /api/ paths answer 404 in Polytomic\'s shape for Polytomic requests', async () => {
    const basic = { Authorization: `Basic ${Buffer.from(`${ferry.keyA}:`).toString('base64')}` };
    for (const [path, options] of [
      ['/api/nothing/here', {}],                                   // the version header
      ['/api/nothing/here', { version: null, key: null, headers: basic }],  // Basic credentials
      ['/api/bulk/nothing', { version: null }],                   // Polytomic's own prefixes
      ['/api/connections/x/y/z', { version: null }],
      ['/api/models/x/y', { version: null }],
    ]) {
      const res = await raw('GET', path, options);
      assert.equal(res.status, 404, path);
      assertApiError(res.body, 404);
      assert.equal(res.body.detail, undefined, path);
    }
    // Without either, the /api/ prefix stays Merge's: {"detail"}.
    const merge = await raw('GET', '/api/nothing/here', { version: null });
    assert.equal(merge.status, 404);
    assert.equal(typeof merge.body.detail, 'string');
    const wrongMethod = await raw('PATCH', '/api/connections');
    assert.equal(wrongMethod.status, 405);
    assertApiError(wrongMethod.body, 405);
  });

  test('auth: a bad Bearer key is 401; Basic credentials carrying an API key are accepted', async () => {
    const body = await rejects(polytomic('not-a-key').modelSync.get(sync.id), Polytomic.UnauthorizedError, 401);
    assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'status']);
    assert.equal(body.code, 401);
    assert.equal(body.status, 'Unauthorized');
    const missing = await raw('GET', '/api/syncs', { key: null });
    assert.equal(missing.status, 401);
    assert.equal(missing.body.code, 401);

    const basic = (text) => ({ Authorization: `Basic ${Buffer.from(text).toString('base64')}` });
    for (const credentials of [`${ferry.keyA}:`, `deployment:${ferry.keyA}`]) {
      const res = await raw('GET', `/api/syncs/${sync.id}`, { key: null, headers: basic(credentials) });
      assert.equal(res.status, 200, credentials);
      assert.equal(res.body.data.id, sync.id);
    }
    assert.equal((await raw('GET', '/api/syncs', { key: null, headers: basic('user:wrong') })).status, 401);
    assert.equal((await raw('GET', '/api/syncs', { key: null, headers: { Authorization: 'Basic %%%' } })).status, 401);
  });

  test('malformed ids are 400; unknown and other-tenant ids are 404', async () => {
    assertApiError(await rejects(client.modelSync.start('not-a-uuid'), Polytomic.BadRequestError, 400), 400);
    assertApiError(await rejects(client.modelSync.get('not-a-uuid'), PolytomicError, 400), 400);
    const execution = await raw('GET', `/api/syncs/${sync.id}/executions/nope`);
    assert.equal(execution.status, 400);
    assertApiError(execution.body, 400);

    for (const id of [randomUUID(), otherSync.id]) {
      assertApiError(await rejects(client.modelSync.get(id), Polytomic.NotFoundError, 404), 404);
      assertApiError(await rejects(client.modelSync.start(id), Polytomic.NotFoundError, 404), 404);
      await rejects(client.modelSync.getStatus(id), Polytomic.NotFoundError, 404);
      await rejects(client.modelSync.executions.list(id), Polytomic.NotFoundError, 404);
      await rejects(client.modelSync.activate(id, { active: false }), Polytomic.NotFoundError, 404);
      await rejects(client.modelSync.cancel(id), Polytomic.NotFoundError, 404);
      await rejects(client.modelSync.remove(id), Polytomic.NotFoundError, 404);
    }
    // Another tenant's sync is untouched by all of that.
    assert.equal((await ferry.v1('GET', `/v1/syncs/${otherSync.id}`, undefined, ferry.keyB)).status, 'active');
    // An execution id of another sync, or of another tenant, is not found under this sync.
    const otherRun = await ferry.v1('POST', `/v1/syncs/${otherSync.id}/runs`, {}, ferry.keyB);
    await rejects(client.modelSync.executions.get(sync.id, otherRun.id), Polytomic.NotFoundError, 404);
    await rejects(client.modelSync.executions.get(sync.id, randomUUID()), Polytomic.NotFoundError, 404);
  });

  test('wrong body types and malformed JSON are 400; unusable values are 422', async () => {
    const start = (body) => raw('POST', `/api/syncs/${sync.id}/executions`, { body });
    for (const body of [{ resync: 'yes' }, { test: 1 }, { identities: [1, 2] }, { identities: 'abc' }, '{"resync":', '[]']) {
      const res = await start(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assertApiError(res.body, 400);
    }
    assertApiError(await rejects(client.modelSync.start(sync.id, { resync: 'yes' }), Polytomic.BadRequestError, 400), 400);
    assertApiError(await rejects(client.modelSync.activate(sync.id, { active: 'no' }), PolytomicError, 400), 400);

    const conn = await connection(40);
    const good = {
      name: 'typed', mode: 'updateOrCreate', schedule: { frequency: 'manual' },
      fields: [{ source: { model_id: conn.id, field: '*' }, target: '*' }], target: { connection_id: conn.id },
    };
    for (const change of [{ fields: 'all' }, { schedule: 'daily' }, { name: 7 }, { target: null }, { active: 'yes' },
      { fields: [{ source: { model_id: conn.id, field: '*' } }] }]) {
      const res = await raw('POST', '/api/syncs', { body: { ...good, ...change } });
      assert.equal(res.status, 400, JSON.stringify(change));
      assertApiError(res.body, 400);
    }
    for (const change of [
      { mode: 'create' },
      { schedule: { frequency: 'runafter' } },
      { schedule: { frequency: 'custom', minute: '99' } },
      { fields: [{ source: { model_id: randomUUID(), field: '*' }, target: '*' }] },
      { fields: [{ source: { model_id: otherSync.connection_id, field: '*' }, target: '*' }] },
      { fields: [{ source: { model_id: conn.id, field: 'crm.Nothing' }, target: 'x' }] },
      { filters: [{ field: { field: 'id', model_id: conn.id }, function: 'Equality' }] },
      { name: '../escape' },
    ]) {
      const res = await raw('POST', '/api/syncs', { body: { ...good, ...change } });
      assert.equal(res.status, 422, JSON.stringify(change));
      assertApiError(res.body, 422);
    }
    await rejects(client.modelSync.create({ ...good, mode: 'create' }), Polytomic.UnprocessableEntityError, 422);
    const paged = await raw('GET', '/api/syncs?page_token=garbage');
    assert.equal(paged.status, 400);
    assertApiError(paged.body, 400);
  });
});

describe('all syncs', () => {
  test('modelSync.list returns every sync, past Polytomic\'s page of 50', async () => {
    const { key, sdk } = await freshTenant('many');
    const conn = await connection(20, key);
    const created = [];
    for (let i = 0; i < 55; i++) {
      const { data } = await sdk.modelSync.create({
        name: `many ${i}`, mode: 'updateOrCreate', schedule: { frequency: 'manual' },
        fields: [{ source: { model_id: conn.id, field: 'hris.Employee' }, target: 'hris.Employee' }],
        target: { connection_id: conn.id },
      });
      created.push(data.id);
    }
    const listed = (await sdk.modelSync.list()).data.map((s) => s.id);
    assert.equal(listed.length, 55);
    assert.deepEqual([...listed].sort(), [...created].sort());
    // Paging is still there for a client that asks for it.
    const page = await raw('GET', '/api/syncs?limit=50', { key });
    assert.equal(page.body.data.length, 50);
    assert.ok(page.body.pagination.next_page_token);
    assert.equal((await sdk.bulkSync.list()).data.length, 55);
  });
});

// A tenant of its own (for counts no other test disturbs): its key and an SDK client.
async function freshTenant(name) {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(process.env.FERRY_BIN, ['admin', 'create-tenant', name, '--db', join(ferry.dir, 'ferry.db')],
    { encoding: 'utf8' });
  const key = out.trim().split('\n').pop();
  return { key, sdk: polytomic(key) };
}

describe('connections and connection types', () => {
  test('connections list and get ferry connections; secrets are never rendered', async () => {
    const secret = `secret-${randomUUID()}`;
    const conn = await ferry.v1('POST', '/v1/connections', {
      name: 'with a secret', source_type: 'sample', config: { seed: 3, size: 20, api_key: secret },
    });
    const listed = await client.connections.list();
    assert.ok(!JSON.stringify(listed).includes(secret));
    const mine = listed.data.find((c) => c.id === conn.id);
    assert.ok(mine);
    const { data: got } = await client.connections.get(conn.id);
    assert.deepEqual(got, mine);
    assert.ok(!JSON.stringify(got).includes(secret));
    assert.equal(got.name, 'with a secret');
    assert.match(got.organization_id, UUID);
    assert.equal(got.type.id, 'sample');
    assert.equal(typeof got.type.name, 'string');
    assert.ok(Array.isArray(got.type.operations));
    assert.deepEqual(got.configuration, { seed: 3, size: 20 });
    assert.equal(got.configuration.api_key, undefined);
    assert.equal(got.saved, true);
    assert.match(got.created_at, SECONDS);
    assert.match(got.updated_at, SECONDS);

    // Another tenant's connections are neither listed nor found.
    const other = await ferry.v1('POST', '/v1/connections', { name: 'b', source_type: 'sample', config: {} }, ferry.keyB);
    assert.ok(!listed.data.some((c) => c.id === other.id));
    for (const id of [other.id, randomUUID()]) {
      assertApiError(await rejects(client.connections.get(id), Polytomic.NotFoundError, 404), 404);
    }
    assertApiError(await rejects(client.connections.get('not-a-uuid'), PolytomicError, 400), 400);
  });

  test('connection types are the enabled source types, with their configuration schema', async () => {
    const { data: types } = await client.connections.getTypes();
    const sample = types.find((t) => t.id === 'sample');
    assert.ok(sample, JSON.stringify(types.map((t) => t.id)));
    assert.equal(typeof sample.name, 'string');
    assert.deepEqual(sample.capabilities, { source: true, destination: false, enrichment: false, orchestration: false });
    assert.equal(sample.use_oauth, false);
    const schema = await client.connections.getConnectionTypeSchema('sample');
    assert.equal(schema.type, 'object');
    assert.equal(schema.properties.size.type, 'integer');
    assert.equal(schema.properties.api_key.writeOnly, true);
    assert.ok(Array.isArray(schema.required));
    assertApiError(await rejects(client.connections.getConnectionTypeSchema('nope'), PolytomicError, 404), 404);
  });
});

describe('models', () => {
  test('a connection\'s models with their fields, listed and by id', async () => {
    const conn = await connection(20);
    const { data: all } = await client.models.list();
    const mine = all.filter((m) => m.connection_id === conn.id);
    assert.deepEqual(mine.map((m) => m.name).sort(), [...MODELS].sort());
    const employee = mine.find((m) => m.name === 'hris.Employee');
    assert.match(employee.id, UUID);
    assert.match(employee.organization_id, UUID);
    assert.equal(employee.identifier, 'id');
    assert.ok(Array.isArray(employee.tracking_columns));
    const id = employee.fields.find((f) => f.name === 'id');
    assert.equal(id.unique, true);
    for (const f of employee.fields) {
      for (const key of ['id', 'name', 'label', 'type', 'remote_type']) assert.equal(typeof f[key], 'string', key);
      assert.equal(typeof f.unique, 'boolean');
    }
    const { data: got } = await client.models.get(employee.id);
    assert.deepEqual(got, employee);
    // The same id on every list: derived from the connection and the model's name.
    assert.equal((await client.models.list()).data.find((m) => m.id === employee.id).name, 'hris.Employee');
    // Only one connection's models (a ferry extension).
    const one = await raw('GET', `/api/models?connection_id=${conn.id}`);
    assert.deepEqual(one.body.data.map((m) => m.id).sort(), mine.map((m) => m.id).sort());

    // Another tenant's model ids are not found; its models are not listed.
    const otherConn = await connection(20, ferry.keyB);
    const { data: theirs } = await clientB.models.list();
    const their = theirs.find((m) => m.connection_id === otherConn.id);
    assert.ok(their);
    assert.ok(!all.some((m) => m.id === their.id));
    assertApiError(await rejects(client.models.get(their.id), Polytomic.NotFoundError, 404), 404);
    assertApiError(await rejects(client.models.get(randomUUID()), Polytomic.NotFoundError, 404), 404);
    assertApiError(await rejects(client.models.get('nope'), PolytomicError, 400), 400);
    const otherScope = await raw('GET', `/api/models?connection_id=${otherConn.id}`);
    assert.equal(otherScope.status, 404);
    assertApiError(otherScope.body, 404);
  });
});

const BULK_STATUSES = ['created', 'scheduled', 'running', 'exporting', 'canceling', 'canceled', 'completed', 'failed',
  'processing', 'errors', 'interrupted'];

function assertBulkExecution(e) {
  assert.match(e.id, UUID);
  assert.ok(BULK_STATUSES.includes(e.status), e.status);
  assert.ok(['manual', 'scheduled'].includes(e.type));
  assert.match(e.created_at, SECONDS);
  for (const key of ['record_count', 'error_count', 'warning_count']) assert.equal(typeof e[key], 'number', key);
  for (const key of ['is_resync', 'is_test', 'is_partial']) assert.equal(typeof e[key], 'boolean', key);
  assert.ok(['none', 'incremental', 'full'].includes(e.fetch_mode));
  assert.ok(Array.isArray(e.schemas));
  for (const s of e.schemas) {
    assert.equal(typeof s.schema, 'string');
    assert.ok(['created', 'scheduled', 'running', 'exporting', 'canceled', 'completed', 'failed', 'interrupted',
      'processing'].includes(s.status), s.status);
    assert.equal(typeof s.record_count, 'number');
  }
}

async function bulkFinished(syncId, executionId) {
  return ferry.eventually(async () => {
    const { data } = await client.bulkSync.executions.get(syncId, executionId);
    return TERMINAL.includes(data.status) ? data : null;
  }, `bulk execution ${executionId} to finish`);
}

function bulkBody(conn, overrides = {}) {
  return {
    name: `bulk ${randomUUID().slice(0, 8)}`,
    source_connection_id: conn.id,
    destination_connection_id: conn.id,
    destination_configuration: {},
    schedule: { frequency: 'manual' },
    ...overrides,
  };
}

describe('bulk syncs', () => {
  test('create, get, list, update, activate, schemas and delete', async () => {
    const conn = await connection(40);
    const { data: created } = await client.bulkSync.create(bulkBody(conn, {
      name: 'Warehouse', mode: 'replicate', schemas: ['hris.Employee', { id: 'hris.Team', enabled: true }],
      schedule: { frequency: 'daily', hour: '4', minute: '0' },
    }));
    assert.match(created.id, UUID);
    assert.equal(created.name, 'Warehouse');
    assert.equal(created.active, true);
    assert.equal(created.mode, 'replicate');
    assert.equal(created.source_connection_id, conn.id);
    assert.equal(created.destination_connection_id, created.organization_id);
    assert.equal(created.destination_configuration.type, 'sqlite');
    assert.deepEqual(created.schedule, { frequency: 'daily', hour: '4', minute: '0' });
    assert.equal(created.automatically_add_new_objects, 'none');
    assert.match(created.created_at, SECONDS);
    const native = await ferry.v1('GET', `/v1/syncs/${created.id}`);
    assert.deepEqual(native.models, ['hris.Employee', 'hris.Team']);
    assert.equal(native.destination.config.path, 'destinations/Warehouse.db');

    assert.deepEqual((await client.bulkSync.get(created.id)).data, created);
    assert.ok((await client.bulkSync.list()).data.some((s) => s.id === created.id));
    assert.ok(!(await client.bulkSync.list({ active: false })).data.some((s) => s.id === created.id));
    assert.ok(!(await clientB.bulkSync.list()).data.some((s) => s.id === created.id));

    const { data: schemas } = await client.bulkSync.schemas.list(created.id);
    assert.deepEqual(schemas.map((s) => s.id).sort(), [...MODELS].sort());
    for (const s of schemas) {
      assert.equal(s.enabled, ['hris.Employee', 'hris.Team'].includes(s.id), s.id);
      assert.equal(s.output_name, s.id);
      assert.ok(s.fields.length > 0);
      for (const f of s.fields) assert.equal(typeof f.id, 'string');
    }
    const { data: team } = await client.bulkSync.schemas.get(created.id, 'hris.Team');
    assert.equal(team.id, 'hris.Team');
    await rejects(client.bulkSync.schemas.get(created.id, 'crm.Nothing'), PolytomicError, 404);

    // PUT: every schema (none listed keeps the selection; an empty list selects all), a new name and schedule.
    const { data: updated } = await client.bulkSync.update(created.id, bulkBody(conn, {
      name: 'Warehouse 2', schemas: [], schedule: { frequency: 'hourly', minute: '10' },
    }));
    assert.equal(updated.name, 'Warehouse 2');
    assert.deepEqual(updated.schedule, { frequency: 'hourly', minute: '10' });
    assert.equal(updated.automatically_add_new_objects, 'all');
    const nativeUpdated = await ferry.v1('GET', `/v1/syncs/${created.id}`);
    assert.equal(nativeUpdated.models, null);
    assert.equal(nativeUpdated.destination.config.path, 'destinations/Warehouse 2.db');

    const off = await client.bulkSync.activate(created.id, { active: false });
    assert.deepEqual(off.data, { id: created.id, active: false });
    assert.equal((await ferry.v1('GET', `/v1/syncs/${created.id}`)).status, 'paused');

    await client.bulkSync.remove(created.id);
    await rejects(client.bulkSync.get(created.id), PolytomicError, 404);
  });

  test('start, executions, status and cancel', async () => {
    const conn = await connection(200);
    const { data: sync } = await client.bulkSync.create(bulkBody(conn));
    const { data: started } = await client.bulkSync.start(sync.id, { resync: true });
    assertBulkExecution(started);
    assert.equal(started.is_resync, true);
    assert.equal(started.fetch_mode, 'full');
    const done = await bulkFinished(sync.id, started.id);
    assertBulkExecution(done);
    assert.equal(done.status, 'completed');
    assert.equal(done.record_count, 200);
    assert.equal(done.error_count, 0);
    assert.match(done.started_at, SECONDS);
    assert.match(done.completed_at, SECONDS);
    assert.deepEqual(done.schemas.map((s) => s.schema).sort(), [...MODELS].sort());
    assert.equal(done.schemas.reduce((n, s) => n + s.record_count, 0), 200);
    assert.ok(done.schemas.every((s) => s.status === 'completed'));

    // Only some schemas: a run of those models.
    const { data: partial } = await client.bulkSync.start(sync.id, { schemas: ['hris.Team'] });
    assert.deepEqual(partial.schemas.map((s) => s.schema), ['hris.Team']);
    await bulkFinished(sync.id, partial.id);

    const list = await client.bulkSync.executions.list(sync.id);
    assert.deepEqual(list.data.map((e) => e.id), [partial.id, started.id]);
    list.data.forEach(assertBulkExecution);
    const oldest = await client.bulkSync.executions.list(sync.id, { ascending: true, limit: 1 });
    assert.deepEqual(oldest.data.map((e) => e.id), [started.id]);
    assert.ok(oldest.pagination.next_page_token);

    // The per-schema summary of several syncs.
    const { data: summary } = await client.bulkSync.executions.listStatus({ sync_id: sync.id });
    assert.equal(summary.length, 1);
    assert.equal(summary[0].sync_id, sync.id);
    assert.equal(summary[0].status, 'completed');
    assert.deepEqual(summary[0].schemas.map((s) => [s.schema, s.execution_id, s.status]),
      [['hris.Team', partial.id, 'completed']]);
    const { data: everything } = await client.bulkSync.executions.listStatus({ all: true });
    assert.ok(everything.some((s) => s.sync_id === sync.id));
    assert.ok(!(await clientB.bulkSync.executions.listStatus({ all: true })).data.some((s) => s.sync_id === sync.id));

    const status = (await client.bulkSync.getStatus(sync.id)).data;
    assert.equal(status.current_execution, undefined);
    assert.equal(status.last_execution.id, partial.id);
    assert.equal(status.last_execution.status, 'completed');

    // A long execution: status shows it, a second start conflicts, executions.cancel stops it.
    const big = await connection(200000, ferry.keyA, 50);
    const { data: slow } = await client.bulkSync.create(bulkBody(big));
    const { data: running } = await client.bulkSync.start(slow.id, { resync: true });
    assert.equal((await client.bulkSync.getStatus(slow.id)).data.current_execution.id, running.id);
    assertApiError(await rejects(client.bulkSync.start(slow.id, {}, { maxRetries: 0 }), PolytomicError, 409), 409);
    const { data: cancelled } = await client.bulkSync.executions.cancel(slow.id, running.id);
    assert.equal(typeof cancelled.message, 'string');
    assert.equal((await bulkFinished(slow.id, running.id)).status, 'canceled');
    assertApiError(await rejects(client.bulkSync.executions.cancel(slow.id, running.id, { maxRetries: 0 }),
      PolytomicError, 409), 409);
    // The sync-level cancel.
    const { data: again } = await client.bulkSync.start(slow.id, { resync: true });
    assert.equal(typeof (await client.bulkSync.cancel(slow.id)).data.message, 'string');
    assert.equal((await bulkFinished(slow.id, again.id)).status, 'canceled');
    assert.equal((await client.bulkSync.cancel(slow.id)).data.message, 'no execution is in progress');
  });

  test('other tenants\' ids are 404; malformed input is 400; unusable values are 422', async () => {
    const conn = await connection(40);
    const { data: sync } = await client.bulkSync.create(bulkBody(conn));
    const { sync: otherSync } = await ferry.sampleSync({ size: 40, key: ferry.keyB });
    for (const id of [otherSync.id, randomUUID()]) {
      assertApiError(await rejects(client.bulkSync.get(id), PolytomicError, 404), 404);
      assertApiError(await rejects(client.bulkSync.start(id), PolytomicError, 404), 404);
      await rejects(client.bulkSync.getStatus(id), PolytomicError, 404);
      await rejects(client.bulkSync.executions.list(id), PolytomicError, 404);
      await rejects(client.bulkSync.schemas.list(id), PolytomicError, 404);
      await rejects(client.bulkSync.update(id, bulkBody(conn)), PolytomicError, 404);
      await rejects(client.bulkSync.activate(id, { active: false }), PolytomicError, 404);
      await rejects(client.bulkSync.cancel(id), PolytomicError, 404);
      await rejects(client.bulkSync.remove(id), PolytomicError, 404);
    }
    assert.equal((await ferry.v1('GET', `/v1/syncs/${otherSync.id}`, undefined, ferry.keyB)).status, 'active');
    const otherRun = await ferry.v1('POST', `/v1/syncs/${otherSync.id}/runs`, {}, ferry.keyB);
    await rejects(client.bulkSync.executions.get(sync.id, otherRun.id), PolytomicError, 404);
    await rejects(client.bulkSync.executions.cancel(sync.id, otherRun.id), PolytomicError, 404);
    assertApiError(await rejects(client.bulkSync.get('not-a-uuid'), PolytomicError, 400), 400);
    assertApiError(await rejects(client.bulkSync.executions.listStatus({ sync_id: otherSync.id }),
      Polytomic.NotFoundError, 404), 404);
    assertApiError(await rejects(client.bulkSync.executions.listStatus({ sync_id: 'nope' }), PolytomicError, 400), 400);
    assertApiError(await rejects(client.bulkSync.executions.get(sync.id, 'nope'), PolytomicError, 400), 400);

    for (const body of [{ resync: 'yes' }, { schemas: 'hris.Team' }, { schemas: [1] }, { fetch_mode: 'sometimes' },
      '{"resync":', '[]']) {
      const res = await raw('POST', `/api/bulk/syncs/${sync.id}/executions`, { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assertApiError(res.body, 400);
    }
    const unknownSchema = await raw('POST', `/api/bulk/syncs/${sync.id}/executions`, { body: { schemas: ['crm.Nothing'] } });
    assert.equal(unknownSchema.status, 422);
    assertApiError(unknownSchema.body, 422);

    for (const change of [{ name: 7 }, { name: '' }, { schedule: 'daily' }, { source_connection_id: null },
      { schemas: 'all' }, { schemas: [{ enabled: true }] }, { active: 'yes' }, { destination_configuration: 'x' }]) {
      const res = await raw('POST', '/api/bulk/syncs', { body: bulkBody(conn, change) });
      assert.equal(res.status, 400, JSON.stringify(change));
      assertApiError(res.body, 400);
    }
    for (const change of [{ mode: 'snapshot' }, { schedule: { frequency: 'runafter' } },
      { source_connection_id: randomUUID() }, { source_connection_id: otherSync.connection_id },
      { schemas: ['crm.Nothing'] }, { name: '../escape' }]) {
      const res = await raw('POST', '/api/bulk/syncs', { body: bulkBody(conn, change) });
      assert.equal(res.status, 422, JSON.stringify(change));
      assertApiError(res.body, 422);
    }
    // The source of a sync cannot change.
    const other = await connection(20);
    const moved = await raw('PUT', `/api/bulk/syncs/${sync.id}`, { body: bulkBody(other, { name: sync.name }) });
    assert.equal(moved.status, 422);
    assertApiError(moved.body, 422);
  });
});
