// Syncs: list, create (connection, destination, models, schedule), and one sync's page (trigger, full resync,
// pause/resume, schedule, model status, its runs).
import { del, get, id, listAll, patch, post, request } from './api.js';
import {
  append, badge, busy, button, clear, confirmButton, details, errorBox, field, h, json, link, select, shortId, table, time,
} from './dom.js';
import { pagedTable } from './connections.js';
import { configSchema, connectorTypes, scheduleForm, scheduleText, specForm } from './forms.js';
import { hintFor } from './hints.js';
import { runColumns } from './runs.js';

function destinationText(destination) {
  const config = destination?.config ?? {};
  const where = config.path ?? config.directory ?? config.schema ?? '';
  return `${destination?.type ?? '?'}${where ? `: ${where}` : ''}`;
}

function modelsText(models) {
  return Array.isArray(models) ? `${models.length} selected` : 'all';
}

export async function syncsPage(container) {
  document.title = 'Syncs · ferry';
  const connections = new Map((await listAll('/v1/connections', { max: 500 })).map((c) => [c.id, c]));
  append(container, 
    h('div', { class: 'page-head' },
      h('h1', null, 'Syncs'),
      link('#/syncs/new', 'New sync', { class: 'button primary', id: 'new-sync' })),
    h('p', { class: 'muted' }, "A sync copies a connection's models into a destination, on a schedule or when triggered."));
  await pagedTable(container, '/v1/syncs', [
    { label: 'Sync', cell: (s) => link(`#/syncs/${id(s.id)}`, shortId(s.id), { class: 'sync-link mono' }) },
    { label: 'Connection', cell: (s) => connections.get(s.connection_id)?.name ?? shortId(s.connection_id) },
    { label: 'Destination', cell: (s) => destinationText(s.destination) },
    { label: 'Models', cell: (s) => modelsText(s.models) },
    { label: 'Schedule', cell: (s) => scheduleText(s.schedule) },
    { label: 'Status', cell: (s) => badge(s.status) },
    { label: 'Next start', cell: (s) => time(s.next_sync_start) },
  ], { empty: 'No syncs yet.', id: 'syncs-table' });
}

// Checkboxes for a connection's models; `.read()` -> null (every model) or the chosen model ids.
function modelPicker() {
  const holder = h('div', { class: 'models-picker', id: 'models-picker' });
  const all = h('input', { type: 'checkbox', id: 'all-models', name: 'all_models', checked: true });
  let boxes = [];
  const fieldset = h('fieldset', { class: 'spec' }, h('legend', null, 'Models'),
    h('label', { class: 'check' }, all, ' Every model (also those the source adds later)'), holder);
  all.addEventListener('change', () => {
    for (const b of boxes) b.disabled = all.checked;
  });
  fieldset.load = async (connectionId) => {
    append(clear(holder), h('p', { class: 'muted' }, 'Loading models…'));
    boxes = [];
    try {
      const models = (await get(`/v1/connections/${id(connectionId)}/models`)).data ?? [];
      clear(holder);
      for (const m of models) {
        const box = h('input', { type: 'checkbox', name: 'model', value: m.model_id, disabled: all.checked });
        boxes.push(box);
        append(holder, h('label', { class: 'check' }, box, ' ', h('code', null, m.model_id)));
      }
      if (models.length === 0) append(holder, h('p', { class: 'muted' }, 'This connection has no models.'));
    } catch (error) {
      append(clear(holder), h('p', { class: 'error' }, `Could not list the models: ${error.message}`));
    }
  };
  fieldset.read = () => {
    if (all.checked) return null;
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    if (chosen.length === 0) throw new Error('Choose at least one model, or every model.');
    return chosen;
  };
  return fieldset;
}

