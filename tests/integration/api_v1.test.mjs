// Integration tests for the ferry native API (/v1), written against docs/api-v1.md.
//
//   FERRY_BIN=/path/to/ferry node --test tests/integration/
//
// Starts a real server on an ephemeral port with a throw-away database, creates two tenants and exercises
// every route, success and failure paths. Only node built-ins are used.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SECRET = 'sekret-123';
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const MODELS = ['ats.Application', 'ats.Candidate', 'hris.Employee', 'hris.Team'];
const TERMINAL = new Set(['complete', 'failed', 'cancelled']);
// Every /v1 path template this suite touches, with the methods the contract defines for it.
const ROUTES = {
  '/v1/connections': ['get', 'post'],
  '/v1/connections/{id}': ['get', 'patch', 'delete'],
  '/v1/connections/{id}/check': ['post'],
  '/v1/connections/{id}/discover': ['post'],
  '/v1/connections/{id}/models': ['get'],
  '/v1/syncs': ['get', 'post'],
  '/v1/syncs/{id}': ['get', 'patch', 'delete'],
  '/v1/syncs/{id}/runs': ['get', 'post'],
  '/v1/syncs/{id}/status': ['get'],
  '/v1/runs/{id}': ['get'],
  '/v1/runs/{id}/cancel': ['post'],
  '/v1/webhooks': ['get', 'post'],
  '/v1/webhooks/{id}': ['get', 'delete'],
  '/v1/webhooks/{id}/rotate-secret': ['post'],
  '/v1/webhooks/{id}/deliveries': ['get'],
  '/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver': ['post'],
};

let tmp; // temp dir holding ferry.db and the destination databases
let server; // ChildProcess of `ferry serve`
let serverLog = ''; // everything the server wrote to stderr
let base; // http://127.0.0.1:PORT
let keyA; // tenant A's API key (default for api())
let keyB; // tenant B's API key
const transcript = []; // every response seen: "METHOD path -> status\nheaders\nbody"
const S = {}; // ids shared between tests (tests run in file order)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uuid = () => crypto.randomUUID();
// Destination paths are relative to the tenant's data directory (<tmp>/data/<tenant id>/).
const destPath = (name) => name;
const logTail = () => serverLog.split('\n').slice(-30).join('\n');

// ---------------------------------------------------------------------------------------------- helpers

async function api(method, urlPath, { key, body, headers = {}, rawBody, contentType } = {}) {
  const h = { ...headers };
  const k = key === undefined ? keyA : key; // key: null -> no Authorization header
  if (k !== null) h.authorization = `Bearer ${k}`;
  let payload;
  if (rawBody !== undefined) payload = rawBody;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined) h['content-type'] = contentType ?? 'application/json';
  const label = `${method} ${urlPath}`;
  const res = await fetch(base + urlPath, { method, headers: h, body: payload });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  transcript.push(`${label} -> ${res.status}\n${[...res.headers].map(([n, v]) => `${n}: ${v}`).join('\n')}\n${text}`);
  assert.ok(res.status < 500, `${label} returned ${res.status} (server error): ${text.slice(0, 500)}`);
  if (res.status >= 400) assertErrorShape(json, `${label} -> ${res.status}: ${text.slice(0, 300)}`);
  return { status: res.status, headers: res.headers, json, text, label };
}

function assertErrorShape(json, ctx) {
  assert.ok(json && typeof json === 'object' && !Array.isArray(json), `error body is not a JSON object (${ctx})`);
  assert.ok(json.error && typeof json.error === 'object', `error body lacks "error" object (${ctx})`);
  assert.equal(typeof json.error.code, 'string', `error.code is not a string (${ctx})`);
  assert.equal(typeof json.error.message, 'string', `error.message is not a string (${ctx})`);
}

