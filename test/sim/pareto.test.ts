import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paretoFront } from '../../src/sim/pareto';
import { rng } from './fixtures';

test('the Pareto front of a hand-made set', () => {
  const v = [[1, 5], [2, 2], [3, 1], [3, 3], [5, 5], [2, 2], [0.5, NaN]];
  const eligible = [true, true, true, true, true, true, true];
  assert.deepEqual(paretoFront(v, eligible), [true, true, true, false, false, true, false]);
  assert.deepEqual(paretoFront(v, [false, true, true, true, true, false, true]), [false, true, true, false, false, false, false]);
});

test('matches the brute-force definition on random 3-objective sets', () => {
  const r = rng(3);
  for (let t = 0; t < 20; t++) {
    const v = Array.from({ length: 80 }, () => [Math.floor(r() * 6), Math.floor(r() * 6), Math.floor(r() * 6)]);
    const el = v.map(() => r() > 0.2);
    const got = paretoFront(v, el);
    v.forEach((a, i) => {
      const dominated = v.some((b, j) => el[j] && b.every((x, k) => x <= a[k]) && b.some((x, k) => x < a[k]));
      assert.equal(got[i], el[i] && !dominated, `point ${i}`);
    });
  }
});
