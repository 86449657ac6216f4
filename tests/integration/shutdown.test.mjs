// A bounded shutdown, with a real `ferry serve --shutdown-timeout 2`: SIGTERM while a REST page hangs, and
// SIGTERM while a destination write waits on another process's lock. Each time ferry must exit (the test
// allows 4× the configured bound: this proves it exits at all, not how fast), keep the committed pages, leave
// the run queued, and the next start must finish the run with every row exactly once.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PAGE, TOTAL, holdWriteLock, makeSite, pagerDefinition as definition, sleep, sqlite, startPager, until } from './ferry_site.mjs';
import { waitForRun } from './security/tenant_server.mjs';

const BOUND_S = 2;

async function triggerRun(site, pager) {
  const c = await site.api('POST', '/v1/connections', { name: 'pager', source_type: 'rest',
    config: { definition, base_url: pager.base, timeout_seconds: 120 } });
  assert.equal(c.status, 201, c.text);
  const sync = await site.api('POST', '/v1/syncs', { connection_id: c.json.id,
    destination: { type: 'sqlite', config: { path: 'dest.db' } } });
  assert.equal(sync.status, 201, sync.text);
  const run = await site.api('POST', `/v1/syncs/${sync.json.id}/runs`);
  assert.equal(run.status, 201, run.text);
  return run.json.id;
}

// After the stop: the run is queued with its committed pages; a new ferry finishes it exactly.
async function expectResumedExactly(site, pager, runId, committedRows) {
  assert.equal(sqlite(site.db, 'PRAGMA integrity_check'), 'ok');
  assert.equal(sqlite(site.destination, 'PRAGMA integrity_check'), 'ok');
  assert.equal(sqlite(site.db, `SELECT state FROM runs WHERE id = '${runId}'`), 'queued',
               'the interrupted run went back to the queue (not failed, not retrying)');
  assert.equal(site.rows(), committedRows, 'the committed pages are kept');
  pager.releaseAll();
  await site.start();
  const run = await waitForRun((m, p) => site.api(m, p), runId);
  assert.equal(run.status, 'complete', JSON.stringify(run));
  assert.equal(run.counts.inserted, TOTAL, 'every row counted once across the two processes');
  assert.equal(sqlite(site.destination, 'SELECT count(DISTINCT id) || \',\' || min(id) || \',\' || max(id) FROM "pager.Item"'),
               `${TOTAL},1,${TOTAL}`);
  assert.equal(site.rows(), TOTAL);
  assert.equal(await site.terminate(), 0);
}

