// Connections: list, create from a source type's spec, and one connection's page (check, discover models,
// edit, delete).
import { del, get, id, patch, post, withQuery } from './api.js';
import {
  append, badge, busy, button, clear, confirmButton, details, errorBox, field, h, json, link, select, table, time,
} from './dom.js';
import { configSchema, connectorTypes, specForm } from './forms.js';
import { errorPanel } from './hints.js';

// The source types this server accepts, and each one's settings as JSON Schema (secrets marked writeOnly).
async function sourceTypes() {
  return (await connectorTypes()).sources.map((t) => t.type);
}

async function sourceSpec(type) {
  return configSchema((await connectorTypes()).sources, type);
}

// A "Load more" list: fetches pages of `path` and appends their rows to a table.
export async function pagedTable(container, path, columns, { empty, id: tableId, limit = 25 } = {}) {
  const rows = [];
  const holder = h('div', { class: 'table-holder' });
  const more = button('Load more', null, { class: 'button quiet', id: tableId ? `${tableId}-more` : undefined });
  const errors = errorBox();
  append(container, holder, errors, more);
  let cursor = null;
  const load = async () => {
    const page = await get(withQuery(path, { limit, cursor }));
    rows.push(...page.data);
    cursor = page.next_cursor;
    append(clear(holder), table(columns, rows, { empty, id: tableId }));
    more.hidden = !cursor;
  };
  more.addEventListener('click', () => busy(more, errors, load));
  more.hidden = true;
  await load();
  return rows;
}

export async function connectionsPage(container) {
  document.title = 'Connections · ferry';
  append(container, 
    h('div', { class: 'page-head' },
      h('h1', null, 'Connections'),
      link('#/connections/new', 'New connection', { class: 'button primary', id: 'new-connection' })),
    h('p', { class: 'muted' }, 'A connection is a source account: its type, its settings and its secrets.'));
  await pagedTable(container, '/v1/connections', [
    { label: 'Name', cell: (c) => link(`#/connections/${id(c.id)}`, c.name || '(unnamed)', { class: 'connection-link' }) },
    { label: 'Type', cell: (c) => h('code', null, c.source_type) },
    { label: 'Secrets set', cell: (c) => (c.secret_fields?.length ? c.secret_fields.join(', ') : '—') },
    { label: 'Created', cell: (c) => time(c.created_at) },
  ], { empty: 'No connections yet. Create one to start syncing.', id: 'connections-table' });
}

export async function newConnectionPage(container, _params, context) {
  document.title = 'New connection · ferry';
  const errors = errorBox('connection-error');
  const name = h('input', { id: 'connection-name', name: 'name', type: 'text', required: true, autocomplete: 'off' });
  const types = await sourceTypes();
  if (!context.active) return;
  const wanted = context.query.get('type');
  const type = select(types.map((t) => [t, t]), { id: 'source-type', name: 'source_type', value: types.includes(wanted) ? wanted : types[0] });
  const specHolder = h('div', { id: 'spec-fields' });
  let spec = null;
  const loadSpec = async () => {
    append(clear(specHolder), h('p', { class: 'muted' }, 'Loading the settings of this type…'));
    const chosen = type.value;
    try {
      const schema = await sourceSpec(chosen);
      if (type.value !== chosen || !context.active) return;
      spec = specForm(schema, { legend: `${chosen} settings` });
      append(clear(specHolder), spec);
    } catch (error) {
      clear(specHolder);
      errors.hidden = false;
      errors.textContent = error.message;
    }
  };
  type.addEventListener('change', loadSpec);
  const submit = h('button', { type: 'submit', class: 'button primary', id: 'create-connection' }, 'Create connection');
  const form = h('form', { class: 'card', id: 'connection-form', novalidate: true },
    field('Name', name),
    field('Source type', type),
    specHolder,
    errors,
    h('div', { class: 'actions' }, submit, link('#/connections', 'Cancel', { class: 'button quiet' })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, errors, async () => {
      if (!name.value.trim()) throw new Error('Give the connection a name.');
      if (!spec) throw new Error('The settings of this source type did not load.');
      const created = await post('/v1/connections', { name: name.value.trim(), source_type: type.value, config: spec.read() });
      context.navigate(`#/connections/${id(created.id)}`, `Connection “${created.name}” created.`);
    });
  });
  append(container, h('h1', null, 'New connection'), form);
  if (types.length === 0) {
    errors.hidden = false;
    errors.textContent = 'The operator enabled no source types.';
  } else {
    await loadSpec();
  }
}

