// Paths no route serves, under each product's prefix, answer in that product's error shape (never ferry's).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry } from './harness.mjs';

let ferry;
before(async () => { ferry = await startFerry(); });
after(async () => { assert.equal(await ferry.stop(), 0); });

async function get(path, method = 'GET') {
  const res = await fetch(ferry.baseUrl + path, { method, headers: { Authorization: `Bearer ${ferry.keyA}` } });
  return { status: res.status, body: await res.json() };
}

test('unknown paths answer in the owning product\'s error shape', async () => {
  for (const path of ['/source-connections/x/y/z', '/v2/integrations/nope', '/api/hris/v1/nope/deeper']) {
    const { status, body } = await get(path);
    assert.equal(status, 404, path);
    assert.equal(typeof body.detail, 'string', `${path}: FastAPI/DRF {"detail"} shape, got ${JSON.stringify(body)}`);
    assert.equal(body.error, undefined, path);
  }
  const polytomic = await get('/api/syncs/x/y/z/w');
  assert.equal(polytomic.status, 404);
  assert.equal(polytomic.body.status, 404);
  assert.equal(typeof polytomic.body.message, 'string');
  const native = await get('/v1/nothing-here');
  assert.equal(native.status, 404);
  assert.equal(native.body.error.code, 'not_found');
});
