// The `@airweave/sdk` client (pinned in package.json) driving ferry's Airweave surface (seed 003):
// run a source connection with and without force_full_sync, list its jobs, cancel one, CRUD, collections
// (create, list, get, refresh_all, delete; a PostgreSQL destination when FERRY_TEST_PG_STATE names a test
// cluster), the source catalog, and Airweave's error shapes (FastAPI `{"detail": ...}`, 422 validation lists).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AirweaveSDKClient, AirweaveSDK, AirweaveSDKError } from '@airweave/sdk';
import { startFerry } from './harness.mjs';
import { spawnFerry } from '../integration/ferry_process.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const JOB_STATUSES = ['created', 'pending', 'running', 'completed', 'failed', 'cancelling', 'cancelled'];
const TERMINAL = ['completed', 'failed', 'cancelled'];
const MODELS = ['hris.Employee', 'hris.Team', 'ats.Candidate', 'ats.Application'];
// The SDK's enums: SourceConnectionStatus and CollectionStatus.
const CONNECTION_STATUSES = ['active', 'pending_auth', 'syncing', 'error', 'inactive', 'pending_sync'];
const COLLECTION_STATUSES = ['ACTIVE', 'NEEDS SOURCE', 'ERROR'];

let ferry;
let client;
let clientB;

const airweave = (apiKey) => new AirweaveSDKClient({ apiKey, baseUrl: ferry.baseUrl });

// Every field of SourceConnectionJob, with its type and nullability (seed 003).
function assertJob(job, sourceConnectionId) {
  assert.match(job.id, UUID);
  assert.equal(job.source_connection_id, sourceConnectionId);
  assert.ok(JOB_STATUSES.includes(job.status), `unknown status ${job.status}`);
  assert.match(job.created_at, TIME);
  for (const field of ['started_at', 'completed_at']) {
    assert.ok(job[field] === null || TIME.test(job[field]), `${field}: ${job[field]}`);
  }
  assert.ok(job.duration_seconds === null || typeof job.duration_seconds === 'number');
  for (const field of ['entities_inserted', 'entities_updated', 'entities_deleted', 'entities_failed']) {
    assert.ok(Number.isInteger(job[field]) && job[field] >= 0, `${field}: ${job[field]}`);
  }
  assert.ok(job.error === null || typeof job.error === 'string');
  assert.ok(job.error_category === null || typeof job.error_category === 'string');
  if (TERMINAL.includes(job.status)) {
    assert.match(job.completed_at, TIME);
  } else {
    assert.equal(job.completed_at, null);
    assert.equal(job.duration_seconds, null);
  }
}

// Polls the jobs endpoint through the SDK until `predicate` holds for the job.
async function waitForJob(scId, jobId, predicate = (job) => TERMINAL.includes(job.status), sdk = client) {
  return ferry.eventually(async () => {
    const jobs = await sdk.sourceConnections.getSourceConnectionJobs(scId);
    const job = jobs.find((j) => j.id === jobId);
    return job && predicate(job) ? job : null;
  }, `job ${jobId}`);
}

async function runToEnd(scId, request = {}) {
  const job = await client.sourceConnections.run(scId, request);
  assertJob(job, scId);
  assert.ok(['pending', 'running'].includes(job.status), job.status);
  const done = await waitForJob(scId, job.id);
  assertJob(done, scId);
  assert.equal(done.status, 'completed', done.error ?? '');
  assert.ok(done.duration_seconds >= 0);
  return done;
}

const changed = (job) => job.entities_inserted + job.entities_updated + job.entities_deleted;

// The SDK's error for a failed call: AirweaveSDKError (UnprocessableEntityError for 422) with the body.
async function sdkError(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AirweaveSDKError, `not an AirweaveSDKError: ${error}`);
    return error;
  }
  assert.fail('the call should have failed');
}

