// A tenant's key cannot make ferry connect where the operator's egress policy refuses: a `rest` source on
// ferry's own port or on a loopback service fails /check and its runs with a clear config_invalid message and
// the service receives nothing; with `--allow-egress 127.0.0.1/32` the loopback service is reachable but
// ferry's own port still is not. A `postgres` connection string naming a socket path, a service or a password
// file is a 422 at create. Credential headers of a REST definition are sealed and never rendered.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { startServer, waitForRun } from './tenant_server.mjs';

const HEADER_SECRET = 'hdr-secret-4711';

// A loopback HTTP service that records every request and answers one page of records.
async function startProbe() {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ results: [{ id: 1 }, { id: 2 }] }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${server.address().port}`, requests, close: () => server.close() };
}

const definition = (headers = {}) => ({
  name: 'probe', base_url: 'https://api.example.com', auth: { type: 'none' }, headers,
  models: [{ model_id: 'probe.Item', path: '/items', records: '/results', primary_key: 'id',
             fields: [{ name: 'id', type: 'integer' }] }],
});

async function restConnection(s, baseUrl, headers) {
  const r = await s.api('POST', '/v1/connections', { body: { name: 'probe', source_type: 'rest',
    config: { definition: definition(headers), base_url: baseUrl, max_attempts: 1, timeout_seconds: 5 } } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function check(s, id) {
  const r = await s.api('POST', `/v1/connections/${id}/check`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function runOnce(s, connectionId) {
  const sync = await s.api('POST', '/v1/syncs', { body: { connection_id: connectionId,
    destination: { type: 'sqlite', config: { path: `egress-${Date.now()}-${Math.random()}.db` } } } });
  assert.equal(sync.status, 201, sync.text);
  const run = await s.api('POST', `/v1/syncs/${sync.json.id}/runs`);
  assert.equal(run.status, 201, run.text);
  return waitForRun(s.api, run.json.id);
}

function assertRefused(result, address) {
  assert.equal(result.status, 'failed', JSON.stringify(result));
  assert.equal(result.error_category, 'config_invalid', JSON.stringify(result));
  const message = result.message ?? result.error ?? '';
  assert.match(message, new RegExp(`egress policy refuses ${address.replace(/\./g, '\\.')}`), message);
}

describe('the default policy', () => {
  let s, probe;
  before(async () => { s = await startServer(); probe = await startProbe(); });
  after(async () => { probe?.close(); await s?.stop(); });

  test('a rest source on ferry\'s own address fails check and run; ferry still answers', async () => {
    const own = new URL(s.base);
    const c = await restConnection(s, s.base);
    assertRefused(await check(s, c.id), `127.0.0.1:${own.port}`);
    const run = await runOnce(s, c.id);
    assert.equal(run.status, 'failed', JSON.stringify(run));
    assert.equal(run.error_category, 'config_invalid', JSON.stringify(run));
    assert.match(JSON.stringify(run), /egress policy refuses/);
    assert.doesNotMatch(JSON.stringify(run), /"status":"ok"|healthz/, 'no upstream body in the error');
    assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
  });

  test('a rest source on a loopback service fails and the service receives nothing', async () => {
    const c = await restConnection(s, probe.base);
    assertRefused(await check(s, c.id), probe.base.replace('http://', ''));
    const run = await runOnce(s, c.id);
    assert.equal(run.status, 'failed', JSON.stringify(run));
    assert.equal(run.error_category, 'config_invalid', JSON.stringify(run));
    // by name, too: localhost resolves to loopback and is refused on the address
    const byName = await restConnection(s, probe.base.replace('127.0.0.1', 'localhost'));
    const named = await check(s, byName.id);
    assert.equal(named.status, 'failed', JSON.stringify(named));
    assert.equal(named.error_category, 'config_invalid', JSON.stringify(named));
    assert.equal(probe.requests.length, 0, 'the loopback service received no request');
  });

  test('the cloud metadata address is refused', async () => {
    const c = await restConnection(s, 'http://169.254.169.254');
    assertRefused(await check(s, c.id), '169.254.169.254:80');
  });

  test('postgres: socket paths, service and passfile are a 422 at create and nothing is stored', async () => {
    const listed = async () => (await s.api('GET', '/v1/connections?limit=100')).json.data.length;
    const before = await listed();
    const urls = [
      ['host=/var/run/postgresql dbname=postgres', /socket/],
      ['postgresql:///postgres?host=/var/run/postgresql', /socket/],
      ['host=db.example service=prod', /'service'/],
      ['postgresql://u@db.example/postgres?passfile=/root/.pgpass', /'passfile'/],
      ['host=db.example sslkey=/etc/ssl/private/ferry.key', /'sslkey'/],
      ['host=db.example hostaddr=127.0.0.1', /'hostaddr'/],
    ];
    for (const [url, why] of urls) {
      const r = await s.api('POST', '/v1/connections', { body: { name: 'pg', source_type: 'postgres', config: { url } } });
      assert.equal(r.status, 422, `${url}: ${r.text}`);
      assert.match(r.json.error.message, /config\.url/, r.text);
      assert.match(r.json.error.message, why, r.text);
    }
    const conn = await restConnection(s, 'https://api.example.com');
    for (const [url, why] of urls.slice(0, 3)) {
      const r = await s.api('POST', '/v1/syncs', { body: { connection_id: conn.id,
        destination: { type: 'postgres', config: { url } } } });
      assert.equal(r.status, 422, `${url}: ${r.text}`);
      assert.match(r.text, why, r.text);
    }
    assert.equal(await listed(), before + 1, 'only the rest connection was stored');
  });

  test('a postgres source on a refused address looks the same whether the port is open or not', async () => {
    const messages = [];
    for (const port of [new URL(probe.base).port, '1']) {
      const r = await s.api('POST', '/v1/connections', { body: { name: 'pg', source_type: 'postgres',
        config: { url: `postgresql://u:pw@127.0.0.1:${port}/db?connect_timeout=2` } } });
      assert.equal(r.status, 201, r.text);
      const result = await check(s, r.json.id);
      assert.equal(result.error_category, 'config_invalid', JSON.stringify(result));
      messages.push(result.message.replace(`:${port} `, ':PORT '));
    }
    assert.equal(messages[0], messages[1]);
    assert.equal(probe.requests.length, 0);
  });
});