function expectStatus(res, status) {
  assert.equal(res.status, status, `${res.label}: expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  return res.json;
}

// Asserts an error response: status, error.code and (optionally) that the message names `field`.
function expectError(res, status, code, field) {
  expectStatus(res, status);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/, `${res.label}: error content-type`);
  assert.equal(res.json.error.code, code, `${res.label}: error code (${res.text})`);
  if (field) assert.ok(res.json.error.message.includes(field), `${res.label}: message should name "${field}": ${res.json.error.message}`);
}

function assertList(j, ctx) {
  assert.equal(j.object, 'list', ctx);
  assert.ok(Array.isArray(j.data), ctx);
  assert.ok(j.next_cursor === null || typeof j.next_cursor === 'string', ctx);
  assert.ok(j.next === null || (typeof j.next === 'string' && j.next.startsWith('/v1/') && j.next.includes('cursor=')), ctx);
  assert.equal(j.next === null, j.next_cursor === null, `${ctx}: next and next_cursor must both be null or both set`);
}

// Follows next_cursor to the end; returns every item in order.
async function listAll(listPath, { key, limit = 100 } = {}) {
  const items = [];
  let cursor = null;
  for (let pages = 1; ; pages++) {
    const sep = listPath.includes('?') ? '&' : '?';
    const q = `${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const j = expectStatus(await api('GET', listPath + q, { key }), 200);
    assertList(j, listPath);
    assert.ok(j.data.length <= limit, `page larger than limit=${limit}`);
    items.push(...j.data);
    cursor = j.next_cursor;
    if (!cursor) return items;
    assert.ok(pages < 1000, 'pagination does not terminate');
  }
}

function assertNewestFirst(items, ctx) {
  for (let i = 1; i < items.length; i++) {
    assert.ok(items[i - 1].created_at >= items[i].created_at, `${ctx}: not newest first at index ${i}`);
  }
}

function assertConnection(c) {
  assert.match(c.id, UUID);
  assert.equal(c.object, 'connection');
  assert.equal(typeof c.name, 'string');
  assert.equal(typeof c.source_type, 'string');
  assert.equal(typeof c.config, 'object');
  assert.ok(Array.isArray(c.secret_fields));
  assert.equal(typeof c.account_token, 'string');
  assert.match(c.created_at, TS);
  assert.match(c.updated_at, TS);
  assert.ok(!('api_key' in c.config), 'secret api_key must not be returned in config');
}

function assertRun(r) {
  assert.match(r.id, UUID);
  assert.equal(r.object, 'run');
  assert.ok(['scheduled', 'queued', 'running', 'cancelling', 'pending_retry', 'complete', 'failed', 'cancelled'].includes(r.status), r.status);
  assert.equal(typeof r.full_refresh, 'boolean');
  assert.ok(Array.isArray(r.tasks));
  assert.match(r.created_at, TS);
  for (const k of ['inserted', 'updated', 'deleted', 'failed']) assert.equal(typeof r.counts[k], 'number');
}

const sampleConfig = (extra = {}) => ({ seed: 7, size: 200, generation: 0, api_key: SECRET, ...extra });

async function createConnection(name, config = sampleConfig(), opts = {}) {
  const c = expectStatus(await api('POST', '/v1/connections', { ...opts, body: { name, source_type: 'sample', config } }), 201);
  assertConnection(c);
  return c;
}

async function createSync(connectionId, destFile, extra = {}) {
  const body = { connection_id: connectionId, destination: { type: 'sqlite', config: { path: destPath(destFile) } }, ...extra };
  const s = expectStatus(await api('POST', '/v1/syncs', { body }), 201);
  assert.match(s.id, UUID);
  assert.equal(s.object, 'sync');
  return s;
}

// Polls a run every 100 ms until it reaches a terminal status; asserts that status is `want`.
async function waitForRun(id, want = 'complete', timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = expectStatus(await api('GET', `/v1/runs/${id}`), 200);
    if (TERMINAL.has(r.status)) {
      assert.equal(r.status, want, `run ${id} ended ${r.status} (error: ${r.error}, category: ${r.error_category})`);
      return r;
    }
    assert.ok(Date.now() < deadline, `run ${id} still ${r.status} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function triggerAndWait(syncId, body) {
  const res = await api('POST', `/v1/syncs/${syncId}/runs`, body === undefined ? {} : { body });
  const r = expectStatus(res, 201);
  assertRun(r);
  assert.ok(['queued', 'running', 'complete'].includes(r.status), `new run status ${r.status}`);
  assert.equal(r.sync_id, syncId);
  return waitForRun(r.id);
}

// ---------------------------------------------------------------------------------------------- server

function createTenant(bin, name, env) {
  const out = execFileSync(bin, ['admin', 'create-tenant', name, '--db', path.join(tmp, 'ferry.db')], { env, encoding: 'utf8' });
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  assert.ok(lines.length > 0, `create-tenant ${name} printed nothing`);
  return lines.at(-1);
}

before(async () => {
  const bin = process.env.FERRY_BIN;
  if (!bin) throw new Error('FERRY_BIN is not set: point it at the ferry binary, e.g. FERRY_BIN=build/ferry node --test tests/integration/');
  if (!fs.existsSync(bin)) throw new Error(`FERRY_BIN=${bin} does not exist`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-it-'));
  const env = { ...process.env };
  delete env.FERRY_MASTER_KEY; // the server must create its own key file
  keyA = createTenant(bin, 'acme', env);
  keyB = createTenant(bin, 'globex', env);
  assert.ok(keyA && keyB && keyA !== keyB, 'two distinct API keys');

  server = spawn(bin, ['serve', '--db', path.join(tmp, 'ferry.db'), '--listen', '127.0.0.1:0', '--workers', '2', '--rate-limit', '0'], {
    env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no "listening" log line within 15 s:\n${logTail()}`)), 15_000);
    server.once('error', (e) => { clearTimeout(timer); reject(e); });
    server.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`server exited early (${code ?? sig}):\n${logTail()}`)); });
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', (chunk) => {
      serverLog += chunk;
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let rec;
        try { rec = JSON.parse(line); } catch { continue; }
        const m = rec?.msg === 'listening' && /^127\.0\.0\.1:(\d+)$/.exec(String(rec.address));
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      }
    });
  });
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  try {
    if (!server) return;
    if (server.exitCode !== null || server.signalCode !== null) {
      assert.fail(`server exited before shutdown (${server.exitCode ?? server.signalCode}):\n${logTail()}`);
    }
    let timer;
    const exited = new Promise((r) => server.once('exit', (code, signal) => r({ code, signal })));
    server.kill('SIGTERM');
    const res = await Promise.race([exited, new Promise((r) => { timer = setTimeout(() => r(null), 10_000); })]);
    clearTimeout(timer);
    if (!res) {
      server.kill('SIGKILL');
      assert.fail(`server did not exit within 10 s of SIGTERM:\n${logTail()}`);
    }
    assert.equal(res.code, 0, `server exit after SIGTERM: code=${res.code} signal=${res.signal}\n${logTail()}`);
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------- tests

describe('unauthenticated endpoints', () => {
  test('GET /healthz', async () => {
    const res = await api('GET', '/healthz', { key: null });
    assert.deepEqual(expectStatus(res, 200), { status: 'ok' });
  });

  test('GET /openapi.json describes every /v1 route', async () => {
    const doc = expectStatus(await api('GET', '/openapi.json', { key: null }), 200);
    assert.ok(doc, 'openapi.json is valid JSON');
    assert.match(String(doc.openapi), /^3\.0\./);
    for (const [p, methods] of Object.entries(ROUTES)) {
      assert.ok(doc.paths?.[p], `openapi paths lacks ${p}`);
      for (const m of methods) assert.ok(doc.paths[p][m], `openapi lacks ${m.toUpperCase()} ${p}`);
    }
  });

  test('GET /metrics', async () => {
    const res = await api('GET', '/metrics', { key: null });
    expectStatus(res, 200);
    assert.ok(res.text.includes('ferry_'), 'metrics mention ferry_');
  });
});

describe('auth', () => {
  const id = uuid();
  const routes = [['GET', '/v1/connections'], ['POST', '/v1/connections'], ['GET', `/v1/connections/${id}`],
    ['GET', `/v1/connections/${id}/models`], ['POST', `/v1/connections/${id}/check`], ['GET', '/v1/syncs'],
    ['GET', `/v1/syncs/${id}`], ['GET', `/v1/syncs/${id}/runs`], ['GET', `/v1/syncs/${id}/status`],
    ['GET', `/v1/runs/${id}`], ['POST', `/v1/runs/${id}/cancel`]];

  test('missing Authorization header -> 401 on every /v1 route', async () => {
    for (const [m, p] of routes) expectError(await api(m, p, { key: null }), 401, 'unauthorized');
  });
  test('wrong Bearer key -> 401', async () => {
    expectError(await api('GET', '/v1/connections', { key: 'not-a-real-key' }), 401, 'unauthorized');
    expectError(await api('GET', '/v1/connections', { key: `${keyA}x` }), 401, 'unauthorized');
  });
  test('non-Bearer schemes -> 401', async () => {
    expectError(await api('GET', '/v1/connections', { key: null, headers: { authorization: 'Basic xxx' } }), 401, 'unauthorized');
    expectError(await api('GET', '/v1/connections', { key: null, headers: { authorization: keyA } }), 401, 'unauthorized');
    expectError(await api('GET', '/v1/connections', { key: null, headers: { authorization: 'Bearer ' } }), 401, 'unauthorized');
  });
  test('unauthenticated POST creates nothing', async () => {
    const body = { name: 'ghost', source_type: 'sample' };
    expectError(await api('POST', '/v1/connections', { key: null, body }), 401, 'unauthorized');
    assert.ok(!(await listAll('/v1/connections')).some((c) => c.name === 'ghost'));
  });
});

describe('connections', () => {
  test('create', async () => {
    const c = await createConnection('Acme HR');
    assert.equal(c.name, 'Acme HR');
    assert.equal(c.source_type, 'sample');
    assert.equal(c.config.seed, 7);
    assert.equal(c.config.size, 200);
    assert.equal(c.config.generation, 0);
    assert.ok(c.secret_fields.includes('api_key'), 'secret_fields lists api_key');
    S.conn = c;
  });

  test('get', async () => {
    const c = expectStatus(await api('GET', `/v1/connections/${S.conn.id}`), 200);
    assertConnection(c);
    assert.deepEqual(c, S.conn);
  });

  test('list paginates with limit=1 without gaps or duplicates', async () => {
    S.extraConns = [await createConnection('Extra 1'), await createConnection('Extra 2')];
    const pages = [];
    let cursor = null;
    do {
      const j = expectStatus(await api('GET', `/v1/connections?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`), 200);
      assertList(j, 'connections page');
      assert.ok(j.data.length <= 1);
      pages.push(j);
      cursor = j.next_cursor;
      assert.ok(pages.length < 100, 'pagination does not terminate');
    } while (cursor);
    const items = pages.flatMap((p) => p.data);
    const ids = items.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, 'no duplicates across pages');
    for (const c of [S.conn, ...S.extraConns]) assert.ok(ids.includes(c.id), `list includes ${c.id}`);
    assertNewestFirst(items, 'connections');
    assert.deepEqual((await listAll('/v1/connections')).map((c) => c.id), ids, 'limit=1 and limit=100 agree');
    // `next` is a usable link equal to following next_cursor
    const viaNext = expectStatus(await api('GET', pages[0].next), 200);
    assert.deepEqual(viaNext.data.map((c) => c.id), pages[1].data.map((c) => c.id));
  });

  test('patch name and config (config keys merged, secret kept)', async () => {
    const c = expectStatus(await api('PATCH', `/v1/connections/${S.conn.id}`, { body: { name: 'Acme HR (renamed)', config: { seed: 8 } } }), 200);
    assertConnection(c);
    assert.equal(c.name, 'Acme HR (renamed)');
    assert.equal(c.config.seed, 8);
    assert.equal(c.config.size, 200, 'size kept by merge');
    assert.equal(c.config.generation, 0, 'generation kept by merge');
    assert.ok(c.secret_fields.includes('api_key'), 'secret still set');
    assert.ok(c.updated_at >= c.created_at);
    assert.equal(c.created_at, S.conn.created_at);
    const again = expectStatus(await api('GET', `/v1/connections/${S.conn.id}`), 200);
    assert.deepEqual(again, c);
  });

  test('check succeeds', async () => {
    const r = expectStatus(await api('POST', `/v1/connections/${S.conn.id}/check`), 200);
    assert.equal(r.status, 'succeeded', r.message);
    assert.equal(typeof r.message, 'string');
    assert.equal(r.error_category, null);
  });

  test('models', async () => {
    const j = expectStatus(await api('GET', `/v1/connections/${S.conn.id}/models`), 200);
    assertList(j, 'models');
    assert.deepEqual(j.data.map((m) => m.model_id).sort(), MODELS);
    const emp = j.data.find((m) => m.model_id === 'hris.Employee');
    assert.deepEqual(emp.primary_key, ['id']);
    for (const m of j.data) {
      assert.ok(Array.isArray(m.fields) && m.fields.length > 0, `${m.model_id} has fields`);
      for (const f of m.fields) assert.ok(typeof f.name === 'string' && typeof f.type === 'string');
      assert.equal(typeof m.supports_incremental, 'boolean');
    }
  });

  test('delete -> 204, then 404', async () => {
    const c = S.extraConns[1];
    const res = await api('DELETE', `/v1/connections/${c.id}`);
    expectStatus(res, 204);
    assert.equal(res.text, '');
    expectError(await api('GET', `/v1/connections/${c.id}`), 404, 'not_found');
    expectError(await api('DELETE', `/v1/connections/${c.id}`), 404, 'not_found');
    assert.ok(!(await listAll('/v1/connections')).some((x) => x.id === c.id), 'deleted connection not listed');
  });
});

