// Merge's own SDK (@mergeapi/merge-node-client) against a real `ferry serve`: force resync (seed 000),
// sync status with cursor paging (seed 001), account details and linked accounts, and Merge's errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MergeClient, MergeError, serialization } from '@mergeapi/merge-node-client';
import { startFerry } from './harness.mjs';

let ferry;
before(async () => {
  ferry = await startFerry();
});
after(async () => {
  assert.equal(await ferry.stop(), 0, 'ferry exits cleanly');
});

const MICROS_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const STATUSES = ['SYNCING', 'DONE', 'FAILED', 'DISABLED', 'PAUSED', 'PARTIALLY_SYNCED'];

const merge = (accountToken, apiKey = ferry.keyA) =>
  new MergeClient({ apiKey, accountToken, baseUrl: ferry.baseUrl + '/api', maxRetries: 0 });

// Plain HTTP, for what the SDK hides: raw JSON, status codes, headers.
async function raw(method, path, headers = {}, body) {
  const res = await fetch(ferry.baseUrl + path, { method, headers, body });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, headers: res.headers };
}
const auth = (token, key = ferry.keyA) => ({ Authorization: `Bearer ${key}`, 'X-Account-Token': token });

// Every SyncStatus exactly as the seeds list it: nine fields, their types, enums and timestamp format.
function assertRawSyncStatus(row, category) {
  assert.deepEqual(Object.keys(row).sort(), [
    'is_initial_sync', 'last_sync_finished', 'last_sync_result', 'last_sync_start', 'model_id', 'model_name',
    'next_sync_start', 'selective_sync_configurations_usage', 'status',
  ]);
  assert.ok(row.model_id.startsWith(category + '.'), row.model_id);
  assert.equal(row.model_name, row.model_id.slice(category.length + 1));
  assert.ok(STATUSES.includes(row.status), row.status);
  assert.equal(typeof row.is_initial_sync, 'boolean');
  for (const field of ['last_sync_start', 'next_sync_start', 'last_sync_finished']) {
    assert.ok(row[field] === null || MICROS_Z.test(row[field]), `${field}: ${row[field]}`);
  }
  assert.ok(row.last_sync_result === null || STATUSES.includes(row.last_sync_result));
  assert.ok(['IN_NEXT_SYNC', 'IN_LAST_SYNC'].includes(row.selective_sync_configurations_usage));
}

async function runsOf(syncId) {
  return (await ferry.v1('GET', `/v1/syncs/${syncId}/runs?limit=100`)).data;
}

async function waitForRun(runId) {
  return ferry.eventually(async () => {
    const run = await ferry.v1('GET', `/v1/runs/${runId}`);
    return ['complete', 'failed', 'cancelled'].includes(run.status) ? run : null;
  }, `run ${runId} to finish`);
}

test('HRIS force resync through the SDK queues a full run of the HRIS models and reports it', async () => {
  const { connection, sync } = await ferry.sampleSync({ size: 600, batchSize: 50 });
  const client = merge(connection.account_token);

  const before = await client.hris.syncStatus.list();
  assert.deepEqual(before.data.map((r) => [r.modelId, r.status, r.isInitialSync, r.lastSyncResult]), [
    ['hris.Employee', 'DISABLED', true, undefined],
    ['hris.Team', 'DISABLED', true, undefined],
  ]);

  const statuses = await client.hris.forceResync.syncStatusResyncCreate();
  assert.ok(Array.isArray(statuses));
  assert.deepEqual(statuses.map((s) => s.modelId), ['hris.Employee', 'hris.Team']);
  for (const s of statuses) {
    assert.equal(s.status, 'SYNCING');
    assert.equal(s.isInitialSync, true);
    assert.equal(s.lastSyncResult, undefined);
    assert.equal(s.nextSyncStart, undefined);
    assert.equal(s.selectiveSyncConfigurationsUsage, 'IN_LAST_SYNC');
  }

  // The engine got exactly one full run of the HRIS models, triggered by Merge.
  const runs = await runsOf(sync.id);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].trigger, 'merge');
  assert.equal(runs[0].full_refresh, true);
  assert.deepEqual(runs[0].models, ['hris.Employee', 'hris.Team']);

  // Poll through the SDK until Merge says DONE.
  const done = await ferry.eventually(async () => {
    const page = await client.hris.syncStatus.list();
    return page.data.every((r) => r.status === 'DONE') ? page.data : null;
  }, 'HRIS models DONE');
  for (const r of done) {
    assert.equal(r.lastSyncResult, 'DONE');
    assert.equal(r.isInitialSync, false);
    assert.ok(r.lastSyncStart instanceof Date && r.lastSyncFinished instanceof Date);
    assert.ok(r.lastSyncStart <= r.lastSyncFinished);
    assert.equal(r.nextSyncStart, undefined);
  }
  const run = await waitForRun(runs[0].id);
  assert.equal(run.status, 'complete');
  assert.ok(run.counts.inserted > 0);
  // The ATS models were not part of the HRIS resync.
  const ats = await client.ats.syncStatus.list();
  assert.ok(ats.data.every((r) => r.status === 'DISABLED' && r.lastSyncStart === undefined));

  // The raw JSON: microseconds and Z, nulls where unknown, plain array for resync.
  const res = await raw('GET', '/api/hris/v1/sync-status', auth(connection.account_token));
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys(res.json).sort(), ['next', 'previous', 'results']);
  assert.equal(res.json.next, null);
  assert.equal(res.json.previous, null);
  for (const row of res.json.results) {
    assertRawSyncStatus(row, 'hris');
    assert.equal(row.next_sync_start, null);
    assert.match(row.last_sync_start, MICROS_Z);
    assert.equal(row.last_sync_result, 'DONE');
  }
});

