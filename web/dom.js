// DOM helpers for the dashboard. Every string given to them becomes text (a Text node, textContent or an
// attribute value), never markup: nothing the server returns is parsed as HTML.

// h('a', {href: '#/x', class: 'link', onclick: fn}, 'text', child, [more]) -> element
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'checked' || name === 'selected' || name === 'disabled') {
      el[name] = value;
    } else if (name !== 'value') {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  // After the children: a <select>'s value names one of its options.
  if (props?.value !== undefined && props.value !== null) el.value = props.value;
  return el;
}

// Appends children (nested arrays flattened); null, undefined and false are skipped, not shown as text.
export function append(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// A CSS class fragment from a server value (a status): letters, digits and '_' only.
export function token(value) {
  return String(value ?? 'unknown').toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

export function badge(status) {
  return h('span', { class: `badge status-${token(status)}`, 'data-status': status ?? '' }, status ?? '—');
}

export function shortId(id) {
  return typeof id === 'string' ? id.slice(0, 8) : '—';
}

export function time(ts) {
  if (!ts) return h('span', { class: 'muted' }, '—');
  const d = new Date(ts);
  const shown = Number.isNaN(d.getTime()) ? ts : d.toLocaleString();
  return h('time', { datetime: ts, title: ts }, shown);
}

export function number(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '—';
}

export function duration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${s} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function json(value) {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

// A table that turns into one card per row on a narrow screen: every cell carries its column's label.
// columns: [{label, cell: (row) => node|string, class?}]
export function table(columns, rows, { empty = 'Nothing here yet.', id } = {}) {
  if (rows.length === 0) return h('p', { class: 'empty', id }, empty);
  return h('table', { class: 'table', id },
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
    h('tbody', null, rows.map((row) => h('tr', null, columns.map((c) =>
      h('td', { 'data-label': c.label, class: c.class }, c.cell(row)))))));
}

// <dl> of [label, value] pairs.
export function details(pairs, { id } = {}) {
  return h('dl', { class: 'details', id }, pairs.filter(Boolean).map(([label, value]) => [
    h('dt', null, label), h('dd', null, value ?? h('span', { class: 'muted' }, '—')),
  ]));
}

export function link(href, text, props = {}) {
  return h('a', { href, ...props }, text);
}

export function button(text, onclick, props = {}) {
  return h('button', { type: 'button', class: 'button', onclick, ...props }, text);
}

// A button that asks once more before doing something that cannot be undone: the first click arms it.
export function confirmButton(text, confirmText, onconfirm, props = {}) {
  let armed = false;
  let timer;
  const el = button(text, async () => {
    if (!armed) {
      armed = true;
      el.textContent = confirmText;
      el.classList.add('armed');
      timer = setTimeout(() => {
        armed = false;
        el.textContent = text;
        el.classList.remove('armed');
      }, 5000);
      return;
    }
    clearTimeout(timer);
    armed = false;
    el.textContent = text;
    el.classList.remove('armed');
    await onconfirm();
  }, { class: 'button danger', ...props });
  return el;
}

// Shows an error (or clears it with null) in a message box.
export function showError(box, error) {
  clear(box);
  box.hidden = !error;
  if (error) append(box, error.message ?? String(error));
}

// Runs `work` with `el` disabled, showing any error in `box`.
export async function busy(el, box, work) {
  el.disabled = true;
  if (box) showError(box, null);
  try {
    return await work();
  } catch (error) {
    if (box) showError(box, error);
    else throw error;
  } finally {
    el.disabled = false;
  }
}

export function errorBox(id) {
  return h('div', { class: 'error', role: 'alert', id, hidden: true });
}

export function field(label, input, { hint, tags = [] } = {}) {
  return h('label', { class: 'field' },
    h('span', { class: 'field-label' }, label, tags.map((t) => h('span', { class: `tag tag-${token(t)}` }, t))),
    input,
    hint ? h('span', { class: 'hint' }, hint) : null);
}

export function select(options, props = {}) {
  return h('select', props, options.map(([value, text]) => h('option', { value }, text)));
}