describe('syncs', () => {
  test('create', async () => {
    const s = await createSync(S.conn.id, 'dest.db');
    assert.equal(s.connection_id, S.conn.id);
    assert.deepEqual(s.destination, { type: 'sqlite', config: { path: destPath('dest.db') }, secret_fields: [] });
    assert.equal(s.models, null);
    assert.deepEqual(s.schedule, { kind: 'manual', interval_minutes: null, cron: null });
    assert.equal(s.status, 'active');
    assert.equal(s.max_attempts, 3);
    assert.equal(s.next_sync_start, null);
    assert.match(s.created_at, TS);
    assert.match(s.updated_at, TS);
    S.sync = s;
  });

  test('get and list', async () => {
    assert.deepEqual(expectStatus(await api('GET', `/v1/syncs/${S.sync.id}`), 200), S.sync);
    const items = await listAll('/v1/syncs');
    assert.ok(items.some((s) => s.id === S.sync.id));
    assertNewestFirst(items, 'syncs');
  });

  test('patch schedule: interval sets next_sync_start, manual clears it', async () => {
    // a dedicated sync, so a scheduled run cannot interfere with the run tests below
    S.schedSync = await createSync(S.extraConns[0].id, 'dest-sched.db');
    const id = S.schedSync.id;
    let s = expectStatus(await api('PATCH', `/v1/syncs/${id}`, { body: { schedule: { kind: 'interval', interval_minutes: 60 } } }), 200);
    assert.equal(s.schedule.kind, 'interval');
    assert.equal(s.schedule.interval_minutes, 60);
    assert.match(s.next_sync_start ?? '', TS, 'next_sync_start set for interval schedule');
    s = expectStatus(await api('PATCH', `/v1/syncs/${id}`, { body: { schedule: { kind: 'manual' } } }), 200);
    assert.equal(s.schedule.kind, 'manual');
    assert.equal(s.next_sync_start, null);
    s = expectStatus(await api('PATCH', `/v1/syncs/${id}`, { body: { status: 'paused', max_attempts: 5 } }), 200);
    assert.equal(s.status, 'paused');
    assert.equal(s.max_attempts, 5);
    assert.equal(s.schedule.kind, 'manual', 'unpatched fields kept');
  });

  test('cron schedules: valid accepted, invalid -> 422', async () => {
    const s = await createSync(S.extraConns[0].id, 'dest-cron.db', { status: 'paused', schedule: { kind: 'cron', cron: '*/5 * * * *' } });
    assert.equal(s.schedule.kind, 'cron');
    assert.equal(s.schedule.cron, '*/5 * * * *');
    const bad = { connection_id: S.conn.id, destination: { type: 'sqlite', config: { path: destPath('x.db') } }, schedule: { kind: 'cron', cron: '61 * * * *' } };
    expectError(await api('POST', '/v1/syncs', { body: bad }), 422, 'validation_error');
    expectError(await api('PATCH', `/v1/syncs/${S.schedSync.id}`, { body: { schedule: { kind: 'cron', cron: '61 * * * *' } } }), 422, 'validation_error');
    expectError(await api('PATCH', `/v1/syncs/${S.schedSync.id}`, { body: { schedule: { kind: 'hourly' } } }), 422, 'validation_error');
  });

  test('unknown connection_id or model -> 422', async () => {
    const dest = { type: 'sqlite', config: { path: destPath('x.db') } };
    expectError(await api('POST', '/v1/syncs', { body: { connection_id: uuid(), destination: dest } }), 422, 'validation_error', 'connection_id');
    expectError(await api('POST', '/v1/syncs', { body: { connection_id: S.conn.id, destination: dest, models: ['nope.Model'] } }), 422, 'validation_error');
  });

  test('deleting a connection used by a sync -> 409', async () => {
    expectError(await api('DELETE', `/v1/connections/${S.conn.id}`), 409, 'conflict');
    expectStatus(await api('GET', `/v1/connections/${S.conn.id}`), 200);
  });

  test('delete -> 204, then 404; its connection becomes deletable', async () => {
    const c = await createConnection('Short lived');
    const s = await createSync(c.id, 'dest-del.db');
    expectError(await api('DELETE', `/v1/connections/${c.id}`), 409, 'conflict');
    expectStatus(await api('DELETE', `/v1/syncs/${s.id}`), 204);
    expectError(await api('GET', `/v1/syncs/${s.id}`), 404, 'not_found');
    expectError(await api('GET', `/v1/syncs/${s.id}/status`), 404, 'not_found');
    expectStatus(await api('DELETE', `/v1/connections/${c.id}`), 204);
  });
});