test('a resync while a run is active starts no second run; both answers show SYNCING', async () => {
  const { connection, sync } = await ferry.sampleSync({ size: 400000, batchSize: 100 });
  const client = merge(connection.account_token);
  const first = await client.hris.forceResync.syncStatusResyncCreate();
  const second = await client.hris.forceResync.syncStatusResyncCreate();
  assert.deepEqual(first.map((s) => s.status), ['SYNCING', 'SYNCING']);
  assert.deepEqual(second.map((s) => s.status), ['SYNCING', 'SYNCING']);
  const runs = await runsOf(sync.id);
  assert.equal(runs.length, 1, 'one run for two resync requests');
  const listed = await client.hris.syncStatus.list();
  assert.deepEqual(listed.data.map((r) => r.status), ['SYNCING', 'SYNCING']);
  await ferry.v1('POST', `/v1/runs/${runs[0].id}/cancel`);
  const run = await waitForRun(runs[0].id);
  assert.equal(run.status, 'cancelled');
  // A cancelled run keeps the previous result (none yet): not syncing any more.
  const after = await client.hris.syncStatus.list();
  assert.ok(after.data.every((r) => r.status !== 'SYNCING' && r.lastSyncResult === undefined));
});

test('ATS sync status pages through the SDK with opaque cursors; a resync completes', async () => {
  const { connection, sync } = await ferry.sampleSync({ size: 300, batchSize: 50 });
  const client = merge(connection.account_token);
  const resynced = await client.ats.forceResync.syncStatusResyncCreate();
  assert.deepEqual(resynced.map((s) => [s.modelId, s.status]), [
    ['ats.Application', 'SYNCING'],
    ['ats.Candidate', 'SYNCING'],
  ]);
  const [run] = await runsOf(sync.id);
  assert.deepEqual([...run.models].sort(), ['ats.Application', 'ats.Candidate']);
  await ferry.eventually(async () => {
    const rows = [];
    for await (const r of await client.ats.syncStatus.list({ pageSize: 1 })) rows.push(r);
    return rows.length === 2 && rows.every((r) => r.status === 'DONE');
  }, 'ATS models DONE');

  // One row a page: the SDK follows `next` until it is null.
  const first = await client.ats.syncStatus.list({ pageSize: 1 });
  assert.equal(first.data.length, 1);
  assert.equal(first.data[0].modelId, 'ats.Application');
  assert.equal(first.hasNextPage(), true);
  assert.equal(first.response.previous, undefined);
  const cursor = first.response.next;
  assert.ok(!cursor.includes('ats.'), 'the cursor is opaque');
  await first.getNextPage();
  assert.deepEqual(first.data.map((r) => r.modelId), ['ats.Candidate']);
  assert.equal(first.hasNextPage(), false);
  const all = [];
  for await (const r of await client.ats.syncStatus.list({ pageSize: 1 })) all.push(r.modelId);
  assert.deepEqual(all, ['ats.Application', 'ats.Candidate']);

  // Raw: the second page links back to the first.
  const second = await raw('GET', `/api/ats/v1/sync-status?page_size=1&cursor=${cursor}`, auth(connection.account_token));
  assert.equal(second.status, 200);
  assert.equal(second.json.next, null);
  assert.equal(typeof second.json.previous, 'string');
  const back = await raw('GET', `/api/ats/v1/sync-status?page_size=1&cursor=${second.json.previous}`,
    auth(connection.account_token));
  assert.deepEqual(back.json.results.map((r) => r.model_id), ['ats.Application']);
  assert.equal(back.json.previous, null);
  assert.equal(back.json.next, cursor);
  // page_size beyond 100 is clamped, a malformed one falls back to the default (100): both give everything.
  for (const size of ['1000', 'abc', '0']) {
    const res = await raw('GET', `/api/ats/v1/sync-status?page_size=${size}`, auth(connection.account_token));
    assert.equal(res.status, 200);
    assert.equal(res.json.results.length, 2);
    res.json.results.forEach((row) => assertRawSyncStatus(row, 'ats'));
  }
});

