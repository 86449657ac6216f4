// Starts a real `ferry serve` on loopback for the vendor-SDK suites, with two tenants, and sets up
// connections and syncs through ferry's own /v1 API. FERRY_BIN names the binary.
import { execFileSync } from 'node:child_process';
import { spawnFerry } from '../integration/ferry_process.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export async function startFerry() {
  const bin = process.env.FERRY_BIN;
  if (!bin) throw new Error('FERRY_BIN must name the ferry binary');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-clients-'));
  const db = join(dir, 'ferry.db');
  const tenantIds = new Map();  // key -> tenant id
  const newKey = (name) => {
    const out = execFileSync(bin, ['admin', 'create-tenant', name, '--db', db], { encoding: 'utf8' });
    const key = out.trim().split('\n').pop();
    tenantIds.set(key, out.match(/\(([0-9a-f-]{36})\)/)[1]);
    return key;
  };
  const keyA = newKey('acme');
  const keyB = newKey('globex');
  // Tenants name files relative to their data directory, <dir>/data/<tenant id>/ (the default data_root).
  const hostPath = (relative, key = keyA) => join(dir, 'data', tenantIds.get(key), relative);
  // Functional suites: no per-key rate limit (tests/integration/security/keys.test.mjs covers it), and two
  // runs of one tenant at once (the fairness cap is tested in tests/integration/security/fairness.test.mjs).
  const child = spawnFerry(bin, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--workers', '2', '--rate-limit', '0',
                                     '--tenant-max-running', '2']);
  const logs = child.logs;
  const baseUrl = await child.ready;

  // ferry's own API, for setting up what a vendor surface then drives.
  async function v1(method, path, body, key = keyA) {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  let destinations = 0;
  // A sample connection and a sync of it into its own SQLite file. Returns {connection, sync}.
  async function sampleSync({ size = 500, batchSize = 100, models = null, key = keyA, generation = 0 } = {}) {
    const connection = await v1('POST', '/v1/connections', {
      name: `sample ${size}`,
      source_type: 'sample',
      config: { seed: 7, size, generation, batch_size: batchSize },
    }, key);
    const sync = await v1('POST', '/v1/syncs', {
      connection_id: connection.id,
      destination: { type: 'sqlite', config: { path: `dest-${++destinations}.db` } },
      models,
    }, key);
    return { connection, sync };
  }

  // Polls `probe` until it returns a truthy value (30 s at most).
  async function eventually(probe, what = 'condition') {
    for (let i = 0; i < 300; i++) {
      const value = await probe();
      if (value) return value;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async function stop() {
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exited;
    rmSync(dir, { recursive: true, force: true });
    return code;
  }

  return { baseUrl, keyA, keyB, dir, hostPath, v1, sampleSync, eventually, stop, logs };
}
