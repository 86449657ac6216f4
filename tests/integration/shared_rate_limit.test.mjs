// Two `ferry serve` processes on one PostgreSQL store (the throwaway cluster ctest starts:
// FERRY_TEST_PG_STATE) share each key's rate-limit bucket: hammered through both at once, a key gets about
// one burst, not one per process (what two independent limiters would give), and another key is unaffected.
//
//   FERRY_BIN=build/ferry FERRY_TEST_PG_STATE=/tmp/pg-x node --test tests/integration/shared_rate_limit.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnFerry } from './ferry_process.mjs';

const bin = process.env.FERRY_BIN;
const state = process.env.FERRY_TEST_PG_STATE;
const adminUrl = readFileSync(join(state, 'url'), 'utf8').trim();
const database = `shared_rate_limit_${process.pid}_${Date.now()}`;
const storeUrl = `${adminUrl.slice(0, adminUrl.lastIndexOf('/'))}/${database}`;
const tmp = mkdtempSync(join(tmpdir(), 'ferry-rate-limit-'));
const env = { ...process.env, FERRY_MASTER_KEY: randomBytes(32).toString('hex') };

const RATE = 0.5; // tokens per second per key
const BURST = 20;
const CHUNK = Math.max(1, Math.floor(BURST / 10)); // api::RateLimiter::chunk_size
const processes = [];
const bases = [];

async function startServe() {
  const child = spawnFerry(bin, ['serve', '--workers', '0', '--db', storeUrl, '--data-root', join(tmp, 'data'),
    '--listen', '127.0.0.1:0', '--rate-limit', String(RATE), '--rate-burst', String(BURST)], { env, timeoutMs: 30_000 });
  processes.push(child);
  bases.push(await child.ready);
}

const newKey = (tenant) =>
  execFileSync(bin, ['admin', 'create-tenant', tenant, '--db', storeUrl], { env, encoding: 'utf8' }).trim().split('\n').at(-1);

async function get(base, key) {
  const res = await fetch(`${base}/v1/connections`, { headers: { authorization: `Bearer ${key}` } });
  await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

before(async () => {
  assert.ok(bin, 'FERRY_BIN is not set');
  execFileSync('psql', [adminUrl, '-c', `CREATE DATABASE ${database}`]);
  await startServe(); // migrates the store
  await startServe();
});

after(() => {
  for (const child of processes) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
  try {
    execFileSync('psql', [adminUrl, '-c', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`]);
  } catch {}
});

test('a key hammered through two serves gets one bucket, not one per process; another key is unaffected', async () => {
  const hammered = newKey('hammered');
  const other = newKey('other');

  const answers = [];
  const started = performance.now();
  for (let round = 0; round < 20; ++round) { // 160 requests, 8 at a time, half to each serve
    answers.push(...await Promise.all(Array.from({ length: 8 }, (_, i) => get(bases[i % 2], hammered))));
  }
  const elapsed = (performance.now() - started) / 1000;

  const admitted = answers.filter((a) => a.status !== 429);
  assert.ok(admitted.every((a) => a.status === 200), JSON.stringify(admitted.filter((a) => a.status !== 200)));
  const bound = BURST + RATE * elapsed + processes.length * CHUNK;
  assert.ok(admitted.length <= bound,
    `${admitted.length} admitted in ${elapsed.toFixed(1)} s; one shared bucket allows at most ${bound.toFixed(1)}`);
  assert.ok(admitted.length < 2 * BURST, `${admitted.length} admitted: as many as two separate buckets`);
  assert.ok(admitted.length >= BURST - processes.length * CHUNK, `only ${admitted.length} admitted`);
  for (const refused of answers.filter((a) => a.status === 429)) {
    const seconds = Number(refused.retryAfter);
    assert.ok(seconds >= 1 && seconds <= Math.ceil(1 / RATE), `Retry-After ${refused.retryAfter}`);
  }

  for (const base of bases) assert.equal((await get(base, other)).status, 200, 'another key has its own bucket');

  // The bucket is the store's, under the key's SHA-256: never the key itself.
  const psql = (sql) => execFileSync('psql', [storeUrl, '-At', '-c', sql], { encoding: 'utf8' }).trim();
  const hash = createHash('sha256').update(hammered).digest('hex');
  assert.equal(psql(`SELECT count(*) FROM rate_buckets WHERE key_hash = '${hash}'`), '1');
  assert.equal(psql(`SELECT count(*) FROM rate_buckets WHERE key_hash LIKE '%${hammered.slice(4, 20)}%'`), '0');
});
