// /metrics after real traffic, read by a Prometheus text-format parser (parse-prometheus-text-format, a port
// of the Prometheus Python client's parser, which throws on a malformed line): every family parses with a
// type, request durations carry route templates and never a raw id, every histogram series' buckets are
// cumulative and end at its count, and the process reports its memory and open descriptors. That parser
// folds a labelled histogram's series into one, so those series are read from their sample lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startFerry } from './harness.mjs';

let ferry;
before(async () => { ferry = await startFerry(); });
after(async () => { assert.equal(await ferry.stop(), 0); });

test('/metrics parses as Prometheus text and labels durations by route template', async () => {
  const { sync } = await ferry.sampleSync({ size: 300 });
  const run = await ferry.v1('POST', `/v1/syncs/${sync.id}/runs`, {});
  await ferry.eventually(async () => (await ferry.v1('GET', `/v1/runs/${run.id}`)).status === 'complete', 'the run');
  const missing = '00000000-0000-4000-8000-000000000000';
  assert.equal((await fetch(`${ferry.baseUrl}/v1/runs/${missing}`, { headers: { Authorization: `Bearer ${ferry.keyA}` } })).status, 404);

  const res = await fetch(`${ferry.baseUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const families = parsePrometheusTextFormat(text);
  const byName = new Map(families.map((f) => [f.name, f]));
  for (const f of families) assert.ok(['COUNTER', 'GAUGE', 'HISTOGRAM'].includes(f.type), `${f.name}: ${f.type}`);
  for (const id of [sync.id, run.id, missing]) assert.ok(!text.includes(id), `an id reached a label: ${id}`);

  assert.equal(byName.get('ferry_http_request_duration_seconds')?.type, 'HISTOGRAM');
  // Each histogram series: its labels (le aside) -> {buckets: [[bound, count]...], count}.
  const series = new Map();
  for (const line of text.split('\n')) {
    const sample = line.match(/^(\w+)_(bucket|count)\{(.*?)(?:,?le="([^"]+)")?\} (\S+)$/);
    if (!sample || byName.get(sample[1])?.type !== 'HISTOGRAM') continue;
    const key = `${sample[1]}{${sample[3]}}`;
    if (!series.has(key)) series.set(key, { buckets: [], count: null });
    if (sample[2] === 'bucket') series.get(key).buckets.push([sample[4], Number(sample[5])]);
    else series.get(key).count = Number(sample[5]);
  }
  const routes = [...series.keys()].filter((k) => k.startsWith('ferry_http_request_duration_seconds{'));
  for (const expected of ['route="/v1/syncs/{id}/runs",method="POST",status="2xx"',
    'route="/v1/runs/{id}",method="GET",status="2xx"', 'route="/v1/runs/{id}",method="GET",status="4xx"',
    'route="/v1/connections",method="POST",status="2xx"', 'route="/v1/syncs",method="POST",status="2xx"']) {
    assert.ok(routes.includes(`ferry_http_request_duration_seconds{${expected}}`), `no series ${expected}: ${routes.join(' ')}`);
  }
  for (const [key, { buckets, count }] of series) {
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1], `${key}: buckets not cumulative`);
    assert.equal(buckets.at(-1)?.[0], '+Inf', `${key}: the last bucket is not +Inf`);
    assert.equal(buckets.at(-1)[1], count, `${key}: +Inf bucket != count`);
  }
  assert.ok(Number(byName.get('process_resident_memory_bytes')?.metrics[0].value) > 1e6, 'resident memory');
  assert.ok(Number(byName.get('process_open_fds')?.metrics[0].value) >= 3, 'open fds');
  assert.ok(Number(byName.get('ferry_http_requests_total')?.metrics[0].value) >= 6, 'requests counted');

  // The engine's families, from the run above: its state, its rows (the run's own counts), its models.
  const value = (name) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  };
  const done = await ferry.v1('GET', `/v1/runs/${run.id}`);
  assert.ok(done.counts.inserted > 0, JSON.stringify(done.counts));
  assert.equal(value('ferry_runs_total{state="complete"}'), 1);
  assert.equal(value('ferry_rows_total{operation="insert"}'), done.counts.inserted);
  assert.equal(value('ferry_run_duration_seconds_count{state="complete"}'), 1);
  assert.ok(value('ferry_model_duration_seconds_count{state="complete"}') >= 1, 'model durations');
  assert.equal(value('ferry_leases_reclaimed_total'), 0);
  for (const name of ['ferry_runs_total', 'ferry_rows_total', 'ferry_run_retries_total', 'ferry_connector_errors_total',
    'ferry_leases_reclaimed_total', 'ferry_queue_depth', 'ferry_run_duration_seconds', 'ferry_model_duration_seconds']) {
    assert.ok(byName.has(name) || text.includes(`# TYPE ${name} `), `family ${name} is declared`);
  }
  assert.equal(byName.get('ferry_queue_depth')?.type ?? 'GAUGE', 'GAUGE');
});