describe('runs', () => {
  test('first run inserts every sample record', async () => {
    // restore the seed used to create the connection (the patch test changed it)
    expectStatus(await api('PATCH', `/v1/connections/${S.conn.id}`, { body: { config: { seed: 7 } } }), 200);
    const r = await triggerAndWait(S.sync.id, {});
    assert.equal(r.connection_id, S.conn.id);
    assert.equal(r.trigger, 'api');
    assert.equal(r.counts.inserted, 200, 'size 200 = 200 records across the 4 models');
    assert.equal(r.counts.failed, 0);
    assert.deepEqual(r.tasks.map((t) => t.model_id).sort(), MODELS);
    for (const t of r.tasks) assert.equal(t.status, 'complete', `task ${t.model_id}`);
    assert.equal(r.tasks.reduce((n, t) => n + t.inserted, 0), r.counts.inserted);
    assert.match(r.started_at, TS);
    assert.match(r.finished_at, TS);
    assert.equal(typeof r.duration_seconds, 'number');
    S.run1 = r;
  });

  test('sync runs list and status', async () => {
    const runs = await listAll(`/v1/syncs/${S.sync.id}/runs`);
    assert.ok(runs.some((r) => r.id === S.run1.id));
    const st = expectStatus(await api('GET', `/v1/syncs/${S.sync.id}/status`), 200);
    assert.equal(st.sync_id, S.sync.id);
    assert.equal(st.current_run, null);
    assert.equal(st.last_run?.id, S.run1.id);
    assert.deepEqual(st.models.map((m) => m.model_id).sort(), MODELS);
    for (const m of st.models) {
      assert.equal(m.is_initial_sync, false, m.model_id);
      assert.equal(m.last_sync_result, 'complete', m.model_id);
      assert.match(m.last_sync_finished ?? '', TS, m.model_id);
    }
  });

  test('generation 1 applies changes', async () => {
    const c = expectStatus(await api('PATCH', `/v1/connections/${S.conn.id}`, { body: { config: { generation: 1 } } }), 200);
    assert.equal(c.config.generation, 1);
    assert.equal(c.config.seed, 7);
    const r = await triggerAndWait(S.sync.id, {});
    assert.notEqual(r.id, S.run1.id);
    assert.ok(r.counts.inserted + r.counts.updated + r.counts.deleted > 0, JSON.stringify(r.counts));
  });

  test('full_refresh run and a trigger with no body', async () => {
    const r = await triggerAndWait(S.sync.id, { full_refresh: true });
    assert.equal(r.full_refresh, true);
    const r2 = await triggerAndWait(S.sync.id);
    assert.equal(r2.full_refresh, false);
    const runs = await listAll(`/v1/syncs/${S.sync.id}/runs`);
    assert.equal(runs[0].id, r2.id, 'newest run first');
    assertNewestFirst(runs, 'runs');
    S.lastRun = r2;
  });

  test('models filter', async () => {
    const r = await triggerAndWait(S.sync.id, { models: ['hris.Team'] });
    assert.deepEqual(r.tasks.map((t) => t.model_id), ['hris.Team']);
    expectError(await api('POST', `/v1/syncs/${S.sync.id}/runs`, { body: { models: ['nope.Model'] } }), 422, 'validation_error');
    S.lastRun = r;
  });

  test('cancelling a finished run -> 409', async () => {
    expectError(await api('POST', `/v1/runs/${S.lastRun.id}/cancel`), 409, 'conflict');
  });

  test('second trigger returns the active run; cancel', async () => {
    const c = await createConnection('Big', { seed: 1, size: 50000, batch_size: 100 });
    const s = await createSync(c.id, 'dest-big.db');
    const first = expectStatus(await api('POST', `/v1/syncs/${s.id}/runs`, { body: {} }), 201);
    const second = await api('POST', `/v1/syncs/${s.id}/runs`, { body: {} });
    assert.equal(expectStatus(second, 200).id, first.id, 'same active run');
    expectError(await api('DELETE', `/v1/syncs/${s.id}`), 409, 'conflict');
    expectError(await api('DELETE', `/v1/connections/${c.id}`), 409, 'conflict');
    const cancel = expectStatus(await api('POST', `/v1/runs/${first.id}/cancel`), 200);
    assert.ok(['cancelling', 'cancelled'].includes(cancel.status), cancel.status);
    const done = await waitForRun(first.id, 'cancelled');
    assert.match(done.finished_at, TS);
    expectError(await api('POST', `/v1/runs/${first.id}/cancel`), 409, 'conflict');
    expectStatus(await api('DELETE', `/v1/syncs/${s.id}`), 204);
    expectStatus(await api('DELETE', `/v1/connections/${c.id}`), 204);
  });
});

