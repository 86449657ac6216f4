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
  const { text, parsed } = await bodyOf(response);
  if (response.ok) return withStatus ? { status: response.status, body: parsed } : parsed;
  throw refusal(response, parsed, text, key);
}

// The answer's text and, when it is JSON, its value (null otherwise).
async function bodyOf(response) {
  const text = await response.text();
  try {
    return { text, parsed: text ? JSON.parse(text) : null };
  } catch {
    return { text, parsed: null };
  }
}

// The ApiError for an answer that is not ok; a 401 for the session's key also signs out.
function refusal(response, parsed, text, key) {
  const [code, message] = messageOf(response.status, parsed, text);
  let shown = message;
  if (response.status === 429) {
    shown = `${message} (ferry asks to wait ${response.headers.get('Retry-After') ?? 'a moment'} s)`;
  }
  const error = new ApiError(response.status, code, shown);
  if (response.status === 401 && key === session.key) onUnauthorized(error);
  return error;
}

// Reads a server-sent-events answer (GET /v1/runs/{id}/stream) with `fetch`, so the key still goes in the
// Authorization header (EventSource cannot send one, and a key never goes in a URL). Calls `onEvent({event,
// data})` for each event (comments are skipped) and resolves when the server ends the body; rejects with an
// ApiError when ferry refuses the request or the connection breaks. `signal` aborts it (the page was left).
export async function stream(path, onEvent, { signal, key = session.key } = {}) {
  const headers = { Accept: 'text/event-stream' };
  if (key) headers.Authorization = `Bearer ${key}`;
  let response;
  try {
    response = await fetch(path, { headers, cache: 'no-store', signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'network', `ferry did not answer (${error.message}). Is the server running?`);
  }
  if (!response.ok || !response.body) {
    const { text, parsed } = await bodyOf(response);
    throw refusal(response, parsed, text, key);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(0, 'network', `the stream broke (${error.message})`);
    }
    if (chunk.done) return;
    buffered += chunk.value.replace(/\r\n?/g, '\n');
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line === '' || line.startsWith(':')) continue; // a comment: the server's keep-alive
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) onEvent({ event, data: data.join('\n') });
    }
  }
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
