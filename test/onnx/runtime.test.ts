import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachInFlight } from '../../src/onnx/runtime';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('forEachInFlight draws items in order, keeps at most `limit` calls running, and waits for all', async () => {
  let running = 0, peak = 0;
  const started: number[] = [];
  const finished: number[] = [];
  await forEachInFlight([0, 1, 2, 3, 4, 5, 6], 3, async (i) => {
    started.push(i);
    running++;
    peak = Math.max(peak, running);
    await tick((7 - i) % 3);
    running--;
    finished.push(i);
  });
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(peak, 3);
  assert.deepEqual(finished.slice().sort(), [0, 1, 2, 3, 4, 5, 6]);
});

test('forEachInFlight stops drawing after an error and throws it once the running calls settle', async () => {
  const drawn: number[] = [];
  let settled = 0;
  function* items(): Generator<number> {
    for (let i = 0; i < 100; i++) {
      drawn.push(i);
      yield i;
    }
  }
  await assert.rejects(forEachInFlight(items(), 2, async (i) => {
    await tick(1);
    settled++;
    if (i === 3) throw new Error('run 3 failed');
  }), /run 3 failed/);
  assert.ok(drawn.length < 10, `drew ${drawn.length}`);
  assert.equal(settled, drawn.length);
});