describe('tenant isolation', () => {
  test("tenant B cannot see or touch tenant A's objects", async () => {
    const B = { key: keyB };
    const c = S.conn.id, s = S.sync.id, r = S.lastRun.id;
    const runsBefore = (await listAll(`/v1/syncs/${s}/runs`)).length;
    const attempts = [
      ['GET', `/v1/connections/${c}`], ['PATCH', `/v1/connections/${c}`, { name: 'pwned' }], ['DELETE', `/v1/connections/${c}`],
      ['POST', `/v1/connections/${c}/check`], ['GET', `/v1/connections/${c}/models`],
      ['GET', `/v1/syncs/${s}`], ['PATCH', `/v1/syncs/${s}`, { status: 'paused' }], ['DELETE', `/v1/syncs/${s}`],
      ['GET', `/v1/syncs/${s}/runs`], ['POST', `/v1/syncs/${s}/runs`, {}], ['GET', `/v1/syncs/${s}/status`],
      ['GET', `/v1/runs/${r}`], ['POST', `/v1/runs/${r}/cancel`],
    ];
    for (const [m, p, body] of attempts) expectError(await api(m, p, { ...B, body }), 404, 'not_found');
    const dest = { type: 'sqlite', config: { path: destPath('b.db') } };
    expectError(await api('POST', '/v1/syncs', { ...B, body: { connection_id: c, destination: dest } }), 422, 'validation_error');

    // A's objects are intact
    assert.equal(expectStatus(await api('GET', `/v1/connections/${c}`), 200).name, 'Acme HR (renamed)');
    assert.equal(expectStatus(await api('GET', `/v1/syncs/${s}`), 200).status, 'active');
    expectStatus(await api('GET', `/v1/runs/${r}`), 200);
    assert.equal((await listAll(`/v1/syncs/${s}/runs`)).length, runsBefore, 'B created no run');
  });

  test("B's lists never contain A's ids", async () => {
    const bc = await createConnection('Globex HR', { size: 10 }, { key: keyB });
    const bConns = (await listAll('/v1/connections', { key: keyB })).map((x) => x.id);
    assert.deepEqual(bConns, [bc.id]);
    const bSyncs = await listAll('/v1/syncs', { key: keyB });
    assert.deepEqual(bSyncs, []);
    const aConns = (await listAll('/v1/connections')).map((x) => x.id);
    assert.ok(!aConns.includes(bc.id), "A's list lacks B's connection");
    expectError(await api('GET', `/v1/connections/${bc.id}`), 404, 'not_found');
  });
});

