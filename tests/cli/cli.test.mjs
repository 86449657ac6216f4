// `ferry connections | syncs | runs` (docs/cli.md) against a real `ferry serve` on a throw-away store: what the
// commands print (tables, --json) checked against the API's own answers, the exit codes (docs/cli.md's table),
// the live display under a pseudo-terminal (util-linux `script`) and the plain lines without one, cancel,
// Ctrl-C, a failing run, a wrong key and a server that is down.
//
//   FERRY_BIN=build/ferry node --test tests/cli/cli.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnFerry } from '../integration/ferry_process.mjs';

const BIN = process.env.FERRY_BIN;
const DOCS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/cli.md');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MODELS = ['ats.Application', 'ats.Candidate', 'hris.Employee', 'hris.Team'];
const TERMINAL = new Set(['complete', 'failed', 'cancelled']);
const ESC = '\x1b';

// The exit codes, read from docs/cli.md's table (| code | meaning |), so the doc and the binary cannot drift.
const CODES = (() => {
  const codes = {};
  for (const m of fs.readFileSync(DOCS, 'utf8').matchAll(/^\| `?(\d+)`? \| ([a-z_]+) \|/gm)) codes[m[2]] = Number(m[1]);
  return codes;
})();

let tmp; // the store, the tenant's data directory
let server; // `ferry serve`
let base; // http://127.0.0.1:PORT
let key; // the tenant's API key
let tenantId;
const S = {}; // ids shared by the tests, in file order

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

// Starts `ferry ARGS` with FERRY_URL/FERRY_KEY pointing at the server (`env` overrides; undefined removes a
// variable). `pty`: under `script`, so that its stdout is a terminal.
function start(args, { env = {}, pty = false, timeoutMs = 120_000 } = {}) {
  const fullEnv = { ...process.env, FERRY_URL: base, FERRY_KEY: key };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete fullEnv[name];
    else fullEnv[name] = value;
  }
  const [command, argv] = pty
    ? ['script', ['-q', '-e', '-c', [BIN, ...args].map(quote).join(' '), '/dev/null']]
    : [BIN, args];
  const child = spawn(command, argv, { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d) => { out.stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { out.stderr += d; });
  const label = `ferry ${args.join(' ')}`;
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label}: no exit within ${timeoutMs} ms\n${out.stdout}\n${out.stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ...out, label, toString: () => `${label} -> ${code}\n--stdout\n${out.stdout}\n--stderr\n${out.stderr}` });
    });
  });
  return { child, done, out };
}

const cli = (args, opts) => start(args, opts).done;

// `ferry ARGS --json`, exit code 0 expected; the parsed JSON.
async function cliJson(args, opts) {
  const res = await cli([...args, '--json'], opts);
  assert.equal(res.code, 0, String(res));
  return JSON.parse(res.stdout);
}

