// The dashboard's only way to the server: ferry's /v1 API (docs/api-v1.md) with the signed-in API key as
// `Authorization: Bearer <key>`. The key lives in sessionStorage: it is gone when the tab closes.

const STORAGE_KEY = 'ferry.apiKey';

export const session = {
  get key() {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  signIn(key) {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  signOut() {
    sessionStorage.removeItem(STORAGE_KEY);
  },
  // Whether a key listed by /v1/api-keys is this session's: its prefix is `fry_` and the secret's next 8
  // characters.
  isOwnKey(apiKey) {
    const key = this.key;
    return Boolean(key && apiKey?.prefix && apiKey.prefix.length > 4 && key.startsWith(apiKey.prefix));
  },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let onUnauthorized = () => {};
// Called when the server refuses the session's key (wrong or revoked): the app signs out.
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

// The error message of any of ferry's surfaces: /v1's {"error":{"code","message"}}, or the compat shapes.
function messageOf(status, body, text) {
  if (body?.error && typeof body.error === 'object') return [body.error.code ?? `http_${status}`, body.error.message];
  if (typeof body?.error === 'string') return [`http_${status}`, body.error];
  if (typeof body?.message === 'string') return [`http_${status}`, body.message];
  return [`http_${status}`, text ? text.slice(0, 300) : `ferry answered HTTP ${status}`];
}

// One request with `key` (default: the session's). Resolves to the parsed JSON body (null for 204), or with
// `withStatus`, to {status, body}.
export async function request(method, path, { body, key = session.key, withStatus = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, 'network', `ferry did not answer (${error.message}). Is the server running?`);
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (response.ok) return withStatus ? { status: response.status, body: parsed } : parsed;
  const [code, message] = messageOf(response.status, parsed, text);
  let shown = message;
  if (response.status === 429) {
    shown = `${message} (ferry asks to wait ${response.headers.get('Retry-After') ?? 'a moment'} s)`;
  }
  const error = new ApiError(response.status, code, shown);
  if (response.status === 401 && key === session.key) onUnauthorized(error);
  throw error;
}

export const get = (path, options) => request('GET', path, options);
export const post = (path, body, options) => request('POST', path, { ...options, body });
export const patch = (path, body, options) => request('PATCH', path, { ...options, body });
export const del = (path, options) => request('DELETE', path, options);

// A path with query parameters, skipping empty ones.
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

// Every item of a /v1 list, following next_cursor, up to `max` items.
export async function listAll(path, { max = 1000 } = {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(withQuery(path, { limit: 100, cursor }));
    items.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

export const id = (value) => encodeURIComponent(value);