test('PAUSED, IN_NEXT_SYNC and next_sync_start follow the sync', async () => {
  const { connection, sync } = await ferry.sampleSync({ size: 200, batchSize: 50 });
  const client = merge(connection.account_token);
  await client.hris.forceResync.syncStatusResyncCreate();
  const [run] = await runsOf(sync.id);
  await waitForRun(run.id);

  // A new model selection applies from the next sync on.
  await ferry.v1('PATCH', `/v1/syncs/${sync.id}`, { models: ['hris.Employee', 'ats.Candidate'] });
  let rows = (await client.hris.syncStatus.list()).data;
  assert.deepEqual(rows.map((r) => [r.modelId, r.selectiveSyncConfigurationsUsage]), [['hris.Employee', 'IN_NEXT_SYNC']]);

  // A schedule gives next_sync_start.
  const scheduled = await ferry.v1('PATCH', `/v1/syncs/${sync.id}`, { schedule: { kind: 'interval', interval_minutes: 60 } });
  rows = (await client.hris.syncStatus.list()).data;
  assert.equal(rows[0].nextSyncStart.toISOString(), new Date(scheduled.next_sync_start).toISOString());

  // Paused: PAUSED, and a resync queues nothing.
  await ferry.v1('PATCH', `/v1/syncs/${sync.id}`, { status: 'paused' });
  const paused = await client.hris.forceResync.syncStatusResyncCreate();
  assert.deepEqual(paused.map((r) => [r.status, r.lastSyncResult]), [['PAUSED', 'DONE']]);
  assert.equal((await runsOf(sync.id)).length, 1);
  assert.equal((await client.hris.syncStatus.list()).data[0].nextSyncStart, undefined);

  // Active again: the resync runs the selection and the usage becomes IN_LAST_SYNC.
  await ferry.v1('PATCH', `/v1/syncs/${sync.id}`, { status: 'active' });
  const resumed = await client.hris.forceResync.syncStatusResyncCreate();
  assert.deepEqual(resumed.map((r) => [r.modelId, r.status, r.selectiveSyncConfigurationsUsage]), [
    ['hris.Employee', 'SYNCING', 'IN_LAST_SYNC'],
  ]);
  const runs = await runsOf(sync.id);
  assert.equal(runs.length, 2);
  assert.deepEqual(runs[0].models, ['hris.Employee']);
  await waitForRun(runs[0].id);
});

test('a model that fails makes the others PARTIALLY_SYNCED and itself FAILED', async () => {
  const dir = ferry.hostPath('files-partial');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hris.Employee.jsonl'),
    '{"id":1,"name":"Ada","updated_at":"2024-01-01T00:00:00Z"}\n{"id":2,"name":"Grace","updated_at":"2024-01-02T00:00:00Z"}\n');
  // No primary key column: this model cannot sync.
  writeFileSync(join(dir, 'hris.Team.jsonl'), '{"name":"Core","updated_at":"2024-01-01T00:00:00Z"}\n');
  const connection = await ferry.v1('POST', '/v1/connections', { name: 'files', source_type: 'file', config: { path: 'files-partial' } });
  const sync = await ferry.v1('POST', '/v1/syncs', {
    connection_id: connection.id,
    destination: { type: 'sqlite', config: { path: 'partial.db' } },
  });
  const client = merge(connection.account_token);
  await client.hris.forceResync.syncStatusResyncCreate();
  const [run] = await runsOf(sync.id);
  const finished = await waitForRun(run.id);
  assert.equal(finished.status, 'complete');
  const rows = await ferry.eventually(async () => {
    const data = (await client.hris.syncStatus.list()).data;
    return data.every((r) => r.status !== 'SYNCING') ? data : null;
  }, 'rows settled');
  assert.deepEqual(rows.map((r) => [r.modelId, r.status, r.lastSyncResult, r.isInitialSync]), [
    ['hris.Employee', 'PARTIALLY_SYNCED', 'PARTIALLY_SYNCED', false],
    ['hris.Team', 'FAILED', 'FAILED', true],
  ]);
});

