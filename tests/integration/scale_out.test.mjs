// Scale-out on one PostgreSQL store (the throwaway cluster ctest starts: FERRY_TEST_PG_STATE): two
// `ferry serve --workers 0` and two `ferry worker` processes. Syncs triggered through either serve all
// complete, each run by a worker process; killing the scheduler's leader (SIGKILL) hands the schedule to the
// other serve, which fires a due interval schedule within seconds.
//
//   FERRY_BIN=build/ferry FERRY_TEST_PG_STATE=/tmp/pg-x node --test tests/integration/scale_out.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnFerry } from './ferry_process.mjs';

const bin = process.env.FERRY_BIN;
const state = process.env.FERRY_TEST_PG_STATE;
const adminUrl = readFileSync(join(state, 'url'), 'utf8').trim();
const database = `scale_out_${process.pid}_${Date.now()}`;
const storeUrl = `${adminUrl.slice(0, adminUrl.lastIndexOf('/'))}/${database}`;
const tmp = mkdtempSync(join(tmpdir(), 'ferry-scale-out-'));
// Every process shares the store and the data root: a destination path means the same file to all of them.
const env = { ...process.env, FERRY_MASTER_KEY: randomBytes(32).toString('hex') };
const common = ['--db', storeUrl, '--data-root', join(tmp, 'data')];
const TERMINAL = new Set(['complete', 'failed', 'cancelled']);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const processes = {}; // name -> child
const bases = {}; // name -> http://host:port
let key;

const psql = (sql) =>
  execFileSync('psql', [storeUrl, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], { encoding: 'utf8' }).trim();

async function start(name, args) {
  const child = spawnFerry(bin, [...args, ...common, '--listen', '127.0.0.1:0'], { env, timeoutMs: 30_000 });
  processes[name] = child;
  bases[name] = await child.ready;
}

async function api(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.status < 300, `${method} ${path} -> ${res.status}: ${text}`);
  return JSON.parse(text);
}

async function finished(base, runId) {
  for (let i = 0; i < 1200; ++i) {
    const run = await api(base, 'GET', `/v1/runs/${runId}`);
    if (TERMINAL.has(run.status)) return run;
    await sleep(50);
  }
  throw new Error(`run ${runId} did not finish`);
}

// The processes whose logs say they started `runId`.
const startedBy = (runId) =>
  Object.entries(processes)
    .filter(([, child]) => child.logs.some((line) => line.includes('"run started"') && line.includes(runId)))
    .map(([name]) => name);

const leads = (name) => processes[name].logs.some((line) => line.includes('scheduler: leading'));

before(async () => {
  assert.ok(bin, 'FERRY_BIN is not set');
  execFileSync('psql', [adminUrl, '-c', `CREATE DATABASE ${database}`]);
  // The store is migrated by the first process; the others find it done.
  await start('serve-a', ['serve', '--workers', '0']);
  await start('serve-b', ['serve', '--workers', '0']);
  await start('worker-a', ['worker', '--workers', '2']);
  await start('worker-b', ['worker', '--workers', '2']);
  const out = execFileSync(bin, ['admin', 'create-tenant', 'acme', '--db', storeUrl], { env, encoding: 'utf8' });
  key = out.trim().split('\n').at(-1);
});

after(() => {
  for (const child of Object.values(processes)) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
  try {
    execFileSync('psql', [adminUrl, '-c', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`]);
  } catch {}
});

test('a worker process answers /healthz and /metrics only', async () => {
  const health = await fetch(`${bases['worker-a']}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const metrics = await fetch(`${bases['worker-a']}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /http_requests_total/);
  const tenantRoute = await fetch(`${bases['worker-a']}/v1/syncs`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(tenantRoute.status, 404);
});

test('runs triggered through either serve complete, each run by a worker process', async () => {
  const serves = [bases['serve-a'], bases['serve-b']];
  const connection = await api(serves[0], 'POST', '/v1/connections', {
    name: 'hr', source_type: 'sample', config: { seed: 3, size: 2000, generation: 0 },
  });
  const syncs = [];
  for (let i = 0; i < 6; ++i) {
    syncs.push(await api(serves[i % 2], 'POST', '/v1/syncs', {
      connection_id: connection.id, destination: { type: 'sqlite', config: { path: `dest-${i}.db` } },
    }));
  }
  const runs = await Promise.all(syncs.map((sync, i) => api(serves[(i + 1) % 2], 'POST', `/v1/syncs/${sync.id}/runs`)));
  for (const run of runs) {
    const done = await finished(serves[0], run.id);
    assert.equal(done.status, 'complete', JSON.stringify(done));
    const by = startedBy(run.id);
    assert.ok(by.length >= 1 && by.every((name) => name.startsWith('worker-')), `run ${run.id} started by ${by}`);
  }

  // trigger -> running with idle workers: the run queued by a serve is picked up through NOTIFY.
  const latencies = [];
  for (let i = 0; i < 5; ++i) {
    const run = await api(serves[i % 2], 'POST', `/v1/syncs/${syncs[i].id}/runs`);
    const done = await finished(serves[0], run.id);
    assert.equal(done.status, 'complete');
    latencies.push(Date.parse(done.started_at) - Date.parse(done.created_at));
  }
  console.log(`trigger -> running (ms, created_at -> started_at): ${latencies.join(', ')}`);
});

test("killing the scheduler's leader hands the schedule to the other serve", async () => {
  // One of the two leads (it may take a housekeeping interval to say so).
  for (let i = 0; i < 100 && !leads('serve-a') && !leads('serve-b'); ++i) await sleep(100);
  const leader = leads('serve-a') ? 'serve-a' : 'serve-b';
  const survivor = leader === 'serve-a' ? 'serve-b' : 'serve-a';
  assert.ok(leads(leader) && !leads(survivor), 'exactly one serve leads');

  const base = bases[survivor];
  const connection = await api(base, 'POST', '/v1/connections', {
    name: 'scheduled', source_type: 'sample', config: { seed: 4, size: 100, generation: 0 },
  });
  const sync = await api(base, 'POST', '/v1/syncs', {
    connection_id: connection.id, destination: { type: 'sqlite', config: { path: 'scheduled.db' } },
    schedule: { kind: 'interval', interval_minutes: 60 },
  });
  processes[leader].kill('SIGKILL');
  await new Promise((resolve) => processes[leader].once('exit', resolve));
  // Due now: the slot an hour away is brought forward in the store (no waiting an hour in a test).
  psql(`UPDATE syncs SET next_sync_start = (extract(epoch from clock_timestamp()) * 1000000)::bigint
        WHERE id = '${sync.id}'`);
  let scheduled;
  for (let i = 0; i < 600 && !scheduled; ++i) {
    const page = await api(base, 'GET', `/v1/syncs/${sync.id}/runs`);
    scheduled = page.data.find((run) => run.trigger === 'schedule');
    if (!scheduled) await sleep(50);
  }
  assert.ok(scheduled, 'the surviving serve never fired the schedule');
  assert.ok(leads(survivor), 'the survivor took the lead');
  const done = await finished(base, scheduled.id);
  assert.equal(done.status, 'complete');
  assert.ok(startedBy(scheduled.id).every((name) => name.startsWith('worker-')));
  const page = await api(base, 'GET', `/v1/syncs/${sync.id}/runs`);
  assert.equal(page.data.filter((run) => run.trigger === 'schedule').length, 1, 'the slot fired once');
});
