// Runs: the recent runs of every sync, and one run's page, which follows the run until it is final (complete,
// failed or cancelled) and shows its progress per model, its error and what to do about it. The page reads the
// run's event stream (GET /v1/runs/{id}/stream); if the stream is refused or ends before the run is final, it
// polls the run every second instead.
import { get, id, listAll, post, request, stream } from './api.js';
import {
  append, badge, busy, button, clear, details, duration, errorBox, h, link, number, shortId, table, time,
} from './dom.js';
import { errorPanel } from './hints.js';

export const FINAL = new Set(['complete', 'failed', 'cancelled']);
const POLL_MS = 1000;

function countsText(counts) {
  if (!counts) return '—';
  return `+${number(counts.inserted)} ~${number(counts.updated)} −${number(counts.deleted)}` +
    (counts.failed ? ` ✕${number(counts.failed)}` : '');
}

export function runColumns({ withSync = true } = {}) {
  return [
    { label: 'Run', cell: (r) => link(`#/runs/${id(r.id)}`, shortId(r.id), { class: 'run-link mono', 'data-run-id': r.id }) },
    withSync ? { label: 'Sync', cell: (r) => link(`#/syncs/${id(r.sync_id)}`, shortId(r.sync_id), { class: 'mono' }) } : null,
    { label: 'Status', cell: (r) => badge(r.status) },
    { label: 'Kind', cell: (r) => `${r.full_refresh ? 'full' : 'incremental'} · ${r.trigger ?? '—'}` },
    { label: 'Created', cell: (r) => time(r.created_at) },
    { label: 'Duration', cell: (r) => duration(r.duration_seconds) },
    { label: 'Rows', cell: (r) => h('span', { title: 'inserted ~updated −deleted ✕failed' }, countsText(r.counts)) },
    { label: 'Error', cell: (r) => (r.error_category ? h('code', { class: 'error-category' }, r.error_category) : '—') },
  ].filter(Boolean);
}

// /v1 lists runs per sync: the page asks every sync (a few at a time) for its latest runs and merges them.
const RUNS_PER_SYNC = 10;
const SHOWN = 50;
async function recentRuns() {
  const syncs = await listAll('/v1/syncs', { max: 200 });
  const runs = [];
  let next = 0;
  const worker = async () => {
    while (next < syncs.length) {
      const sync = syncs[next++];
      const page = await get(`/v1/syncs/${id(sync.id)}/runs?limit=${RUNS_PER_SYNC}`);
      runs.push(...page.data);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  runs.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? 1 : -1));
  return { runs: runs.slice(0, SHOWN), syncs: syncs.length };
}

export async function runsPage(container, _params, context) {
  document.title = 'Runs · ferry';
  const holder = h('div', { id: 'runs-holder' });
  const status = h('p', { class: 'muted', id: 'runs-status' });
  const errors = errorBox('runs-error');
  const refresh = button('Refresh', null, { class: 'button quiet', id: 'refresh-runs' });
  append(container, 
    h('div', { class: 'page-head' }, h('h1', null, 'Runs'), refresh),
    status, errors, holder);
  let timer = null;
  context.onLeave = () => clearTimeout(timer);
  const load = async () => {
    clearTimeout(timer);
    const { runs, syncs } = await recentRuns();
    if (!context.active) return;
    append(clear(holder), table(runColumns(), runs, { empty: 'No runs yet: trigger one from a sync.', id: 'runs-table' }));
    const active = runs.some((r) => !FINAL.has(r.status));
    status.textContent = `The latest ${RUNS_PER_SYNC} runs of each of ${syncs} sync${syncs === 1 ? '' : 's'}, newest first` +
      (active ? '; refreshing every 3 s while a run is active.' : '.');
    if (active) timer = setTimeout(() => load().catch((error) => { errors.hidden = false; errors.textContent = error.message; }), 3000);
  };
  refresh.addEventListener('click', () => busy(refresh, errors, load));
  await load();
}

function taskTable(tasks) {
  return table([
    { label: 'Model', cell: (t) => h('code', null, t.model_id) },
    { label: 'Status', cell: (t) => badge(t.status) },
    { label: 'Inserted', cell: (t) => number(t.inserted), class: 'num' },
    { label: 'Updated', cell: (t) => number(t.updated), class: 'num' },
    { label: 'Deleted', cell: (t) => number(t.deleted), class: 'num' },
    { label: 'Failed', cell: (t) => number(t.failed), class: 'num' },
    { label: 'Read', cell: (t) => (t.full_refresh ? 'full' : 'incremental') },
    { label: 'Error', cell: (t) => t.error ?? '—' },
  ], tasks ?? [], { empty: 'No models in this run.', id: 'tasks-table' });
}

function tile(label, value, key) {
  return h('div', { class: 'tile' }, h('span', { class: 'tile-value', id: `count-${key}`, 'data-count': key }, number(value)),
    h('span', { class: 'tile-label' }, label));
}

function elapsed(run) {
  if (typeof run.duration_seconds === 'number') return duration(run.duration_seconds);
  if (!run.started_at) return '—';
  return duration((Date.now() - new Date(run.started_at).getTime()) / 1000);
}