describe('bad input', () => {
  const big = `{"name":"${'a'.repeat(2 * 1024 * 1024)}"}`;
  const dest = () => ({ type: 'sqlite', config: { path: destPath('bad.db') } });
  const targets = () => [
    { m: 'POST', p: '/v1/connections', wrong: [[{ name: 5, source_type: 'sample' }, 'name'], [{ name: 'x', source_type: 'sample', config: 'x' }, 'config']],
      missing: [[{ source_type: 'sample' }, 'name'], [{ name: 'x' }, 'source_type']] },
    { m: 'PATCH', p: `/v1/connections/${S.conn.id}`, wrong: [[{ name: 5 }, 'name'], [{ config: 'x' }, 'config']], missing: [] },
    { m: 'POST', p: '/v1/syncs', wrong: [[{ connection_id: 5, destination: dest() }, 'connection_id'], [{ connection_id: S.conn.id, destination: 'x' }, 'destination'],
      [{ connection_id: S.conn.id, destination: dest(), models: 'hris.Team' }, 'models']],
      missing: [[{ destination: dest() }, 'connection_id'], [{ connection_id: S.conn.id }, 'destination']] },
    { m: 'POST', p: `/v1/syncs/${S.sync.id}/runs`, wrong: [[{ full_refresh: 'yes' }, 'full_refresh'], [{ models: 'hris.Team' }, 'models']], missing: [] },
  ];

  test('malformed JSON and non-object bodies -> 400 invalid_json', async () => {
    for (const { m, p } of targets()) {
      for (const raw of ['{"name":', '[]', '[{"name":"x"}]', 'null', '"x"']) {
        expectError(await api(m, p, { rawBody: raw }), 400, 'invalid_json');
      }
    }
  });

  test('wrong types and missing required fields -> 422 naming the field', async () => {
    for (const { m, p, wrong, missing } of targets()) {
      for (const [body, field] of [...wrong, ...missing]) expectError(await api(m, p, { body }), 422, 'validation_error', field);
    }
  });

  test('invalid values -> 422', async () => {
    const conn = (config, extra = {}) => ({ name: 'x', source_type: 'sample', config, ...extra });
    const cases = [
      ['POST', '/v1/connections', { name: '', source_type: 'sample' }, 'name'],
      ['POST', '/v1/connections', { name: 'x', source_type: 'nope' }, 'source_type'],
      ['POST', '/v1/connections', conn({ bogus: 1 }), 'bogus'],
      ['POST', '/v1/connections', conn({ seed: '7' }), 'seed'],
      ['POST', '/v1/connections', conn({ size: -1 }), 'size'],
      ['POST', '/v1/connections', conn({ batch_size: 0 }), 'batch_size'],
      ['PATCH', `/v1/connections/${S.conn.id}`, { config: { size: 'big' } }, 'size'],
      ['POST', '/v1/syncs', { connection_id: 'not-a-uuid', destination: dest() }, 'connection_id'],
      ['POST', '/v1/syncs', { connection_id: S.conn.id, destination: dest(), max_attempts: 0 }, 'max_attempts'],
      ['POST', '/v1/syncs', { connection_id: S.conn.id, destination: dest(), max_attempts: 21 }, 'max_attempts'],
      ['POST', '/v1/syncs', { connection_id: S.conn.id, destination: dest(), status: 'bogus' }, 'status'],
      ['PATCH', `/v1/syncs/${S.sync.id}`, { schedule: { kind: 'interval', interval_minutes: 0 } }, null],
      ['PATCH', `/v1/syncs/${S.sync.id}`, { max_attempts: 'three' }, 'max_attempts'],
      ['POST', `/v1/syncs/${S.sync.id}/runs`, { models: [5] }, 'models'],
    ];
    for (const [m, p, body, field] of cases) expectError(await api(m, p, { body }), 422, 'validation_error', field);
    expectStatus(await api('GET', `/v1/connections/${S.conn.id}`), 200);
    assert.equal(expectStatus(await api('GET', `/v1/syncs/${S.sync.id}`), 200).max_attempts, 3, 'rejected patch changed nothing');
  });

  test('non-JSON Content-Type -> 415', async () => {
    for (const { m, p } of targets()) {
      expectError(await api(m, p, { rawBody: '{"name":"x"}', contentType: 'text/plain' }), 415, 'unsupported_media_type');
    }
  });

  test('2 MiB body -> 413', async () => {
    for (const { m, p } of targets()) expectError(await api(m, p, { rawBody: big }), 413, 'payload_too_large');
  });

  test('unknown and malformed ids -> 404', async () => {
    for (const id of [uuid(), 'not-a-uuid', encodeURIComponent('../etc'), `${S.conn.id}x`]) {
      for (const [m, p] of [['GET', `/v1/connections/${id}`], ['PATCH', `/v1/connections/${id}`], ['DELETE', `/v1/connections/${id}`],
        ['POST', `/v1/connections/${id}/check`], ['GET', `/v1/connections/${id}/models`], ['GET', `/v1/syncs/${id}`],
        ['PATCH', `/v1/syncs/${id}`], ['DELETE', `/v1/syncs/${id}`], ['GET', `/v1/syncs/${id}/runs`], ['POST', `/v1/syncs/${id}/runs`],
        ['GET', `/v1/syncs/${id}/status`], ['GET', `/v1/runs/${id}`], ['POST', `/v1/runs/${id}/cancel`]]) {
        const body = m === 'PATCH' || (m === 'POST' && p.endsWith('/runs')) ? {} : undefined;
        expectError(await api(m, p, { body }), 404, 'not_found');
      }
    }
  });

  test('bad limit / cursor -> 400 invalid_parameter', async () => {
    for (const p of ['/v1/connections', '/v1/syncs', `/v1/syncs/${S.sync.id}/runs`]) {
      for (const limit of ['0', '101', 'abc', '-1', '1.5']) {
        expectError(await api('GET', `${p}?limit=${limit}`), 400, 'invalid_parameter', 'limit');
      }
      for (const cursor of ['garbage', '!!!']) expectError(await api('GET', `${p}?cursor=${cursor}`), 400, 'invalid_parameter', 'cursor');
      expectStatus(await api('GET', `${p}?limit=100`), 200);
    }
  });

  test('unknown route -> 404, wrong method -> 405', async () => {
    for (const p of ['/v1/nope', '/nope', '/v1', `/v1/connections/${S.conn.id}/nope`]) expectError(await api('GET', p), 404, 'not_found');
    for (const [m, p] of [['PUT', '/v1/connections'], ['DELETE', '/v1/syncs'], ['PUT', `/v1/connections/${S.conn.id}`],
      ['GET', `/v1/connections/${S.conn.id}/check`], ['POST', `/v1/runs/${S.lastRun.id}`], ['GET', `/v1/runs/${S.lastRun.id}/cancel`],
      ['DELETE', `/v1/syncs/${S.sync.id}/status`]]) {
      expectError(await api(m, p), 405, 'method_not_allowed');
    }
  });
});

