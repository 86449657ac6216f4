// A tenant's `process` connection runs only what the operator allowed, with nothing of ferry's: no
// `process` at all unless the operator turns it on, never a shell or any executable off the allow-list
// (nothing runs: no marker file appears), never ferry's environment (FERRY_MASTER_KEY), never its store;
// what comes back is at most 20 lines of stderr with the connection's secrets redacted, and the connector's
// config is sealed like a credential (GET never returns it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from './tenant_server.mjs';

const taps = path.resolve(import.meta.dirname, '../../fakes/taps');
const probeTap = path.join(taps, 'probe_tap');

const create = (s, config, key) =>
  s.api('POST', '/v1/connections', { key, body: { name: 'tap', source_type: 'process', config } });
const connectionCount = async (s) => (await s.api('GET', '/v1/connections')).json.data.length;

describe('with the default settings', () => {
  let s;
  before(async () => { s = await startServer(); });
  after(async () => { await s?.stop(); });

  test('a process connection is refused and nothing runs', async () => {
    const marker = path.join(s.dir, 'ran');
    const r = await create(s, { command: probeTap, protocol: 'singer', config: { marker } });
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.error.message, /process/);
    assert.equal(fs.existsSync(marker), false, 'the tap ran');
    assert.equal(await connectionCount(s), 0);
  });
});

describe('with process turned on and one tap allowed', () => {
  let s;
  const masterKey = crypto.randomBytes(32).toString('hex');
  before(async () => {
    s = await startServer(['--connectors', 'sample,sqlite,process', '--process-allow', probeTap],
                          { env: { ...process.env, FERRY_MASTER_KEY: masterKey } });
  });
  after(async () => { await s?.stop(); });

  test('a shell or any executable off the allow-list is a 422 naming config.command, and never runs', async () => {
    const marker = path.join(s.dir, 'pwned');
    const copy = path.join(s.dir, 'probe_tap_copy');
    fs.copyFileSync(probeTap, copy);
    fs.chmodSync(copy, 0o755);
    const attempts = [
      { command: 'sh', args: '-c id' },
      { command: '/bin/sh', args: '-c id' },
      { command: 'node', args: `-e require("fs").writeFileSync(${JSON.stringify(marker)},"x")` },
      { command: process.execPath, args: `-e require("fs").writeFileSync(${JSON.stringify(marker)},"x")` },
      { command: copy, config: { marker } },                 // the same program at a path the operator did not list
      { command: `${taps}/../taps/probe_tap`, config: { marker } },  // the allowed one, spelled differently
      { command: 'probe_tap', config: { marker } },          // no PATH search
    ];
    for (const a of attempts) {
      const r = await create(s, { protocol: 'singer', ...a });
      assert.equal(r.status, 422, `${a.command}: ${r.text}`);
      assert.match(r.json.error.message, /config\.command/, a.command);
    }
    assert.equal(fs.existsSync(marker), false, 'a refused command ran');
    assert.equal(await connectionCount(s), 0);
  });

  test('an existing connection patched to a shell is refused too', async () => {
    const c = await create(s, { command: probeTap, protocol: 'singer' });
    assert.equal(c.status, 201, c.text);
    const r = await s.api('PATCH', `/v1/connections/${c.json.id}`, { body: { config: { command: '/bin/sh' } } });
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.error.message, /config\.command/);
    const check = await s.api('POST', `/v1/connections/${c.json.id}/check`);
    assert.equal(check.json.status, 'succeeded', check.text);  // still the allowed tap
    await s.api('DELETE', `/v1/connections/${c.json.id}`);
  });

  test('the allowed tap sees an empty environment, not ferry\'s store, and its stderr comes back redacted', async () => {
    const c = await create(s, {
      command: probeTap,
      protocol: 'singer',
      config: {
        fail: true, echo_config: true, stderr_lines: 40, region: 'eu-west-1', db_password: 'hunter2-db-pass',
        read_paths: [s.db, path.join(s.dir, 'ferry.master.key'), s.dataRoot],
      },
      connector_secrets: { token: 'sekrit-connector-token' },
    });
    assert.equal(c.status, 201, c.text);

    // The connector's config is sealed: never rendered, only named.
    const got = await s.api('GET', `/v1/connections/${c.json.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.json.config.config, undefined, got.text);
    assert.ok(got.json.secret_fields.includes('config'), got.text);
    for (const secret of ['hunter2-db-pass', 'sekrit-connector-token', 'eu-west-1']) {
      assert.ok(!got.text.includes(secret), `${secret} rendered: ${got.text}`);
    }

    const r = await s.api('POST', `/v1/connections/${c.json.id}/check`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'failed');
    const message = r.json.message;
    assert.ok(!message.includes(masterKey), `the master key leaked: ${message}`);
    assert.ok(!message.includes('FERRY_MASTER_KEY'), message);
    assert.ok(!message.includes('hunter2-db-pass') && !message.includes('sekrit-connector-token'), message);
    assert.match(message, /\[redacted\]/);
    assert.match(message, /eu-west-1/, 'a value that is no secret is shown');
    assert.ok(!message.includes('probe_tap env:'), 'the env line is beyond the last 20 lines');
    assert.ok(message.split('\n').length <= 21, `more than 20 lines of stderr: ${message}`);
    for (const p of [s.db, s.dataRoot]) {
      assert.ok(!message.includes(`read ${p}: ok`), `the tap read ${p}: ${message}`);
    }
    assert.ok(!/ferry\.master\.key: ok \([1-9]/.test(message), message);
  });

  test('the environment the tap sees is empty', async () => {
    const c = await create(s, { command: probeTap, protocol: 'singer', config: { fail: true } });
    const r = await s.api('POST', `/v1/connections/${c.json.id}/check`);
    const env = r.json.message.match(/probe_tap env: (\{.*\})/)?.[1];
    assert.ok(env, r.text);
    const seen = JSON.parse(env);
    if (seen.PWD?.includes('/ferry-process-')) delete seen.PWD;  // bubblewrap names the tap's own directory
    assert.deepEqual(seen, {});
  });

  test('the allowed tap works, and the server still answers', async () => {
    const c = await create(s, { command: probeTap, protocol: 'singer' });
    const r = await s.api('POST', `/v1/connections/${c.json.id}/check`);
    assert.equal(r.json.status, 'succeeded', r.text);
    assert.equal((await s.api('GET', '/healthz', { key: null })).status, 200);
  });
});
