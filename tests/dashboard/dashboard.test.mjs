// The web dashboard (web/, docs/dashboard.md) in a real browser: Debian's chromium, headless, driven by
// playwright-core (pinned in tests/dashboard/package.json), against a real `ferry serve` on loopback.
//
//   (cd tests/dashboard && npm install) && FERRY_BIN=build/ferry node --test tests/dashboard/
//
// Signs in, creates connections from their specs (secret fields as password inputs), a sync into SQLite,
// watches runs complete, get cancelled and fail (with the error category and what to do), manages API keys,
// and checks every page at phone width (375 px: no horizontal scroll). Every state the page shows is compared
// with what /v1 says; the run page follows a run through its event stream and polls only when the stream is
// refused. No console error and no page error may happen but the 401s and the stream's 429 the test provokes on
// purpose.
// A screenshot of every page goes to $FERRY_TEST_OUTPUT/dashboard-screenshots/ (default: the temp dir).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnFerry } from '../integration/ferry_process.mjs';

const CHROMIUM = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';
const SECRET = 'sample-secret-4711';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 900 };
const shotDir = path.join(process.env.FERRY_TEST_OUTPUT ?? os.tmpdir(), 'dashboard-screenshots');

let tmp; // ferry.db and the tenants' data
let server; // `ferry serve`
let base; // http://127.0.0.1:PORT
let key; // the tenant's first API key
let browser;
let page; // the desktop tab
const screenshots = [];
const S = {}; // ids shared by the tests (they run in file order)

// Console errors and page errors: `expecting` (a RegExp) marks the ones a step provokes on purpose.
const unexpectedErrors = [];
const expectedErrors = [];
let expecting = null;

function watch(p, label) {
  p.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = `${label} console: ${message.text()} (${message.location()?.url ?? ''})`;
    (expecting?.test(text) ? expectedErrors : unexpectedErrors).push(text);
  });
  p.on('pageerror', (error) => unexpectedErrors.push(`${label} pageerror: ${error.message}`));
}

// Runs `step` while console errors matching `pattern` are expected (e.g. the 401 of a refused key).
async function provoking(pattern, p, step) {
  expecting = pattern;
  try {
    await step();
    await p.waitForTimeout(300); // console events of the step's last response arrive after it
  } finally {
    expecting = null;
  }
}

async function api(method, urlPath, { body, as = key } = {}) {
  const headers = {};
  if (as) headers.authorization = `Bearer ${as}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, json, text, headers: res.headers };
}

async function must(method, urlPath, options) {
  const res = await api(method, urlPath, options);
  assert.ok(res.status < 300, `${method} ${urlPath} -> ${res.status}: ${res.text.slice(0, 400)}`);
  return res.json;
}

// Text a rendering slip shows instead of a value (JSON blocks aside: they show the server's JSON as is).
async function assertNoRenderingSlips(p, name) {
  const slips = await p.evaluate(() => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement?.closest('pre.json, script, noscript')) continue;
      if (/\b(null|undefined|NaN)\b|\[object Object\]/.test(node.data)) {
        found.push(`${node.parentElement?.tagName}#${node.parentElement?.id}: ${node.data.slice(0, 120)}`);
      }
    }
    return found;
  });
  assert.deepEqual(slips, [], `${name} shows a value that is not one`);
}

// Checks the page shows no rendering slip, then saves a screenshot of it.
async function shot(p, name) {
  await assertNoRenderingSlips(p, name);
  const file = path.join(shotDir, `${name}.png`);
  await p.screenshot({ path: file, fullPage: true });
  screenshots.push(file);
  console.log(`screenshot: ${file}`);
}

async function go(p, hash, selector) {
  await p.goto(`${base}/${hash}`);
  await p.waitForSelector(selector);
}

function hashId(p, kind) {
  const m = new RegExp(`#/${kind}/(${UUID})$`).exec(p.url());
  assert.ok(m, `expected #/${kind}/<id>, at ${p.url()}`);
  return m[1];
}

