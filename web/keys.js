// API keys: the tenant's keys (revoked ones included), create one (its secret is shown once, here, and never
// again) and revoke one.
import { del, get, id, post, session, withQuery } from './api.js';
import { append, busy, button, clear, confirmButton, errorBox, h, table, time } from './dom.js';

export async function keysPage(container, _params, context) {
  document.title = 'API keys · ferry';
  const errors = errorBox('keys-error');
  const secretHolder = h('div', { id: 'new-key-holder', 'aria-live': 'polite' });
  const holder = h('div', { id: 'keys-holder' });
  const more = button('Load more', null, { class: 'button quiet', id: 'keys-table-more' });
  const create = button('Create key', null, { class: 'button primary', id: 'create-key' });
  append(container, 
    h('div', { class: 'page-head' }, h('h1', null, 'API keys'), create),
    h('p', { class: 'muted' },
      'Keys are stored as a hash: a new key’s secret is shown once, when it is created. A revoked key is refused from its next request on.'),
    errors, secretHolder, holder, more);

  let keys = [];
  let cursor = null;
  const draw = () => {
    append(clear(holder), table([
      { label: 'Prefix', cell: (k) => h('span', null, h('code', { class: 'key-prefix' }, k.prefix), session.isOwnKey(k) ? h('span', { class: 'tag tag-session' }, 'this session') : null) },
      { label: 'Created', cell: (k) => time(k.created_at) },
      { label: 'Last used', cell: (k) => time(k.last_used_at) },
      { label: 'State', cell: (k) => (k.revoked_at ? h('span', { class: 'badge status-revoked' }, 'revoked') : h('span', { class: 'badge status-active' }, 'active')) },
      { label: 'Revoked', cell: (k) => time(k.revoked_at) },
      { label: '', cell: (k) => (k.revoked_at ? '' : revokeButton(k)) },
    ], keys, { empty: 'No keys.', id: 'keys-table' }));
    more.hidden = !cursor;
  };
  const load = async (reset) => {
    if (reset) {
      keys = [];
      cursor = null;
    }
    const page = await get(withQuery('/v1/api-keys', { limit: 50, cursor }));
    if (!context.active) return;
    keys.push(...page.data);
    cursor = page.next_cursor;
    draw();
  };
  const revokeButton = (key) => {
    const own = session.isOwnKey(key);
    const el = confirmButton('Revoke', own ? 'Revoke this session’s key?' : 'Really revoke?', () => busy(el, errors, async () => {
      await del(`/v1/api-keys/${id(key.id)}`);
      if (own) {
        session.signOut();
        context.navigate('#/signin', 'You revoked the key this session used. Sign in with another key.');
        return;
      }
      await load(true);
    }), { class: 'button danger small', 'data-key-id': key.id, 'data-prefix': key.prefix });
    return el;
  };
  create.addEventListener('click', () => busy(create, errors, async () => {
    const created = await post('/v1/api-keys', {});
    const secret = h('code', { class: 'secret-value', id: 'new-key-secret' }, created.key);
    const copied = h('span', { class: 'muted', 'aria-live': 'polite' });
    const copy = button('Copy', async () => {
      try {
        await navigator.clipboard.writeText(created.key);
        copied.textContent = 'Copied.';
      } catch {
        copied.textContent = 'Copying is not allowed here: select the key and copy it.';
        getSelection()?.selectAllChildren(secret);
      }
    }, { class: 'button small' });
    append(clear(secretHolder), h('section', { class: 'card secret-box', id: 'new-key' },
      h('h2', null, 'New key'),
      h('p', null, 'Copy this key now: ferry shows it only this once.'),
      secret,
      h('div', { class: 'actions' }, copy, copied, button('Done', () => clear(secretHolder), { class: 'button quiet small', id: 'dismiss-key' }))));
    await load(true);
  }));
  more.addEventListener('click', () => busy(more, errors, () => load(false)));
  await load(true);
}
