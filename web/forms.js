// Config forms built from a connector's spec, given as JSON Schema (the shape /v1/connector-types serves):
// one input per property, secret (`writeOnly`) ones as password inputs.
import { get } from './api.js';
import { append, field, h, select } from './dom.js';

// The source and destination types this server accepts, each with its config's JSON Schema
// (GET /v1/connector-types): fetched once per page load, since only the operator changes them.
let connectorTypesAnswer = null;
export function connectorTypes() {
  connectorTypesAnswer ??= get('/v1/connector-types').catch((error) => {
    connectorTypesAnswer = null;
    throw error;
  });
  return connectorTypesAnswer;
}

// The JSON Schema of one type's config, from `list` (connectorTypes().sources or .destinations).
export function configSchema(list, type) {
  const found = list.find((t) => t.type === type);
  if (!found) throw new Error(`this server offers no ${type} type`);
  return found.config;
}

function inputFor(name, prop, { current, secretSet }) {
  const id = `field-${name}`;
  const common = { id, name, 'data-field': name };
  const isSecret = Boolean(prop.writeOnly);
  const placeholder = isSecret && secretSet
    ? 'set — leave empty to keep it'
    : prop.default !== undefined && prop.default !== null ? `default: ${JSON.stringify(prop.default)}` : '';
  if (Array.isArray(prop.enum) && prop.enum.length > 0) {
    const options = [['', prop.default !== undefined ? `(default: ${prop.default})` : '(not set)'],
      ...prop.enum.map((v) => [String(v), String(v)])];
    return select(options, { ...common, value: current ?? '' });
  }
  switch (prop.type) {
    case 'integer':
    case 'number':
      return h('input', {
        ...common, type: 'number', step: prop.type === 'integer' ? '1' : 'any', inputmode: 'numeric', placeholder,
        value: current ?? '',
      });
    case 'boolean':
      return select([['', prop.default !== undefined ? `(default: ${prop.default})` : '(not set)'],
        ['true', 'true'], ['false', 'false']], { ...common, value: current === undefined ? '' : String(current) });
    case 'object':
    case 'array':
      return h('textarea', {
        ...common, rows: 6, spellcheck: 'false', autocomplete: 'off', class: isSecret ? 'secret' : null,
        placeholder: placeholder || (prop.type === 'array' ? '[ … ] (JSON)' : '{ … } (JSON)'),
        value: current === undefined ? '' : JSON.stringify(current, null, 2),
      });
    default:
      return h('input', {
        ...common, type: isSecret ? 'password' : 'text', autocomplete: isSecret ? 'new-password' : 'off',
        spellcheck: 'false', placeholder, value: current ?? '',
      });
  }
}

// Renders the fields of `schema` into a fieldset; `.read()` returns the config object (only fields given)
// or throws an Error naming the field. `current`: existing public config to pre-fill; `secretFields`: the
// secret fields already set (left empty, they are kept).
export function specForm(schema, { current = {}, secretFields = [], legend } = {}) {
  const required = new Set(schema.required ?? []);
  const entries = Object.entries(schema.properties ?? {});
  // Required first, then the rest in the spec's order.
  entries.sort(([a], [b]) => Number(required.has(b)) - Number(required.has(a)));
  const inputs = [];
  const fieldset = h('fieldset', { class: 'spec' }, legend ? h('legend', null, legend) : null);
  for (const [name, prop] of entries) {
    const input = inputFor(name, prop, { current: current[name], secretSet: secretFields.includes(name) });
    inputs.push([name, prop, input]);
    const tags = [];
    if (required.has(name)) tags.push('required');
    if (prop.writeOnly) tags.push('secret');
    append(fieldset, field(name, input, { hint: prop.description, tags }));
  }
  fieldset.read = () => {
    const config = {};
    for (const [name, prop, input] of inputs) {
      const raw = input.value.trim();
      if (raw === '') {
        if (required.has(name) && !(prop.writeOnly && secretFields.includes(name))) {
          throw new Error(`${name} is required.`);
        }
        continue;
      }
      if (Array.isArray(prop.enum)) {
        config[name] = raw;
      } else if (prop.type === 'integer' || prop.type === 'number') {
        const n = Number(raw);
        if (!Number.isFinite(n) || (prop.type === 'integer' && !Number.isInteger(n))) {
          throw new Error(`${name} must be ${prop.type === 'integer' ? 'a whole number' : 'a number'}.`);
        }
        config[name] = n;
      } else if (prop.type === 'boolean') {
        config[name] = raw === 'true';
      } else if (prop.type === 'object' || prop.type === 'array') {
        try {
          config[name] = JSON.parse(raw);
        } catch (error) {
          throw new Error(`${name} is not valid JSON: ${error.message}`);
        }
      } else {
        config[name] = prop.writeOnly ? input.value : raw;
      }
    }
    return config;
  };
  return fieldset;
}

export function scheduleText(schedule) {
  if (!schedule || schedule.kind === 'manual') return 'manual';
  if (schedule.kind === 'interval') return `every ${schedule.interval_minutes} min`;
  if (schedule.kind === 'cron') return `cron ${schedule.cron}`;
  return String(schedule.kind);
}

// Schedule inputs: kind, and the interval or cron expression it needs. `.read()` -> the /v1 schedule object.
export function scheduleForm(schedule = { kind: 'manual' }) {
  const kind = select([['manual', 'Manual (trigger only)'], ['interval', 'Every N minutes'], ['cron', 'Cron expression']],
    { id: 'schedule-kind', name: 'schedule_kind', value: schedule.kind ?? 'manual' });
  const minutes = h('input', {
    id: 'schedule-interval', name: 'interval_minutes', type: 'number', min: '1', step: '1', inputmode: 'numeric',
    value: schedule.interval_minutes ?? 60,
  });
  const cron = h('input', {
    id: 'schedule-cron', name: 'cron', type: 'text', spellcheck: 'false', placeholder: '*/15 * * * *',
    value: schedule.cron ?? '',
  });
  const minutesField = field('Interval (minutes)', minutes);
  const cronField = field('Cron (UTC)', cron, { hint: 'minute hour day-of-month month day-of-week' });
  const sync = () => {
    minutesField.hidden = kind.value !== 'interval';
    cronField.hidden = kind.value !== 'cron';
  };
  kind.addEventListener('change', sync);
  sync();
  const fieldset = h('fieldset', { class: 'spec' }, h('legend', null, 'Schedule'), field('Runs', kind), minutesField, cronField);
  fieldset.read = () => {
    if (kind.value === 'interval') {
      const n = Number(minutes.value);
      if (!Number.isInteger(n) || n < 1) throw new Error('The interval must be a whole number of minutes, at least 1.');
      return { kind: 'interval', interval_minutes: n };
    }
    if (kind.value === 'cron') {
      if (!cron.value.trim()) throw new Error('Enter a cron expression.');
      return { kind: 'cron', cron: cron.value.trim() };
    }
    return { kind: 'manual' };
  };
  return fieldset;
}