describe('Idempotency-Key', () => {
  test('replays the first response; the same key with another request -> 422', async () => {
    const key = `idem-${uuid()}`;
    const body = { name: 'Idempotent', source_type: 'sample', config: { size: 10 } };
    const count0 = (await listAll('/v1/connections')).length;
    const r1 = await api('POST', '/v1/connections', { body, headers: { 'idempotency-key': key } });
    const r2 = await api('POST', '/v1/connections', { body, headers: { 'idempotency-key': key } });
    expectStatus(r1, 201);
    expectStatus(r2, 201);
    assert.deepEqual(r2.json, r1.json, 'identical replayed body');
    assert.equal((await listAll('/v1/connections')).length, count0 + 1, 'only one connection created');

    const other = { ...body, name: 'Different' };
    expectError(await api('POST', '/v1/connections', { body: other, headers: { 'idempotency-key': key } }), 422, 'idempotency_key_reused');
    const syncBody = { connection_id: r1.json.id, destination: { type: 'sqlite', config: { path: destPath('idem.db') } } };
    expectError(await api('POST', '/v1/syncs', { body: syncBody, headers: { 'idempotency-key': key } }), 422, 'idempotency_key_reused');
    assert.equal((await listAll('/v1/connections')).length, count0 + 1);

    // keys are per tenant
    const rb = await api('POST', '/v1/connections', { key: keyB, body, headers: { 'idempotency-key': key } });
    assert.notEqual(expectStatus(rb, 201).id, r1.json.id);
  });
});

describe('finally', () => {
  test('server still healthy after all of the above', async () => {
    assert.equal(server.exitCode, null, `server exited:\n${logTail()}`);
    assert.deepEqual(expectStatus(await api('GET', '/healthz', { key: null }), 200), { status: 'ok' });
  });

  test(`secret "${SECRET}" never appears in any response`, () => {
    assert.ok(transcript.length > 100, 'responses were recorded');
    const leaks = transcript.filter((t) => t.includes(SECRET));
    assert.equal(leaks.length, 0, `secret leaked in:\n${leaks.map((t) => t.slice(0, 300)).join('\n---\n')}`);
  });

  test('secret is not stored in plain text', () => {
    for (const f of fs.readdirSync(tmp).filter((n) => n.startsWith('ferry.db'))) {
      assert.ok(!fs.readFileSync(path.join(tmp, f)).includes(SECRET), `${f} contains the plain-text secret`);
    }
  });
});