test('account details and linked accounts through the SDK', async () => {
  const { connection } = await ferry.sampleSync({ size: 100 });
  const other = await ferry.sampleSync({ size: 100, key: ferry.keyB });
  const client = merge(connection.account_token);

  const details = await client.ats.accountDetails.retrieve();
  assert.equal(details.id, connection.id);
  assert.equal(details.category, 'ats');
  assert.equal(details.integration, 'Sample');
  assert.equal(details.integrationSlug, 'sample');
  assert.equal(details.status, 'COMPLETE');
  assert.equal(details.endUserOrganizationName, connection.name);
  assert.equal(details.accountType, 'PRODUCTION');
  assert.equal(details.isDuplicate, false);
  assert.ok(details.completedAt instanceof Date);
  assert.equal((await client.hris.accountDetails.retrieve()).category, 'hris');
  const rawDetails = await raw('GET', '/api/hris/v1/account-details', auth(connection.account_token));
  assert.match(rawDetails.json.completed_at, MICROS_Z);
  assert.ok(!JSON.stringify(rawDetails.json).includes(connection.account_token), 'no secrets or tokens');

  // Every linked account of tenant A, one a page, newest first; none of tenant B's.
  const all = [];
  for await (const account of await client.hris.linkedAccounts.list({ pageSize: 1 })) all.push(account);
  const mine = (await ferry.v1('GET', '/v1/connections?limit=100')).data.map((c) => c.id);
  assert.deepEqual(all.map((a) => a.id), mine);
  assert.ok(!all.some((a) => a.id === other.connection.id));
  const entry = all.find((a) => a.id === connection.id);
  assert.equal(entry.status, 'COMPLETE');
  assert.equal(entry.category, 'hris');
  assert.equal(entry.integration.slug, 'sample');
  assert.deepEqual(entry.integration.categories, ['hris', 'ats']);
  assert.deepEqual(entry.integration.availableModelOperations.map((m) => m.modelName).sort(),
    ['Application', 'Candidate', 'Employee', 'Team']);
  assert.ok(entry.completedAt instanceof Date);

  const filtered = await client.crm.linkedAccounts.list({ id: connection.id, category: 'ats' });
  assert.deepEqual(filtered.data.map((a) => [a.id, a.category]), [[connection.id, 'ats']]);
  assert.equal((await client.crm.linkedAccounts.list({ category: 'crm' })).data.length, 0);
  // Another tenant's key sees only its own accounts.
  const b = merge(undefined, ferry.keyB);
  assert.deepEqual((await b.hris.linkedAccounts.list()).data.map((a) => a.id), [other.connection.id]);

  // Paging both ways with raw cursors.
  const p1 = await raw('GET', '/api/hris/v1/linked-accounts?page_size=2', { Authorization: `Bearer ${ferry.keyA}` });
  assert.equal(p1.status, 200);
  assert.equal(p1.json.previous, null);
  const p2 = await raw('GET', `/api/hris/v1/linked-accounts?page_size=2&cursor=${p1.json.next}`,
    { Authorization: `Bearer ${ferry.keyA}` });
  assert.deepEqual(p2.json.results.map((a) => a.id), mine.slice(2, 4));
  const back = await raw('GET', `/api/hris/v1/linked-accounts?page_size=2&cursor=${p2.json.previous}`,
    { Authorization: `Bearer ${ferry.keyA}` });
  assert.deepEqual(back.json.results.map((a) => a.id), mine.slice(0, 2));
  assert.equal(back.json.previous, null);
});

