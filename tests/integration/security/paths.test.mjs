// A tenant's key names files only inside its own data directory (<data_root>/<tenant_id>/): ferry's store,
// its WAL, the master key and other tenants' files are never reachable, on /v1 and on the compat surfaces.
// Each attack checks its effect did not happen (no file created, nothing read, the store unchanged) and the
// clear 4xx the tenant gets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, waitForRun } from './tenant_server.mjs';

let s;
before(async () => { s = await startServer(); });
after(async () => { await s?.stop(); });

const sqlite = (db, sql) => execFileSync('sqlite3', [db, sql], { encoding: 'utf8' }).trim();
const connectionCount = () => Number(sqlite(s.db, 'SELECT count(*) FROM connections'));
const sample = async (key) => {
  const r = await s.api('POST', '/v1/connections', { key, body: { name: 'hr', source_type: 'sample', config: { size: 20 } } });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
};

describe('sources cannot read outside the tenant directory', () => {
  test('a sqlite source on ferry\'s own database is refused, by absolute and by relative path', async () => {
    const before = connectionCount();
    for (const p of [s.db, `${s.db}-wal`, '../../ferry.db', `../${s.b.id}/x.db`, 'a/../../ferry.db']) {
      const r = await s.api('POST', '/v1/connections', { body: { name: 'x', source_type: 'sqlite', config: { path: p } } });
      assert.equal(r.status, 422, `${p}: ${r.text}`);
      assert.match(r.json.error.message, /config\.path/);
    }
    assert.equal(connectionCount(), before, 'no connection was stored');
  });

  test('a file source cannot list the host', async () => {
    for (const p of ['/', '/etc', '..', path.dirname(s.db)]) {
      const r = await s.api('POST', '/v1/connections', { body: { name: 'x', source_type: 'file', config: { path: p } } });
      assert.equal(r.status, 422, `${p}: ${r.text}`);
    }
  });

  test('a symbolic link planted in the tenant directory does not lead out', async () => {
    const tenantDir = path.join(s.dataRoot, s.a.id);
    fs.mkdirSync(tenantDir, { recursive: true });
    fs.symlinkSync(s.db, path.join(tenantDir, 'store.db'));
    fs.symlinkSync(path.dirname(s.db), path.join(tenantDir, 'up'));
    for (const p of ['store.db', 'up/ferry.db']) {
      const r = await s.api('POST', '/v1/connections', { body: { name: 'x', source_type: 'sqlite', config: { path: p } } });
      assert.equal(r.status, 422, `${p}: ${r.text}`);
    }
  });
});

describe('destinations cannot write outside the tenant directory', () => {
  let connection;
  before(async () => { connection = await sample(s.a.key); });

  test('absolute and climbing destination paths are refused and create nothing', async () => {
    const outside = path.join(os.tmpdir(), `ferry-evil-${process.pid}.db`);
    const attempts = [
      { type: 'sqlite', config: { path: s.db } },
      { type: 'sqlite', config: { path: outside } },
      { type: 'sqlite', config: { path: '../../ferry.db' } },
      { type: 'file', config: { directory: path.join(os.tmpdir(), `ferry-evil-dir-${process.pid}`) } },
      { type: 'file', config: { directory: '../..' } },
    ];
    const storeBefore = fs.statSync(s.db).mtimeMs;
    for (const destination of attempts) {
      const r = await s.api('POST', '/v1/syncs', { body: { connection_id: connection, destination } });
      assert.equal(r.status, 422, `${JSON.stringify(destination)}: ${r.text}`);
      assert.match(r.json.error.message, /destination\.config\./);
    }
    assert.equal(fs.existsSync(outside), false);
    assert.equal(fs.existsSync(path.join(os.tmpdir(), `ferry-evil-dir-${process.pid}`)), false);
    assert.equal(Number(sqlite(s.db, 'SELECT count(*) FROM syncs')), 0);
    assert.ok(fs.statSync(s.db).mtimeMs >= storeBefore);
  });

  test('a relative destination named like the store lands in the tenant directory, not in the store', async () => {
    const keysBefore = sqlite(s.db, 'SELECT count(*) FROM api_keys');
    const created = await s.api('POST', '/v1/syncs', {
      body: { connection_id: connection, destination: { type: 'sqlite', config: { path: 'ferry.db' } } } });
    assert.equal(created.status, 201, created.text);
    const run = await s.api('POST', `/v1/syncs/${created.json.id}/runs`);
    assert.equal((await waitForRun(s.api, run.json.id)).status, 'complete');
    const landed = path.join(s.dataRoot, s.a.id, 'ferry.db');
    assert.ok(fs.existsSync(landed), 'the destination is in the tenant directory');
    assert.ok(Number(sqlite(landed, 'SELECT count(*) FROM "hris.Employee"')) > 0);
    assert.equal(sqlite(s.db, 'SELECT count(*) FROM api_keys'), keysBefore, 'the store gained no key');
    assert.equal(sqlite(s.db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'hris.%'"), '0');
    await s.api('DELETE', `/v1/syncs/${created.json.id}`);
  });

  test('an existing sync with an absolute path fails its run with config_invalid and says how to move it', async () => {
    const created = await s.api('POST', '/v1/syncs', {
      body: { connection_id: connection, destination: { type: 'sqlite', config: { path: 'old.db' } } } });
    assert.equal(created.status, 201, created.text);
    const legacy = path.join(s.dir, 'legacy.db');  // what an older ferry accepted
    sqlite(s.db, `UPDATE syncs SET destination_config = '${JSON.stringify({ path: legacy })}' WHERE id = '${created.json.id}'`);
    const run = await s.api('POST', `/v1/syncs/${created.json.id}/runs`);
    const finished = await waitForRun(s.api, run.json.id);
    assert.equal(finished.status, 'failed');
    assert.equal(finished.error_category, 'config_invalid', JSON.stringify(finished));
    assert.match(finished.error, /relative to your data directory/);
    assert.equal(fs.existsSync(legacy), false);
    await s.api('DELETE', `/v1/syncs/${created.json.id}`);
  });
});

describe('the compat surfaces place their destinations in the tenant directory', () => {
  test('Airweave: a source connection writes under <data_root>/<tenant>/destinations/', async () => {
    const r = await s.api('POST', '/source-connections', {
      key: null, headers: { 'x-api-key': s.b.key },
      body: { name: 'Sample docs', short_name: 'sample', readable_collection_id: 'docs-abc', authentication: { credentials: {} }, config: { size: 10 }, sync_immediately: false } });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    const stored = JSON.parse(sqlite(s.db, `SELECT destination_config FROM syncs WHERE tenant_id = '${s.b.id}'`));
    assert.equal(stored.path, 'destinations/docs-abc.db');
  });
});

test('the process connector is off by default', async () => {
  const r = await s.api('POST', '/v1/connections', {
    body: { name: 'x', source_type: 'process', config: { command: '/bin/sh', protocol: 'singer' } } });
  assert.equal(r.status, 422, r.text);
  assert.match(r.json.error.message, /turned off/);
});

test('the store, its WAL and the master key are readable by ferry\'s user alone', () => {
  for (const name of ['ferry.db', 'ferry.db-wal', 'ferry.master.key']) {
    const file = path.join(s.dir, name);
    if (name !== 'ferry.db-wal' || fs.existsSync(file)) {
      assert.equal(fs.statSync(file).mode & 0o777, 0o600, `${name} mode`);
    }
  }
});