async function raw(method, path, { key = ferry.keyA, body, headers = {} } = {}) {
  const res = await fetch(ferry.baseUrl + path, {
    method,
    headers: { ...(key ? { 'x-api-key': key } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : null };
}

const sqlite = (path, sql) => execFileSync('sqlite3', [path, sql], { encoding: 'utf8' }).trim();

before(async () => {
  ferry = await startFerry();
  client = airweave(ferry.keyA);
  clientB = airweave(ferry.keyB);
});

after(async () => {
  assert.equal(await ferry.stop(), 0);
});

describe('run a source connection (seed 003)', () => {
  test('run, incremental after a change, force_full_sync, and the job list', async () => {
    const { connection, sync } = await ferry.sampleSync({ size: 500, batchSize: 100 });
    const path = ferry.hostPath(sync.destination.config.path);

    const first = await runToEnd(connection.id);
    assert.equal(first.entities_inserted, 500);
    assert.equal(first.entities_updated + first.entities_deleted + first.entities_failed, 0);
    assert.equal(first.error, null);
    const v1First = await ferry.v1('GET', `/v1/runs/${first.id}`);
    assert.equal(v1First.trigger, 'airweave');
    assert.equal(v1First.counts.inserted, first.entities_inserted);

    // The source moves on one generation: the next plain run reads only the changes.
    await ferry.v1('PATCH', `/v1/connections/${connection.id}`, { config: { generation: 1 } });
    const second = await runToEnd(connection.id, { force_full_sync: false });
    assert.ok(changed(second) > 0 && changed(second) < 50, `incremental changes: ${changed(second)}`);
    assert.equal((await ferry.v1('GET', `/v1/runs/${second.id}`)).full_refresh, false);
    // The connection's entity totals agree with what the destination holds.
    const rows = MODELS.reduce((n, m) => n + Number(sqlite(path, `SELECT count(*) FROM "${m}"`)), 0);
    const { entities } = await client.sourceConnections.get(connection.id);
    assert.equal(entities.total_entities, rows);
    assert.deepEqual(Object.keys(entities.by_type).sort(), [...MODELS].sort());

    // Rows lost from the destination come back only with force_full_sync, which ignores the cursors.
    sqlite(path, 'DELETE FROM "hris.Employee" WHERE id IN (SELECT id FROM "hris.Employee" ORDER BY id LIMIT 5)');
    const third = await runToEnd(connection.id);
    assert.equal(changed(third), 0);
    const fourth = await runToEnd(connection.id, { force_full_sync: true });
    assert.equal(fourth.entities_inserted, 5);
    assert.equal(fourth.entities_updated + fourth.entities_deleted, 0);
    const v1Fourth = await ferry.v1('GET', `/v1/runs/${fourth.id}`);
    assert.equal(v1Fourth.full_refresh, true);
    assert.ok(v1Fourth.tasks.every((t) => t.full_refresh));

    // GET /source-connections/{id}/jobs: newest first, `limit` honoured.
    const jobs = await client.sourceConnections.getSourceConnectionJobs(connection.id);
    assert.deepEqual(jobs.map((j) => j.id), [fourth.id, third.id, second.id, first.id]);
    jobs.forEach((j) => assertJob(j, connection.id));
    assert.deepEqual(jobs[0], fourth);
    const newest = await client.sourceConnections.getSourceConnectionJobs(connection.id, { limit: 2 });
    assert.deepEqual(newest.map((j) => j.id), [fourth.id, third.id]);

    const sc = await client.sourceConnections.get(connection.id);
    assert.equal(sc.sync.total_runs, 4);
    assert.equal(sc.sync.successful_runs, 4);
    assert.equal(sc.sync.last_job.id, fourth.id);
    assert.equal(sc.sync_id, sync.id);
  });

  test('a run while one is active is refused, and cancel stops a running job', async () => {
    const { connection } = await ferry.sampleSync({ size: 50000, batchSize: 100 });
    const job = await client.sourceConnections.run(connection.id);
    assertJob(job, connection.id);
    await waitForJob(connection.id, job.id, (j) => j.status === 'running');

    // Airweave's sync service refuses a second run with 400 and says what the current one is doing.
    const conflict = await sdkError(client.sourceConnections.run(connection.id, { force_full_sync: true }));
    assert.equal(conflict.statusCode, 400);
    assert.equal(conflict.body.detail, 'Cannot start new sync: a sync job is already running');
    assert.equal((await client.sourceConnections.getSourceConnectionJobs(connection.id)).length, 1);

    const cancelling = await client.sourceConnections.cancelJob(connection.id, job.id);
    assertJob(cancelling, connection.id);
    assert.ok(['cancelling', 'cancelled'].includes(cancelling.status), cancelling.status);
    const cancelled = await waitForJob(connection.id, job.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.ok(changed(cancelled) < 50000);
    assert.match(cancelled.completed_at, TIME);

    // Only pending and running jobs can be cancelled.
    const again = await sdkError(client.sourceConnections.cancelJob(connection.id, job.id));
    assert.equal(again.statusCode, 400);
    assert.equal(again.body.detail, 'Cannot cancel job in cancelled state');
  });

  test('cancelling a job that has not started cancels it at once', async () => {
    const { connection } = await ferry.sampleSync({ size: 50000, batchSize: 100 });
    const { connection: other } = await ferry.sampleSync({ size: 50000, batchSize: 100 });
    const { connection: third } = await ferry.sampleSync({ size: 50000, batchSize: 100 });
    // Two workers: the third run waits in the queue while the first two hold them.
    const a = await client.sourceConnections.run(connection.id);
    const b = await client.sourceConnections.run(other.id);
    await waitForJob(connection.id, a.id, (j) => j.status === 'running');
    await waitForJob(other.id, b.id, (j) => j.status === 'running');
    const queued = await client.sourceConnections.run(third.id);
    assert.equal(queued.status, 'pending');
    const cancelled = await client.sourceConnections.cancelJob(third.id, queued.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.started_at, null);
    assert.equal(cancelled.duration_seconds, null);
    for (const [sc, job] of [[connection.id, a.id], [other.id, b.id]]) {
      await client.sourceConnections.cancelJob(sc, job);
      assert.equal((await waitForJob(sc, job)).status, 'cancelled');
    }
  });
});

describe('source connections', () => {
  test('create with sync_immediately, get, list, update, delete', async () => {
    const created = await client.sourceConnections.create({
      name: 'Sample docs',
      short_name: 'sample',
      readable_collection_id: 'docs-abc',
      config: { seed: 3, size: 200, batch_size: 50 },
      authentication: { credentials: { api_key: 'sekret-value' } },
      schedule: { cron: '0 3 * * *' },
    });
    assert.match(created.id, UUID);
    assert.equal(created.name, 'Sample docs');
    assert.equal(created.short_name, 'sample');
    assert.equal(created.readable_collection_id, 'docs-abc');
    assert.deepEqual(created.auth, {
      method: 'direct', authenticated: true, authenticated_at: created.created_at, expires_at: null,
      auth_url: null, auth_url_expires: null, redirect_url: null, provider_readable_id: null, provider_id: null,
    });
    assert.deepEqual(created.config, { seed: 3, size: 200, batch_size: 50 });
    assert.equal(created.schedule.cron, '0 3 * * *');
    assert.match(created.schedule.next_run, /T03:00:00\.000000Z$/);
    assert.match(created.sync_id, UUID);
    assert.equal(created.sync.total_runs, 1);
    assert.ok(!JSON.stringify(created).includes('sekret-value'));

    // sync_immediately defaults to true for direct credentials: the first job is already there.
    const job = await waitForJob(created.id, created.sync.last_job.id);
    assert.equal(job.status, 'completed');
    assert.equal(job.entities_inserted, 200);

    // Underneath: a ferry sync into destinations/docs-abc.db in the tenant's data directory, on a cron schedule.
    const sync = await ferry.v1('GET', `/v1/syncs/${created.sync_id}`);
    assert.equal(sync.connection_id, created.id);
    assert.equal(sync.destination.type, 'sqlite');
    assert.equal(sync.destination.config.path, 'destinations/docs-abc.db');
    assert.ok(existsSync(ferry.hostPath(sync.destination.config.path)));
    assert.deepEqual(sync.schedule, { kind: 'cron', interval_minutes: null, cron: '0 3 * * *' });
    const v1Connection = await ferry.v1('GET', `/v1/connections/${created.id}`);
    assert.deepEqual(v1Connection.secret_fields, ['api_key']);

    const fetched = await client.sourceConnections.get(created.id);
    assert.equal(fetched.status, 'active');
    assert.equal(fetched.entities.total_entities, 200);
    assert.equal(fetched.sync.successful_runs, 1);
    assert.ok(!JSON.stringify(fetched).includes('sekret-value'));

    const all = await client.sourceConnections.list();
    const item = all.find((c) => c.id === created.id);
    assert.deepEqual(item, {
      id: created.id, name: 'Sample docs', short_name: 'sample', readable_collection_id: 'docs-abc',
      created_at: created.created_at, modified_at: fetched.modified_at, is_authenticated: true, entity_count: 200,
      federated_search: false, auth_method: 'direct', status: 'active',
    });
    const inCollection = await client.sourceConnections.list({ collection: 'docs-abc' });
    assert.deepEqual(inCollection.map((c) => c.id), [created.id]);
    assert.deepEqual(await client.sourceConnections.list({ collection: 'docs-abc', skip: 1 }), []);
    assert.equal((await client.sourceConnections.list({ limit: 1 })).length, 1);

    const updated = await client.sourceConnections.update(created.id, {
      name: 'Renamed docs', config: { generation: 1 }, schedule: { cron: '30 * * * *' },
    });
    assert.equal(updated.name, 'Renamed docs');
    assert.deepEqual(updated.config, { seed: 3, size: 200, batch_size: 50, generation: 1 });
    assert.equal(updated.schedule.cron, '30 * * * *');
    assert.match(updated.schedule.next_run, /:30:00\.000000Z$/);
    assert.deepEqual((await ferry.v1('GET', `/v1/connections/${created.id}`)).secret_fields, ['api_key']);
    const incremental = await runToEnd(created.id);
    assert.ok(changed(incremental) > 0 && changed(incremental) < 200);

    const deleted = await client.sourceConnections.delete(created.id);
    assert.equal(deleted.id, created.id);
    assert.equal(deleted.name, 'Renamed docs');
    const gone = await sdkError(client.sourceConnections.get(created.id));
    assert.equal(gone.statusCode, 404);
    assert.deepEqual(gone.body, { detail: `Source connection not found: ${created.id}` });
    assert.ok(!(await client.sourceConnections.list()).some((c) => c.id === created.id));
  });

  test('create without syncing, run it later, delete while running', async () => {
    const created = await client.sourceConnections.create({
      short_name: 'sample', readable_collection_id: 'big', config: { size: 50000, batch_size: 100 },
      sync_immediately: false,
    });
    assert.equal(created.name, 'Sample Connection');
    assert.equal(created.sync.total_runs, 0);
    assert.equal(created.sync.last_job, null);
    assert.equal(created.schedule.cron, null);
    assert.equal(created.schedule.next_run, null);
    const job = await client.sourceConnections.run(created.id);
    await waitForJob(created.id, job.id, (j) => j.status === 'running');
    assert.equal((await client.sourceConnections.get(created.id)).status, 'syncing');
    // Deleting cancels the running job first, as Airweave does.
    const deleted = await client.sourceConnections.delete(created.id);
    assert.equal(deleted.id, created.id);
    assert.equal((await sdkError(client.sourceConnections.get(created.id))).statusCode, 404);
    // The job was stopped before the sync went (its history may outlive it in ferry's own API).
    const run = await raw('GET', `/v1/runs/${job.id}`, { key: null, headers: { Authorization: `Bearer ${ferry.keyA}` } });
    assert.ok(run.status === 404 || run.json.status === 'cancelled', run.text);
  });

  test('a connection whose syncs are all paused cannot run', async () => {
    const { connection, sync } = await ferry.sampleSync({ size: 100 });
    await ferry.v1('PATCH', `/v1/syncs/${sync.id}`, { status: 'paused' });
    const error = await sdkError(client.sourceConnections.run(connection.id));
    assert.equal(error.statusCode, 409);
    assert.deepEqual(error.body, { detail: 'Cannot trigger sync: sync is paused' });
    assert.equal((await client.sourceConnections.get(connection.id)).status, 'inactive');
  });
});

describe('errors, as Airweave returns them', () => {
  let mine;
  before(async () => {
    mine = (await ferry.sampleSync({ size: 100 })).connection;
  });

  test('authentication: 401 without x-api-key, 403 for an unknown key', async () => {
    const missing = await raw('GET', '/source-connections', { key: null });
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.json, { detail: 'No valid authentication provided' });
    const wrong = await sdkError(airweave('not-a-key').sourceConnections.list());
    assert.equal(wrong.statusCode, 403);
    assert.deepEqual(wrong.body, { detail: 'Invalid or expired API key' });
    const wrongRun = await sdkError(airweave('not-a-key').sourceConnections.run(mine.id));
    assert.equal(wrongRun.statusCode, 403);
  });

  test('malformed ids are 422 validation errors in the FastAPI shape', async () => {
    const error = await sdkError(client.sourceConnections.get('not-a-uuid'));
    assert.ok(error instanceof AirweaveSDK.UnprocessableEntityError);
    assert.equal(error.statusCode, 422);
    assert.equal(error.body.detail.length, 1);
    const [detail] = error.body.detail;
    assert.deepEqual(detail.loc, ['path', 'source_connection_id']);
    assert.equal(detail.type, 'uuid_parsing');
    assert.match(detail.msg, /^Input should be a valid UUID, /);
    assert.equal(detail.input, 'not-a-uuid');

    const both = await sdkError(client.sourceConnections.cancelJob('nope', 'also-nope'));
    assert.equal(both.statusCode, 422);
    assert.deepEqual(both.body.detail.map((d) => d.loc), [['path', 'source_connection_id'], ['path', 'job_id']]);
    for (const call of [
      () => client.sourceConnections.run('123'),
      () => client.sourceConnections.getSourceConnectionJobs('123'),
      () => client.sourceConnections.update('123', { name: 'Some name' }),
      () => client.sourceConnections.delete('123'),
    ]) {
      assert.equal((await sdkError(call())).statusCode, 422);
    }
    // pydantic takes any UUID spelling; ferry finds the connection by its canonical form.
    assert.equal((await client.sourceConnections.get(mine.id.toUpperCase())).id, mine.id);
    assert.equal((await client.sourceConnections.get(mine.id.replaceAll('-', ''))).id, mine.id);
  });

  test('bad query parameters and body types are 422', async () => {
    const force = await raw('POST', `/source-connections/${mine.id}/run?force_full_sync=maybe`);
    assert.equal(force.status, 422);
    assert.deepEqual(force.json.detail, [{
      type: 'bool_parsing', loc: ['query', 'force_full_sync'], msg: 'Input should be a valid boolean, unable to interpret input', input: 'maybe',
    }]);
    const limit = await sdkError(client.sourceConnections.getSourceConnectionJobs(mine.id, { limit: 0 }));
    assert.equal(limit.statusCode, 422);
    assert.equal(limit.body.detail[0].type, 'greater_than_equal');
    assert.deepEqual(limit.body.detail[0].loc, ['query', 'limit']);
    assert.equal((await sdkError(client.sourceConnections.list({ limit: 1001 }))).statusCode, 422);

    const types = await sdkError(client.sourceConnections.create({ short_name: 123, config: 'x', sync_immediately: 'maybe' }));
    assert.ok(types instanceof AirweaveSDK.UnprocessableEntityError);
    const byLoc = Object.fromEntries(types.body.detail.map((d) => [d.loc.join('.'), d.type]));
    assert.deepEqual(byLoc, {
      'body.short_name': 'string_type',
      'body.readable_collection_id': 'missing',
      'body.config': 'dict_type',
      'body.sync_immediately': 'bool_parsing',
    });
    const name = await sdkError(client.sourceConnections.update(mine.id, { name: 'ab' }));
    assert.equal(name.body.detail[0].type, 'string_too_short');
    const empty = await sdkError(client.sourceConnections.update(mine.id, {}));
    assert.equal(empty.statusCode, 422);
    assert.deepEqual(empty.body.detail[0].loc, ['body']);
    const config = await sdkError(client.sourceConnections.update(mine.id, { config: { size: 'big' } }));
    assert.equal(config.statusCode, 422);
    assert.deepEqual(config.body.detail[0].loc, ['body', 'config']);
    const cron = await sdkError(client.sourceConnections.update(mine.id, { schedule: { cron: 'every day' } }));
    assert.deepEqual(cron.body.detail[0].loc, ['body', 'schedule', 'cron']);
    const path = await sdkError(client.sourceConnections.create({ short_name: 'sample', readable_collection_id: '../etc' }));
    assert.deepEqual(path.body.detail[0].loc, ['body', 'readable_collection_id']);

    const malformed = await raw('POST', '/source-connections', { body: '{"short_name": ' });
    assert.equal(malformed.status, 422);
    assert.equal(malformed.json.detail[0].type, 'json_invalid');
    const array = await raw('PATCH', `/source-connections/${mine.id}`, { body: '[1, 2]' });
    assert.equal(array.status, 422);
    assert.equal(array.json.detail[0].type, 'model_attributes_type');
    const missing = await raw('POST', '/source-connections');
    assert.deepEqual(missing.json, { detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] });
  });

  test('unknown sources and auth methods', async () => {
    const unknown = await sdkError(client.sourceConnections.create({ short_name: 'salesforce', readable_collection_id: 'crm' }));
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.body, { detail: "Source 'salesforce' not found" });
    const oauth = await sdkError(client.sourceConnections.create({
      short_name: 'sample', readable_collection_id: 'crm', authentication: { access_token: 'tok' },
    }));
    assert.equal(oauth.statusCode, 400);
    assert.match(oauth.body.detail, /does not support this authentication method/);
    assert.ok(!(await client.sourceConnections.list({ collection: 'crm' })).length);
  });

  test('unknown and other-tenant ids are 404, never 403', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const notFound = await sdkError(client.sourceConnections.get(unknown));
    assert.equal(notFound.statusCode, 404);
    assert.deepEqual(notFound.body, { detail: `Source connection not found: ${unknown}` });
    for (const call of [
      () => clientB.sourceConnections.get(mine.id),
      () => clientB.sourceConnections.run(mine.id),
      () => clientB.sourceConnections.getSourceConnectionJobs(mine.id),
      () => clientB.sourceConnections.update(mine.id, { name: 'Stolen name' }),
      () => clientB.sourceConnections.delete(mine.id),
      () => clientB.sourceConnections.cancelJob(mine.id, unknown),
    ]) {
      const error = await sdkError(call());
      assert.equal(error.statusCode, 404);
      assert.deepEqual(error.body, { detail: `Source connection not found: ${mine.id}` });
    }
    assert.ok(!(await clientB.sourceConnections.list()).some((c) => c.id === mine.id));

    // A job id of another connection (or tenant) is not found under this connection.
    const job = await runToEnd(mine.id);
    const { connection: other } = await ferry.sampleSync({ size: 100 });
    const wrongJob = await sdkError(client.sourceConnections.cancelJob(other.id, job.id));
    assert.equal(wrongJob.statusCode, 404);
    assert.deepEqual(wrongJob.body, { detail: 'Sync job not found' });
    const { connection: theirs } = await ferry.sampleSync({ size: 100, key: ferry.keyB });
    assert.equal((await sdkError(clientB.sourceConnections.cancelJob(theirs.id, job.id))).statusCode, 404);
    assert.equal((await client.sourceConnections.get(mine.id)).name, 'sample 100');
  });

  test('other methods on served paths are 405 in FastAPI shape', async () => {
    const put = await raw('PUT', `/source-connections/${mine.id}`, { body: {} });
    assert.equal(put.status, 405);
    assert.deepEqual(put.json, { detail: 'Method Not Allowed' });
    assert.equal((await raw('GET', `/source-connections/${mine.id}/run`)).status, 405);
  });
});