export async function runPage(container, params, context) {
  const path = `/v1/runs/${id(params.id)}`;
  let run = await get(path);
  if (!context.active) return;
  document.title = `Run ${shortId(run.id)} · ferry`;
  const body = h('div', { id: 'run-body' });
  const live = h('p', { class: 'live', id: 'run-live', 'aria-live': 'polite' });
  const errors = errorBox('run-page-error');
  const cancel = button('Cancel run', null, { class: 'button danger', id: 'cancel-run' });
  const again = button('Run again', null, { class: 'button', id: 'run-again' });
  const header = h('div', { class: 'page-head' });
  append(container, 
    h('p', { class: 'crumbs' }, link('#/runs', 'Runs'), ' / ', link(`#/syncs/${id(run.sync_id)}`, `Sync ${shortId(run.sync_id)}`), ' / '),
    header, live, h('div', { class: 'actions' }, cancel, again), errors, body);

  const draw = () => {
    append(clear(header), h('h1', null, 'Run ', h('span', { class: 'mono' }, shortId(run.id))),
      h('span', { id: 'run-status' }, badge(run.status)));
    const tasks = run.tasks ?? [];
    const done = tasks.filter((t) => FINAL.has(t.status)).length;
    const final = FINAL.has(run.status);
    cancel.hidden = final || run.status === 'cancelling';
    again.hidden = !final;
    append(clear(body), 
      h('div', { class: 'tiles', id: 'run-counts' },
        tile('inserted', run.counts?.inserted, 'inserted'), tile('updated', run.counts?.updated, 'updated'),
        tile('deleted', run.counts?.deleted, 'deleted'), tile('failed', run.counts?.failed, 'failed')),
      h('div', { class: 'progress' },
        h('progress', { id: 'run-progress', max: String(Math.max(tasks.length, 1)), value: String(final && run.status === 'complete' ? tasks.length : done) }),
        h('span', { class: 'muted' }, `${done} of ${tasks.length} model${tasks.length === 1 ? '' : 's'} finished`)),
      run.error || run.error_category ? errorPanel({ message: run.error, category: run.error_category }, { id: 'run-error' }) : null,
      h('h2', null, 'Models'),
      taskTable(tasks),
      h('h2', null, 'Details'),
      details([
        ['Id', h('code', null, run.id)],
        ['Sync', link(`#/syncs/${id(run.sync_id)}`, run.sync_id)],
        ['Kind', run.full_refresh ? 'full resync' : 'incremental'],
        ['Trigger', run.trigger],
        ['Attempt', `${run.attempt} of ${run.max_attempts}`],
        ['Created', time(run.created_at)],
        ['Started', time(run.started_at)],
        ['Finished', time(run.finished_at)],
        ['Duration', elapsed(run)],
      ], { id: 'run-details' }));
  };

  let timer = null;
  let streaming = false;
  const leaving = new AbortController();
  context.onLeave = () => {
    clearTimeout(timer);
    leaving.abort();
  };
  const showFinal = () => {
    live.textContent = `Final: ${run.status}.`;
    live.dataset.state = 'final';
  };
  // Each event is the run as GET /v1/runs/{id} renders it; the server ends the stream after a final one.
  const follow = async () => {
    streaming = true;
    live.textContent = 'Live: following the run as it changes.';
    live.dataset.state = 'live';
    live.dataset.via = 'stream';
    try {
      await stream(`${path}/stream`, ({ event, data }) => {
        if (event !== 'run' || !context.active) return;
        run = JSON.parse(data);
        errors.hidden = true;
        draw();
      }, { signal: leaving.signal });
    } catch {
      // Refused (too many streams), broken or aborted: polling below takes over, unless the page was left.
    }
    streaming = false;
    schedule();
  };
  const poll = async () => {
    try {
      run = await get(path);
      if (!context.active) return;
      errors.hidden = true;
      draw();
    } catch (error) {
      if (!context.active) return;
      errors.hidden = false;
      errors.textContent = `Could not refresh the run (retrying): ${error.message}`;
    }
    schedule();
  };
  const schedule = () => {
    if (!context.active) return;
    if (FINAL.has(run.status)) return showFinal();
    live.textContent = 'Live: refreshing every second.';
    live.dataset.state = 'live';
    live.dataset.via = 'poll';
    timer = setTimeout(poll, POLL_MS);
  };

  cancel.addEventListener('click', () => busy(cancel, errors, async () => {
    run = await post(`${path}/cancel`);
    if (!context.active) return;
    draw();
    if (streaming) return; // the stream brings the rest
    clearTimeout(timer);
    schedule();
  }));
  again.addEventListener('click', () => busy(again, errors, async () => {
    const { status, body: next } = await request('POST', `/v1/syncs/${id(run.sync_id)}/runs`, { body: {}, withStatus: true });
    context.navigate(`#/runs/${id(next.id)}`, status === 200 ? 'A run of this sync was already active: this is it.' : 'Run started.');
  }));
  draw();
  if (FINAL.has(run.status)) showFinal();
  else follow();
}