test('errors come back the way Merge sends them', async () => {
  const { connection } = await ferry.sampleSync({ size: 50 });
  const other = await ferry.sampleSync({ size: 50, key: ferry.keyB });
  const expectDetail = (res, status) => {
    assert.equal(res.status, status);
    assert.deepEqual(Object.keys(res.json), ['detail']);
    assert.equal(typeof res.json.detail, 'string');
  };

  // Through the SDK: a wrong key, a wrong account token.
  for (const client of [merge(connection.account_token, 'not-a-key'), merge('act_wrong')]) {
    await assert.rejects(client.hris.forceResync.syncStatusResyncCreate(), (err) => {
      assert.ok(err instanceof MergeError);
      assert.equal(err.statusCode, 401);
      assert.equal(typeof err.body.detail, 'string');
      return true;
    });
  }
  // Tenant B's linked account with tenant A's key is unknown to A (and the other way round).
  await assert.rejects(merge(other.connection.account_token).ats.syncStatus.list(),
    (err) => err instanceof MergeError && err.statusCode === 401);
  await assert.rejects(merge(connection.account_token, ferry.keyB).hris.accountDetails.retrieve(),
    (err) => err instanceof MergeError && err.statusCode === 401);

  const path = '/api/hris/v1/sync-status';
  expectDetail(await raw('GET', path), 401);
  expectDetail(await raw('GET', path, { Authorization: 'Basic abc' }), 401);
  expectDetail(await raw('GET', path, { Authorization: `Bearer ${ferry.keyA}` }), 401);  // no X-Account-Token
  expectDetail(await raw('GET', path, { Authorization: `Bearer ${ferry.keyA}`, 'X-Account-Token': '' }), 401);
  const noKey = await raw('POST', '/api/hris/v1/sync-status/resync');
  expectDetail(noKey, 401);
  assert.equal(noKey.headers.get('www-authenticate'), 'Bearer');
  expectDetail(await raw('GET', '/api/ats/v1/linked-accounts'), 401);

  // Bad cursors: 404 "Invalid cursor", never a 500.
  for (const cursor of ['garbage!', 'cD0', Buffer.from('x=1').toString('base64url'), 'A'.repeat(3000)]) {
    const res = await raw('GET', `${path}?cursor=${cursor}`, auth(connection.account_token));
    expectDetail(res, 404);
    assert.equal(res.json.detail, 'Invalid cursor');
  }
  const badAccountCursor = Buffer.from('p=not-a-position').toString('base64url');
  expectDetail(await raw('GET', `/api/hris/v1/linked-accounts?cursor=${badAccountCursor}`,
    { Authorization: `Bearer ${ferry.keyA}` }), 404);
  const badCategory = await raw('GET', '/api/hris/v1/linked-accounts?category=bogus', { Authorization: `Bearer ${ferry.keyA}` });
  assert.equal(badCategory.status, 400);
  assert.ok(Array.isArray(badCategory.json.category));

  // Wrong methods: 405 with Merge's detail.
  const wrong = await raw('GET', '/api/hris/v1/sync-status/resync', auth(connection.account_token));
  expectDetail(wrong, 405);
  assert.equal(wrong.json.detail, 'Method "GET" not allowed.');
  expectDetail(await raw('DELETE', path, auth(connection.account_token)), 405);

  // Resync takes no body: whatever is sent is ignored, as Merge does.
  const withBody = await raw('POST', '/api/ats/v1/sync-status/resync',
    { ...auth(connection.account_token), 'Content-Type': 'application/json' }, '{not json');
  assert.equal(withBody.status, 200);
  assert.ok(Array.isArray(withBody.json));
});

// ---- model mapping and common-model reads (issue 17)

// A file source whose model `public.employees` is mapped to hris.Employee, synced once into SQLite
// (`destination` adds to the SQLite destination's config). `write(ids)` rewrites the source file.
async function mappedEmployees(count = 7, destination = {}) {
  const relative = `files-mapped-${Math.random().toString(36).slice(2)}`;
  const dir = ferry.hostPath(relative);
  mkdirSync(dir, { recursive: true });
  const write = (ids) => {
    const lines = ids.map((i) => {
      const day = String(i).padStart(2, '0');
      return JSON.stringify({
        id: i, fname: `First${i}`, last_name: `Last${i}`,
        created_at: `2024-01-${day}T00:00:00Z`, updated_at: `2024-02-${day}T12:00:00Z`,
      });
    });
    writeFileSync(join(dir, 'public.employees.jsonl'), lines.join('\n') + '\n');
  };
  write(Array.from({ length: count }, (_, i) => i + 1));
  writeFileSync(join(dir, 'public.notes.jsonl'), '{"id":1,"text":"not mapped","updated_at":"2024-01-01T00:00:00Z"}\n');
  const connection = await ferry.v1('POST', '/v1/connections', {
    name: 'mapped files', source_type: 'file',
    config: { path: relative, merge_models: { 'public.employees': { model: 'hris.Employee', fields: { first_name: 'fname' } } } },
  });
  const sync = await ferry.v1('POST', '/v1/syncs', {
    connection_id: connection.id, destination: { type: 'sqlite', config: { path: `${relative}.db`, ...destination } },
  });
  return { connection, sync, write };
}

