// Webhooks end to end: a real `ferry serve` and a receiver on loopback (allowed by the test's
// --allow-egress). The receiver checks every signature as docs/webhooks.md tells a user to, and the test
// checks that every event of a run arrives, once per delivery id; that a receiver failing 3 times gets the
// same bytes a 4th time with growing waits between; that a `serve` killed (SIGKILL) mid-delivery sends it
// again after a restart, under the same delivery and event ids; that a `serve` whose policy no longer allows
// the receiver sends nothing there; and, on a PostgreSQL store shared by two `serve`, that each delivery is
// sent by one of them only. Figures are printed as `webhook figures: …` lines.
//
//   FERRY_BIN=build/ferry [FERRY_TEST_PG_STATE=/tmp/pg-x] node --test tests/integration/webhooks.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnFerry } from './ferry_process.mjs';

const bin = process.env.FERRY_BIN;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = new Set(['complete', 'failed', 'cancelled']);
const ALL_EVENTS = ['run.started', 'run.completed', 'run.failed', 'run.cancelled', 'model.failed',
  'connection.needs_reauth'];

// What docs/webhooks.md shows a receiver doing: HMAC-SHA256 of "<t>.<raw body>" keyed with the secret
// string, compared in constant time, and a timestamp no older than five minutes.
function verify(secret, header, rawBody) {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=')));
  if (!parts.t || !parts.v1) return false;
  if (Math.abs(Date.now() / 1000 - Number(parts.t)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

// A receiver on loopback. `behave(request)` returns a status to answer, or 'hang' to never answer.
async function startReceiver() {
  const requests = [];
  const receiver = { requests, secrets: [], behave: () => 200 };
  const hung = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { raw += chunk; });
    req.on('end', () => {
      const request = {
        at: Date.now(), raw, body: JSON.parse(raw), headers: req.headers,
        verified: receiver.secrets.some((s) => verify(s, req.headers['ferry-signature'], raw)),
      };
      requests.push(request);
      const answer = receiver.behave(request);
      request.answer = answer;
      if (answer === 'hang') { hung.push(res); return; }
      res.writeHead(answer, { 'content-type': 'text/plain' });
      res.end(answer < 300 ? 'ok' : 'receiver down');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = server.address().port;
  receiver.url = `http://127.0.0.1:${receiver.port}/ferry-hooks`;
  receiver.close = () => { for (const res of hung) res.destroy(); server.close(); };
  return receiver;
}

// One ferry store (SQLite in a temp dir, or a new PostgreSQL database) and the `serve` processes on it.
function site({ postgres = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-webhooks-'));
  const env = { ...process.env, FERRY_MASTER_KEY: randomBytes(32).toString('hex') };
  let db = join(dir, 'ferry.db');
  if (postgres) {
    const adminUrl = readFileSync(join(process.env.FERRY_TEST_PG_STATE, 'url'), 'utf8').trim();
    const database = `webhooks_${process.pid}_${Date.now()}`;
    execFileSync('psql', [adminUrl, '-c', `CREATE DATABASE ${database}`]);
    db = `${adminUrl.slice(0, adminUrl.lastIndexOf('/'))}/${database}`;
  }
  const s = { dir, db, env, children: [] };
  s.serve = async (extra) => {
    const child = spawnFerry(bin, ['serve', '--db', db, '--data-root', join(dir, 'data'), '--listen', '127.0.0.1:0',
      '--workers', '2', '--rate-limit', '0', '--webhook-retry-base', '0.2', '--webhook-timeout', '2', ...extra],
    { env, timeoutMs: 30_000 });
    s.children.push(child);
    child.base = await child.ready;
    return child;
  };
  s.key = () => execFileSync(bin, ['admin', 'create-tenant', 'acme', '--db', db], { env, encoding: 'utf8' })
    .trim().split('\n').at(-1);
  s.stop = async () => {
    for (const child of s.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  return s;
}

function client(base, key) {
  return async (method, path, body) => {
    const res = await fetch(base() + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path} -> ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

async function eventually(probe, what, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function sampleSync(api, size = 300) {
  const connection = await api('POST', '/v1/connections', { name: 'hr', source_type: 'sample',
    config: { seed: 3, size, batch_size: 100 } });
  return api('POST', '/v1/syncs', { connection_id: connection.id,
    destination: { type: 'sqlite', config: { path: `dest-${Date.now()}-${Math.random()}.db` } } });
}

async function runToEnd(api, syncId) {
  const run = await api('POST', `/v1/syncs/${syncId}/runs`);
  return eventually(async () => {
    const r = await api('GET', `/v1/runs/${run.id}`);
    return TERMINAL.has(r.status) ? r : null;
  }, `run ${run.id}`);
}

const ofRun = (receiver, runId) => receiver.requests.filter((r) => r.body.data.run_id === runId);

describe('webhooks on the embedded store', () => {
  let s; let receiver; let ferry; let api; let webhook;
  const syncsA = new Set(); // the hanging tenant's syncs in the fairness attack: their deliveries are retried

  before(async () => {
    assert.ok(bin, 'FERRY_BIN is not set');
    receiver = await startReceiver();
    s = site();
    const key = s.key();
    ferry = await s.serve(['--allow-egress', `127.0.0.1/32:${receiver.port}`]);
    api = client(() => ferry.base, key);
    webhook = await api('POST', '/v1/webhooks', { url: receiver.url, events: ALL_EVENTS });
    receiver.secrets.push(webhook.secret);
  });
  after(async () => {
    const r = receiver.requests;
    const answered = (pred) => r.filter((x) => pred(x.answer)).length;
    console.log(`webhook figures: ${JSON.stringify({ requests: r.length,
      event_ids: new Set(r.map((x) => x.body.id)).size,
      delivery_ids: new Set(r.map((x) => x.headers['ferry-delivery-id'])).size,
      answered_2xx: answered((a) => a < 300), answered_error: answered((a) => typeof a === 'number' && a >= 300),
      unanswered: answered((a) => a === 'hang'), signatures_verified: r.filter((x) => x.verified).length })}`);
    receiver.close();
    await s.stop();
  });

  test('every event of a run arrives signed, once per delivery id, with the run\'s counts', async () => {
    const sync = await sampleSync(api);
    const run = await runToEnd(api, sync.id);
    assert.equal(run.status, 'complete');
    await eventually(() => ofRun(receiver, run.id).some((r) => r.body.type === 'run.completed'), 'run.completed');
    await sleep(1500); // a duplicate would arrive within this
    const got = ofRun(receiver, run.id);
    assert.deepEqual(got.map((r) => r.body.type).sort(), ['run.completed', 'run.started']);
    for (const r of got) {
      assert.ok(r.verified, `signature of ${r.raw}`);
      assert.equal(r.headers['ferry-event-id'], r.body.id);
      assert.equal(r.headers['ferry-event-type'], r.body.type);
      assert.match(r.body.id, /^evt_[0-9a-f]{32}$/);
      assert.equal(r.headers['content-type'], 'application/json');
    }
    assert.equal(new Set(got.map((r) => r.headers['ferry-delivery-id'])).size, got.length);
    const completed = got.find((r) => r.body.type === 'run.completed').body.data;
    assert.deepEqual(completed.counts, { inserted: run.counts.inserted, updated: run.counts.updated,
      deleted: run.counts.deleted, failed: run.counts.failed });
    assert.ok(completed.counts.inserted > 0);
    assert.equal(completed.sync_id, sync.id);
    const log = await api('GET', `/v1/webhooks/${webhook.id}/deliveries`);
    const mine = log.data.filter((d) => got.some((r) => r.body.id === d.event_id));
    assert.equal(mine.length, 2);
    for (const d of mine) {
      assert.equal(d.state, 'delivered');
      assert.equal(d.attempts, 1);
      assert.equal(d.last_status, 200);
    }
  });

  test('a receiver that fails 3 times gets the same bytes a 4th time, after growing waits', async () => {
    const failures = new Map(); // delivery id -> failures so far
    receiver.behave = (r) => {
      if (r.body.type !== 'run.completed') return 200;
      const id = r.headers['ferry-delivery-id'];
      const n = failures.get(id) ?? 0;
      failures.set(id, n + 1);
      return n < 3 ? 503 : 200;
    };
    const sync = await sampleSync(api);
    const run = await runToEnd(api, sync.id);
    const completed = () => ofRun(receiver, run.id).filter((r) => r.body.type === 'run.completed');
    await eventually(() => completed().length >= 4, 'the 4th attempt');
    await sleep(1000);
    const attempts = completed();
    assert.equal(attempts.length, 4, 'no 5th attempt after a 200');
    assert.equal(new Set(attempts.map((r) => r.headers['ferry-delivery-id'])).size, 1);
    assert.equal(new Set(attempts.map((r) => r.raw)).size, 1, 'the same body every time');
    for (const r of attempts) assert.ok(r.verified);
    // --webhook-retry-base 0.2: the n-th wait is at least half of 0.2 s * 2^(n-1).
    const gaps = attempts.slice(1).map((r, i) => r.at - attempts[i].at);
    gaps.forEach((gap, i) => assert.ok(gap >= 100 * 2 ** i - 20, `wait ${i + 1} was ${gap} ms`));
    const log = await api('GET', `/v1/webhooks/${webhook.id}/deliveries`);
    const d = log.data.find((x) => x.event_id === attempts[0].body.id);
    assert.equal(d.state, 'delivered');
    assert.equal(d.attempts, 4);
    assert.equal(d.last_status, 200);
    const metrics = await (await fetch(`${ferry.base}/metrics`)).text();
    assert.match(metrics, /ferry_webhook_deliveries_total\{outcome="retried"\} 3\n/);
    assert.match(metrics, /ferry_webhook_deliveries_total\{outcome="delivered"\} \d+/);
    console.log(`webhook figures: retry waits ms ${JSON.stringify(gaps)}`);
    receiver.behave = () => 200;
  });

  test('a serve killed mid-delivery sends it again after a restart, under the same ids', async () => {
    let hold = true;
    receiver.behave = (r) => (hold && r.body.type === 'run.completed' ? 'hang' : 200);
    const sync = await sampleSync(api);
    const run = await runToEnd(api, sync.id);
    const completed = () => ofRun(receiver, run.id).filter((r) => r.body.type === 'run.completed');
    await eventually(() => completed().length === 1, 'the held delivery');
    ferry.kill('SIGKILL');
    await new Promise((resolve) => (ferry.exitCode !== null || ferry.signalCode ? resolve() : ferry.on('exit', resolve)));
    hold = false;
    const killedAt = Date.now();
    ferry = await s.serve(['--allow-egress', `127.0.0.1/32:${receiver.port}`]);
    await eventually(() => completed().length === 2, 'the delivery sent again', 40_000);
    const [first, again] = completed();
    assert.equal(again.headers['ferry-delivery-id'], first.headers['ferry-delivery-id']);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.raw, first.raw);
    assert.ok(again.verified);
    const log = await eventually(async () => {
      const l = await api('GET', `/v1/webhooks/${webhook.id}/deliveries`);
      const d = l.data.find((x) => x.event_id === first.body.id);
      return d?.state === 'delivered' ? d : null;
    }, 'the delivery recorded');
    assert.equal(log.attempts, 1, 'the attempt the killed process made was never recorded');
    console.log(`webhook figures: resent ${again.at - killedAt} ms after the SIGKILL (lease 2 * 2 s + 5 s)`);
  });

  test('the attack: a tenant whose receiver hangs holds one sender, and another tenant\'s events still arrive', async () => {
    const keyB = s.key();
    const apiB = client(() => ferry.base, keyB);
    const hookB = await apiB('POST', '/v1/webhooks', { url: `${receiver.url}/b`, events: ['run.started', 'run.completed'] });
    receiver.secrets.push(hookB.secret);
    let inFlightA = 0; let maxInFlightA = 0; let hangA = true;
    const held = [];
    receiver.behave = (r) => {
      if (!r.headers['ferry-delivery-id'] || !hangA) return 200;
      return r.body.data?.sync_id && syncsA.has(r.body.data.sync_id) ? 'hang' : 200;
    };
    const server = receiver.requests; // observe A's requests in flight: each hangs until its timeout (2 s)
    const watch = setInterval(() => {
      const now = Date.now();
      inFlightA = server.filter((r) => r.answer === 'hang' && syncsA.has(r.body.data?.sync_id) && now - r.at < 2000).length;
      maxInFlightA = Math.max(maxInFlightA, inFlightA);
    }, 20);
    try {
      for (let i = 0; i < 3; i++) {
        const sync = await sampleSync(api, 50);
        syncsA.add(sync.id);
        held.push(await api('POST', `/v1/syncs/${sync.id}/runs`));
      }
      await eventually(() => receiver.requests.some((r) => syncsA.has(r.body.data?.sync_id)), 'a hung request of A');
      const syncB = await sampleSync(apiB, 50);
      const runB = await runToEnd(apiB, syncB.id);
      await eventually(() => ofRun(receiver, runB.id).length === 2, "B's events", 20_000);
      assert.ok(receiver.requests.filter((r) => syncsA.has(r.body.data?.sync_id)).every((r) => r.answer === 'hang'),
        "A's receiver was still hanging when B's events arrived");
      assert.ok(ofRun(receiver, runB.id).every((r) => r.verified && r.answer === 200));
      assert.equal(maxInFlightA, 1, 'A never had more than one delivery in flight');
    } finally {
      clearInterval(watch);
      hangA = false;
    }
    // A's deliveries are not lost: once its receiver answers, each arrives.
    await eventually(() => held.every((run) => ['run.started', 'run.completed'].every((type) =>
      ofRun(receiver, run.id).some((r) => r.body.type === type && r.answer === 200))),
    "A's events after its receiver recovered", 60_000);
  });

  test('the attack: a serve whose egress policy no longer allows the receiver sends nothing there', async () => {
    ferry.kill('SIGTERM');
    await new Promise((resolve) => ferry.on('exit', resolve));
    ferry = await s.serve([]);
    const before = receiver.requests.length;
    const sync = await sampleSync(api);
    const run = await runToEnd(api, sync.id);
    const failed = await eventually(async () => {
      const l = await api('GET', `/v1/webhooks/${webhook.id}/deliveries?limit=100`);
      const mine = l.data.filter((d) => d.state === 'failed');
      return mine.length >= 2 ? mine : null;
    }, 'the refused deliveries');
    for (const d of failed) {
      assert.match(d.last_error, /egress policy refuses 127\.0\.0\.1/);
      assert.equal(d.attempts, 1, 'a refusal is final');
    }
    assert.equal(receiver.requests.length, before, 'the receiver got nothing');
    assert.equal(ofRun(receiver, run.id).length, 0);
    // Everything the receiver ever got was signed; a delivery id came more than once only for the retried
    // delivery (4 requests) and the one resent after the SIGKILL (2).
    assert.ok(receiver.requests.every((r) => r.verified));
    const perDelivery = new Map();
    for (const r of receiver.requests.filter((x) => !syncsA.has(x.body.data?.sync_id))) {
      const id = r.headers['ferry-delivery-id'];
      perDelivery.set(id, (perDelivery.get(id) ?? 0) + 1);
    }
    assert.deepEqual([...perDelivery.values()].filter((n) => n > 1).sort(), [2, 4]);
  });
});

describe('webhooks on a PostgreSQL store shared by two serve', { skip: !process.env.FERRY_TEST_PG_STATE && 'FERRY_TEST_PG_STATE is not set' }, () => {
  test('each delivery is sent by one serve only, and every event of every run arrives', async () => {
    const receiver = await startReceiver();
    const s = site({ postgres: true });
    try {
      const allow = ['--allow-egress', `127.0.0.1/32:${receiver.port}`];
      const a = await s.serve(allow);
      const b = await s.serve(allow);
      const key = s.key();
      const apiA = client(() => a.base, key);
      const apiB = client(() => b.base, key);
      const webhook = await apiA('POST', '/v1/webhooks', { url: receiver.url, events: ['run.started', 'run.completed'] });
      receiver.secrets.push(webhook.secret);
      const runs = [];
      for (let i = 0; i < 6; i++) {
        const api = i % 2 ? apiB : apiA;
        const sync = await sampleSync(api, 100);
        runs.push(await api('POST', `/v1/syncs/${sync.id}/runs`));
      }
      await eventually(() => receiver.requests.length >= runs.length * 2, 'every event', 60_000);
      await sleep(1500);
      const ids = receiver.requests.map((r) => r.headers['ferry-delivery-id']);
      assert.equal(new Set(ids).size, ids.length, 'no delivery sent twice');
      assert.equal(receiver.requests.length, runs.length * 2);
      for (const run of runs) {
        assert.deepEqual(ofRun(receiver, run.id).map((r) => r.body.type).sort(), ['run.completed', 'run.started']);
      }
      assert.ok(receiver.requests.every((r) => r.verified));
      console.log(`webhook figures: postgres, 2 serve: ${receiver.requests.length} requests for ${runs.length * 2} events, each delivery id once`);
    } finally {
      receiver.close();
      await s.stop();
    }
  });
});