function modelsTable(models) {
  return table([
    { label: 'Model', cell: (m) => h('code', null, m.model_id) },
    { label: 'Fields', cell: (m) => String(m.fields?.length ?? 0) },
    { label: 'Primary key', cell: (m) => (m.primary_key ?? []).join(', ') || '—' },
    { label: 'Cursor', cell: (m) => m.cursor_field ?? '—' },
    { label: 'Incremental', cell: (m) => (m.supports_incremental ? 'yes' : 'no') },
  ], models, { empty: 'No models.', id: 'models-table' });
}

export async function connectionPage(container, params, context) {
  const connection = await get(`/v1/connections/${id(params.id)}`);
  if (!context.active) return;
  document.title = `${connection.name} · ferry`;
  const base = `/v1/connections/${id(connection.id)}`;
  const errors = errorBox('connection-page-error');
  const checkResult = h('div', { id: 'check-result', 'aria-live': 'polite' });
  const modelsHolder = h('div', { id: 'models' });
  const editHolder = h('div', { id: 'edit-holder' });

  const check = button('Check', null, { id: 'check-connection' });
  check.addEventListener('click', () => busy(check, errors, async () => {
    append(clear(checkResult), h('p', { class: 'muted' }, 'Checking…'));
    const result = await post(`${base}/check`);
    append(clear(checkResult), h('div', { class: 'check' },
      h('p', null, 'Check: ', badge(result.status), ' ', result.status === 'succeeded' ? result.message : ''),
      result.status === 'succeeded' ? null : errorPanel({ message: result.message, category: result.error_category }, { id: 'check-error' })));
    if (result.status === 'succeeded') await showModels(get(`${base}/models`));
  }));
  const discover = button('Discover models', null, { id: 'discover-models' });
  const showModels = async (pending) => {
    append(clear(modelsHolder), h('p', { class: 'muted' }, 'Loading models…'));
    try {
      const body = await pending;
      append(clear(modelsHolder), modelsTable(body.data ?? []));
    } catch (error) {
      append(clear(modelsHolder), h('div', { class: 'error', role: 'alert' }, error.message));
    }
  };
  discover.addEventListener('click', () => busy(discover, errors, () => showModels(post(`${base}/discover`))));
  const edit = button('Edit', null, { id: 'edit-connection' });
  edit.addEventListener('click', () => busy(edit, errors, async () => {
    const schema = await sourceSpec(connection.source_type);
    const name = h('input', { id: 'edit-name', name: 'name', type: 'text', value: connection.name });
    const spec = specForm(schema, { current: connection.config, secretFields: connection.secret_fields, legend: 'Settings' });
    const save = h('button', { type: 'submit', class: 'button primary', id: 'save-connection' }, 'Save');
    const editErrors = errorBox();
    const form = h('form', { class: 'card', novalidate: true }, h('h2', null, 'Edit connection'), field('Name', name), spec, editErrors,
      h('div', { class: 'actions' }, save, button('Cancel', () => clear(editHolder), { class: 'button quiet' })));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      busy(save, editErrors, async () => {
        await patch(base, { name: name.value.trim(), config: spec.read() });
        context.navigate(`#/connections/${id(connection.id)}`, 'Connection saved.');
      });
    });
    append(clear(editHolder), form);
  }));
  const remove = confirmButton('Delete', 'Really delete?', () => busy(remove, errors, async () => {
    await del(base);
    context.navigate('#/connections', `Connection “${connection.name}” deleted.`);
  }), { id: 'delete-connection' });

  append(container, 
    h('p', { class: 'crumbs' }, link('#/connections', 'Connections'), ' / '),
    h('div', { class: 'page-head' }, h('h1', { id: 'connection-name' }, connection.name)),
    details([
      ['Id', h('code', null, connection.id)],
      ['Source type', h('code', null, connection.source_type)],
      ['Settings', json(connection.config)],
      ['Secrets set', connection.secret_fields?.length ? connection.secret_fields.join(', ') : null],
      ['Account token', h('code', null, connection.account_token)],
      ['Created', time(connection.created_at)],
      ['Updated', time(connection.updated_at)],
    ], { id: 'connection-details' }),
    h('div', { class: 'actions' }, check, discover,
      link(withQuery('#/syncs/new', { connection: connection.id }), 'New sync from this connection', { class: 'button', id: 'new-sync-from-connection' }),
      edit, remove),
    errors,
    checkResult,
    editHolder,
    h('h2', null, 'Models'),
    h('p', { class: 'muted' }, 'What ferry last discovered: Check, Discover and every run refresh it.'),
    modelsHolder);
  await showModels(get(`${base}/models`));
}