export async function newSyncPage(container, _params, context) {
  document.title = 'New sync · ferry';
  const connections = await listAll('/v1/connections', { max: 500 });
  if (!context.active) return;
  append(container, h('p', { class: 'crumbs' }, link('#/syncs', 'Syncs'), ' / '), h('h1', null, 'New sync'));
  if (connections.length === 0) {
    append(container, h('p', null, 'A sync needs a connection. ', link('#/connections/new', 'Create a connection first.')));
    return;
  }
  const wanted = context.query.get('connection');
  const connection = select(connections.map((c) => [c.id, `${c.name} (${c.source_type})`]), {
    id: 'sync-connection', name: 'connection_id',
    value: connections.some((c) => c.id === wanted) ? wanted : connections[0].id,
  });
  const models = modelPicker();
  connection.addEventListener('change', () => models.load(connection.value));
  const destinations = (await connectorTypes()).destinations;
  if (!context.active) return;
  const destinationNames = destinations.map((t) => t.type);
  const destinationType = select(destinationNames.map((t) => [t, t]), {
    id: 'destination-type', name: 'destination_type', value: destinationNames.includes('sqlite') ? 'sqlite' : destinationNames[0],
  });
  const destinationHolder = h('div', { id: 'destination-fields' });
  let destination;
  const showDestination = () => {
    destination = specForm(configSchema(destinations, destinationType.value), { legend: `${destinationType.value} destination` });
    append(clear(destinationHolder), destination);
  };
  destinationType.addEventListener('change', showDestination);
  showDestination();
  const schedule = scheduleForm();
  const status = select([['active', 'active'], ['paused', 'paused']], { id: 'sync-status', name: 'status', value: 'active' });
  const attempts = h('input', { id: 'sync-max-attempts', name: 'max_attempts', type: 'number', min: '1', max: '20', step: '1', value: 3 });
  const errors = errorBox('sync-error');
  const submit = h('button', { type: 'submit', class: 'button primary', id: 'create-sync' }, 'Create sync');
  const form = h('form', { class: 'card', id: 'sync-form', novalidate: true },
    field('Connection', connection),
    models,
    field('Destination type', destinationType),
    destinationHolder,
    schedule,
    field('Status', status),
    field('Attempts per run', attempts, { hint: 'a run that fails with a transient error is retried up to this many attempts (1–20)' }),
    errors,
    h('div', { class: 'actions' }, submit, link('#/syncs', 'Cancel', { class: 'button quiet' })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, errors, async () => {
      const maxAttempts = Number(attempts.value);
      if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20) throw new Error('Attempts per run must be 1 to 20.');
      const body = {
        connection_id: connection.value,
        destination: { type: destinationType.value, config: destination.read() },
        models: models.read(),
        schedule: schedule.read(),
        status: status.value,
        max_attempts: maxAttempts,
      };
      const created = await post('/v1/syncs', body);
      context.navigate(`#/syncs/${id(created.id)}`, 'Sync created.');
    });
  });
  append(container, form);
  await models.load(connection.value);
}

function modelStatusTable(status) {
  return table([
    { label: 'Model', cell: (m) => h('code', null, m.model_id) },
    { label: 'Last result', cell: (m) => (m.last_sync_result ? badge(m.last_sync_result) : '—') },
    { label: 'Last error', cell: (m) => (m.last_error_category ? h('code', { title: hintFor(m.last_error_category) }, m.last_error_category) : '—') },
    { label: 'Last start', cell: (m) => time(m.last_sync_start) },
    { label: 'Last finish', cell: (m) => time(m.last_sync_finished) },
    { label: 'Initial sync', cell: (m) => (m.is_initial_sync ? 'pending' : 'done') },
    { label: 'Next start', cell: (m) => time(m.next_sync_start) },
  ], status.models ?? [], { empty: 'No models yet.', id: 'model-status-table' });
}