async function api(method, urlPath, { body, apiKey = key } = {}) {
  const headers = { authorization: `Bearer ${apiKey}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function waitFor(what, predicate, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function runWhenDone(id) {
  return waitFor(`run ${id} to end`, async () => {
    const r = (await api('GET', `/v1/runs/${id}`)).json;
    return TERMINAL.has(r.status) ? r : null;
  });
}

// A port nothing listens on.
async function closedPort() {
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}

const num = (text) => Number(text.replaceAll(',', ''));
// "run ID STATUS in 1.2s: N rows (A inserted, B updated, C deleted, D failed), R rows/s"
function summaryOf(output, status) {
  const m = new RegExp(`run (\\S+) ${status} in \\S+: ([\\d,]+) rows \\(([\\d,]+) inserted, ([\\d,]+) updated, ([\\d,]+) deleted, ([\\d,]+) failed\\), ([\\d,]+) rows/s`).exec(output);
  assert.ok(m, `no "${status}" summary line in:\n${output}`);
  return { id: m[1], rows: num(m[2]), inserted: num(m[3]), updated: num(m[4]), deleted: num(m[5]), failed: num(m[6]), rate: num(m[7]) };
}

async function createConnection(name, config, type = 'sample') {
  return cliJson(['connections', 'create', '--name', name, '--type', type, '--config', JSON.stringify(config)]);
}

async function createSync(connectionId, file, extra = []) {
  return cliJson(['syncs', 'create', '--connection', connectionId, '--destination-config', JSON.stringify({ path: file }), ...extra]);
}

before(async () => {
  if (!BIN || !fs.existsSync(BIN)) throw new Error(`FERRY_BIN=${BIN}: point it at the ferry binary`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-cli-'));
  const env = { ...process.env };
  delete env.FERRY_MASTER_KEY;
  const db = path.join(tmp, 'ferry.db');
  const created = execFileSync(BIN, ['admin', 'create-tenant', 'cli', '--db', db], { env, encoding: 'utf8' });
  key = created.trim().split('\n').at(-1).trim();
  tenantId = /\(([0-9a-f-]{36})\)/.exec(created)?.[1];
  assert.ok(key.startsWith('fry_') && tenantId, created);
  server = spawnFerry(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--workers', '2', '--rate-limit', '0'], { env });
  base = await server.ready;
});

after(async () => {
  try {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
});

describe('configuration and usage', () => {
  test('docs/cli.md documents distinct exit codes, and `runs watch --help` lists them', async () => {
    for (const name of ['complete', 'internal', 'usage', 'unreachable', 'api_error', 'failed', 'cancelled', 'interrupted'])
      assert.equal(typeof CODES[name], 'number', `docs/cli.md has no exit code "${name}": ${JSON.stringify(CODES)}`);
    assert.equal(new Set(Object.values(CODES)).size, Object.keys(CODES).length, `codes are not distinct: ${JSON.stringify(CODES)}`);
    const help = await cli(['runs', 'watch', '--help']);
    assert.equal(help.code, 0, String(help));
    for (const code of Object.values(CODES)) assert.match(help.stdout, new RegExp(`^\\s+${code}\\s`, 'm'), `help lacks code ${code}:\n${help.stdout}`);
  });

  test('no URL or no key is a usage error naming the variable and the flag', async () => {
    const noUrl = await cli(['connections', 'list'], { env: { FERRY_URL: undefined } });
    assert.equal(noUrl.code, CODES.usage, String(noUrl));
    assert.match(noUrl.stderr, /FERRY_URL/);
    assert.match(noUrl.stderr, /--url/);
    const noKey = await cli(['connections', 'list'], { env: { FERRY_KEY: undefined } });
    assert.equal(noKey.code, CODES.usage, String(noKey));
    assert.match(noKey.stderr, /FERRY_KEY/);
    assert.match(noKey.stderr, /--key/);
  });

  test('bad arguments are usage errors', async () => {
    for (const args of [['runs', 'watch'], ['runs'], ['syncs', 'create', '--destination-config', '{}'], ['runs', 'list', '--limit', 'x'],
      ['connections', 'create', '--name', 'n', '--type', 'sample', '--config', '[1,2]']]) {
      const res = await cli(args);
      assert.equal(res.code, CODES.usage, String(res));
      assert.ok(res.stderr.length > 0, String(res));
    }
  });

  test('flags win over FERRY_URL and FERRY_KEY', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const viaFlags = await cli(['connections', 'list', '--url', base, '--key', key], { env: { FERRY_URL: dead, FERRY_KEY: 'fry_wrong' } });
    assert.equal(viaFlags.code, 0, String(viaFlags));
    const viaEnv = await cli(['connections', 'list'], { env: { FERRY_URL: dead } });
    assert.equal(viaEnv.code, CODES.unreachable, String(viaEnv));
  });

  test('a wrong key: the server\'s 401 and its message', async () => {
    const expected = await api('GET', '/v1/connections', { apiKey: 'fry_not-a-key' });
    assert.equal(expected.status, 401);
    const res = await cli(['connections', 'list', '--key', 'fry_not-a-key']);
    assert.equal(res.code, CODES.api_error, String(res));
    assert.match(res.stderr, /HTTP 401 unauthorized/, String(res));
    assert.ok(res.stderr.includes(expected.json.error.message), `${expected.json.error.message} not in:\n${res.stderr}`);
    assert.equal(res.stdout, '');
  });

  test('a server that is down: the URL named, its own exit code', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const res = await cli(['runs', 'list', '--url', url]);
    assert.equal(res.code, CODES.unreachable, String(res));
    assert.ok(res.stderr.includes(`cannot reach the ferry server at ${url}`), String(res));
    assert.doesNotMatch(res.stderr, /unexpected|terminate|Aborted/i, String(res));
  });
});

describe('connections', () => {
  test('create (inline and @file config), show, list', async () => {
    const c = await createConnection('Acme HR', { seed: 3, size: 2000 });
    assert.match(c.id, UUID);
    const stored = (await api('GET', `/v1/connections/${c.id}`)).json;
    assert.deepEqual(c, stored);
    assert.equal(stored.name, 'Acme HR');
    assert.equal(stored.source_type, 'sample');
    assert.equal(stored.config.size, 2000);

    const file = path.join(tmp, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ seed: 4, size: 1500, api_key: 'sekret-1' }));
    const human = await cli(['connections', 'create', '--name', 'From file', '--type', 'sample', '--config', `@${file}`]);
    assert.equal(human.code, 0, String(human));
    const id = /^id:\s+(\S+)$/m.exec(human.stdout)?.[1];
    assert.match(id ?? '', UUID, human.stdout);
    const fromFile = (await api('GET', `/v1/connections/${id}`)).json;
    assert.equal(fromFile.config.size, 1500);
    assert.deepEqual(fromFile.secret_fields, ['api_key']);
    assert.match(human.stdout, /^secret fields:\s+api_key$/m);
    assert.doesNotMatch(human.stdout, /sekret-1/);

    const shown = await cli(['connections', 'show', c.id]);
    assert.equal(shown.code, 0, String(shown));
    assert.match(shown.stdout, /^name:\s+Acme HR$/m);
    assert.match(shown.stdout, /^type:\s+sample$/m);

    const listed = await cli(['connections', 'list']);
    assert.equal(listed.code, 0, String(listed));
    const rows = listed.stdout.trim().split('\n');
    assert.match(rows[0], /^ID\s+NAME\s+TYPE\s+CREATED$/);
    assert.equal(rows.length, 3, listed.stdout);
    assert.match(rows[1], new RegExp(`^${id}\\s+From file\\s+sample\\s`), 'newest first');
    assert.match(rows[2], new RegExp(`^${c.id}\\s+Acme HR\\s+sample\\s`));
    const asJson = await cliJson(['connections', 'list']);
    assert.deepEqual(asJson, (await api('GET', '/v1/connections?limit=20')).json);
    const one = await cliJson(['connections', 'list', '--limit', '1']);
    assert.deepEqual(one.data.map((x) => x.id), [id]);
    S.conn = c;
  });

  test('check calls the API\'s check', async () => {
    const res = await cli(['connections', 'check', S.conn.id]);
    assert.equal(res.code, 0, String(res));
    const viaApi = (await api('POST', `/v1/connections/${S.conn.id}/check`)).json;
    assert.equal(viaApi.status, 'succeeded');
    assert.match(res.stdout, /^check succeeded/m);
    const asJson = await cliJson(['connections', 'check', S.conn.id]);
    assert.deepEqual(asJson, viaApi);
  });

  test('a check that fails: the failed code, the API\'s category and message', async () => {
    const dir = path.join(tmp, 'data', tenantId, 'gone');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'hr.People.csv'), 'id,updated_at\n');
    const conn = await createConnection('Gone', { path: 'gone' }, 'file');
    fs.rmSync(dir, { recursive: true });
    const res = await cli(['connections', 'check', conn.id]);
    assert.equal(res.code, CODES.failed, String(res));
    const viaApi = (await api('POST', `/v1/connections/${conn.id}/check`)).json;
    assert.equal(viaApi.status, 'failed');
    assert.equal(res.stdout.trim(), `check failed [${viaApi.error_category}]: ${viaApi.message}`);
  });

  test('the server\'s validation error: status, code and message', async () => {
    const body = { name: 'x', source_type: 'no-such-type', config: {} };
    const expected = await api('POST', '/v1/connections', { body });
    assert.equal(expected.status, 422);
    const res = await cli(['connections', 'create', '--name', 'x', '--type', 'no-such-type']);
    assert.equal(res.code, CODES.api_error, String(res));
    assert.match(res.stderr, /HTTP 422 validation_error/);
    assert.ok(res.stderr.includes(expected.json.error.message), `${expected.json.error.message} not in:\n${res.stderr}`);
  });

  test('an unknown id: 404', async () => {
    const res = await cli(['connections', 'check', crypto.randomUUID()]);
    assert.equal(res.code, CODES.api_error, String(res));
    assert.match(res.stderr, /HTTP 404 not_found/);
  });
});

describe('syncs and runs', () => {
  test('syncs create and list', async () => {
    const s = await createSync(S.conn.id, 'acme.db');
    assert.deepEqual(s, (await api('GET', `/v1/syncs/${s.id}`)).json);
    assert.equal(s.connection_id, S.conn.id);
    assert.deepEqual(s.destination.config, { path: 'acme.db' });
    assert.equal(s.schedule.kind, 'manual');
    const scheduled = await createSync(S.conn.id, 'acme-hourly.db', ['--interval-minutes', '60', '--models', 'hris.Team,hris.Employee', '--paused', '--max-attempts', '2']);
    const stored = (await api('GET', `/v1/syncs/${scheduled.id}`)).json;
    assert.deepEqual(stored.schedule, { kind: 'interval', interval_minutes: 60, cron: null });
    assert.deepEqual([...stored.models].sort(), ['hris.Employee', 'hris.Team']);
    assert.equal(stored.status, 'paused');
    assert.equal(stored.max_attempts, 2);
    const listed = await cli(['syncs', 'list']);
    assert.equal(listed.code, 0, String(listed));
    assert.match(listed.stdout, new RegExp(`^${s.id}\\s+${S.conn.id}\\s+sqlite:acme\\.db\\s+manual\\s+active`, 'm'), listed.stdout);
    assert.match(listed.stdout, new RegExp(`^${scheduled.id}\\s+${S.conn.id}\\s+sqlite:acme-hourly\\.db\\s+every 60 min\\s+paused`, 'm'), listed.stdout);
    assert.deepEqual((await cliJson(['syncs', 'list'])).data.map((x) => x.id), (await api('GET', '/v1/syncs')).json.data.map((x) => x.id));
    S.sync = s;
    S.otherSync = scheduled;
  });

  test('syncs run --wait (piped): plain lines, exit 0, the final counts are the API\'s', async () => {
    const res = await cli(['syncs', 'run', S.sync.id, '--wait']);
    assert.equal(res.code, CODES.complete, String(res));
    assert.ok(!res.stdout.includes(ESC) && !res.stdout.includes('\r'), `escape codes in piped output:\n${JSON.stringify(res.stdout)}`);
    const id = /^run (\S+) triggered$/m.exec(res.stdout)?.[1];
    assert.match(id ?? '', UUID, res.stdout);
    const run = (await api('GET', `/v1/runs/${id}`)).json;
    assert.equal(run.status, 'complete');
    assert.equal(run.full_refresh, false);
    const summary = summaryOf(res.stdout, 'complete');
    assert.equal(summary.id, id);
    for (const k of ['inserted', 'updated', 'deleted', 'failed']) assert.equal(summary[k], run.counts[k], `${k}: ${res.stdout}`);
    assert.equal(summary.rows, run.counts.inserted + run.counts.updated + run.counts.deleted);
    assert.ok(run.counts.inserted > 0, JSON.stringify(run.counts));
    for (const task of run.tasks) {
      const line = new RegExp(`^  ${task.model_id.replace('.', '\\.')} complete: ([\\d,]+) inserted, ([\\d,]+) updated, ([\\d,]+) deleted, ([\\d,]+) failed$`, 'm').exec(res.stdout);
      assert.ok(line, `no line for ${task.model_id}:\n${res.stdout}`);
      assert.deepEqual(line.slice(1).map(num), [task.inserted, task.updated, task.deleted, task.failed]);
    }
    assert.deepEqual(run.tasks.map((t) => t.model_id).sort(), MODELS);
    S.firstRun = run;
  });

  test('syncs run without --wait prints the id; --full asks for a full refresh', async () => {
    const res = await cli(['syncs', 'run', S.sync.id, '--full']);
    assert.equal(res.code, 0, String(res));
    const id = res.stdout.trim();
    assert.match(id, UUID);
    const run = await runWhenDone(id);
    assert.equal(run.full_refresh, true);
    assert.equal(run.sync_id, S.sync.id);
    S.secondRun = run;
    const watched = await cli(['runs', 'watch', id, '--json']);
    assert.equal(watched.code, CODES.complete, String(watched));
    assert.deepEqual(JSON.parse(watched.stdout), (await api('GET', `/v1/runs/${id}`)).json);
  });

  test('runs list (one sync, every sync) and runs show', async () => {
    const other = await cli(['syncs', 'run', S.otherSync.id]);
    assert.equal(other.code, 0, String(other));
    const otherRun = await runWhenDone(other.stdout.trim());
    const perSync = await cliJson(['runs', 'list', '--sync', S.sync.id]);
    assert.deepEqual(perSync, (await api('GET', `/v1/syncs/${S.sync.id}/runs?limit=20`)).json);
    assert.deepEqual(perSync.data.map((r) => r.id), [S.secondRun.id, S.firstRun.id]);

    const every = await cli(['runs', 'list']);
    assert.equal(every.code, 0, String(every));
    const lines = every.stdout.trim().split('\n');
    assert.match(lines[0], /^ID\s+SYNC\s+STATUS\s+TRIGGER\s+CREATED\s+DURATION\s+INSERTED\s+UPDATED\s+DELETED\s+FAILED$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), [otherRun.id, S.secondRun.id, S.firstRun.id], every.stdout);
    const first = lines.find((l) => l.startsWith(S.firstRun.id)).split(/\s+/);
    assert.deepEqual(first.slice(-4).map(num), ['inserted', 'updated', 'deleted', 'failed'].map((k) => S.firstRun.counts[k]));
    assert.equal(first[1], S.sync.id);
    assert.equal(first[2], 'complete');
    assert.deepEqual((await cliJson(['runs', 'list', '--limit', '2'])).data.map((r) => r.id), [otherRun.id, S.secondRun.id]);

    const shown = await cli(['runs', 'show', S.firstRun.id]);
    assert.equal(shown.code, 0, String(shown));
    assert.match(shown.stdout, new RegExp(`^id:\\s+${S.firstRun.id}$`, 'm'));
    assert.match(shown.stdout, /^status:\s+complete$/m);
    for (const task of S.firstRun.tasks) {
      const row = new RegExp(`^${task.model_id.replace('.', '\\.')}\\s+complete\\s+([\\d,]+)\\s+([\\d,]+)\\s+([\\d,]+)\\s+([\\d,]+)\\s+-$`, 'm').exec(shown.stdout);
      assert.ok(row, `no row for ${task.model_id}:\n${shown.stdout}`);
      assert.deepEqual(row.slice(1).map(num), [task.inserted, task.updated, task.deleted, task.failed]);
    }
    assert.deepEqual(await cliJson(['runs', 'show', S.firstRun.id]), (await api('GET', `/v1/runs/${S.firstRun.id}`)).json);
  });
});

describe('watching', () => {
  test('on a terminal the progress is redrawn in place with rows/s; piped, the same command writes no escape codes', async () => {
    const big = await createConnection('Big', { seed: 5, size: 300_000, batch_size: 25 });
    const sync = await createSync(big.id, 'big.db');
    const res = await start(['syncs', 'run', sync.id, '--wait', '--interval-ms', '200'], { pty: true, timeoutMs: 240_000 }).done;
    assert.equal(res.code, CODES.complete, String(res));
    const out = res.stdout;
    const ups = out.match(/\x1b\[\d+A/g) ?? [];
    assert.ok(ups.length >= 2, `fewer than 3 frames drawn in place (${ups.length} cursor-up codes):\n${JSON.stringify(out.slice(0, 2000))}`);
    assert.ok(out.includes('\x1b[K'), 'lines are cleared to their end');
    assert.ok(/\r\x1b\[\d+A|\x1b\[\d+A\r/.test(out), 'a redraw returns to the start of the frame');
    const rates = [...out.matchAll(/([\d,]+) rows\/s/g)].map((m) => num(m[1]));
    assert.ok(rates.some((r) => r > 0), `no non-zero rows/s figure: ${rates}`);
    const frames = [...out.matchAll(/rows ([\d,]+) +[\d,]+ rows\/s/g)].map((m) => num(m[1]));
    assert.ok(frames.length >= 3, `frames: ${frames}`);
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i] >= frames[i - 1], `rows went backwards: ${frames}`);
    for (const model of MODELS) assert.ok(out.includes(`  ${model} `), `no line for ${model}`);
    const id = /run (\S+) triggered/.exec(out)?.[1];
    const run = (await api('GET', `/v1/runs/${id}`)).json;
    const summary = summaryOf(out, 'complete');
    assert.equal(summary.id, id);
    for (const k of ['inserted', 'updated', 'deleted', 'failed']) assert.equal(summary[k], run.counts[k], k);
    assert.equal(run.counts.inserted, 300_000);

    const piped = await cli(['syncs', 'run', sync.id, '--wait', '--full', '--interval-ms', '200']);
    assert.equal(piped.code, CODES.complete, String(piped));
    assert.ok(!piped.stdout.includes(ESC) && !piped.stdout.includes('\r'), JSON.stringify(piped.stdout));
    summaryOf(piped.stdout, 'complete');
    S.big = big;
  });

  test('a cancelled run: watch exits with the cancelled code', async () => {
    const huge = await createConnection('Huge', { seed: 9, size: 5_000_000, batch_size: 20 });
    S.huge = huge;
    const sync = await createSync(huge.id, 'huge.db');
    const triggered = await cli(['syncs', 'run', sync.id]);
    assert.equal(triggered.code, 0, String(triggered));
    const id = triggered.stdout.trim();
    const watch = start(['runs', 'watch', id]);
    await waitFor('watch to see the run running', () => watch.out.stdout.includes(`run ${id} running`));
    const cancel = await cli(['runs', 'cancel', id]);
    assert.equal(cancel.code, 0, String(cancel));
    assert.match(cancel.stdout, new RegExp(`^run ${id} (cancelling|cancelled)$`, 'm'));
    const watched = await watch.done;
    assert.equal(watched.code, CODES.cancelled, String(watched));
    summaryOf(watched.stdout, 'cancelled');
    assert.equal((await api('GET', `/v1/runs/${id}`)).json.status, 'cancelled');
    const again = await cli(['runs', 'cancel', id]);
    assert.equal(again.code, CODES.api_error, String(again));
    assert.match(again.stderr, /HTTP 409 conflict/);
  });

  test('Ctrl-C stops watching with its own code and leaves the run running', async () => {
    const sync = await createSync(S.huge.id, 'huge-2.db');
    const watch = start(['syncs', 'run', sync.id, '--wait']);
    const id = await waitFor('the run to be running', () => {
      const m = /^run (\S+) running/m.exec(watch.out.stdout);
      return m && m[1];
    });
    watch.child.kill('SIGINT');
    const res = await watch.done;
    assert.equal(res.code, CODES.interrupted, String(res));
    assert.match(res.stderr, /stopped watching/);
    const run = (await api('GET', `/v1/runs/${id}`)).json;
    assert.ok(['queued', 'running'].includes(run.status), `the run was touched: ${run.status}`);
    assert.equal((await api('POST', `/v1/runs/${id}/cancel`)).status, 200);
    assert.equal((await runWhenDone(id)).status, 'cancelled');
  });

  test('a failing run: the failed code, the error shown', async () => {
    // A file connection whose model file disappears after the sync was created (as in the vendor suites).
    const dir = path.join(tmp, 'data', tenantId, 'files');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'hr.People.csv'), 'id,name,updated_at\n1,Ada,2024-01-01T00:00:00Z\n');
    const conn = await createConnection('Files', { path: 'files' }, 'file');
    const sync = await createSync(conn.id, 'files.db', ['--models', 'hr.People', '--max-attempts', '1']);
    fs.rmSync(path.join(dir, 'hr.People.csv'));
    const res = await cli(['syncs', 'run', sync.id, '--wait']);
    assert.equal(res.code, CODES.failed, String(res));
    const id = /^run (\S+) triggered$/m.exec(res.stdout)?.[1];
    const run = (await api('GET', `/v1/runs/${id}`)).json;
    assert.equal(run.status, 'failed');
    summaryOf(res.stdout, 'failed');
    const error = /^error \[([^\]]+)\]: (.*)$/m.exec(res.stdout);
    assert.ok(error, res.stdout);
    assert.equal(error[1], run.error_category ?? '-');
    assert.ok(run.error === null || error[2] === run.error.replace(/[\x00-\x1f\x7f]/g, '?'), `${error[2]} vs ${run.error}`);
    const watched = await cli(['runs', 'watch', id]);
    assert.equal(watched.code, CODES.failed, 'watching a finished run tells how it ended');
  });

  test('watching an unknown run: 404', async () => {
    const res = await cli(['runs', 'watch', crypto.randomUUID()]);
    assert.equal(res.code, CODES.api_error, String(res));
    assert.match(res.stderr, /HTTP 404 not_found/);
  });
});

describe('server stopped', () => {
  test('every command says the server at FERRY_URL cannot be reached', async () => {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    for (const args of [['connections', 'list'], ['runs', 'watch', S.firstRun.id], ['syncs', 'run', S.sync.id, '--wait']]) {
      const res = await cli(args);
      assert.equal(res.code, CODES.unreachable, String(res));
      assert.ok(res.stderr.includes(`cannot reach the ferry server at ${base}`), String(res));
    }
  });
});