const count = async (p, selector) => Number((await p.textContent(selector)).replace(/,/g, ''));

// Waits until the run page stops polling (a final status); returns the status it shows.
async function finalStatus(p, timeout = 90_000) {
  await p.waitForFunction(() => document.querySelector('#run-live')?.dataset.state === 'final', null, { timeout });
  return p.getAttribute('#run-status .badge', 'data-status');
}

async function scrollWidth(p) {
  return p.evaluate(() => document.scrollingElement.scrollWidth);
}

before(async () => {
  const bin = process.env.FERRY_BIN;
  if (!bin || !fs.existsSync(bin)) throw new Error(`FERRY_BIN=${bin}: point it at the ferry binary`);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh)`);
  const { chromium } = await import('playwright-core').catch(() => {
    throw new Error('playwright-core is missing: (cd tests/dashboard && npm install)');
  });
  fs.mkdirSync(shotDir, { recursive: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-dashboard-'));
  const env = { ...process.env };
  delete env.FERRY_MASTER_KEY;
  const db = path.join(tmp, 'ferry.db');
  const out = execFileSync(bin, ['admin', 'create-tenant', 'acme', '--db', db], { env, encoding: 'utf8' });
  key = out.trim().split('\n').at(-1).trim();
  assert.match(key, /^fry_/);
  server = spawnFerry(bin, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--workers', '3', '--tenant-max-running', '3'], { env });
  base = await server.ready;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  page = await browser.newPage({ viewport: DESKTOP });
  watch(page, 'desktop');
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    let timer;
    const stopped = await Promise.race([exited.then(() => true), new Promise((r) => { timer = setTimeout(() => r(false), 15_000); })]);
    clearTimeout(timer);
    if (!stopped) {
      server.kill('SIGKILL');
      await exited;
    }
    assert.ok(stopped, `ferry did not stop within 15 s of SIGTERM:\n${server.logs.slice(-20).join('\n')}`);
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (screenshots.length) console.log(`${screenshots.length} screenshots in ${shotDir}`);
});

describe('the dashboard', () => {
  test('/ is the page under a strict Content-Security-Policy; its files need no key', async () => {
    const index = await fetch(`${base}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type'), /^text\/html/);
    const csp = index.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.ok(index.headers.get('cache-control'), 'Cache-Control');
    const html = await index.text();
    assert.doesNotMatch(html.replace(/<script[^>]*src="[^"]+"[^>]*><\/script>/g, ''), /<script/i, 'inline script in index.html');
    const js = await fetch(`${base}/assets/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
    assert.equal((await fetch(`${base}/assets/no-such-file.js`)).status, 404);
  });

  test('signs in with an API key, and refuses a wrong one', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('#api-key');
    assert.match(page.url(), /#\/signin$/);
    assert.equal(await page.getAttribute('#api-key', 'type'), 'password');
    await shot(page, 'signin');
    await provoking(/401/, page, async () => {
      await page.fill('#api-key', 'fry_not-a-key-of-anyone');
      await page.click('#sign-in');
      await page.waitForSelector('#signin-error:not([hidden])');
    });
    assert.match(await page.textContent('#signin-error'), /refused/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('ferry.apiKey')), null);
    await page.fill('#api-key', key);
    await page.click('#sign-in');
    await page.waitForSelector('#new-connection');
    assert.match(page.url(), /#\/connections$/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('ferry.apiKey')), key);
  });

  test('renders every source type\'s spec, secret fields as password inputs', async () => {
    await go(page, '#/connections/new', '#source-type');
    const served = await must('GET', '/v1/connector-types');
    const types = served.sources.map((t) => t.type);
    assert.ok(types.includes('sample') && types.includes('rest'), types.join());
    assert.deepEqual(await page.$$eval('#source-type option', (os) => os.map((o) => o.value)), types);
    for (const type of types) {
      const schema = served.sources.find((t) => t.type === type).config;
      await page.selectOption('#source-type', type);
      await page.waitForFunction((t) => document.querySelector('#spec-fields legend')?.textContent === `${t} settings`, type);
      const shown = await page.$$eval('#spec-fields [data-field]', (els) => els.map((e) => ({
        name: e.dataset.field, tag: e.tagName.toLowerCase(), type: e.getAttribute('type'), secret: e.classList.contains('secret'),
      })));
      assert.deepEqual(shown.map((f) => f.name).sort(), Object.keys(schema.properties).sort(), `${type}: the fields shown`);
      for (const f of shown) {
        const prop = schema.properties[f.name];
        if (prop.type === 'object') assert.equal(f.tag, 'textarea', `${type}.${f.name}`);
        else if (prop.type === 'integer') assert.equal(f.type, 'number', `${type}.${f.name}`);
        if (prop.writeOnly && prop.type === 'string') assert.equal(f.type, 'password', `${type}.${f.name} is secret`);
        if (prop.writeOnly && prop.type === 'object') assert.ok(f.secret, `${type}.${f.name} is secret`);
        if (!prop.writeOnly) assert.notEqual(f.type, 'password', `${type}.${f.name} is not secret`);
      }
    }
  });

  test('creates a sample connection, checks it and discovers its models', async () => {
    await go(page, '#/connections/new', '#source-type');
    await page.selectOption('#source-type', 'sample');
    await page.waitForSelector('#spec-fields [name="api_key"]');
    await page.fill('#connection-name', 'Acme HR');
    await page.fill('#spec-fields [name="seed"]', '7');
    await page.fill('#spec-fields [name="size"]', '400');
    await page.fill('#spec-fields [name="api_key"]', SECRET);
    await shot(page, 'connection-new');
    await page.click('#create-connection');
    await page.waitForSelector('#connection-details');
    S.connection = hashId(page, 'connections');
    const stored = await must('GET', `/v1/connections/${S.connection}`);
    assert.equal(stored.name, 'Acme HR');
    assert.equal(stored.source_type, 'sample');
    assert.equal(stored.config.seed, 7);
    assert.equal(stored.config.size, 400);
    assert.deepEqual(stored.secret_fields, ['api_key']);
    assert.equal(await page.textContent('#connection-name'), 'Acme HR');
    assert.ok(!(await page.evaluate(() => document.body.innerText)).includes(SECRET), 'the secret is not shown');

    await page.click('#check-connection');
    await page.waitForSelector('#check-result .badge');
    assert.equal(await page.getAttribute('#check-result .badge', 'data-status'), 'succeeded');
    await page.click('#discover-models');
    await page.waitForSelector('#models-table');
    const models = (await must('GET', `/v1/connections/${S.connection}/models`)).data.map((m) => m.model_id).sort();
    assert.equal(models.length, 4);
    const shown = await page.$$eval('#models-table tbody tr td:first-child code', (els) => els.map((e) => e.textContent));
    assert.deepEqual(shown.sort(), models);
    await shot(page, 'connection');

    // Edit: a new name and size; the secret, left empty, is kept.
    await page.click('#edit-connection');
    await page.waitForSelector('#edit-holder [name="api_key"]');
    assert.equal(await page.inputValue('#edit-holder [name="api_key"]'), '', 'a secret is never filled in');
    assert.equal(await page.inputValue('#edit-holder [name="size"]'), '400');
    await page.fill('#edit-name', 'Acme HR (edited)');
    await page.fill('#edit-holder [name="size"]', '500');
    await shot(page, 'connection-edit');
    await page.click('#save-connection');
    await page.waitForFunction(() => document.querySelector('#connection-name')?.textContent === 'Acme HR (edited)');
    const edited = await must('GET', `/v1/connections/${S.connection}`);
    assert.equal(edited.name, 'Acme HR (edited)');
    assert.equal(edited.config.size, 500);
    assert.equal(edited.config.seed, 7);
    assert.deepEqual(edited.secret_fields, ['api_key']);
  });

  test('shows server strings as text, never as markup', async () => {
    const evil = '<img src=x id=injected>';
    await must('POST', '/v1/connections', { body: { name: evil, source_type: 'sample', config: { size: 10 } } });
    await go(page, '#/connections', '#connections-table');
    assert.ok((await page.textContent('#connections-table')).includes(evil));
    assert.equal(await page.locator('#injected').count(), 0);
    assert.equal(await page.locator('#connections-table .connection-link').count(),
      (await must('GET', '/v1/connections')).data.length);
    await shot(page, 'connections');
  });

  test('creates a sync into SQLite and watches its run complete', async () => {
    await go(page, `#/connections/${S.connection}`, '#new-sync-from-connection');
    await page.click('#new-sync-from-connection');
    await page.waitForSelector('#models-picker input[name="model"]');
    assert.equal(await page.inputValue('#sync-connection'), S.connection);
    assert.equal(await page.locator('#models-picker input[name="model"]').count(), 4);
    // The destination types and their fields are the server's (GET /v1/connector-types).
    const destinations = (await must('GET', '/v1/connector-types')).destinations;
    assert.deepEqual(await page.$$eval('#destination-type option', (os) => os.map((o) => o.value)),
      destinations.map((t) => t.type));
    await page.selectOption('#destination-type', 'postgres');
    await page.waitForFunction(() => document.querySelector('#destination-fields legend')?.textContent === 'postgres destination');
    const postgres = destinations.find((t) => t.type === 'postgres').config;
    assert.deepEqual((await page.$$eval('#destination-fields [data-field]', (els) => els.map((e) => e.dataset.field))).sort(),
      Object.keys(postgres.properties).sort());
    assert.equal(await page.getAttribute('#destination-fields [name="url"]', 'type'), 'password', 'the URL holds a password');
    await page.selectOption('#destination-type', 'sqlite');
    await page.fill('#destination-fields [name="path"]', 'dashboard.db');
    await shot(page, 'sync-new');
    await page.click('#create-sync');
    await page.waitForSelector('#sync-details');
    S.sync = hashId(page, 'syncs');
    const sync = await must('GET', `/v1/syncs/${S.sync}`);
    assert.equal(sync.connection_id, S.connection);
    assert.deepEqual(sync.destination.config, { path: 'dashboard.db' });
    assert.equal(sync.models, null);
    assert.deepEqual(sync.schedule.kind, 'manual');

    await page.click('#trigger-run');
    await page.waitForSelector('#run-counts');
    S.run = hashId(page, 'runs');
    assert.equal(await finalStatus(page), 'complete');
    const run = await must('GET', `/v1/runs/${S.run}`);
    assert.equal(run.status, 'complete');
    assert.equal(run.sync_id, S.sync);
    const inserted = await count(page, '#count-inserted');
    assert.ok(inserted > 0, `inserted ${inserted}`);
    assert.equal(inserted, run.counts.inserted);
    assert.equal(await count(page, '#count-updated'), run.counts.updated);
    assert.equal(await count(page, '#count-deleted'), run.counts.deleted);
    assert.equal(await count(page, '#count-failed'), run.counts.failed);
    const tasks = await page.$$eval('#tasks-table tbody tr', (rows) => rows.map((r) => ({
      model: r.querySelector('td code').textContent,
      status: r.querySelector('.badge').dataset.status,
      inserted: Number(r.querySelector('td[data-label="Inserted"]').textContent.replace(/,/g, '')),
    })));
    assert.deepEqual(tasks.sort((a, b) => a.model.localeCompare(b.model)),
      run.tasks.map((t) => ({ model: t.model_id, status: t.status, inserted: t.inserted })).sort((a, b) => a.model.localeCompare(b.model)));
    assert.ok(tasks.every((t) => t.status === 'complete'));
    assert.equal(await page.locator('#run-error').count(), 0);
    assert.equal(await page.isVisible('#cancel-run'), false);
    const records = await must('GET', `/v1/syncs/${S.sync}/models/hris.Employee/records?limit=1`);
    assert.equal(records.data.length, 1, 'the destination holds rows');
    await shot(page, 'run-complete');
  });

  test('schedules, pauses, resumes and fully resyncs a sync', async () => {
    await go(page, `#/syncs/${S.sync}`, '#schedule-form');
    await page.selectOption('#schedule-kind', 'interval');
    await page.fill('#schedule-interval', '90');
    await page.click('#save-schedule');
    await page.waitForFunction(() => document.querySelector('#sync-schedule')?.textContent === 'every 90 min');
    assert.deepEqual((await must('GET', `/v1/syncs/${S.sync}`)).schedule, { kind: 'interval', interval_minutes: 90, cron: null });

    await page.click('#pause-sync');
    await page.waitForSelector('#resume-sync');
    assert.equal((await must('GET', `/v1/syncs/${S.sync}`)).status, 'paused');
    assert.equal(await page.textContent('#sync-status-text'), 'paused');
    await shot(page, 'sync-paused');
    await page.click('#resume-sync');
    await page.waitForSelector('#pause-sync');
    assert.equal((await must('GET', `/v1/syncs/${S.sync}`)).status, 'active');

    await page.selectOption('#schedule-kind', 'manual');
    await page.click('#save-schedule');
    await page.waitForFunction(() => document.querySelector('#sync-schedule')?.textContent === 'manual');
    assert.equal((await must('GET', `/v1/syncs/${S.sync}`)).schedule.kind, 'manual');

    await page.click('#full-resync');
    await page.waitForSelector('#run-counts');
    const id = hashId(page, 'runs');
    assert.notEqual(id, S.run);
    assert.equal(await finalStatus(page), 'complete');
    const run = await must('GET', `/v1/runs/${id}`);
    assert.equal(run.full_refresh, true);
    assert.equal(await page.textContent('#run-details dd:nth-of-type(3)'), 'full resync');
    await go(page, `#/syncs/${S.sync}`, '#sync-runs-table');
    const listed = await page.$$eval('#sync-runs-table .run-link', (as) => as.map((a) => a.dataset.runId));
    assert.deepEqual(listed, (await must('GET', `/v1/syncs/${S.sync}/runs`)).data.map((r) => r.id));
    assert.equal(await page.$$eval('#model-status-table tbody tr', (rows) => rows.length), 4);
    await shot(page, 'sync');
  });

  test('shows a run\'s progress live and cancels it', async () => {
    const c = await must('POST', '/v1/connections', { body: { name: 'Big', source_type: 'sample', config: { size: 50_000_000, batch_size: 500 } } });
    const s = await must('POST', '/v1/syncs', { body: { connection_id: c.id, destination: { type: 'sqlite', config: { path: 'big.db' } } } });
    S.bigSync = s.id;
    await go(page, `#/syncs/${s.id}`, '#trigger-run');
    // Every /v1/runs/... request the page makes from here on: the run page follows the run through its stream.
    const runRequests = [];
    const onRequest = (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/v1/runs/')) runRequests.push({ method: request.method(), pathname });
    };
    page.on('request', onRequest);
    await page.click('#trigger-run');
    await page.waitForSelector('#run-counts');
    S.cancelled = hashId(page, 'runs');
    await page.waitForFunction(() => Number(document.querySelector('#count-inserted')?.textContent.replace(/,/g, '')) > 0, null, { timeout: 60_000 });
    const first = await count(page, '#count-inserted');
    // The count grows while the run goes on, without a reload, from the stream's events.
    await page.waitForFunction((n) => Number(document.querySelector('#count-inserted')?.textContent.replace(/,/g, '')) > n, first, { timeout: 30_000 });
    await page.waitForTimeout(2500); // long enough for two polls, had the page polled
    assert.equal(await page.getAttribute('#run-live', 'data-state'), 'live');
    assert.equal(await page.getAttribute('#run-live', 'data-via'), 'stream');
    const runPath = `/v1/runs/${S.cancelled}`;
    assert.deepEqual(runRequests.filter((r) => r.pathname === `${runPath}/stream`), [{ method: 'GET', pathname: `${runPath}/stream` }],
      'the run page opened one stream');
    // One GET of the run to draw the page, then nothing but the stream: no polling while the stream is open.
    assert.deepEqual(runRequests.filter((r) => r.pathname === runPath), [{ method: 'GET', pathname: runPath }],
      `the run page polled while its stream was open: ${JSON.stringify(runRequests)}`);
    page.off('request', onRequest);
    assert.equal(await page.getAttribute('#run-status .badge', 'data-status'), 'running');
    await shot(page, 'run-running');
    await page.click('#cancel-run');
    assert.equal(await finalStatus(page, 60_000), 'cancelled');
    const run = await must('GET', `/v1/runs/${S.cancelled}`);
    assert.equal(run.status, 'cancelled');
    assert.ok(run.counts.inserted > 0 && run.counts.inserted < 50_000_000, `inserted ${run.counts.inserted}`);
    assert.equal(await count(page, '#count-inserted'), run.counts.inserted);
    assert.equal(await page.isVisible('#cancel-run'), false);
    assert.equal(await page.isVisible('#run-again'), true);
    await shot(page, 'run-cancelled');
  });

  test('falls back to polling when the server refuses the run\'s stream', async () => {
    const run = await must('POST', `/v1/syncs/${S.bigSync}/runs`, { body: {} });
    // The tenant's four streams are taken (docs/api-v1.md): the page's own is refused with 429.
    const holders = [];
    for (let i = 0; i < 4; i++) {
      const aborter = new AbortController();
      const res = await fetch(`${base}/v1/runs/${run.id}/stream`, { headers: { authorization: `Bearer ${key}` }, signal: aborter.signal });
      assert.equal(res.status, 200);
      holders.push(aborter);
    }
    try {
      const refused = await api('GET', `/v1/runs/${run.id}/stream`);
      assert.equal(refused.status, 429);
      assert.equal(refused.json.error.code, 'too_many_streams');
      await provoking(/status of 429/, page, async () => {
        // Chromium reports the refused request in the console, at a moment of its own: waited for here.
        const reported = page.waitForEvent('console', {
          predicate: (message) => message.type() === 'error' && message.text().includes('429'), timeout: 10_000,
        });
        await go(page, `#/runs/${run.id}`, '#run-live[data-via="poll"]');
        await reported;
      });
      assert.equal(await page.getAttribute('#run-live', 'data-state'), 'live');
      await page.waitForFunction(() => Number(document.querySelector('#count-inserted')?.textContent.replace(/,/g, '')) > 0, null, { timeout: 60_000 });
    } finally {
      for (const aborter of holders) aborter.abort();
    }
    await must('POST', `/v1/runs/${run.id}/cancel`, { body: {} });
    assert.equal(await finalStatus(page, 60_000), 'cancelled');
  });

  test('shows a failed run with its error category and what to do', async () => {
    // A REST source on ferry's own address: the operator's egress policy refuses it (config_invalid).
    const definition = {
      name: 'loopback', base_url: 'https://api.example.com', auth: { type: 'none' },
      models: [{ model_id: 'probe.Item', path: '/items', records: '/results', primary_key: 'id', fields: [{ name: 'id', type: 'integer' }] }],
    };
    await go(page, '#/connections/new?type=rest', '#spec-fields [name="definition"]');
    await page.fill('#connection-name', 'Loopback REST');
    await page.fill('#spec-fields [name="definition"]', JSON.stringify(definition, null, 2));
    await page.fill('#spec-fields [name="base_url"]', base);
    await page.fill('#spec-fields [name="max_attempts"]', '1');
    await page.fill('#spec-fields [name="timeout_seconds"]', '5');
    await page.click('#create-connection');
    await page.waitForSelector('#connection-details');
    S.rest = hashId(page, 'connections');
    assert.equal((await must('GET', `/v1/connections/${S.rest}`)).source_type, 'rest');

    await page.click('#check-connection');
    await page.waitForSelector('#check-error');
    assert.equal(await page.getAttribute('#check-result .badge', 'data-status'), 'failed');
    assert.equal(await page.textContent('#check-error .error-category'), 'config_invalid');
    assert.match(await page.textContent('#check-error .error-message'), /egress policy refuses/);
    await shot(page, 'connection-check-failed');

    await page.click('#new-sync-from-connection');
    await page.waitForSelector('#models-picker input[name="model"]');
    await page.fill('#destination-fields [name="path"]', 'rest.db');
    await page.click('#create-sync');
    await page.waitForSelector('#trigger-run');
    await page.click('#trigger-run');
    await page.waitForSelector('#run-counts');
    S.failed = hashId(page, 'runs');
    assert.equal(await finalStatus(page), 'failed');
    const run = await must('GET', `/v1/runs/${S.failed}`);
    assert.equal(run.status, 'failed');
    assert.equal(run.error_category, 'config_invalid');
    assert.equal(await page.textContent('#run-error .error-category'), run.error_category);
    assert.equal(await page.textContent('#run-error .error-message'), run.error);
    assert.match(await page.textContent('#run-error .error-hint'), /configuration is wrong/);
    await shot(page, 'run-failed');
  });

  test('lists the runs of every sync, newest first', async () => {
    await go(page, '#/runs', '#runs-table');
    const expected = [];
    for (const sync of (await must('GET', '/v1/syncs')).data) expected.push(...(await must('GET', `/v1/syncs/${sync.id}/runs`)).data);
    expected.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    const shown = await page.$$eval('#runs-table tbody tr', (rows) => rows.map((r) => ({
      id: r.querySelector('.run-link').dataset.runId, status: r.querySelector('.badge').dataset.status,
    })));
    assert.deepEqual(shown, expected.map((r) => ({ id: r.id, status: r.status })));
    assert.deepEqual(new Set(shown.map((r) => r.status)), new Set(['complete', 'cancelled', 'failed']));
    await shot(page, 'runs');
  });

  test('creates an API key, shows its secret once, and revokes it', async () => {
    await go(page, '#/keys', '#keys-table');
    const before = (await must('GET', '/v1/api-keys')).data;
    assert.equal(await page.locator('#keys-table tbody tr').count(), before.length);
    assert.equal(await page.locator('#keys-table .tag-session').count(), 1);
    await page.click('#create-key');
    await page.waitForSelector('#new-key-secret');
    const secret = await page.textContent('#new-key-secret');
    assert.match(secret, /^fry_/);
    assert.notEqual(secret, key);
    assert.equal((await api('GET', '/v1/connections', { as: secret })).status, 200, 'the new key works');
    await page.waitForFunction((n) => document.querySelectorAll('#keys-table tbody tr').length === n, before.length + 1);
    await shot(page, 'keys-created');
    await go(page, '#/connections', '#connections-table');
    await go(page, '#/keys', '#keys-table');
    assert.equal(await page.locator('#new-key-secret').count(), 0);
    assert.ok(!(await page.evaluate(() => document.body.innerText)).includes(secret), 'the secret is shown once only');

    const created = (await must('GET', '/v1/api-keys')).data.find((k) => secret.startsWith(k.prefix) && k.prefix.length > 4);
    assert.ok(created, 'the new key is listed by its prefix');
    const revoke = page.locator(`button[data-key-id="${created.id}"]`);
    await revoke.click();
    await revoke.click(); // the second click confirms
    await page.waitForSelector(`button[data-key-id="${created.id}"]`, { state: 'detached' });
    assert.ok((await must('GET', '/v1/api-keys')).data.find((k) => k.id === created.id).revoked_at);
    assert.equal((await api('GET', '/v1/connections', { as: secret })).status, 401, 'the revoked key is refused');
    assert.equal(await page.locator('#keys-table .status-revoked').count(), 1);
    await shot(page, 'keys');

    // Signed in with the revoked key: refused.
    await page.click('#sign-out');
    await page.waitForSelector('#api-key');
    await provoking(/401/, page, async () => {
      await page.fill('#api-key', secret);
      await page.click('#sign-in');
      await page.waitForSelector('#signin-error:not([hidden])');
    });
    await page.fill('#api-key', key);
    await page.click('#sign-in');
    await page.waitForSelector('#new-connection');
  });

  test('revoking the session\'s own key signs out', async () => {
    const other = await must('POST', '/v1/api-keys', { body: {} });
    await page.click('#sign-out');
    await page.fill('#api-key', other.key);
    await page.click('#sign-in');
    await page.waitForSelector('#new-connection');  // signed in: the key was checked and kept
    await go(page, '#/keys', '#keys-table');
    const own = page.locator(`button[data-key-id="${other.id}"]`);
    await own.click();
    await own.click();
    await page.waitForSelector('#api-key');
    assert.match(await page.textContent('#notice'), /revoked the key this session used/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('ferry.apiKey')), null);
    assert.equal((await api('GET', '/v1/connections', { as: other.key })).status, 401);
    await page.fill('#api-key', key);
    await page.click('#sign-in');
    await page.waitForSelector('#new-connection');
  });

  test('every page fits a 375 px wide phone without horizontal scroll', async () => {
    const phone = await browser.newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
    watch(phone, 'phone');
    const pages = [
      ['signin', '#/signin', '#api-key'],
    ];
    await go(phone, pages[0][1], pages[0][2]);
    const widths = {};
    widths.signin = await scrollWidth(phone);
    await shot(phone, 'phone-signin');
    await phone.fill('#api-key', key);
    await phone.click('#sign-in');
    await phone.waitForSelector('#new-connection');
    const signedIn = [
      ['connections', '#/connections', '#connections-table'],
      ['connection-new', '#/connections/new?type=sample', '#spec-fields [name="api_key"]'],
      ['connection-new-rest', '#/connections/new?type=rest', '#spec-fields [name="definition"]'],
      ['connection', `#/connections/${S.connection}`, '#models-table'],
      ['syncs', '#/syncs', '#syncs-table'],
      ['sync-new', `#/syncs/new?connection=${S.connection}`, '#models-picker input[name="model"]'],
      ['sync', `#/syncs/${S.sync}`, '#sync-runs-table'],
      ['runs', '#/runs', '#runs-table'],
      ['run-complete', `#/runs/${S.run}`, '#run-live[data-state="final"]'],
      ['run-cancelled', `#/runs/${S.cancelled}`, '#run-live[data-state="final"]'],
      ['run-failed', `#/runs/${S.failed}`, '#run-error'],
      ['keys', '#/keys', '#keys-table'],
    ];
    for (const [name, hash, selector] of signedIn) {
      await go(phone, hash, selector);
      widths[name] = await scrollWidth(phone);
      await shot(phone, `phone-${name}`);
    }
    // A new key's secret box too.
    await phone.click('#create-key');
    await phone.waitForSelector('#new-key-secret');
    widths['keys-created'] = await scrollWidth(phone);
    await shot(phone, 'phone-keys-created');
    await phone.close();
    const wide = Object.entries(widths).filter(([, w]) => w > PHONE.width);
    assert.deepEqual(wide, [], `pages wider than ${PHONE.width} px: ${JSON.stringify(widths)}`);
    assert.equal(Object.keys(widths).length, signedIn.length + 2);
  });

  test('no console error and no page error happened', () => {
    assert.deepEqual(unexpectedErrors, []);
    // The listener hears errors: the refused keys' 401s reached it.
    assert.ok(expectedErrors.length >= 2, `the provoked 401s were not heard: ${expectedErrors.join('\n')}`);
    // Those and the run stream refused with 429 on purpose (the page then polls), nothing else.
    assert.ok(expectedErrors.every((e) => /401|429 \(Too Many Requests\) \(http:[^ ]*\/v1\/runs\/[^ ]*\/stream\)/.test(e)),
      expectedErrors.join('\n'));
  });
});
