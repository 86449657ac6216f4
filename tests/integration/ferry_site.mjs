// One ferry data directory served by successive `ferry serve` processes (so a test can stop ferry and start it
// again on the same store), a paged HTTP API whose pages can be held back, and small polling helpers. Used by
// the shutdown and storage-fault suites.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnFerry } from './ferry_process.mjs';
import { createTenant } from './security/tenant_server.mjs';

const bin = process.env.FERRY_BIN;
export const TOTAL = 50;
export const PAGE = 10;

// A paged API of TOTAL items; a held page is answered only once released.
export async function startPager() {
  const requested = new Set();
  const holds = new Map();  // page -> promise resolved on release
  const releases = new Map();
  const server = http.createServer(async (req, res) => {
    const page = Number(new URL(req.url, 'http://x').searchParams.get('page'));
    requested.add(page);
    if (holds.has(page)) await holds.get(page);
    const first = (page - 1) * PAGE + 1;
    const results = [];
    for (let id = first; id < first + PAGE && id <= TOTAL; id++) results.push({ id, name: `item-${id}` });
    if (!res.destroyed) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results }));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    requested,
    hold(page) { holds.set(page, new Promise((r) => releases.set(page, r))); },
    releaseAll() { for (const release of releases.values()) release(); holds.clear(); },
    close() { this.releaseAll(); server.closeAllConnections(); server.close(); },
  };
}

export const pagerDefinition = {
  name: 'pager', base_url: 'http://127.0.0.1:1', auth: { type: 'none' },
  models: [{ model_id: 'pager.Item', path: '/items', records: '/results', primary_key: 'id',
             fields: [{ name: 'id', type: 'integer' }, { name: 'name', type: 'string' }],
             pagination: { style: 'page', page_param: 'page', page_size_param: 'page_size', page_size: PAGE,
                           start_page: 1 } }],
};

export const sqlite = (db, sql) =>
  execFileSync('sqlite3', [db, sql], { encoding: 'utf8', maxBuffer: 1 << 28 }).trim();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function until(what, done, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// One data directory, served by successive `ferry serve` processes.
// Another process (the sqlite3 shell) opens `db`, runs `statements` (taking its write lock) and keeps the lock
// until the cleanups run or the returned lock's release().
export async function holdWriteLock(db, cleanups, statements = 'BEGIN IMMEDIATE;') {
  const locker = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanups.push(() => locker.kill('SIGKILL'));
  let lockerOut = '';
  locker.stdout.on('data', (d) => { lockerOut += d; });
  locker.stdin.write(`${statements}\nSELECT 'locked';\n`);
  await until('the lock', () => lockerOut.includes('locked'));
  return {
    // Rolls back and waits for the shell to exit, so the lock is gone when it resolves.
    release: async () => {
      locker.stdin.end('ROLLBACK;\n.quit\n');
      await new Promise((r) => locker.once('exit', r));
    },
  };
}

export function makeSite({ bound = 2, args = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-shutdown-'));
  const db = path.join(dir, 'ferry.db');
  const tenant = createTenant(db, 'shutdown');
  const site = {
    dir, db, tenant,
    destination: path.join(dir, 'data', tenant.id, 'dest.db'),
    async start() {
      site.child = spawnFerry(bin, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--workers', '1',
        '--rate-limit', '0', '--allow-egress', '127.0.0.1/32', '--shutdown-timeout', String(bound), ...args]);
      site.base = await site.child.ready;
    },
    async api(method, urlPath, body) {
      const res = await fetch(site.base + urlPath, { method, body: body && JSON.stringify(body),
        headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'application/json' } });
      const text = await res.text();
      return { status: res.status, text, json: text ? JSON.parse(text) : null };
    },
    // SIGTERM; resolves to the exit code, or null when ferry is still running after 4× the bound.
    async terminate() {
      const child = site.child;
      const exited = new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(4 * bound * 1000).then(() => null)]);
      if (code === null) child.kill('SIGKILL');
      return code;
    },
    rows() {
      try { return Number(sqlite(site.destination, 'SELECT count(*) FROM "pager.Item"')); } catch { return 0; }
    },
    cleanup() {
      if (site.child?.exitCode === null) site.child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return site;
}