describe('--allow-egress 127.0.0.1/32', () => {
  let s, probe;
  before(async () => { s = await startServer(['--allow-egress', '127.0.0.1/32']); probe = await startProbe(); });
  after(async () => { probe?.close(); await s?.stop(); });

  test('the loopback service is reachable, ferry\'s own port is not', async () => {
    const c = await restConnection(s, probe.base);
    const ok = await check(s, c.id);
    assert.equal(ok.status, 'succeeded', JSON.stringify(ok));
    const run = await runOnce(s, c.id);
    assert.equal(run.status, 'complete', JSON.stringify(run));
    assert.ok(probe.requests.length >= 2, 'check and run reached the service');

    const own = await restConnection(s, s.base);
    const refused = await check(s, own.id);
    assertRefused(refused, `127.0.0.1:${new URL(s.base).port}`);
    assert.match(refused.message, /ferry's own API listener/);
  });

  test('credential headers of a definition are sealed, never rendered, and still sent', async () => {
    const headers = { Authorization: `Bearer ${HEADER_SECRET}`, 'X-Api-Key': HEADER_SECRET, 'X-Trace': 'visible' };
    const c = await restConnection(s, probe.base, headers);
    for (const r of [{ text: JSON.stringify(c) }, await s.api('GET', `/v1/connections/${c.id}`),
                     await s.api('GET', '/v1/connections?limit=100')]) {
      assert.ok(!r.text.includes(HEADER_SECRET), `a header secret was rendered: ${r.text}`);
    }
    const got = (await s.api('GET', `/v1/connections/${c.id}`)).json;
    assert.deepEqual(got.config.definition.headers, { 'X-Trace': 'visible' });
    assert.ok(got.secret_fields.includes('secret_headers'), JSON.stringify(got));
    // a PATCH that leaves the definition out keeps the sealed headers
    const patched = await s.api('PATCH', `/v1/connections/${c.id}`, { body: { name: 'renamed' } });
    assert.equal(patched.status, 200, patched.text);
    const before = probe.requests.length;
    assert.equal((await check(s, c.id)).status, 'succeeded');
    const sent = probe.requests.slice(before);
    assert.ok(sent.length > 0);
    assert.equal(sent[0].headers.authorization, `Bearer ${HEADER_SECRET}`);
    assert.equal(sent[0].headers['x-api-key'], HEADER_SECRET);
    for (const file of [s.db, `${s.db}-wal`].filter((f) => fs.existsSync(f))) {
      assert.ok(!fs.readFileSync(file).includes(HEADER_SECRET), `the header secret is sealed at rest (${file})`);
    }
  });
});
