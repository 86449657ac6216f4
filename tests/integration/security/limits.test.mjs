// Request limits through HTTP: a body nesting 75,000 arrays (which crashed the whole server on ca63409), a
// config over 256 KiB, and ids that are invalid UTF-8 or 5,000 characters long, on every surface. Each is a
// clear 4xx, nothing is created, and the server keeps answering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './tenant_server.mjs';

let s;
before(async () => { s = await startServer(); });
after(async () => { await s?.stop(); });

const deep = (n) => '['.repeat(n) + ']'.repeat(n);
const deepConfigBody = `{"name":"deep","source_type":"sample","short_name":"sample",` +
  `"readable_collection_id":"deep","config":{"a":${deep(75_000)}}}`;

async function connectionCount() {
  const r = await s.api('GET', '/v1/connections?limit=100');
  assert.equal(r.status, 200, r.text);
  return r.json.data.length;
}

async function assertStillServing() {
  const health = await fetch(s.base + '/healthz');
  assert.equal(health.status, 200);
}

async function sampleConnection() {
  const r = await s.api('POST', '/v1/connections', { body: { name: 'hr', source_type: 'sample', config: {} } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

function assertClientError(r, what) {
  assert.ok(r.status >= 400 && r.status < 500, `${what}: expected a 4xx, got ${r.status} ${r.text.slice(0, 300)}`);
}

test('75,000 nested arrays in a config are a 4xx on every surface, create nothing, and the server lives', async () => {
  const connection = await sampleConnection();
  const before = await connectionCount();
  const polytomic = { 'x-polytomic-version': '2024-02-08' };
  const attempts = [
    ['native', 'POST', '/v1/connections', {}],
    ['airweave', 'POST', '/source-connections', { key: null, headers: { 'x-api-key': s.a.key } }],
    ['polytomic', 'POST', '/api/syncs', { headers: polytomic }],
    ['stuut', 'POST', `/v2/integrations/connections/${connection.id}/sync`, {}],
    ['merge', 'POST', '/api/hris/v1/sync-status/resync', { headers: { 'x-account-token': connection.account_token } }],
  ];
  for (const [surface, method, path, options] of attempts) {
    const r = await s.api(method, path, { ...options, raw: deepConfigBody });
    assertClientError(r, surface);
    await assertStillServing();
  }
  assert.equal(await connectionCount(), before, 'no connection was created');
  const polytomicSyncs = await s.api('GET', '/api/syncs', { headers: polytomic });
  assert.equal(polytomicSyncs.status, 200, polytomicSyncs.text);
  assert.equal(polytomicSyncs.json.data.length, 0, 'no sync was created');
  // The native error names the limit.
  const native = await s.api('POST', '/v1/connections', { raw: deepConfigBody });
  assert.equal(native.status, 400);
  assert.match(native.json.error.message, /deeper than 64/);
});

test('a config of 300 KiB is a 422 and is not stored', async () => {
  const before = await connectionCount();
  const pad = 'p'.repeat(300 * 1024);
  const native = await s.api('POST', '/v1/connections',
    { body: { name: 'big', source_type: 'sample', config: { pad } } });
  assert.equal(native.status, 422, native.text.slice(0, 300));
  assert.match(native.json.error.message, /larger than 256 KiB/);
  const airweave = await s.api('POST', '/source-connections', {
    key: null, headers: { 'x-api-key': s.a.key },
    body: { short_name: 'sample', readable_collection_id: 'big', config: { pad } },
  });
  assert.equal(airweave.status, 422, airweave.text.slice(0, 300));
  assert.equal(await connectionCount(), before);
  await assertStillServing();
});

test('ids that are invalid UTF-8, non-ASCII or 5,000 characters long are 4xx on Airweave and Stuut', async () => {
  const ids = ['%FF%FE', '%C3%28', '%F4%90%80%80', '%E6%97%A5%E6%9C%AC', 'a'.repeat(5000), '%00', '..%2F..'];
  const airweave = { key: null, headers: { 'x-api-key': s.a.key } };
  for (const id of ids) {
    for (const [method, path, options] of [
      ['GET', `/source-connections/${id}`, airweave],
      ['DELETE', `/source-connections/${id}`, airweave],
      ['POST', `/source-connections/${id}/run`, airweave],
      ['GET', `/source-connections/${id}/jobs`, airweave],
      ['POST', `/source-connections/${id}/jobs/${id}/cancel`, airweave],
      ['GET', `/v2/integrations/connections/${id}`, {}],
      ['POST', `/v2/integrations/connections/${id}/sync`, {}],
      ['GET', `/v2/integrations/connections/${id}/syncs`, {}],
    ]) {
      const r = await s.api(method, path, options);
      assertClientError(r, `${method} ${path.slice(0, 80)}`);
    }
  }
  // Stuut's connection list takes no parameters: hostile ones are ignored, never a 5xx.
  const longQuery = await s.api('GET', `/v2/integrations/connections?limit=${'%FF'.repeat(2000)}`);
  assert.equal(longQuery.status, 200, longQuery.text.slice(0, 300));
  const syncsQuery = await s.api('GET', `/v2/integrations/connections/${'%FF'.repeat(10)}/syncs?limit=${'é'.repeat(3000)}`);
  assertClientError(syncsQuery, 'stuut syncs with a hostile id and limit');
  const airweaveQuery = await s.api('GET', `/source-connections?limit=%FF%FE&skip=${'9'.repeat(5000)}`, airweave);
  assertClientError(airweaveQuery, 'airweave list with hostile query values');
  await assertStillServing();
});
