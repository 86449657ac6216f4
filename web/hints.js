// What to do about a failure, by its error_category (docs/api-v1.md, Runs).
import { h } from './dom.js';

export const CATEGORY_HINTS = {
  credentials_invalid:
    "The source refused the connection's credentials. Update the connection's secret fields (Edit on the connection page), run Check, then trigger the sync again.",
  oauth_credentials_expired:
    'The OAuth token expired or was revoked at the source. Reconnect the account and update the connection’s credentials, then run Check.',
  source_unavailable:
    'The source could not be reached or answered with a server error. ferry retries such errors by itself; if it persists, check the source’s status and the connection’s address.',
  rate_limited:
    'The source rate limited ferry. ferry retries later by itself; lower requests_per_second on the connection or schedule the sync less often.',
  config_invalid:
    'The configuration is wrong: a path, an address the operator’s egress policy refuses, a model another sync writes, or a bad setting. Fix the connection or the sync’s destination; retrying unchanged fails the same way.',
  destination_error:
    'Writing to the destination failed (disk full, permissions, database unavailable). Fix the destination, then trigger the sync again.',
  internal:
    'An unexpected error inside ferry. Trigger again; if it repeats, give the operator the run id so they can find it in the server log.',
};

export function hintFor(category) {
  return CATEGORY_HINTS[category] ?? 'No advice for this category: read the error message.';
}

// The error panel of a run, a task or a check: message, category and what to do.
export function errorPanel({ message, category }, { id } = {}) {
  return h('section', { class: 'error-panel', id, role: 'alert' },
    h('h2', null, 'Error'),
    category ? h('p', null, 'Category: ', h('code', { class: 'error-category' }, category)) : null,
    message ? h('p', { class: 'error-message' }, message) : null,
    h('p', { class: 'error-hint' }, h('strong', null, 'What to do: '), hintFor(category)));
}
