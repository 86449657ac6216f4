// One tenant cannot hold every worker: with `--workers 2` (so at most one running run per tenant by default),
// tenant A queues six long runs and then tenant B one; B's run starts before A's sixth, and A never has more
// than one run running. Order is read from the runs' started_at and from the store, never from timings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, waitForRun } from './tenant_server.mjs';

let s;
before(async () => { s = await startServer([], { workers: 2 }); });
after(async () => { await s?.stop(); });

// Thousands of one-transaction batches: one run takes seconds, far longer than queueing the others.
const LONG = { seed: 1, size: 1_000_000, batch_size: 20 };
const SHORT = { seed: 1, size: 200 };

// One consistent snapshot of the store (WAL readers see a committed state), unlike six GETs in a row.
const runningOf = (tenantId) => Number(execFileSync('sqlite3', [s.db,
  `SELECT count(*) FROM runs WHERE tenant_id = '${tenantId}' AND state IN ('running','cancelling')`],
{ encoding: 'utf8' }).trim());

async function queueRun(key, name, config) {
  const c = await s.api('POST', '/v1/connections', { key, body: { name, source_type: 'sample', config } });
  assert.equal(c.status, 201, c.text);
  const sync = await s.api('POST', '/v1/syncs', {
    key, body: { connection_id: c.json.id, destination: { type: 'sqlite', config: { path: `${name}.db` } } },
  });
  assert.equal(sync.status, 201, sync.text);
  const run = await s.api('POST', `/v1/syncs/${sync.json.id}/runs`, { key, body: {} });
  assert.equal(run.status, 201, run.text);
  return run.json.id;
}

const getRun = async (key, id) => {
  const r = await s.api('GET', `/v1/runs/${id}`, { key });
  assert.equal(r.status, 200, r.text);
  return r.json;
};

test("another tenant's run starts before the busy tenant's sixth, and the busy tenant holds one worker", async () => {
  const a = [];
  for (let i = 0; i < 6; ++i) a.push(await queueRun(s.a.key, `a${i}`, LONG));
  const b = await queueRun(s.b.key, 'b', SHORT);

  let maxRunningA = 0;
  let bRun;
  for (;;) {
    maxRunningA = Math.max(maxRunningA, runningOf(s.a.id));
    bRun = await getRun(s.b.key, b);
    if (bRun.started_at) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const sixth = await getRun(s.a.key, a[5]);
  assert.ok(!sixth.started_at || Date.parse(sixth.started_at) > Date.parse(bRun.started_at),
    `A's sixth run started at ${sixth.started_at}, B's at ${bRun.started_at}`);

  const done = await waitForRun(s.api, b, { key: s.b.key });
  assert.equal(done.status, 'complete', JSON.stringify(done));
  maxRunningA = Math.max(maxRunningA, runningOf(s.a.id));
  assert.ok(maxRunningA <= 1, `tenant A had ${maxRunningA} runs running with 2 workers`);

  const first = await getRun(s.a.key, a[0]);
  assert.ok(['running', 'complete'].includes(first.status), `A's first run is ${first.status}: ${first.error}`);
  for (const id of a.slice(1)) {
    const run = await getRun(s.a.key, id);
    assert.ok(['queued', 'running', 'complete'].includes(run.status), `${id} is ${run.status}`);
  }
  // The server answers after all this, and stops without waiting for A's million-row runs.
  for (const id of a) await s.api('POST', `/v1/runs/${id}/cancel`, { key: s.a.key });
});