// Runs the sync once through /v1 as a full pass (a file source lists no keys, so only a full pass finds the
// rows it deleted) and waits for the run to complete.
async function runOnce(sync) {
  const run = await ferry.v1('POST', `/v1/syncs/${sync.id}/runs`, { full_refresh: true });
  assert.equal((await waitForRun(run.id)).status, 'complete');
}

test('a mapped model shows in sync status, resyncs, and lists through hris.employees with paging and filters', async () => {
  const { connection, sync } = await mappedEmployees(7);
  assert.deepEqual(connection.config.merge_models, { 'public.employees': { model: 'hris.Employee', fields: { first_name: 'fname' } } });
  const client = merge(connection.account_token);

  const before = (await client.hris.syncStatus.list()).data;
  assert.deepEqual(before.map((r) => [r.modelId, r.modelName]), [['hris.Employee', 'Employee']]);
  const queued = await client.hris.forceResync.syncStatusResyncCreate();
  assert.deepEqual(queued.map((s) => [s.modelId, s.status]), [['hris.Employee', 'SYNCING']]);
  const [run] = await runsOf(sync.id);
  assert.deepEqual(run.models, ['public.employees']);  // the connection's own model was queued
  assert.equal((await waitForRun(run.id)).status, 'complete');

  // Every page through the SDK's iterator, two at a time.
  const seen = [];
  for await (const employee of await client.hris.employees.list({ pageSize: 2 })) seen.push(employee);
  assert.deepEqual(seen.map((e) => e.id), ['1', '2', '3', '4', '5', '6', '7']);
  const first = seen[0];
  assert.equal(first.remoteId, '1');
  assert.equal(first.firstName, 'First1');  // renamed by the mapping
  assert.equal(first.lastName, 'Last1');
  assert.ok(first.createdAt instanceof Date);
  assert.equal(first.createdAt.toISOString(), '2024-01-01T00:00:00.000Z');
  assert.equal(first.modifiedAt.toISOString(), '2024-02-01T12:00:00.000Z');
  assert.equal(first.remoteWasDeleted, false);
  assert.equal(first.remoteData, undefined);

  // modifiedAfter / modifiedBefore / createdAfter, and remote data on request.
  const after = await client.hris.employees.list({ modifiedAfter: new Date('2024-02-05T00:00:00Z'), includeRemoteData: true });
  assert.deepEqual(after.data.map((e) => e.id), ['5', '6', '7']);
  assert.deepEqual(after.data[0].remoteData, [{ path: '/public.employees', data: {
    id: 5, fname: 'First5', last_name: 'Last5', created_at: '2024-01-05T00:00:00.000000Z', updated_at: '2024-02-05T12:00:00.000000Z' } }]);
  const window = await client.hris.employees.list({
    modifiedBefore: new Date('2024-02-05T00:00:00Z'), createdAfter: new Date('2024-01-02T00:00:00Z'), includeDeletedData: true });
  assert.deepEqual(window.data.map((e) => e.id), ['3', '4']);

  // The raw page: Merge's envelope, previous leads back.
  const page2 = await raw('GET', `/api/hris/v1/employees?page_size=3&cursor=${encodeURIComponent(
    (await raw('GET', '/api/hris/v1/employees?page_size=3', auth(connection.account_token))).json.next)}`,
  auth(connection.account_token));
  assert.equal(page2.status, 200);
  assert.deepEqual(page2.json.results.map((e) => e.id), ['4', '5', '6']);
  assert.deepEqual(Object.keys(page2.json.results[0]).sort(), ['created_at', 'field_mappings', 'first_name', 'id',
    'last_name', 'modified_at', 'remote_data', 'remote_id', 'remote_was_deleted', 'updated_at']);
  // The SDK's own schema, validating (the client itself skips validation): declared fields have their types.
  for (const body of [page2.json, (await raw('GET', '/api/hris/v1/employees?include_remote_data=true',
    auth(connection.account_token))).json]) {
    const parsed = serialization.hris.PaginatedEmployeeList.parse(body, { unrecognizedObjectKeys: 'passthrough' });
    assert.ok(parsed.ok, JSON.stringify(parsed.errors));
  }
  const back = await raw('GET', `/api/hris/v1/employees?page_size=3&cursor=${encodeURIComponent(page2.json.previous)}`,
    auth(connection.account_token));
  assert.deepEqual(back.json.results.map((e) => e.id), ['1', '2', '3']);
  assert.equal(back.json.previous, null);

  // retrieve, and an id that is not there.
  const one = await client.hris.employees.retrieve('6');
  assert.equal(one.firstName, 'First6');
  assert.equal(one.modifiedAt.toISOString(), '2024-02-06T12:00:00.000Z');
  await assert.rejects(client.hris.employees.retrieve('99'),
    (err) => err instanceof MergeError && err.statusCode === 404 && err.body.detail === 'Not found.');
  // A model the mapping does not show, in the category or elsewhere: Merge's 404.
  const teams = await raw('GET', '/api/hris/v1/teams', auth(connection.account_token));
  assert.equal(teams.status, 404);
  assert.deepEqual(Object.keys(teams.json), ['detail']);
});

