// Sign in: the page asks for an API key, tries it on /v1 and keeps it in sessionStorage for this tab.
import { ApiError, get, session } from './api.js';
import { append, busy, errorBox, field, h } from './dom.js';

export function signInPage(container, _params, context) {
  document.title = 'Sign in · ferry';
  const input = h('input', {
    type: 'password', id: 'api-key', name: 'api_key', autocomplete: 'off', spellcheck: 'false', required: true,
    placeholder: 'fry_…',
  });
  const errors = errorBox('signin-error');
  const submit = h('button', { type: 'submit', class: 'button primary', id: 'sign-in' }, 'Sign in');
  const form = h('form', { class: 'card narrow', id: 'signin-form', novalidate: true },
    h('h1', null, 'Sign in to ferry'),
    h('p', { class: 'muted' },
      'Paste an API key of your tenant. An operator creates the first one with ',
      h('code', null, 'ferry admin create-tenant'), '. The key stays in this browser tab only.'),
    field('API key', input),
    errors,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      errors.hidden = false;
      errors.textContent = 'Enter an API key.';
      return;
    }
    await busy(submit, errors, async () => {
      try {
        await get('/v1/connections?limit=1', { key });
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          throw new Error('ferry refused this key: it is wrong or has been revoked.');
        }
        throw error;
      }
      session.signIn(key);
      const next = context.query.get('next');
      context.navigate(next && next.startsWith('#/') && !next.startsWith('#/signin') ? next : '#/connections');
    });
  });
  append(container, form);
  input.focus();
}
