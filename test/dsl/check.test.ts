import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers';
import { tempDir } from '../tempDir';

const cli = path.join(ROOT, 'bin', 'lutdla.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'check', ...args], { cwd: ROOT, encoding: 'utf8' });
const noStack = (s: string): void => assert.doesNotMatch(s, /\n\s+at .*:\d+:\d+/);

test('lutdla check: the examples pass (exit 0, warnings at most)', () => {
  const r = run('examples/edge.lutdla', 'examples/datacenter.lutdla');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /: error: /);
  for (const line of r.stdout.trim().split('\n').filter(Boolean)) assert.match(line, /^examples\/\w+\.lutdla:\d+:\d+: warning: /);
});

test('lutdla check: errors print FILE:LINE:COL and exit 1', () => {
  const dir = tempDir('lutdla-check-');
  const f = path.join(dir, 'bad.lutdla');
  writeFileSync(f, 'lut {\n  centroids = 24\n}\naccelerator "a" { clock = 64KiB }\n');
  const r = run(f);
  assert.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], `${f}:2:15: error: centroids must be a power of two (the index is log2(c) bits): 24 is not; use 16 or 32`);
  assert.match(lines[1], new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:29: error: clock takes a frequency`));
  noStack(r.stderr);
});

test('lutdla check --format json prints the same problems as JSON', () => {
  const dir = tempDir('lutdla-check-');
  const f = path.join(dir, 'bad.lutdla');
  writeFileSync(f, 'lut { metric = l3 }\n');
  const r = run('--format', 'json', f);
  assert.equal(r.status, 1);
  const j = JSON.parse(r.stdout);
  assert.equal(j.errors, 1);
  assert.equal(j.files[0].ok, false);
  const d = j.files[0].diagnostics[0];
  assert.equal(d.severity, 'error');
  assert.equal(d.line, 1);
  assert.equal(d.column, 16);
  assert.deepEqual(d.range.start, { line: 0, character: 15 });
});

test('lutdla check: missing file, binary file, folder, no file: one clear line each, no stack trace', () => {
  const dir = tempDir('lutdla-check-');
  const bin = path.join(dir, 'model.onnx');
  writeFileSync(bin, Buffer.from([8, 7, 0, 0, 255, 254, 1]));
  const r = run(path.join(dir, 'missing.lutdla'), bin, dir);
  assert.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /missing\.lutdla:1:1: error: cannot read this file: file not found/);
  assert.match(lines[1], /model\.onnx:1:1: error: not a text file/);
  assert.match(lines[2], /is a folder/);
  noStack(r.stderr);
  const none = run();
  assert.equal(none.status, 1);
  assert.match(none.stderr, /needs at least one \.lutdla file/);
  noStack(none.stderr);
  const fmt = run('--format', 'xml', 'examples/edge.lutdla');
  assert.equal(fmt.status, 1);
  assert.match(fmt.stderr, /--format takes 'text' or 'json'/);
});

test('lutdla check --progress=json: stdout carries only JSON events', () => {
  const r = spawnSync(process.execPath, [cli, 'check', '--progress=json', 'examples/edge.lutdla'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const result = events.find((e) => e.type === 'result');
  assert.equal(result.summary.errors, 0);
});
