// PostgreSQL through the real `ferry serve`: `POST /v1/connections/{id}/check` names each failure, secrets
// never leave or sit in the store in plain text, and killing ferry (SIGKILL) in the middle of a load leaves
// the destination consistent — the restarted ferry resumes the run and finishes with no duplicates, no gaps.
// Uses the throwaway cluster ctest starts (FERRY_TEST_PG_STATE) and the psql client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnFerry } from './ferry_process.mjs';

const bin = process.env.FERRY_BIN;
const state = process.env.FERRY_TEST_PG_STATE;
const adminUrl = readFileSync(join(state, 'url'), 'utf8').trim();
const base = adminUrl.slice(0, adminUrl.lastIndexOf('/'));
const suffix = `${process.pid}_${Date.now()}`;
const srcDb = `kill_src_${suffix}`;
const dstDb = `kill_dst_${suffix}`;
const srcUrl = `${base}/${srcDb}`;
const dstUrl = `${base}/${dstDb}`;
const ROWS = 400000;

const psql = (url, sql) => execFileSync('psql', ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', url, '-c', sql],
  { encoding: 'utf8' }).trim();
const checksum = (url, where = 'true') =>
  psql(url, `SELECT count(*) || ':' || coalesce(sum(hashtextextended(row(id, account_id, kind, amount, payload,
    updated_at)::text, 0)), 0) FROM public.orders WHERE ${where}`);

let dir, db, key, ferry;

function serve() {
  // The test cluster listens on 127.0.0.1, which the default egress policy refuses: allowed explicitly.
  return spawnFerry(bin, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--workers', '1', '--lease-seconds', '3',
                          '--allow-egress', '127.0.0.1/32']);
}

async function api(baseUrl, method, path, body) {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-pg-'));
  db = join(dir, 'ferry.db');
  key = execFileSync(bin, ['admin', 'create-tenant', 'acme', '--db', db], { encoding: 'utf8' }).trim().split('\n').pop();
  psql(adminUrl, `CREATE DATABASE ${srcDb}`);
  psql(adminUrl, `CREATE DATABASE ${dstDb}`);
  psql(srcUrl, `CREATE TABLE orders (id bigint PRIMARY KEY, account_id int, kind text, amount numeric(12,2),
    payload jsonb, updated_at timestamptz);
    INSERT INTO orders SELECT g, g % 5000, (ARRAY['invoice','refund','payment','fee'])[1 + g % 4],
      round((g % 100000) * 1.37, 2), jsonb_build_object('ref', md5(g::text), 'seq', g),
      timestamptz '2026-01-01' + g * interval '1 second' FROM generate_series(1, ${ROWS}) g;
    CREATE TABLE hidden (id int PRIMARY KEY);
    DROP ROLE IF EXISTS outsider_${suffix}; CREATE ROLE outsider_${suffix} LOGIN PASSWORD 'outsider-pw';`);
});