export async function syncPage(container, params, context) {
  const [sync, status] = await Promise.all([
    get(`/v1/syncs/${id(params.id)}`), get(`/v1/syncs/${id(params.id)}/status`),
  ]);
  if (!context.active) return;
  const connection = await get(`/v1/connections/${id(sync.connection_id)}`).catch(() => null);
  if (!context.active) return;
  document.title = `Sync ${shortId(sync.id)} · ferry`;
  const base = `/v1/syncs/${id(sync.id)}`;
  const errors = errorBox('sync-page-error');
  const reload = (message) => context.navigate(`#/syncs/${id(sync.id)}`, message);

  // 201: a new run; 200: the run that was already active (a sync has at most one).
  const trigger = async (body, label) => {
    const { status: code, body: run } = await request('POST', `${base}/runs`, { body, withStatus: true });
    context.navigate(`#/runs/${id(run.id)}`, code === 200 ? 'A run of this sync was already active: this is it.' : `${label} started.`);
  };
  const runNow = button('Run now', null, { id: 'trigger-run', class: 'button primary' });
  runNow.addEventListener('click', () => busy(runNow, errors, () => trigger({}, 'Run')));
  const resync = button('Full resync', null, { id: 'full-resync', title: 'Read every model from scratch; rows the source no longer has are deleted' });
  resync.addEventListener('click', () => busy(resync, errors, () => trigger({ full_refresh: true }, 'Full resync')));
  const paused = sync.status === 'paused';
  const toggle = button(paused ? 'Resume' : 'Pause', null, { id: paused ? 'resume-sync' : 'pause-sync' });
  toggle.addEventListener('click', () => busy(toggle, errors, async () => {
    await patch(base, { status: paused ? 'active' : 'paused' });
    reload(paused ? 'Sync resumed.' : 'Sync paused: its schedule does not start runs until you resume it.');
  }));
  const remove = confirmButton('Delete', 'Really delete?', () => busy(remove, errors, async () => {
    await del(base);
    context.navigate('#/syncs', 'Sync deleted.');
  }), { id: 'delete-sync' });

  const schedule = scheduleForm(sync.schedule);
  const saveSchedule = h('button', { type: 'submit', class: 'button', id: 'save-schedule' }, 'Save schedule');
  const scheduleErrors = errorBox('schedule-error');
  const scheduleCard = h('form', { class: 'card', id: 'schedule-form', novalidate: true }, schedule, scheduleErrors, h('div', { class: 'actions' }, saveSchedule));
  scheduleCard.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(saveSchedule, scheduleErrors, async () => {
      await patch(base, { schedule: schedule.read() });
      reload('Schedule saved.');
    });
  });

  append(container, 
    h('p', { class: 'crumbs' }, link('#/syncs', 'Syncs'), ' / '),
    h('div', { class: 'page-head' }, h('h1', null, 'Sync ', h('span', { class: 'mono' }, shortId(sync.id))), badge(sync.status)),
    details([
      ['Id', h('code', null, sync.id)],
      ['Connection', connection ? link(`#/connections/${id(connection.id)}`, connection.name) : h('code', null, sync.connection_id)],
      ['Destination', h('span', null, h('code', null, sync.destination?.type), ' ', json(sync.destination?.config ?? {}))],
      ['Destination secrets set', sync.destination?.secret_fields?.length ? sync.destination.secret_fields.join(', ') : null],
      ['Models', Array.isArray(sync.models) ? sync.models.join(', ') : 'every model'],
      ['Schedule', h('span', { id: 'sync-schedule' }, scheduleText(sync.schedule))],
      ['Status', h('span', { id: 'sync-status-text' }, sync.status)],
      ['Attempts per run', String(sync.max_attempts)],
      ['Next start', time(sync.next_sync_start)],
      ['Created', time(sync.created_at)],
    ], { id: 'sync-details' }),
    h('div', { class: 'actions' }, runNow, resync, toggle, remove),
    errors,
    status.current_run ? h('p', { class: 'notice-inline' }, 'A run is active: ', link(`#/runs/${id(status.current_run.id)}`, `${shortId(status.current_run.id)} (${status.current_run.status})`, { id: 'current-run-link' })) : null,
    scheduleCard,
    h('h2', null, 'Models'),
    modelStatusTable(status),
    h('h2', null, 'Runs'));
  await pagedTable(container, `${base}/runs`, runColumns({ withSync: false }), { empty: 'No runs yet: Run now starts one.', id: 'sync-runs-table', limit: 10 });
}
