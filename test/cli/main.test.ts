import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const cli = path.resolve(__dirname, '..', '..', 'bin', 'lutdla.js');

test('lutdla --help lists the commands', () => {
  const r = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const c of ['check', 'convert', 'simulate', 'explore']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
});

test('an unknown command is one clear line and exit 2', () => {
  const r = spawnSync(process.execPath, [cli, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
});

test('an unknown option is reported without a stack trace', () => {
  const r = spawnSync(process.execPath, [cli, 'check', '--no-such-flag'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no-such-flag/);
});
