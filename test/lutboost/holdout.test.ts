import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heldOutMask } from '../../src/lutboost/holdout';

test('the held-out split is fixed by the seed, near its fraction, and keeps at least one sample on each side', () => {
  const a = heldOutMask(1, 1000, 0.2);
  assert.deepEqual(a, heldOutMask(1, 1000, 0.2));
  assert.notDeepEqual(a, heldOutMask(2, 1000, 0.2));
  const held = a.reduce((s, x) => s + x, 0);
  assert.ok(held > 150 && held < 250, `${held} of 1000 held out at 0.2`);
  for (const fraction of [0, 1]) {
    const m = heldOutMask(3, 5, fraction);
    const h = m.reduce((s, x) => s + x, 0);
    assert.ok(h >= 1 && h <= 4, `holdout ${fraction}: ${h} of 5 held out`);
  }
  // Samples keep their side when the set grows: sample i's draw depends only on the seed and i.
  const small = heldOutMask(1, 100, 0.2);
  assert.deepEqual(small.subarray(1, 99), a.subarray(1, 99));
});
