// Operator settings come from flags and `--config ferry.toml` (a flag wins), never from the API.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, waitForRun } from './tenant_server.mjs';

const bin = process.env.FERRY_BIN;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-settings-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('serve --help lists every operator setting', () => {
  const help = spawnSync(bin, ['serve', '--help'], { encoding: 'utf8' }).stdout;
  for (const flag of ['--config', '--data-root', '--connectors', '--process-allow', '--process-env', '--process-user',
                      '--allow-egress', '--deny-egress', '--max-connector-timeout', '--max-connector-attempts',
                      '--tenant-max-running', '--rate-limit', '--rate-burst', '--lease-expiry-margin',
                      '--shutdown-timeout']) {
    assert.ok(help.includes(flag), `${flag} missing from:\n${help}`);
  }
});

test('ferry worker refuses the API-only flags by name and leaves them out of its help', () => {
  const help = spawnSync(bin, ['worker', '--help'], { encoding: 'utf8' }).stdout;
  for (const flag of ['--rate-limit', '--rate-burst']) assert.ok(!help.includes(flag), `${flag} in:\n${help}`);
  assert.ok(help.includes('--shutdown-timeout') && help.includes('--tenant-max-running'), help);
  const unreachable = 'postgresql://nobody@127.0.0.1:1/ferry';
  for (const [flag, value] of [['--rate-limit', '5'], ['--rate-burst', '10']]) {
    const r = spawnSync(bin, ['worker', '--db', unreachable, flag, value], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${flag} is a setting of the API, which \`ferry worker\` does not serve`));
  }
  // One ferry.toml may serve `serve` and `worker`: the worker skips the API's keys (and fails later, here at
  // the unreachable store).
  const config = path.join(dir, 'shared.toml');
  fs.writeFileSync(config, 'rate_limit = 5\nrate_burst = 10\n');
  const shared = spawnSync(bin, ['worker', '--db', unreachable, '--config', config], { encoding: 'utf8', timeout: 15_000 });
  assert.equal(shared.status, 2, shared.stderr);
  assert.doesNotMatch(shared.stderr, /rate_limit|rate_burst|rate-limit|not an operator setting/);
});

test('ferry.toml sets data_root and connectors; a flag overrides the file', async () => {
  const root = path.join(dir, 'tenants');
  const config = path.join(dir, 'ferry.toml');
  fs.writeFileSync(config, `data_root = "${root}"\nconnectors = ["sample", "sqlite"]\nmax_connector_attempts = 3\n`);
  const s = await startServer(['--config', config]);
  try {
    const file = await s.api('POST', '/v1/connections', { body: { name: 'f', source_type: 'file', config: { path: 'in' } } });
    assert.equal(file.status, 422, file.text);
    assert.match(file.json.error.message, /turned off/);
    const conn = await s.api('POST', '/v1/connections', { body: { name: 'hr', source_type: 'sample', config: { size: 10 } } });
    const sync = await s.api('POST', '/v1/syncs', {
      body: { connection_id: conn.json.id, destination: { type: 'sqlite', config: { path: 'out.db' } } } });
    assert.equal(sync.status, 201, sync.text);
    const run = await s.api('POST', `/v1/syncs/${sync.json.id}/runs`);
    assert.equal((await waitForRun(s.api, run.json.id)).status, 'complete');
    assert.ok(fs.existsSync(path.join(root, s.a.id, 'out.db')), 'the destination is under the configured data_root');
    assert.equal(fs.existsSync(path.join(s.dataRoot, s.a.id, 'out.db')), false);
  } finally {
    await s.stop();
  }
  const overridden = await startServer(['--config', config, '--connectors', 'sample,sqlite,file']);
  try {
    fs.mkdirSync(path.join(root, overridden.a.id, 'in'), { recursive: true });
    const file = await overridden.api('POST', '/v1/connections', { body: { name: 'f', source_type: 'file', config: { path: 'in' } } });
    assert.equal(file.status, 201, file.text);
  } finally {
    await overridden.stop();
  }
});

test('a bad ferry.toml stops serve naming the file, line and key', () => {
  const config = path.join(dir, 'bad.toml');
  fs.writeFileSync(config, 'rate_limit = 5\n\nlisten_port = 80\n');
  const r = spawnSync(bin, ['serve', '--db', path.join(dir, 'x.db'), '--listen', '127.0.0.1:0', '--config', config],
                      { encoding: 'utf8', timeout: 15_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /bad\.toml:3: 'listen_port' is not an operator setting/);
  fs.writeFileSync(config, 'allow_egress = "10.0.0.0/8"\n');
  const typed = spawnSync(bin, ['serve', '--db', path.join(dir, 'x.db'), '--listen', '127.0.0.1:0', '--config', config],
                          { encoding: 'utf8', timeout: 15_000 });
  assert.equal(typed.status, 2, typed.stderr);
  assert.match(typed.stderr, /allow_egress must be an array of strings/);
  fs.writeFileSync(config, 'rate_limit = 5\nrate_burst = 0\n');
  const ranged = spawnSync(bin, ['serve', '--db', path.join(dir, 'x.db'), '--listen', '127.0.0.1:0', '--config', config],
                           { encoding: 'utf8', timeout: 15_000 });
  assert.equal(ranged.status, 2, ranged.stderr);
  assert.match(ranged.stderr, /bad\.toml:2: rate_burst must be between 1 and 1000000/);
});

test('no API route changes an operator setting', async () => {
  const s = await startServer();
  try {
    for (const p of ['/v1/settings', '/v1/operator', '/v1/config']) {
      const r = await s.api('PATCH', p, { body: { data_root: '/' } });
      assert.equal(r.status, 404, `${p}: ${r.text}`);
    }
  } finally {
    await s.stop();
  }
});
