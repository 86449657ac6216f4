// Key lifecycle and per-key rate limits, through the public HTTP API and the admin CLI: a revoked key is
// refused on its very next request on every surface, lists never show a secret, one tenant cannot see or
// revoke another's keys, and one key at its rate limit gets 429 while another key is still served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer } from './tenant_server.mjs';

const bin = process.env.FERRY_BIN;
const sampleConnection = { name: 'hr', source_type: 'sample', config: { size: 10 } };

let s;
before(async () => { s = await startServer(); });
after(async () => { await s?.stop(); });

async function createKey(key = s.a.key) {
  const r = await s.api('POST', '/v1/api-keys', { key });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function listKeys(key = s.a.key) {
  const r = await s.api('GET', '/v1/api-keys?limit=100', { key });
  assert.equal(r.status, 200, r.text);
  return r;
}

// Each compat surface with the header it takes the key in.
function compat(method, urlPath, key, header = 'authorization', base = s.base) {
  const headers = header === 'authorization' ? { authorization: `Bearer ${key}` } : { [header]: key };
  headers['x-polytomic-version'] = '2024-02-08';
  return fetch(base + urlPath, { method, headers });
}

test('a key created through the API works, is listed by prefix and times, never by its secret', async () => {
  const created = await createKey();
  assert.match(created.key, /^fry_[A-Za-z0-9_-]{40,}$/);
  assert.equal(created.prefix, created.key.slice(0, 12));
  assert.equal(created.object, 'api_key');
  assert.equal(created.revoked_at, null);

  assert.equal((await s.api('GET', '/v1/connections', { key: created.key })).status, 200);

  const list = await listKeys();
  assert.ok(!list.text.includes(created.key), 'the list shows the new secret');
  assert.ok(!list.text.includes(s.a.key), 'the list shows the secret of the key making the request');
  const listed = list.json.data.find((k) => k.id === created.id);
  assert.ok(listed, 'the new key is listed');
  assert.equal(listed.prefix, created.prefix);
  assert.equal(listed.key, undefined);
  assert.ok(Date.parse(listed.created_at) > 0);
  assert.ok(Date.parse(listed.last_used_at) >= Date.parse(listed.created_at), 'last_used_at is set after use');
  // A second list does not bring the secret back either.
  assert.ok(!(await listKeys()).text.includes(created.key));
});

test('a revoked key is refused on its very next request, on /v1 and on every compat surface', async () => {
  const created = await createKey();
  assert.equal((await s.api('GET', '/v1/syncs', { key: created.key })).status, 200);
  assert.equal((await compat('GET', '/api/syncs', created.key)).status, 200);
  assert.equal((await compat('GET', '/v2/integrations/connections', created.key)).status, 200);
  assert.equal((await compat('GET', '/api/hris/v1/linked-accounts', created.key)).status, 200);
  assert.equal((await compat('GET', '/source-connections', created.key, 'x-api-key')).status, 200);

  const revoke = await s.api('DELETE', `/v1/api-keys/${created.id}`);
  assert.equal(revoke.status, 204, revoke.text);

  const v1 = await s.api('POST', '/v1/connections', { key: created.key, body: sampleConnection });
  assert.equal(v1.status, 401, v1.text);
  assert.equal(v1.json.error.code, 'unauthorized');
  assert.equal((await s.api('GET', '/v1/syncs', { key: created.key })).status, 401);
  const refused = async (urlPath, status, message, header) => {
    const r = await compat('GET', urlPath, created.key, header);
    assert.equal(r.status, status, urlPath);
    assert.match(await r.text(), message, urlPath);
  };
  await refused('/api/syncs', 401, /valid API key is required/);  // Polytomic
  await refused('/api/hris/v1/linked-accounts', 401, /Invalid API key/);  // Merge
  await refused('/v2/integrations/connections', 401, /Invalid authentication credentials/);  // Stuut
  await refused('/source-connections', 403, /Invalid or expired API key/, 'x-api-key');  // Airweave's shape
  // Its effect did not happen: no connection was created.
  const connections = await s.api('GET', '/v1/connections?limit=100');
  assert.ok(!connections.json.data.some((c) => c.name === sampleConnection.name), connections.text);

  const listed = (await listKeys()).json.data.find((k) => k.id === created.id);
  assert.ok(Date.parse(listed.revoked_at) > 0, 'the list shows when it was revoked');
  assert.equal((await s.api('DELETE', `/v1/api-keys/${created.id}`)).status, 204, 'revoking again');
  assert.equal((await listKeys()).json.data.find((k) => k.id === created.id).revoked_at, listed.revoked_at);
  assert.equal((await s.api('GET', '/v1/syncs')).status, 200, 'the other key of the tenant still works');
});

test('a key may revoke itself; the request after that is 401', async () => {
  const created = await createKey();
  assert.equal((await s.api('DELETE', `/v1/api-keys/${created.id}`, { key: created.key })).status, 204);
  assert.equal((await s.api('GET', '/v1/api-keys', { key: created.key })).status, 401);
});

test("tenant B can neither list nor revoke tenant A's keys", async () => {
  const created = await createKey();
  const bList = await listKeys(s.b.key);
  assert.ok(!bList.json.data.some((k) => k.id === created.id), bList.text);
  for (const k of (await listKeys()).json.data) {
    assert.ok(!bList.json.data.some((b) => b.id === k.id), `B sees A's key ${k.id}`);
  }
  const revoke = await s.api('DELETE', `/v1/api-keys/${created.id}`, { key: s.b.key });
  assert.equal(revoke.status, 404, revoke.text);
  assert.equal(revoke.json.error.code, 'not_found');
  assert.equal((await s.api('GET', '/v1/syncs', { key: created.key })).status, 200, "A's key still works");
  assert.equal((await s.api('DELETE', '/v1/api-keys/not-a-uuid')).status, 404);
});

test('POST /v1/api-keys ignores Idempotency-Key: the secret is never stored for a replay', async () => {
  const headers = { 'idempotency-key': 'same-key-twice' };
  const first = await s.api('POST', '/v1/api-keys', { headers });
  const second = await s.api('POST', '/v1/api-keys', { headers });
  assert.equal(first.status, 201);
  assert.equal(second.status, 201);
  assert.notEqual(first.json.key, second.json.key);
  assert.equal(second.headers.get('idempotent-replayed'), null);
});

test('ferry admin create-key / list-keys / revoke-key', async () => {
  const run = (...args) => execFileSync(bin, ['admin', ...args, '--db', s.db], { encoding: 'utf8' });
  const lines = run('create-key', s.a.id).trim().split('\n');
  const secret = lines[lines.length - 1];
  assert.match(secret, /^fry_[A-Za-z0-9_-]{40,}$/);
  assert.equal((await s.api('GET', '/v1/syncs', { key: secret })).status, 200);

  const listing = run('list-keys', s.a.id);
  assert.ok(!listing.includes(secret), 'list-keys prints a secret');
  assert.ok(!listing.includes(s.a.key), 'list-keys prints a secret');
  const row = listing.split('\n').find((l) => l.includes(secret.slice(0, 12)));
  assert.ok(row, listing);
  const id = row.split(/\s+/)[0];
  assert.match(row, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\d{4}-\d\d-\d\dT/, 'created and last used are shown');

  run('revoke-key', id);
  assert.equal((await s.api('GET', '/v1/syncs', { key: secret })).status, 401);
  assert.match(run('list-keys', s.a.id).split('\n').find((l) => l.startsWith(id)), /Z\s*$/, 'revoked time shown');

  assert.throws(() => run('create-key', '00000000-0000-4000-8000-000000000000'), /no tenant/);
  assert.throws(() => run('revoke-key', '00000000-0000-4000-8000-000000000000'), /no API key/);
});

test('create-tenant still prints the key alone on its last line', async () => {
  const out = execFileSync(bin, ['admin', 'create-tenant', 'tenant-c', '--db', s.db], { encoding: 'utf8' });
  const lines = out.trim().split('\n');
  assert.match(lines[lines.length - 1], /^fry_[A-Za-z0-9_-]{40,}$/);
  assert.equal((await s.api('GET', '/v1/syncs', { key: lines[lines.length - 1] })).status, 200);
});

test('a burst from one key gets 429 with Retry-After on every surface; another key is still served', async () => {
  const limited = await startServer(['--rate-limit', '5', '--rate-burst', '10']);
  try {
    const burst = await Promise.all(
      Array.from({ length: 30 }, () => limited.api('GET', '/v1/syncs', { key: limited.a.key })));
    const ok = burst.filter((r) => r.status === 200).length;
    const refused = burst.filter((r) => r.status === 429);
    assert.ok(ok >= 10 && ok <= 12, `served ${ok} of the burst`);
    assert.equal(refused.length + ok, 30);
    for (const r of refused) {
      assert.match(r.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
      assert.equal(r.json.error.code, 'rate_limited');
    }
    // Fairness: tenant B's key has its own bucket.
    assert.equal((await limited.api('GET', '/v1/syncs', { key: limited.b.key })).status, 200);

    // Compat surfaces share the bucket and answer in their own shape.
    const polytomic = await compat('GET', '/api/syncs', limited.a.key, 'authorization', limited.base);
    assert.equal(polytomic.status, 429);
    assert.ok(Number(polytomic.headers.get('retry-after')) >= 1);
    assert.equal((await polytomic.json()).status, 429);
    const airweave = await compat('GET', '/source-connections', limited.a.key, 'x-api-key', limited.base);
    assert.equal(airweave.status, 429);
    assert.equal(typeof (await airweave.json()).detail, 'string');

    // A refused write has no effect.
    const write = await limited.api('POST', '/v1/connections', { key: limited.a.key, body: sampleConnection });
    assert.equal(write.status, 429, write.text);
    const list = await limited.api('GET', '/v1/connections', { key: limited.b.key });
    assert.equal(list.status, 200);
    // Probes are never limited, and the server still answers.
    assert.equal((await fetch(limited.base + '/healthz')).status, 200);
    await new Promise((r) => setTimeout(r, 1200));
    const after = await limited.api('GET', '/v1/connections', { key: limited.a.key });
    assert.equal(after.status, 200, 'the key is served again after Retry-After');
    assert.deepEqual(after.json.data, [], 'the refused POST created nothing');
  } finally {
    await limited.stop();
  }
});
