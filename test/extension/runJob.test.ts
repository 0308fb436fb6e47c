import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseEventLine, runJob, type CancelToken, type JobEvent } from '../../src/extension/jobs/runJob';

const fake = path.join(__dirname, 'fixtures', 'fakeCli.js');

/** A cancellation source in the shape of vscode.CancellationTokenSource. */
function cancelSource(): { token: CancelToken; cancel(): void } {
  const listeners: (() => void)[] = [];
  let cancelled = false;
  return {
    token: {
      get isCancellationRequested() {
        return cancelled;
      },
      onCancellationRequested(l) {
        listeners.push(l);
        return { dispose: () => listeners.splice(listeners.indexOf(l), 1) };
      },
    },
    cancel() {
      cancelled = true;
      for (const l of [...listeners]) l();
    },
  };
}

test('a successful job reports every event and returns the result files', async () => {
  const events: JobEvent[] = [];
  const r = await runJob(['ok'], { cliPath: fake, report: (e) => events.push(e) });
  assert.equal(r.status, 'ok');
  assert.deepEqual(r.files, ['/x/a.lut.onnx', '/x/a.conversion.json']);
  assert.deepEqual(r.summary, { layers: 2 });
  assert.deepEqual(events.map((e) => e.type), ['progress', 'log', 'result']);
  const p = events[0];
  assert.ok(p.type === 'progress' && p.layer === 'fc1' && p.fraction === 0.5);
});

test('a failed job returns the engine error message', async () => {
  const r = await runJob(['fail'], { cliPath: fake });
  assert.equal(r.status, 'failed');
  assert.equal(r.exitCode, 1);
  assert.equal(r.error, 'model.onnx: no convertible layer');
  assert.deepEqual(r.files, []);
});

test('cancelling sends SIGTERM and reports a cancelled job', async () => {
  const source = cancelSource();
  const r = await runJob(['slow'], {
    cliPath: fake,
    token: source.token,
    report: (e) => {
      if (e.type === 'progress') source.cancel();
    },
  });
  assert.equal(r.status, 'cancelled');
  assert.deepEqual(r.files, []);
});

test('a token cancelled before the start runs nothing', async () => {
  const source = cancelSource();
  source.cancel();
  const r = await runJob(['ok'], { cliPath: fake, token: source.token });
  assert.equal(r.status, 'cancelled');
  assert.equal(r.exitCode, null);
});

test('lines split across chunks, plain text and stderr are all reported', async () => {
  const events: JobEvent[] = [];
  const r = await runJob(['noise'], { cliPath: fake, report: (e) => events.push(e) });
  assert.equal(r.status, 'ok');
  assert.deepEqual(events.map((e) => e.type).sort(), ['log', 'progress', 'stderr']);
  assert.ok(events.some((e) => e.type === 'log' && e.message === 'plain text'));
});

test('a crash without an error event reports the stderr tail', async () => {
  const r = await runJob(['crash'], { cliPath: fake });
  assert.equal(r.status, 'failed');
  assert.equal(r.exitCode, 3);
  assert.match(r.error ?? '', /Segmentation fault/);
});

test('a missing node binary is a clear failure, not a throw', async () => {
  const r = await runJob(['ok'], { cliPath: fake, nodePath: '/nonexistent/node' });
  assert.equal(r.status, 'failed');
  assert.match(r.error ?? '', /could not start the engine/);
});

test('environment reaches the engine', async () => {
  const events: JobEvent[] = [];
  await runJob(['env'], { cliPath: fake, env: { LUTDLA_WORKERS: '3' }, report: (e) => events.push(e) });
  assert.ok(events.some((e) => e.type === 'log' && e.message === 'workers=3'));
});

test('parseEventLine: events, blanks, junk', () => {
  assert.deepEqual(parseEventLine('{"type":"error","message":"x"}'), { type: 'error', message: 'x' });
  assert.equal(parseEventLine('   '), undefined);
  assert.deepEqual(parseEventLine('{"type":"bogus"}'), { type: 'log', level: 'info', message: '{"type":"bogus"}' });
  assert.deepEqual(parseEventLine('{broken'), { type: 'log', level: 'info', message: '{broken' });
});