describe('SIGTERM with --shutdown-timeout', () => {
  const cleanups = [];
  after(() => { for (const c of cleanups) c(); });

  test('during a hanging page: ferry exits, the page is abandoned, the next start completes the run', async () => {
    const pager = await startPager();
    const site = makeSite({ bound: BOUND_S });
    cleanups.push(() => pager.close(), () => site.cleanup());
    pager.hold(3);
    await site.start();
    const runId = await triggerRun(site, pager);
    await until('page 3 to be asked for', () => pager.requested.has(3));
    await until('pages 1 and 2 to be committed', () => site.rows() === 2 * PAGE);
    assert.equal(await site.terminate(), 0, `ferry did not exit within ${4 * BOUND_S} s of SIGTERM`);
    await expectResumedExactly(site, pager, runId, 2 * PAGE);
  });

  test('during a write waiting on another process\'s lock: the write is interrupted, ferry exits, the next start completes', async () => {
    const pager = await startPager();
    const site = makeSite({ bound: BOUND_S });
    cleanups.push(() => pager.close(), () => site.cleanup());
    pager.hold(2);
    pager.hold(3);
    await site.start();
    const runId = await triggerRun(site, pager);
    await until('page 1 to be committed', () => site.rows() === PAGE);
    // Another process takes the destination's write lock and keeps it.
    const lock = await holdWriteLock(site.destination, cleanups);
    pager.releaseAll();  // page 2 arrives; its write waits for the lock
    pager.hold(3);
    await until('page 3 to be asked for (page 2 is with the writer)', () => pager.requested.has(3));
    await sleep(300);    // the write is queued on the lock by now (if not, the batch boundary stops it anyway)
    assert.equal(await site.terminate(), 0, `ferry did not exit within ${4 * BOUND_S} s of SIGTERM`);
    await lock.release();
    await expectResumedExactly(site, pager, runId, PAGE);
  });

  test('during a call that nothing cancels: ferry exits at the bound, the store intact', async () => {
    const site = makeSite({ bound: BOUND_S });
    cleanups.push(() => site.cleanup());
    // A SQLite source in rollback-journal mode; once another process holds it EXCLUSIVE, the run's discovery
    // waits out SQLite's 10 s busy timeout, and nothing interrupts a discovery.
    const source = path.join(path.dirname(site.destination), 'src.db');
    fs.mkdirSync(path.dirname(source), { recursive: true });
    sqlite(source, 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items VALUES (1, \'a\')');
    await site.start();
    const c = await site.api('POST', '/v1/connections', { name: 'locked', source_type: 'sqlite',
      config: { path: 'src.db' } });
    assert.equal(c.status, 201, c.text);
    const checked = await site.api('POST', `/v1/connections/${c.json.id}/check`);  // stores the catalog
    assert.equal(checked.json?.status, 'succeeded', checked.text);
    const sync = await site.api('POST', '/v1/syncs', { connection_id: c.json.id,
      destination: { type: 'sqlite', config: { path: 'dest.db' } } });
    assert.equal(sync.status, 201, sync.text);
    const lock = await holdWriteLock(source, cleanups, "BEGIN EXCLUSIVE;\nINSERT INTO items VALUES (2, 'b');");
    assert.equal((await site.api('POST', `/v1/syncs/${sync.json.id}/runs`)).status, 201);
    await until('the run to start', () => site.child.logs.some((l) => l.includes('"run started"')));
    const code = await site.terminate();
    assert.equal(code, 1, `ferry did not exit (code 1, work left in flight) within ${4 * BOUND_S} s of SIGTERM`);
    assert.ok(site.child.logs.some((l) => l.includes('shutdown bound passed')), site.child.logs.join('\n'));
    await lock.release();
    assert.equal(sqlite(site.db, 'PRAGMA integrity_check'), 'ok');
  });
});

// An orchestrator may stop a pod the moment it starts. ferry catches SIGTERM before it opens its store, so
// a stop during a slow start is a graceful stop, never the default instant death. The "store" here accepts
// the connection and says nothing, which holds ferry inside its start for as long as the test likes.
test('SIGTERM while ferry is still starting is caught, not fatal', async () => {
  const held = [];
  const silentStore = net.createServer((socket) => held.push(socket));
  await new Promise((r) => silentStore.listen(0, '127.0.0.1', r));
  const child = spawn(process.env.FERRY_BIN,
                      ['serve', '--db', `postgres://ferry@127.0.0.1:${silentStore.address().port}/ferry`,
                       '--listen', '127.0.0.1:0'],
                      { stdio: ['ignore', 'ignore', 'pipe'],
                        env: { ...process.env, FERRY_MASTER_KEY: crypto.randomBytes(32).toString('hex') } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  try {
    await until('ferry to connect to its store', () => held.length > 0);
    const caught = BigInt('0x' + /SigCgt:\s*([0-9a-f]+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]);
    assert.ok(caught & (1n << 14n), 'SIGTERM is caught while the store is being opened');
    child.kill('SIGTERM');
    await sleep(300);
    assert.equal(child.exitCode, null, 'still starting: the signal waits for the start to end');
    assert.equal(child.signalCode, null, 'not killed by the signal');
    for (const socket of held) socket.destroy();  // the store "fails": ferry ends its start with that error
    const { code, signal } = await exited;
    assert.equal(signal, null, stderr);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /cannot connect/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    silentStore.close();
  }
});

test('the bound is an operator setting, flag or ferry.toml, within 1..3600 seconds', () => {
  const bin = process.env.FERRY_BIN;
  const help = spawnSync(bin, ['serve', '--help'], { encoding: 'utf8' }).stdout;
  assert.match(help, /--shutdown-timeout/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-shutdown-setting-'));
  try {
    const serve = (args) => spawnSync(bin, ['serve', '--db', path.join(dir, 'x.db'), '--listen', '127.0.0.1:0', ...args],
                                      { encoding: 'utf8', timeout: 15_000 });
    assert.notEqual(serve(['--shutdown-timeout', '0']).status, 0);
    const config = path.join(dir, 'ferry.toml');
    fs.writeFileSync(config, 'shutdown_timeout = 0\n');
    const ranged = serve(['--config', config]);
    assert.equal(ranged.status, 2, ranged.stderr);
    assert.match(ranged.stderr, /ferry\.toml:1: shutdown_timeout must be between 1 and 3600/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