after(() => {
  if (ferry && ferry.exitCode === null) ferry.kill('SIGKILL');
  for (const name of [srcDb, dstDb]) {
    try { psql(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } catch {}
  }
  try { psql(adminUrl, `DROP ROLE IF EXISTS outsider_${suffix}`); } catch {}
  rmSync(dir, { recursive: true, force: true });
});

test('check names each failure; the URL with its password is never returned nor stored in plain text', async () => {
  ferry = serve();
  const url = await ferry.ready;
  const port = base.slice(base.lastIndexOf(':') + 1);
  const cases = [
    [srcUrl, 'succeeded', null],
    [`${base.replace('ferry:ferry', 'ferry:not-the-pw-77')}/${srcDb}`, 'failed', 'credentials_invalid'],
    [`postgresql://ferry:ferry@127.0.0.1:1/${srcDb}?connect_timeout=3`, 'failed', 'source_unavailable'],
    [`${base}/no_such_database_${suffix}`, 'failed', 'config_invalid'],
  ];
  for (const [sourceUrl, status, category] of cases) {
    const created = await api(url, 'POST', '/v1/connections',
      { name: 'pg', source_type: 'postgres', config: { url: sourceUrl } });
    assert.equal(created.status, 201, created.text);
    assert.ok(!created.text.includes(sourceUrl), 'the URL is never returned');
    assert.deepEqual(created.body.secret_fields, ['url']);
    const check = await api(url, 'POST', `/v1/connections/${created.body.id}/check`);
    assert.equal(check.status, 200);
    assert.equal(check.body.status, status, check.text);
    assert.equal(check.body.error_category, category, check.text);
    assert.ok(!check.text.includes('not-the-pw-77'), 'the password never shows in a message');
    if (status === 'failed') assert.ok(check.body.message.length > 10, check.text);
  }
  // connected, but not allowed to read the table: permission_denied
  const outsider = await api(url, 'POST', '/v1/connections', { name: 'pg', source_type: 'postgres',
    config: { url: `${base.replace('ferry:ferry', `outsider_${suffix}:outsider-pw`)}/${srcDb}`, tables: 'public.orders' } });
  const denied = await api(url, 'POST', `/v1/connections/${outsider.body.id}/check`);
  assert.equal(denied.body.status, 'failed', denied.text);
  assert.equal(denied.body.error_category, 'permission_denied', denied.text);
  // a sync's destination URL is a secret too
  const conn = await api(url, 'POST', '/v1/connections', { name: 'pg', source_type: 'postgres',
    config: { url: srcUrl, tables: 'public.orders', batch_size: 5000 } });
  const sync = await api(url, 'POST', '/v1/syncs',
    { connection_id: conn.body.id, destination: { type: 'postgres', config: { url: dstUrl } } });
  assert.equal(sync.status, 201, sync.text);
  assert.ok(!sync.text.includes(dstUrl));
  assert.deepEqual(sync.body.destination.secret_fields, ['url']);
  ferry.kill('SIGTERM');
  await new Promise((resolve) => ferry.on('exit', resolve));
  const stored = execFileSync('sqlite3', [db, '.dump'], { encoding: 'utf8' });
  assert.ok(!stored.includes('not-the-pw-77') && !stored.includes(`ferry:ferry@`), 'no password in the store');
  assert.ok(!ferry.logs.join('\n').includes('ferry:ferry@'), 'no password in the logs');
});

test('SIGKILL during a load leaves the destination consistent; the restarted ferry finishes exactly', async () => {
  ferry = serve();
  let url = await ferry.ready;
  const syncs = await api(url, 'GET', '/v1/syncs');
  const sync = syncs.body.data[0];
  const run = await api(url, 'POST', `/v1/syncs/${sync.id}/runs`);
  assert.equal(run.status, 201, run.text);
  // wait until some batches are committed, then kill the process outright
  let loaded = 0;
  for (let i = 0; i < 600 && loaded === 0; i++) {
    await sleep(25);
    try { loaded = Number(psql(dstUrl, 'SELECT count(*) FROM public.orders')); } catch {}
  }
  ferry.kill('SIGKILL');
  await new Promise((resolve) => ferry.on('exit', resolve));
  loaded = Number(psql(dstUrl, 'SELECT count(*) FROM public.orders'));
  assert.ok(loaded > 0 && loaded < ROWS, `killed mid-load (${loaded} of ${ROWS} rows committed)`);
  // consistent: whole batches in key order, each row equal to its source row
  const maxId = Number(psql(dstUrl, 'SELECT max(id) FROM public.orders'));
  assert.equal(loaded, maxId, 'no gaps in what was committed');
  assert.equal(checksum(dstUrl), checksum(srcUrl, `id <= ${maxId}`));

  ferry = serve();
  url = await ferry.ready;
  let done;
  for (let i = 0; i < 600; i++) {
    done = (await api(url, 'GET', `/v1/runs/${run.body.id}`)).body;
    if (['complete', 'failed', 'cancelled'].includes(done.status)) break;
    await sleep(100);
  }
  assert.equal(done.status, 'complete', JSON.stringify(done));
  assert.equal(done.counts.inserted, ROWS, 'every row counted once: no duplicates');
  assert.equal(checksum(dstUrl), checksum(srcUrl), 'destination equals source');
  ferry.kill('SIGTERM');
  await new Promise((resolve) => ferry.on('exit', resolve));
});