// Every field of Collection the SDK declares, with its type.
function assertCollection(collection) {
  assert.equal(typeof collection.name, 'string');
  assert.equal(typeof collection.readable_id, 'string');
  assert.match(collection.id, UUID);
  assert.ok(Number.isInteger(collection.vector_size));
  assert.equal(typeof collection.embedding_model_name, 'string');
  assert.match(collection.created_at, TIME);
  assert.match(collection.modified_at, TIME);
  assert.match(collection.organization_id, UUID);
  assert.equal(collection.created_by_email, null);
  assert.equal(collection.modified_by_email, null);
  assert.ok(COLLECTION_STATUSES.includes(collection.status), `unknown status ${collection.status}`);
}

// Every field of Source and of its Fields / ConfigField the SDK declares.
function assertSource(source) {
  for (const field of ['name', 'short_name', 'class_name']) assert.equal(typeof source[field], 'string', field);
  assert.match(source.id, UUID);
  assert.match(source.created_at, TIME);
  assert.match(source.modified_at, TIME);
  assert.deepEqual(source.auth_methods, ['direct']);
  for (const fields of [source.config_fields, source.auth_fields]) {
    assert.ok(Array.isArray(fields.fields));
    for (const field of fields.fields) {
      assert.equal(typeof field.name, 'string');
      assert.equal(typeof field.title, 'string');
      assert.ok(['string', 'integer', 'boolean', 'object'].includes(field.type), field.type);
      assert.equal(typeof field.required, 'boolean');
      assert.ok(field.description === null || typeof field.description === 'string');
    }
  }
}

