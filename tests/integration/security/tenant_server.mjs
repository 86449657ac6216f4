// A real `ferry serve` for the trust-boundary suites: a temp dir holding its database (data_root is
// <dir>/data), two tenants with their API keys, and a JSON helper that never throws on a non-2xx answer.
//   const s = await startServer(['--allow-egress', '127.0.0.1/32']);  ...  await s.stop();
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnFerry } from '../ferry_process.mjs';

const bin = process.env.FERRY_BIN;

export function createTenant(db, name) {
  const out = execFileSync(bin, ['admin', 'create-tenant', name, '--db', db], { encoding: 'utf8' });
  const lines = out.trim().split('\n');
  const id = out.match(/\(([0-9a-f-]{36})\)/)?.[1];
  return { id, key: lines[lines.length - 1] };
}

// `env`: the server's whole environment (default: this process's).
export async function startServer(extraArgs = [], { workers = 2, env } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-trust-'));
  const db = path.join(dir, 'ferry.db');
  const a = createTenant(db, 'tenant-a');
  const b = createTenant(db, 'tenant-b');
  const child = spawnFerry(bin, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--workers', String(workers),
                                 '--rate-limit', '0', ...extraArgs], { env });
  const base = await child.ready;
  const api = async (method, urlPath, { key = a.key, body, headers = {}, raw } = {}) => {
    const h = { ...headers };
    if (key !== null) h.authorization = `Bearer ${key}`;
    let payload = raw;
    if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined && !h['content-type']) h['content-type'] = 'application/json';
    const res = await fetch(base + urlPath, { method, headers: h, body: payload });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch {}
    return { status: res.status, headers: res.headers, text, json };
  };
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { dir, db, dataRoot: path.join(dir, 'data'), base, a, b, api, stop, logs: child.logs, child };
}

// Polls a run until it ends; returns the run.
export async function waitForRun(api, runId, { key, timeoutMs = 30_000 } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await api('GET', `/v1/runs/${runId}`, { key });
    if (['complete', 'failed', 'cancelled'].includes(r.json?.status)) return r.json;
    if (Date.now() > end) throw new Error(`run ${runId} did not end: ${r.text}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
