// No connector runs on an HTTP thread: 16 checks against a host that never answers (eight of one tenant's
// keys, two each: a key's share of the pool) fill the bounded connector pool, further ones get 429 with
// Retry-After, while /healthz and another tenant's requests keep answering. "Keep answering" is shown without
// a wall-clock bound (this machine is shared): the checks would hold a blocked request for their 30 s
// timeout, yet all 100 requests are answered while every stuck check is still waiting, and no request takes
// a tenth of that. The stuck checks end when the test closes the silent host's sockets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from './tenant_server.mjs';

let s;
let blackhole;
const held = [];  // sockets the blackhole accepted and never answers
let hangUp = false;  // from then on the blackhole closes what it accepts
before(async () => {
  blackhole = net.createServer((socket) => {
    socket.on('error', () => {});
    if (hangUp) socket.destroy(); else held.push(socket);
  });
  await new Promise((r) => blackhole.listen(0, '127.0.0.1', r));
  // The test's egress setting allows loopback, where the blackhole listens.
  s = await startServer(['--allow-egress', '127.0.0.1/32']);
});
after(async () => {
  for (const socket of held) socket.destroy();
  blackhole?.close();
  await s?.stop();
});

const p99 = (samples) => [...samples].sort((a, b) => a - b)[Math.ceil(samples.length * 0.99) - 1];
async function timed(fn) {
  const start = process.hrtime.bigint();
  const r = await fn();
  return { r, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

test('16 checks against a silent host leave /healthz and other tenants unaffected', async () => {
  const definition = {
    name: 'silent', base_url: `http://127.0.0.1:${blackhole.address().port}`,
    models: [{ model_id: 'x.Item', path: '/items', records: '/results', primary_key: 'id', fields: [{ name: 'id', type: 'integer' }] }],
  };
  const created = await s.api('POST', '/v1/connections', {
    body: { name: 'silent', source_type: 'rest', config: { definition, timeout_seconds: 30, max_attempts: 1 } } });
  assert.equal(created.status, 201, created.text);
  const other = await s.api('POST', '/v1/connections', { key: s.b.key, body: { name: 'hr', source_type: 'sample', config: { size: 10 } } });
  await s.api('POST', '/v1/syncs', { key: s.b.key, body: { connection_id: other.json.id, destination: { type: 'sqlite', config: { path: 'b.db' } } } });

  const keys = [];
  for (let i = 0; i < 8; i++) {
    const k = await s.api('POST', '/v1/api-keys', { body: {} });
    assert.equal(k.status, 201, k.text);
    keys.push(k.json.key);
  }
  // Three checks per key: a key's share is two, so a third is refused at once whatever the pool holds.
  let stuckAnswered = 0;  // checks answered other than with 429, before the silent host's sockets close
  const checks = keys.flatMap((key) =>
    [0, 1, 2].map(() => s.api('POST', `/v1/connections/${created.json.id}/check`, { key }).then((a) => {
      if (a.status !== 429) stuckAnswered++;
      return a;
    })));
  // Wait until the pool's threads all sit on the silent host.
  for (let i = 0; i < 100 && held.length < 4; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(held.length >= 4, `the checks reached the silent host (${held.length} connections)`);

  const health = [];
  const syncs = [];
  for (let i = 0; i < 50; i++) {
    const h = await timed(() => s.api('GET', '/healthz', { key: null }));
    assert.equal(h.r.status, 200);
    health.push(h.ms);
    const l = await timed(() => s.api('GET', '/v1/syncs', { key: s.b.key }));
    assert.equal(l.r.status, 200);
    assert.equal(l.r.json.data.length, 1);
    syncs.push(l.ms);
  }
  console.log(`# with ${held.length} checks stuck: /healthz p99 ${p99(health).toFixed(1)} ms, ` +
              `tenant B GET /v1/syncs p99 ${p99(syncs).toFixed(1)} ms (50 each)`);
  assert.equal(stuckAnswered, 0, 'a stuck check was answered before the silent host let go: not stuck after all');
  assert.ok(Math.max(...health) < 3000, `/healthz took ${Math.max(...health)} ms: it waited on the stuck checks`);
  assert.ok(Math.max(...syncs) < 3000, `GET /v1/syncs took ${Math.max(...syncs)} ms: it waited on the stuck checks`);

  hangUp = true;  // the silent host hangs up: every stuck check fails now
  for (const socket of held) socket.destroy();
  const answers = await Promise.all(checks);
  const busy = answers.filter((a) => a.status === 429);
  assert.equal(busy.length, 8, `each key's third check is refused: ${answers.map((a) => a.status).join(',')}`);
  for (const a of busy) {
    assert.ok(Number(a.headers.get('retry-after')) >= 1);
    assert.equal(a.json.error.code, 'connectors_busy');
  }
  for (const a of answers.filter((x) => x.status !== 429)) {
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.status, 'failed');  // the silent host hung up
  }
  assert.equal((await s.api('GET', '/healthz', { key: null })).status, 200);
});