// A SQLite file in the tenant's directory with one table, for a second source in a collection.
function widgetsDatabase(name) {
  const path = ferry.hostPath(name);
  mkdirSync(dirname(path), { recursive: true });
  sqlite(path, 'CREATE TABLE widgets (id INTEGER PRIMARY KEY, label TEXT); INSERT INTO widgets VALUES (1, \'a\'), (2, \'b\'), (3, \'c\');');
  return name;
}

describe('sources', () => {
  test('list and get: the enabled source types with their config and auth fields', async () => {
    const sources = await client.sources.list();
    sources.forEach(assertSource);
    const names = sources.map((s) => s.short_name).sort();
    assert.deepEqual(names, ['file', 'postgres', 'rest', 'sample', 'sqlite']);  // `process` is off by default
    const sample = sources.find((s) => s.short_name === 'sample');
    assert.deepEqual(sample.config_fields.fields.map((f) => f.name), ['seed', 'size', 'generation', 'batch_size']);
    assert.deepEqual(sample.auth_fields.fields.map((f) => [f.name, f.title, f.type]), [['api_key', 'Api Key', 'string']]);
    const size = sample.config_fields.fields.find((f) => f.name === 'size');
    assert.deepEqual(size, { name: 'size', title: 'Size', description: 'records across all models', type: 'integer', required: false, items_type: null });
    const postgres = sources.find((s) => s.short_name === 'postgres');
    assert.equal(postgres.name, 'PostgreSQL');
    assert.ok(postgres.auth_fields.fields.some((f) => f.name === 'url' && f.required));

    assert.deepEqual(await client.sources.get('sample'), sample);
    assert.deepEqual((await raw('GET', '/sources/')).json, sources);  // with the trailing slash too
    assert.deepEqual(await clientB.sources.get('sample'), sample);  // the catalog is the same for every tenant
    for (const name of ['process', 'salesforce']) {
      const missing = await sdkError(client.sources.get(name));
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.body, { detail: `Source not found: ${name}` });
    }
  });
});