test('common-model reads refuse other tenants, malformed filters and bad mappings in Merge\'s shape', async () => {
  const { connection } = await mappedEmployees(2);
  const other = await ferry.sampleSync({ size: 20, key: ferry.keyB });
  // Tenant B's account token with tenant A's key: unknown, 401 as for any token.
  await assert.rejects(merge(other.connection.account_token).hris.employees.list(),
    (err) => err instanceof MergeError && err.statusCode === 401 && typeof err.body.detail === 'string');
  await assert.rejects(merge(connection.account_token, ferry.keyB).hris.employees.retrieve('1'),
    (err) => err instanceof MergeError && err.statusCode === 401);

  for (const [query, field] of [['modified_after=yesterday', 'modified_after'], ['created_after=2024-13-01T00:00:00Z', 'created_after'],
    ['modified_before=1', 'modified_before'], ['include_remote_data=maybe', 'include_remote_data'],
    ['include_deleted_data=2', 'include_deleted_data']]) {
    const res = await raw('GET', `/api/hris/v1/employees?${query}`, auth(connection.account_token));
    assert.equal(res.status, 400, query);
    assert.deepEqual(Object.keys(res.json), [field]);
    assert.ok(Array.isArray(res.json[field]) && typeof res.json[field][0] === 'string');
  }
  const badCursor = await raw('GET', `/api/hris/v1/employees?cursor=${Buffer.from('p=not json').toString('base64url')}`,
    auth(connection.account_token));
  assert.equal(badCursor.status, 404);
  assert.equal(badCursor.json.detail, 'Invalid cursor');
  assert.equal((await raw('POST', '/api/hris/v1/employees', auth(connection.account_token))).status, 405);

  // A mapping that names no common model is refused when stored (ferry's /v1 validation error).
  for (const merge_models of [{ 'public.employees': 'Employee' }, { 'public.employees': 'payroll.Employee' },
    { a: 'hris.Employee', b: 'hris.Employee' }, { 'public.employees': { model: 'hris.Employee', extra: 1 } }, []]) {
    const res = await fetch(ferry.baseUrl + '/v1/connections', {
      method: 'POST', headers: { Authorization: `Bearer ${ferry.keyA}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'bad', source_type: 'sample', config: { merge_models } }),
    });
    assert.equal(res.status, 422, JSON.stringify(merge_models));
    assert.match((await res.json()).error.message, /merge_models/);
  }
});

test('a destination that keeps deleted rows serves them through includeDeletedData as remoteWasDeleted', async () => {
  const { connection, sync, write } = await mappedEmployees(4, { deleted_rows: 'keep' });
  const client = merge(connection.account_token);
  await runOnce(sync);
  write([1, 2, 4]);  // employee 3 leaves the source
  await runOnce(sync);

  const live = await client.hris.employees.list();
  assert.deepEqual(live.data.map((e) => [e.id, e.remoteWasDeleted]), [['1', false], ['2', false], ['4', false]]);
  const all = await client.hris.employees.list({ includeDeletedData: true });
  assert.deepEqual(all.data.map((e) => [e.id, e.remoteWasDeleted]),
    [['1', false], ['2', false], ['3', true], ['4', false]]);
  assert.equal(all.data[2].firstName, 'First3');  // the row as it was last seen
  const parsed = serialization.hris.PaginatedEmployeeList.parse(
    (await raw('GET', '/api/hris/v1/employees?include_deleted_data=true', auth(connection.account_token))).json,
    { unrecognizedObjectKeys: 'passthrough' });
  assert.ok(parsed.ok, JSON.stringify(parsed.errors));
  // retrieve takes no includeDeletedData (the SDK has none): as Merge, a deleted object reads marked deleted
  const gone = await client.hris.employees.retrieve('3');
  assert.equal(gone.remoteWasDeleted, true);
  assert.equal((await client.hris.employees.retrieve('2')).remoteWasDeleted, false);

  // ferry's own read-back: the same row with include_deleted=true, marked deleted.
  const records = `/v1/syncs/${sync.id}/models/public.employees/records`;
  assert.deepEqual((await ferry.v1('GET', records)).data.map((r) => r.id), ['1', '2', '4']);
  const withDeleted = (await ferry.v1('GET', `${records}?include_deleted=true`)).data;
  assert.deepEqual(withDeleted.map((r) => [r.id, r.deleted]), [['1', false], ['2', false], ['3', true], ['4', false]]);
  assert.ok(MICROS_Z.test(withDeleted[2].deleted_at), withDeleted[2].deleted_at);
  assert.equal(withDeleted[0].deleted_at, null);
  const bad = await fetch(`${ferry.baseUrl}${records}?include_deleted=maybe`, { headers: { Authorization: `Bearer ${ferry.keyA}` } });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, 'invalid_parameter');

  // The row coming back is live again.
  write([1, 2, 3, 4]);
  await runOnce(sync);
  const back = await client.hris.employees.list({ includeDeletedData: true });
  assert.deepEqual(back.data.map((e) => [e.id, e.remoteWasDeleted]),
    [['1', false], ['2', false], ['3', false], ['4', false]]);
});

test('a destination that deletes rows never reports remoteWasDeleted, even with includeDeletedData', async () => {
  const { connection, sync, write } = await mappedEmployees(3);
  await runOnce(sync);
  write([1, 3]);
  await runOnce(sync);
  const all = await merge(connection.account_token).hris.employees.list({ includeDeletedData: true });
  assert.deepEqual(all.data.map((e) => [e.id, e.remoteWasDeleted]), [['1', false], ['3', false]]);
});

test('deleted_rows takes only "delete" or "keep", and a file destination only "delete"', async () => {
  const { connection } = await ferry.sampleSync({ size: 10 });
  for (const destination of [{ type: 'sqlite', config: { path: 'x.db', deleted_rows: 'archive' } },
    { type: 'file', config: { directory: 'files-out', deleted_rows: 'keep' } }]) {
    const res = await fetch(ferry.baseUrl + '/v1/syncs', {
      method: 'POST', headers: { Authorization: `Bearer ${ferry.keyA}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ connection_id: connection.id, destination }),
    });
    assert.equal(res.status, 422, JSON.stringify(destination));
    assert.match((await res.json()).error.message, /deleted_rows/);
  }
});

