// Storage faults under a real `ferry serve`: a full disk (RLIMIT_FSIZE set on the running process, so a write
// past the limit fails with EFBIG) and a PostgreSQL destination restarted mid-run (`pg_ctl restart` on a
// PRIVATE cluster this suite starts: other suites share the fixture cluster). Each run either completes
// exactly or fails with a clear category; ferry keeps running, the store and destination pass
// PRAGMA integrity_check, nothing committed is lost, and the next run completes exactly.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE, TOTAL, holdWriteLock, makeSite, pagerDefinition, sqlite, startPager, until } from './ferry_site.mjs';
import { waitForRun } from './security/tenant_server.mjs';

const pgCluster = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fakes/postgres/pg_cluster.sh');
const apiOf = (site) => (m, p) => site.api(m, p);

async function created(promise) {
  const r = await promise;
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function runOnce(site, syncId) {
  const run = await created(site.api('POST', `/v1/syncs/${syncId}/runs`));
  return waitForRun(apiOf(site), run.id, { timeoutMs: 60_000 });
}

// Every model table of a SQLite destination, rows in key order, ferry's own columns left out.
function dumpModels(db) {
  const tables = sqlite(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_ferry%' ESCAPE '\\' ORDER BY name").split('\n');
  return tables.map((t) => {
    const columns = sqlite(db, `SELECT group_concat('"' || name || '"') FROM pragma_table_info('${t}') WHERE name NOT LIKE '\\_ferry%' ESCAPE '\\'`);
    return `${t}\n${sqlite(db, `SELECT ${columns} FROM "${t}" ORDER BY 1`)}`;
  }).join('\n');
}

describe('storage faults', () => {
  const cleanups = [];
  after(() => { for (const c of cleanups.reverse()) c(); });

  // This suite's own cluster, started on first use: restarting the shared one would break parallel suites.
  let cluster;
  function privateCluster() {
    if (cluster) return cluster;
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-pg-restart-'));
    const url = execFileSync(pgCluster, ['start', state], { encoding: 'utf8' }).trim().split('\n').pop();
    cleanups.unshift(() => execFileSync(pgCluster, ['stop', state]));  // stopped last
    const dataDir = path.join(fs.readFileSync(path.join(state, 'cluster'), 'utf8').trim(), 'data');
    const bin = fs.readdirSync('/usr/lib/postgresql').sort().map((v) => `/usr/lib/postgresql/${v}/bin`).pop();
    const pgCtl = [`${bin}/pg_ctl`, '-D', dataDir, '-w', '-m', 'fast', 'restart'];
    cluster = {
      url,
      psql: (sql) => execFileSync('psql', [url, '-Atc', sql], { encoding: 'utf8' }).trim(),
      // -m fast: every session is terminated, as a crash or a failover would
      restart: () => (process.getuid() === 0
        ? execFileSync('runuser', ['-u', 'postgres', '--', ...pgCtl], { stdio: 'ignore' })
        : execFileSync(pgCtl[0], pgCtl.slice(1), { stdio: 'ignore' })),
    };
    return cluster;
  }

  test('a full disk: the run fails as destination_error, ferry keeps running, nothing is lost, the next run completes exactly', async () => {
    const site = makeSite();
    cleanups.push(() => site.cleanup());
    await site.start();
    const connection = await created(site.api('POST', '/v1/connections', { name: 'sample', source_type: 'sample',
      config: { seed: 7, size: 40_000, generation: 0 } }));
    const sync = await created(site.api('POST', '/v1/syncs', { connection_id: connection.id, max_attempts: 1,
      destination: { type: 'sqlite', config: { path: 'dest.db' } } }));
    // No file of ferry's may grow past 3 MiB from now on (the soft limit: raising it again needs no privilege):
    // the store stays far below, the destination not.
    execFileSync('prlimit', ['--pid', String(site.child.pid), `--fsize=${3 << 20}:`]);
    const full = await runOnce(site, sync.id);
    assert.equal(full.status, 'failed', JSON.stringify(full));
    assert.equal(full.error_category, 'destination_error', JSON.stringify(full));
    assert.equal(site.child.exitCode, null, 'ferry is still running (SIGXFSZ did not kill it)');
    assert.equal((await fetch(`${site.base}/healthz`)).status, 200);
    assert.equal(sqlite(site.db, 'PRAGMA integrity_check'), 'ok');
    assert.equal(sqlite(site.destination, 'PRAGMA integrity_check'), 'ok');
    // What was committed is whole: each model's rows are exactly what its checkpoint counted.
    for (const line of sqlite(site.destination, 'SELECT model_id, inserted FROM _ferry_state').split('\n').filter(Boolean)) {
      const [model, inserted] = line.split('|');
      assert.equal(sqlite(site.destination, `SELECT count(*) FROM "${model}"`), inserted, model);
    }

    execFileSync('prlimit', ['--pid', String(site.child.pid), '--fsize=unlimited:']);
    const done = await runOnce(site, sync.id);
    assert.equal(done.status, 'complete', JSON.stringify(done));
    const reference = await created(site.api('POST', '/v1/syncs', { connection_id: connection.id,
      destination: { type: 'sqlite', config: { path: 'reference.db' } } }));
    assert.equal((await runOnce(site, reference.id)).status, 'complete');
    assert.equal(dumpModels(site.destination), dumpModels(path.join(path.dirname(site.destination), 'reference.db')),
                 'the destination equals an undisturbed copy row for row');
    assert.equal(await site.terminate(), 0);
  });

  test('the PostgreSQL destination restarted mid-run: the run retries and completes exactly', async () => {
    const { url, psql, restart } = privateCluster();
    const pager = await startPager();
    const site = makeSite();
    cleanups.push(() => pager.close(), () => site.cleanup());
    pager.hold(2);
    await site.start();
    const connection = await created(site.api('POST', '/v1/connections', { name: 'pager', source_type: 'rest',
      config: { definition: pagerDefinition, base_url: pager.base, timeout_seconds: 120 } }));
    const sync = await created(site.api('POST', '/v1/syncs', { connection_id: connection.id, max_attempts: 3,
      destination: { type: 'postgres', config: { url } } }));
    const run = await created(site.api('POST', `/v1/syncs/${sync.id}/runs`));
    const rows = () => { try { return Number(psql('SELECT count(*) FROM pager."Item"')); } catch { return 0; } };
    await until('page 1 to be committed', () => rows() === PAGE);
    restart();
    pager.releaseAll();  // page 2 is written on a connection the restart closed
    const done = await waitForRun(apiOf(site), run.id, { timeoutMs: 60_000 });
    assert.equal(done.status, 'complete', JSON.stringify(done));
    assert.equal(done.counts.inserted, TOTAL, JSON.stringify(done));
    assert.equal(psql('SELECT count(DISTINCT id) || \',\' || min(id) || \',\' || max(id) FROM pager."Item"'), `${TOTAL},1,${TOTAL}`);
    assert.equal(rows(), TOTAL);
    assert.equal(sqlite(site.db, 'PRAGMA integrity_check'), 'ok');
    assert.equal(await site.terminate(), 0);
  });

  test('the PostgreSQL source restarted mid-run: the run retries and completes exactly', async () => {
    const { url, psql, restart } = privateCluster();
    const ROWS = 200_000;  // ~45 MB on the wire: far more than socket buffers hold, so the COPY is still sending
    psql(`CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
          INSERT INTO items SELECT i, repeat('x', 200) || i FROM generate_series(1, ${ROWS}) i`);
    const site = makeSite();
    cleanups.push(() => site.cleanup());
    await site.start();
    const connection = await created(site.api('POST', '/v1/connections', { name: 'pg', source_type: 'postgres',
      config: { url, tables: 'public.items', batch_size: 5000 } }));
    const sync = await created(site.api('POST', '/v1/syncs', { connection_id: connection.id, max_attempts: 3,
      destination: { type: 'sqlite', config: { path: 'dest.db' } } }));
    const run = await created(site.api('POST', `/v1/syncs/${sync.id}/runs`));
    const rows = () => { try { return Number(sqlite(site.destination, 'SELECT count(*) FROM "public.items"')); } catch { return 0; } };
    await until('the first batch to be committed', () => rows() > 0, 60_000);
    // Hold the writer (another process takes the destination's write lock) so the read is mid-table, not done,
    // while the server restarts under it.
    const lock = await holdWriteLock(site.destination, cleanups);
    const heldAt = rows();
    restart();
    await lock.release();
    const done = await waitForRun(apiOf(site), run.id, { timeoutMs: 60_000 });
    assert.equal(done.status, 'complete', JSON.stringify(done));
    assert.ok(heldAt < ROWS, `the read was still under way at the restart (${heldAt} rows committed)`);
    assert.equal(done.attempt, 2, `the restart failed one attempt, the next completed: ${JSON.stringify(done)}`);
    assert.equal(done.counts.inserted, ROWS, JSON.stringify(done.counts));
    assert.equal(sqlite(site.destination, 'SELECT count(DISTINCT id) || \',\' || min(id) || \',\' || max(id) || \',\' || sum(name = printf(\'%.*c\', 200, \'x\') || id) FROM "public.items"'),
                 `${ROWS},1,${ROWS},${ROWS}`);
    assert.equal(sqlite(site.db, 'PRAGMA integrity_check'), 'ok');
    assert.equal(sqlite(site.destination, 'PRAGMA integrity_check'), 'ok');
    assert.equal(await site.terminate(), 0);
  });
});