describe('collections (the usual SDK flow)', () => {
  test('create -> source connections -> refresh_all -> jobs -> delete', async () => {
    const generated = await client.collections.create({ name: 'Support Tickets 2026' });
    assertCollection(generated);
    assert.match(generated.readable_id, /^support-tickets-2026-[a-z0-9]{6}$/);
    assert.equal(generated.status, 'NEEDS SOURCE');
    assert.equal(generated.created_at, generated.modified_at);

    const collection = await client.collections.create({ name: 'Finance Data', readable_id: 'finance-data' });
    assertCollection(collection);
    assert.equal(collection.readable_id, 'finance-data');
    assert.equal(collection.name, 'Finance Data');
    assert.deepEqual(collection.destination, { type: 'sqlite', config: { path: 'destinations/finance-data.db' } });
    assert.deepEqual(await client.collections.get('finance-data'), collection);

    // Newest first; `search` matches name or readable_id, case-insensitively.
    const listed = await client.collections.list();
    assert.deepEqual(listed.slice(0, 2).map((c) => c.id), [collection.id, generated.id]);
    listed.forEach(assertCollection);
    assert.deepEqual((await raw('GET', '/collections/')).json, listed);
    assert.deepEqual((await client.collections.list({ search: 'FINANCE' })).map((c) => c.id), [collection.id]);
    assert.deepEqual((await client.collections.list({ search: 'tickets-2026' })).map((c) => c.id), [generated.id]);
    assert.deepEqual((await client.collections.list({ skip: 1, limit: 1 })).map((c) => c.id), [generated.id]);

    // Two sources into the collection: the sample source and a SQLite database.
    const sample = await client.sourceConnections.create({
      short_name: 'sample', readable_collection_id: 'finance-data', config: { size: 300 }, sync_immediately: false,
    });
    const widgets = await client.sourceConnections.create({
      name: 'Widgets db', short_name: 'sqlite', readable_collection_id: 'finance-data',
      config: { path: widgetsDatabase('widgets.db') }, sync_immediately: false,
    });
    for (const sc of [sample, widgets]) {
      assert.equal(sc.readable_collection_id, 'finance-data');
      assert.equal(sc.status, 'pending_sync');
      const sync = await ferry.v1('GET', `/v1/syncs/${sc.sync_id}`);
      assert.equal(sync.destination.type, 'sqlite');
      assert.deepEqual(sync.destination.config, { path: 'destinations/finance-data.db' });
    }
    assert.deepEqual((await client.sourceConnections.list({ collection: 'finance-data' })).map((c) => c.id).sort(),
      [sample.id, widgets.id].sort());
    assert.equal((await client.collections.get('finance-data')).status, 'NEEDS SOURCE');

    // refresh_all: one job per source connection of the collection.
    const jobs = await client.collections.refreshAllSourceConnections('finance-data');
    assert.equal(jobs.length, 2);
    const byConnection = Object.fromEntries(jobs.map((j) => [j.source_connection_id, j]));
    assert.deepEqual(Object.keys(byConnection).sort(), [sample.id, widgets.id].sort());
    for (const [scId, job] of Object.entries(byConnection)) {
      assertJob(job, scId);
      assert.equal((await ferry.v1('GET', `/v1/runs/${job.id}`)).trigger, 'airweave');
      const done = await waitForJob(scId, job.id);
      assert.equal(done.status, 'completed', done.error ?? '');
    }
    assert.equal((await waitForJob(sample.id, byConnection[sample.id].id)).entities_inserted, 300);
    assert.equal((await waitForJob(widgets.id, byConnection[widgets.id].id)).entities_inserted, 3);
    const path = ferry.hostPath('destinations/finance-data.db');
    assert.equal(sqlite(path, 'SELECT count(*) FROM "widgets"'), '3');
    assert.equal((await client.collections.get('finance-data')).status, 'ACTIVE');
    const fetched = await client.sourceConnections.get(widgets.id);
    assert.ok(CONNECTION_STATUSES.includes(fetched.status));
    assert.equal(fetched.status, 'active');

    // A collection without source connections refreshes nothing.
    assert.deepEqual(await client.collections.refreshAllSourceConnections(generated.readable_id), []);

    // Deleting the collection deletes its source connections (as Airweave does); the data already written stays.
    const deleted = await client.collections.delete('finance-data');
    assert.equal(deleted.id, collection.id);
    assert.equal(deleted.readable_id, 'finance-data');
    for (const sc of [sample, widgets]) {
      assert.equal((await sdkError(client.sourceConnections.get(sc.id))).statusCode, 404);
    }
    const gone = await sdkError(client.collections.get('finance-data'));
    assert.equal(gone.statusCode, 404);
    assert.deepEqual(gone.body, { detail: 'Collection not found' });
    assert.equal((await sdkError(client.collections.refreshAllSourceConnections('finance-data'))).statusCode, 404);
    assert.ok(!(await client.collections.list()).some((c) => c.id === collection.id));
    assert.ok(existsSync(path));
    // The readable_id is free again.
    assertCollection(await client.collections.create({ name: 'Finance Data again', readable_id: 'finance-data' }));
  });

  test('a source connection into a collection not created before creates it', async () => {
    const sc = await client.sourceConnections.create({
      short_name: 'sample', readable_collection_id: 'implicit-one', config: { size: 10 }, sync_immediately: false,
    });
    const collection = await client.collections.get('implicit-one');
    assertCollection(collection);
    assert.equal(collection.name, 'implicit-one');
    assert.deepEqual((await client.sourceConnections.list({ collection: 'implicit-one' })).map((c) => c.id), [sc.id]);
    // A source connection that is refused creates nothing.
    const refused = await sdkError(client.sourceConnections.create({
      short_name: 'sample', readable_collection_id: 'never-made', config: { size: 'big' },
    }));
    assert.equal(refused.statusCode, 422);
    assert.equal((await sdkError(client.collections.get('never-made'))).statusCode, 404);
  });

  test("another tenant's collections are 404; malformed input is a 422 in FastAPI's shape", async () => {
    const mine = await client.collections.create({ name: 'Private things', readable_id: 'private-things' });
    for (const call of [
      () => clientB.collections.get('private-things'),
      () => clientB.collections.delete('private-things'),
      () => clientB.collections.refreshAllSourceConnections('private-things'),
    ]) {
      const error = await sdkError(call());
      assert.equal(error.statusCode, 404);
      assert.deepEqual(error.body, { detail: 'Collection not found' });
    }
    assert.ok(!(await clientB.collections.list()).some((c) => c.id === mine.id));
    // The other tenant may use the same readable_id for a collection of its own.
    const theirs = await clientB.collections.create({ name: 'Their things', readable_id: 'private-things' });
    assert.notEqual(theirs.id, mine.id);
    assert.equal((await client.collections.get('private-things')).name, 'Private things');

    const taken = await sdkError(client.collections.create({ name: 'Again', readable_id: 'private-things' }));
    assert.equal(taken.statusCode, 409);
    assert.deepEqual(taken.body, { detail: "Collection with readable_id 'private-things' already exists" });

    const missing = await sdkError(client.collections.create({}));
    assert.ok(missing instanceof AirweaveSDK.UnprocessableEntityError);
    assert.deepEqual(missing.body.detail, [{ type: 'missing', loc: ['body', 'name'], msg: 'Field required', input: {} }]);
    const bad = await sdkError(client.collections.create({ name: 'ab', readable_id: 'Bad_ID' }));
    assert.deepEqual(bad.body.detail.map((d) => [d.loc.join('.'), d.type]),
      [['body.name', 'string_too_short'], ['body.readable_id', 'string_pattern_mismatch']]);
    const destination = await sdkError(client.collections.create({ name: 'Nowhere', destination: { type: 'mongo' } }));
    assert.equal(destination.statusCode, 422);
    assert.deepEqual(destination.body.detail[0].loc, ['body', 'destination', 'type']);
    const escape = await sdkError(client.collections.create({
      name: 'Escape', destination: { type: 'sqlite', config: { path: '../../elsewhere.db' } },
    }));
    assert.equal(escape.statusCode, 422);
    assert.deepEqual(escape.body.detail[0].loc, ['body', 'destination', 'config']);
    const limit = await sdkError(client.collections.list({ limit: 0 }));
    assert.equal(limit.statusCode, 422);
    assert.deepEqual(limit.body.detail[0].loc, ['query', 'limit']);
    const malformed = await raw('POST', '/collections', { body: '{"name": ' });
    assert.equal(malformed.status, 422);
    assert.equal(malformed.json.detail[0].type, 'json_invalid');

    assert.deepEqual((await raw('PUT', '/collections/private-things', { body: {} })).json, { detail: 'Method Not Allowed' });
    const unknown = await raw('GET', '/collections/private-things/nothing');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json, { detail: 'Not Found' });
    assert.deepEqual((await raw('GET', '/sources/sample/deeper')).json, { detail: 'Not Found' });
    assert.deepEqual((await raw('POST', '/sources', { body: {} })).json, { detail: 'Method Not Allowed' });
    assert.equal((await raw('GET', '/collections', { key: null })).status, 401);
  });
});