test('an imported account token drives the SDK; delete-account removes the linked account', async () => {
  const token = `imported-${Math.random().toString(36).slice(2)}`;
  const connection = await ferry.v1('POST', '/v1/connections', {
    name: 'imported', source_type: 'sample', config: { seed: 3, size: 20, generation: 0, batch_size: 10 }, account_token: token,
  });
  assert.equal(connection.account_token, token);
  const sync = await ferry.v1('POST', '/v1/syncs', {
    connection_id: connection.id, destination: { type: 'sqlite', config: { path: `${token}.db` } },
  });
  const client = merge(token);
  assert.deepEqual((await client.hris.syncStatus.list()).data.map((r) => r.modelId), ['hris.Employee', 'hris.Team']);

  // The same token again in this tenant: 409; a malformed one: 422 (ferry's /v1 shapes).
  for (const [accountToken, status] of [[token, 409], ['short', 422], ['has space in it', 422], [42, 422]]) {
    const res = await fetch(ferry.baseUrl + '/v1/connections', {
      method: 'POST', headers: { Authorization: `Bearer ${ferry.keyA}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'again', source_type: 'sample', config: {}, account_token: accountToken }),
    });
    assert.equal(res.status, status, String(accountToken));
  }
  // Another tenant's key cannot delete it: the token is unknown there.
  await assert.rejects(merge(token, ferry.keyB).hris.deleteAccount.delete(),
    (err) => err instanceof MergeError && err.statusCode === 401 && typeof err.body.detail === 'string');

  await client.hris.deleteAccount.delete();
  await assert.rejects(ferry.v1('GET', `/v1/connections/${connection.id}`), /404/);
  await assert.rejects(ferry.v1('GET', `/v1/syncs/${sync.id}`), /404/);
  await assert.rejects(client.hris.syncStatus.list(), (err) => err instanceof MergeError && err.statusCode === 401);
  const again = await raw('GET', '/api/ats/v1/delete-account', auth(token));
  assert.equal(again.status, 405);
});
