// The ferry dashboard: a single page whose hash names the view (#/connections, #/runs/<id>, ...). Each view
// renders into a fresh container; leaving it stops whatever it polls.
import { session, setUnauthorizedHandler } from './api.js';
import { append, clear, h } from './dom.js';
import { connectionPage, connectionsPage, newConnectionPage } from './connections.js';
import { keysPage } from './keys.js';
import { runPage, runsPage } from './runs.js';
import { signInPage } from './signin.js';
import { newSyncPage, syncPage, syncsPage } from './syncs.js';

// [pattern, view, nav item]; a pattern's `:name` parts become params.
const ROUTES = [
  ['/signin', signInPage, null],
  ['/connections', connectionsPage, 'connections'],
  ['/connections/new', newConnectionPage, 'connections'],
  ['/connections/:id', connectionPage, 'connections'],
  ['/syncs', syncsPage, 'syncs'],
  ['/syncs/new', newSyncPage, 'syncs'],
  ['/syncs/:id', syncPage, 'syncs'],
  ['/runs', runsPage, 'runs'],
  ['/runs/:id', runPage, 'runs'],
  ['/keys', keysPage, 'keys'],
];

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  return { path, query: new URLSearchParams(query) };
}

function match(path) {
  const parts = path.split('/').filter(Boolean);
  for (const [pattern, view, nav] of ROUTES) {
    const want = pattern.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    const ok = want.every((p, i) => {
      if (p.startsWith(':')) {
        try {
          params[p.slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          return false;
        }
        return true;
      }
      return p === parts[i];
    });
    if (ok) return { view, nav, params };
  }
  return null;
}

const notice = {
  show(text) {
    const el = document.getElementById('notice');
    el.textContent = text;
    el.hidden = false;
  },
  clear() {
    const el = document.getElementById('notice');
    el.textContent = '';
    el.hidden = true;
  },
};

let leave = null; // stops the current view's polling
let pendingNotice = null; // shown by the next view

export function navigate(hash, message) {
  pendingNotice = message ?? null;
  if (location.hash === hash) render();
  else location.hash = hash;
}

function render() {
  if (leave) leave();
  leave = null;
  notice.clear();
  if (pendingNotice) notice.show(pendingNotice);
  pendingNotice = null;

  const { path, query } = parseHash();
  const signedIn = Boolean(session.key);
  document.getElementById('topbar').hidden = !signedIn;
  if (!signedIn && path !== '/signin') {
    const back = path === '/' ? '' : `?next=${encodeURIComponent(location.hash)}`;
    location.replace(`#/signin${back}`);
    return;
  }
  if (path === '/' || (signedIn && path === '/signin')) {
    location.replace('#/connections');
    return;
  }
  const found = match(path);
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', a.dataset.nav === found?.nav);
    if (a.dataset.nav === found?.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const main = document.getElementById('view');
  const container = h('div', { class: 'page' });
  append(clear(main), container);
  if (!found) {
    append(container, h('h1', null, 'Not found'), h('p', null, 'No such page. ', h('a', { href: '#/connections' }, 'Go to connections')));
    return;
  }
  const context = { query, navigate, notice, active: true };
  leave = () => {
    context.active = false;
    context.onLeave?.();
  };
  Promise.resolve(found.view(container, found.params, context)).catch((error) => {
    if (!context.active) return;
    append(container, h('div', { class: 'error', role: 'alert' }, error.message ?? String(error)));
  });
}

setUnauthorizedHandler(() => {
  session.signOut();
  navigate('#/signin', 'ferry refused the API key (wrong, or revoked). Sign in again.');
});

document.getElementById('sign-out').addEventListener('click', () => {
  session.signOut();
  navigate('#/signin', 'Signed out.');
});
window.addEventListener('hashchange', render);
render();