// A collection whose syncs write into PostgreSQL: the operator lets tenants reach the test cluster (loopback,
// denied by default) with --allow-egress; the URL is a secret, never rendered.
// Outside CI a developer without the cluster may skip it; in CI (ctest starts the cluster) it always runs.
const pgState = process.env.FERRY_TEST_PG_STATE;
const skipPostgres = pgState || process.env.CI ? false : 'FERRY_TEST_PG_STATE is not set';
describe('a collection with a PostgreSQL destination', { skip: skipPostgres }, () => {
  test('source connections of the collection write into the PostgreSQL database', async () => {
    const adminUrl = readFileSync(join(pgState, 'url'), 'utf8').trim();
    const database = `airweave_${process.pid}_${Date.now()}`;
    const url = `${adminUrl.slice(0, adminUrl.lastIndexOf('/'))}/${database}`;
    const psql = (target, sql) => execFileSync('psql', ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', target, '-c', sql],
      { encoding: 'utf8' }).trim();
    psql(adminUrl, `CREATE DATABASE ${database}`);
    const dir = mkdtempSync(join(tmpdir(), 'ferry-airweave-pg-'));
    const db = join(dir, 'ferry.db');
    const key = execFileSync(process.env.FERRY_BIN, ['admin', 'create-tenant', 'acme', '--db', db], { encoding: 'utf8' })
      .trim().split('\n').pop();
    const child = spawnFerry(process.env.FERRY_BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--workers', '1',
      '--rate-limit', '0', '--allow-egress', '127.0.0.1/32']);
    try {
      const pg = new AirweaveSDKClient({ apiKey: key, baseUrl: await child.ready });
      const collection = await pg.collections.create({
        name: 'Warehouse', readable_id: 'warehouse', destination: { type: 'postgres', config: { url, schema: 'airweave' } },
      });
      assertCollection(collection);
      assert.deepEqual(collection.destination, { type: 'postgres', config: { schema: 'airweave' } });
      assert.ok(!JSON.stringify(await pg.collections.list()).includes(url));
      const sc = await pg.sourceConnections.create({
        short_name: 'sample', readable_collection_id: 'warehouse', config: { size: 120 }, sync_immediately: false,
      });
      const [job] = await pg.collections.refreshAllSourceConnections('warehouse');
      assertJob(job, sc.id);
      const done = await ferry.eventually(async () => {
        const found = (await pg.sourceConnections.getSourceConnectionJobs(sc.id)).find((j) => j.id === job.id);
        return found && TERMINAL.includes(found.status) ? found : null;
      }, 'the PostgreSQL job');
      assert.equal(done.status, 'completed', done.error ?? '');
      assert.equal(done.entities_inserted, 120);
      const rows = MODELS.reduce((n, m) => n + Number(psql(url, `SELECT count(*) FROM airweave."${m.split('.')[1]}"`)), 0);
      assert.equal(rows, 120);
      assert.equal((await pg.collections.get('warehouse')).status, 'ACTIVE');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.on('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
      try { psql(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`); } catch {}
    }
  });
});
