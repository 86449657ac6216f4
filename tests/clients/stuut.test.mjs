// Stuut has no SDK: plain HTTP against a real `ferry serve`, every Sync record checked against the JSON
// schema transcribed from seed 002 (stuut_sync.schema.json) by the small validator below.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFerry } from './harness.mjs';

const schema = JSON.parse(readFileSync(new URL('./stuut_sync.schema.json', import.meta.url), 'utf8'));

// ---- a small JSON Schema validator: type (with null), required, properties, additionalProperties,
// enum, format (date-time, uuid). Returns the list of problems, empty when the value is valid.
const FORMATS = {
  'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};
function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}
function validate(s, value, path = '$') {
  const problems = [];
  if (s.type) {
    const allowed = Array.isArray(s.type) ? s.type : [s.type];
    const actual = typeOf(value);
    const ok = allowed.includes(actual) || (actual === 'integer' && allowed.includes('number'));
    if (!ok) return [`${path}: expected ${allowed.join('|')}, got ${actual}`];
  }
  if (value === null) return problems;
  if (s.enum && !s.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if (s.format && typeof value === 'string' && FORMATS[s.format] && !FORMATS[s.format].test(value)) {
    problems.push(`${path}: ${value} is not a ${s.format}`);
  }
  if (typeOf(value) === 'object') {
    for (const key of s.required ?? []) if (!(key in value)) problems.push(`${path}.${key}: required`);
    for (const [key, sub] of Object.entries(s.properties ?? {})) {
      if (key in value) problems.push(...validate(sub, value[key], `${path}.${key}`));
    }
    if (s.additionalProperties === false) {
      for (const key of Object.keys(value)) {
        if (!(key in (s.properties ?? {}))) problems.push(`${path}.${key}: not allowed`);
      }
    }
  }
  return problems;
}
function assertSync(record) {
  assert.deepEqual(validate(schema, record), [], JSON.stringify(record));
  // The seed's timestamps: whole seconds and Z.
  for (const field of ['created_at', 'modified_at', 'completed_at', 'started_at']) {
    if (record[field] !== null) assert.match(record[field], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  assert.equal(record.object, 'sync');
}

// The validator itself must be able to fail.
test('the schema validator rejects what the seed does not allow', () => {
  const good = {
    created_at: '2023-11-07T05:31:56Z', modified_at: null, id: 'x', status: 'queued', attempt: 0,
    batch_id: '3c90c3cc-0d44-4b50-8888-8dd25736052a', completed_at: null, entity_id: null, error: null,
    file_id: null, is_initial_sync: true, is_one_off: true, model_id: 'hris.Employee', pagination_state: {},
    started_at: null, timerange_end: null, timerange_start: null, object: 'sync',
  };
  assert.deepEqual(validate(schema, good), []);
  assert.equal(validate(schema, { ...good, status: 'done' }).length, 1);
  assert.equal(validate(schema, { ...good, attempt: 1.5 }).length, 1);
  assert.equal(validate(schema, { ...good, created_at: null }).length, 1);
  assert.equal(validate(schema, { ...good, batch_id: 'nope' }).length, 1);
  assert.equal(validate(schema, { ...good, pagination_state: null }).length, 1);
  assert.equal(validate(schema, { ...good, extra: 1 }).length, 1);
  const { is_one_off, ...missing } = good;
  assert.equal(validate(schema, missing).length, 1);
});

let ferry;
before(async () => {
  ferry = await startFerry();
});
after(async () => {
  assert.equal(await ferry.stop(), 0, 'ferry exits cleanly');
});

async function stuut(method, path, { key = ferry.keyA, headers = {}, body } = {}) {
  const res = await fetch(ferry.baseUrl + path, {
    method,
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...headers },
    body,
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, headers: res.headers };
}
const base = '/v2/integrations/connections';
const ALL_MODELS = ['ats.Application', 'ats.Candidate', 'hris.Employee', 'hris.Team'];

// Polls the syncs list until every record of the batch has ended.
async function batchDone(connectionId, batchId, limit = 100) {
  return ferry.eventually(async () => {
    const res = await stuut('GET', `${base}/${connectionId}/syncs?limit=${limit}`);
    assert.equal(res.status, 200);
    const batch = res.json.filter((r) => r.batch_id === batchId);
    const ended = batch.length > 0 && batch.every((r) => ['complete', 'failed', 'cancelled'].includes(r.status));
    return ended ? { all: res.json, batch } : null;
  }, `batch ${batchId}`);
}

test('request a sync: one Sync per model in one batch, polled until complete', async () => {
  const { connection, sync } = await ferry.sampleSync({ size: 800, batchSize: 50 });
  const res = await stuut('POST', `${base}/${connection.id}/sync`);
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(res.json));
  res.json.forEach(assertSync);
  assert.deepEqual(res.json.map((r) => r.model_id).sort(), ALL_MODELS);
  const batchId = res.json[0].batch_id;
  assert.ok(res.json.every((r) => r.batch_id === batchId));
  assert.equal(new Set(res.json.map((r) => r.id)).size, 4);
  for (const r of res.json) {
    assert.ok(['queued', 'running', 'complete'].includes(r.status), r.status);
    assert.equal(r.is_one_off, true);
    assert.equal(r.is_initial_sync, true);
    assert.equal(r.entity_id, null);
    assert.equal(r.file_id, null);
  }

  // The batch is the run ferry queued; each Sync is one of its tasks.
  const runs = (await ferry.v1('GET', `/v1/syncs/${sync.id}/runs`)).data;
  assert.equal(runs.length, 1);
  assert.equal(runs[0].id, batchId);
  assert.equal(runs[0].trigger, 'stuut');
  assert.equal(runs[0].full_refresh, false);

  const { all, batch } = await batchDone(connection.id, batchId);
  assert.equal(all.length, 4, 'four records so far');
  all.forEach(assertSync);
  const run = await ferry.v1('GET', `/v1/runs/${batchId}`);
  assert.equal(run.status, 'complete');
  for (const r of batch) {
    const task = run.tasks.find((t) => t.model_id === r.model_id);
    assert.equal(r.id, task.id);
    assert.equal(r.status, 'complete');
    assert.equal(r.attempt, 1);
    assert.equal(r.error, null);
    assert.equal(r.is_initial_sync, true);
    assert.notEqual(r.started_at, null);
    assert.notEqual(r.completed_at, null);
    assert.ok(r.started_at <= r.completed_at && r.created_at <= r.started_at);
    assert.ok(r.modified_at >= r.completed_at);
    assert.deepEqual(r.pagination_state, JSON.parse(task.checkpoint), 'the checkpoint as an object');
    assert.ok(Object.keys(r.pagination_state).length > 0);
  }
  assert.equal(run.counts.inserted > 0, true);

  // A second request: a new batch, incremental (not initial), newest first in the list.
  const again = await stuut('POST', `${base}/${connection.id}/sync`);
  assert.equal(again.status, 200);
  const second = again.json[0].batch_id;
  assert.notEqual(second, batchId);
  again.json.forEach((r) => assert.equal(r.is_initial_sync, false));
  const done = await batchDone(connection.id, second);
  assert.equal(done.all.length, 8);
  assert.deepEqual(done.all.slice(0, 4).map((r) => r.batch_id), Array(4).fill(second));
  assert.deepEqual(done.all.slice(4).map((r) => r.batch_id), Array(4).fill(batchId));
  done.batch.forEach((r) => assert.equal(r.is_initial_sync, false));
  // The first batch still reads as the initial sync.
  done.all.slice(4).forEach((r) => assert.equal(r.is_initial_sync, true));

  const limited = await stuut('GET', `${base}/${connection.id}/syncs?limit=3`);
  assert.equal(limited.json.length, 3);
  assert.ok(limited.json.every((r) => r.batch_id === second));
  const oneModel = await stuut('GET', `${base}/${connection.id}/syncs?model_id=hris.Team`);
  assert.deepEqual(oneModel.json.map((r) => [r.model_id, r.batch_id]), [['hris.Team', second], ['hris.Team', batchId]]);
});

test('a request while a batch is active returns that batch; a cancel shows up per model', async () => {
  const { connection, sync } = await ferry.sampleSync({ size: 400000, batchSize: 100 });
  const first = await stuut('POST', `${base}/${connection.id}/sync`);
  const second = await stuut('POST', `${base}/${connection.id}/sync`);
  assert.equal(second.status, 200);
  assert.equal(second.json[0].batch_id, first.json[0].batch_id);
  assert.deepEqual(second.json.map((r) => r.id), first.json.map((r) => r.id));
  assert.equal((await ferry.v1('GET', `/v1/syncs/${sync.id}/runs`)).data.length, 1);

  await ferry.v1('POST', `/v1/runs/${first.json[0].batch_id}/cancel`);
  const { batch } = await batchDone(connection.id, first.json[0].batch_id);
  batch.forEach(assertSync);
  assert.ok(batch.some((r) => r.status === 'cancelled'));
  assert.ok(batch.every((r) => r.status === 'cancelled' || r.status === 'complete'));
});

test('a connection with two active syncs: one request, one batch across both syncs', async () => {
  const { connection, sync } = await ferry.sampleSync({ size: 300, batchSize: 50, models: ['hris.Employee', 'hris.Team'] });
  const second = await ferry.v1('POST', '/v1/syncs', {
    connection_id: connection.id,
    destination: { type: 'sqlite', config: { path: 'stuut-second.db' } },
    models: ['ats.Candidate'],
  });
  const res = await stuut('POST', `${base}/${connection.id}/sync`);
  assert.equal(res.status, 200);
  res.json.forEach(assertSync);
  assert.deepEqual(res.json.map((r) => r.model_id).sort(), ['ats.Candidate', 'hris.Employee', 'hris.Team']);
  const batchId = res.json[0].batch_id;
  assert.deepEqual(res.json.map((r) => r.batch_id), Array(3).fill(batchId), 'one batch_id for the request');
  assert.equal(new Set(res.json.map((r) => r.id)).size, 3);

  // Two ferry runs, one per sync; the batch is named after the first.
  const runs = [sync.id, second.id].map(async (id) => (await ferry.v1('GET', `/v1/syncs/${id}/runs`)).data);
  const [firstRuns, secondRuns] = await Promise.all(runs);
  assert.equal(firstRuns.length, 1);
  assert.equal(secondRuns.length, 1);
  assert.notEqual(firstRuns[0].id, secondRuns[0].id);
  assert.ok([firstRuns[0].id, secondRuns[0].id].includes(batchId));

  // The lookups show the batch across both syncs: the list and each model's last_sync.
  const { batch } = await batchDone(connection.id, batchId);
  assert.deepEqual(batch.map((r) => r.model_id).sort(), ['ats.Candidate', 'hris.Employee', 'hris.Team']);
  batch.forEach(assertSync);
  batch.forEach((r) => assert.equal(r.status, 'complete'));
  const got = (await stuut('GET', `${base}/${connection.id}`)).json;
  const enabled = got.models.filter((m) => m.is_read_enabled);
  assert.equal(enabled.length, 3);
  enabled.forEach((m) => assert.equal(m.last_sync.batch_id, batchId));

  // The next request is a new batch, again one for both syncs.
  const again = await stuut('POST', `${base}/${connection.id}/sync`);
  assert.equal(again.json.length, 3);
  assert.equal(new Set(again.json.map((r) => r.batch_id)).size, 1);
  assert.notEqual(again.json[0].batch_id, batchId);
  await batchDone(connection.id, again.json[0].batch_id);
});

test('a sync started while another sync of the connection still runs joins that batch', async () => {
  const { connection, sync } = await ferry.sampleSync({ size: 400000, batchSize: 100, models: ['hris.Employee'] });
  const paused = await ferry.v1('POST', '/v1/syncs', {
    connection_id: connection.id,
    destination: { type: 'sqlite', config: { path: 'stuut-joined.db' } },
    models: ['hris.Team'],
    status: 'paused',
  });
  const first = await stuut('POST', `${base}/${connection.id}/sync`);
  assert.deepEqual(first.json.map((r) => r.model_id), ['hris.Employee']);
  const batchId = first.json[0].batch_id;

  await ferry.v1('PATCH', `/v1/syncs/${paused.id}`, { status: 'active' });
  const joined = await stuut('POST', `${base}/${connection.id}/sync`);
  assert.equal(joined.status, 200);
  assert.deepEqual(joined.json.map((r) => r.model_id).sort(), ['hris.Employee', 'hris.Team']);
  assert.deepEqual(joined.json.map((r) => r.batch_id), [batchId, batchId]);
  const teamRun = (await ferry.v1('GET', `/v1/syncs/${paused.id}/runs`)).data[0];
  assert.notEqual(teamRun.id, batchId, 'a run of its own, in the running batch');

  await ferry.v1('POST', `/v1/runs/${batchId}/cancel`);
  const { batch } = await batchDone(connection.id, batchId);
  assert.deepEqual(batch.map((r) => r.model_id).sort(), ['hris.Employee', 'hris.Team']);
  assert.equal((await ferry.v1('GET', `/v1/syncs/${sync.id}/runs`)).data.length, 1);
});

test('a model that fails is a failed Sync with its error; the others complete', async () => {
  const dir = ferry.hostPath('stuut-files');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hris.Employee.jsonl'), '{"id":1,"updated_at":"2024-01-01T00:00:00Z"}\n');
  writeFileSync(join(dir, 'hris.Team.jsonl'), '{"name":"no id","updated_at":"2024-01-01T00:00:00Z"}\n');
  const connection = await ferry.v1('POST', '/v1/connections', { name: 'files', source_type: 'file', config: { path: 'stuut-files' } });
  await ferry.v1('POST', '/v1/syncs', {
    connection_id: connection.id,
    destination: { type: 'sqlite', config: { path: 'stuut-files.db' } },
  });
  const res = await stuut('POST', `${base}/${connection.id}/sync`);
  assert.equal(res.status, 200);
  const { batch } = await batchDone(connection.id, res.json[0].batch_id);
  batch.forEach(assertSync);
  const byModel = Object.fromEntries(batch.map((r) => [r.model_id, r]));
  assert.equal(byModel['hris.Employee'].status, 'complete');
  assert.equal(byModel['hris.Employee'].error, null);
  assert.equal(byModel['hris.Team'].status, 'failed');
  assert.equal(typeof byModel['hris.Team'].error, 'string');
  assert.ok(byModel['hris.Team'].error.length > 0);
  assert.notEqual(byModel['hris.Team'].completed_at, null);
});

test('connections: list and get, with their models and each model\'s last sync', async () => {
  const { connection, sync } = await ferry.sampleSync({ size: 200, batchSize: 50, models: ['hris.Employee', 'ats.Candidate'] });
  const other = await ferry.sampleSync({ size: 50, key: ferry.keyB });
  const before = await stuut('GET', `${base}/${connection.id}`);
  assert.equal(before.status, 200);
  assert.deepEqual(before.json.models.map((m) => [m.id, m.is_read_enabled, m.last_sync]), [
    ['hris.Employee', true, null], ['hris.Team', false, null], ['ats.Candidate', true, null], ['ats.Application', false, null],
  ]);
  const started = await stuut('POST', `${base}/${connection.id}/sync`);
  assert.deepEqual(started.json.map((r) => r.model_id), ['hris.Employee', 'ats.Candidate']);
  await batchDone(connection.id, started.json[0].batch_id);

  const got = await stuut('GET', `${base}/${connection.id}`);
  const c = got.json;
  assert.equal(c.id, connection.id);
  assert.equal(c.object, 'connection');
  assert.equal(c.name, connection.name);
  assert.equal(c.is_sync_disabled, false);
  assert.equal(c.is_authentication_pending, false);
  assert.deepEqual(c.health, { ...c.health, healthy: true, status_code: 'healthy', authentication_required: false });
  assert.match(c.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(!JSON.stringify(c).includes(connection.account_token));
  for (const m of c.models) {
    assert.equal(m.connection_id, connection.id);
    assert.equal(m.next_sync_at, null);
    if (m.is_read_enabled) {
      assertSync(m.last_sync);
      assert.equal(m.last_sync.batch_id, started.json[0].batch_id);
      assert.equal(m.last_sync.status, 'complete');
      assert.equal(m.last_sync.model_id, m.id);
    } else {
      assert.equal(m.last_sync, null);
    }
  }

  const list = await stuut('GET', base);
  assert.equal(list.status, 200);
  const ids = list.json.map((x) => x.id);
  assert.ok(ids.includes(connection.id));
  assert.ok(!ids.includes(other.connection.id), 'another tenant\'s connection is not listed');
  assert.deepEqual(ids, (await ferry.v1('GET', '/v1/connections?limit=100')).data.map((x) => x.id));
  assert.deepEqual(list.json.find((x) => x.id === connection.id), c);

  // A paused sync: syncing is disabled, and a request says so.
  await ferry.v1('PATCH', `/v1/syncs/${sync.id}`, { status: 'paused' });
  assert.equal((await stuut('GET', `${base}/${connection.id}`)).json.is_sync_disabled, true);
  const refused = await stuut('POST', `${base}/${connection.id}/sync`);
  assert.equal(refused.status, 400);
  assert.equal(typeof refused.json.detail, 'string');
});

test('errors come back the way Stuut (FastAPI) sends them', async () => {
  const { connection } = await ferry.sampleSync({ size: 50 });
  const other = await ferry.sampleSync({ size: 50, key: ferry.keyB });
  const unknown = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
  const paths = (id) => [['GET', `${base}/${id}`], ['POST', `${base}/${id}/sync`], ['GET', `${base}/${id}/syncs`]];

  for (const [method, path] of [['GET', base], ...paths(connection.id)]) {
    const none = await stuut(method, path, { key: null });
    assert.equal(none.status, 401);
    assert.deepEqual(none.json, { detail: 'Not authenticated' });
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    const wrong = await stuut(method, path, { key: 'not-a-key' });
    assert.equal(wrong.status, 401);
    assert.equal(typeof wrong.json.detail, 'string');
  }
  for (const [method, path] of paths('not-a-uuid')) {
    const res = await stuut(method, path);
    assert.equal(res.status, 422);
    assert.equal(res.json.detail.length, 1);
    assert.deepEqual(res.json.detail[0].loc, ['path', 'connection_id']);
    assert.equal(res.json.detail[0].type, 'uuid_parsing');
    assert.equal(res.json.detail[0].input, 'not-a-uuid');
    assert.equal(typeof res.json.detail[0].msg, 'string');
  }
  for (const id of [unknown, other.connection.id]) {
    for (const [method, path] of paths(id)) {
      const res = await stuut(method, path);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.deepEqual(res.json, { detail: 'Connection not found' });
    }
  }
  for (const [limit, type] of [['abc', 'int_parsing'], ['0', 'greater_than_equal'], ['101', 'less_than_equal'], ['', 'int_parsing']]) {
    const res = await stuut('GET', `${base}/${connection.id}/syncs?limit=${limit}`);
    assert.equal(res.status, 422, `limit=${limit}`);
    assert.deepEqual(res.json.detail[0].loc, ['query', 'limit']);
    assert.equal(res.json.detail[0].type, type);
  }
  const wrongMethod = await stuut('DELETE', `${base}/${connection.id}/sync`);
  assert.equal(wrongMethod.status, 405);
  assert.deepEqual(wrongMethod.json, { detail: 'Method Not Allowed' });
  // The endpoint takes no body: a malformed one is ignored, as FastAPI does.
  const withBody = await stuut('POST', `${base}/${connection.id}/sync`,
    { headers: { 'Content-Type': 'application/json' }, body: '{"oops":' });
  assert.equal(withBody.status, 200);
  withBody.json.forEach(assertSync);
});
