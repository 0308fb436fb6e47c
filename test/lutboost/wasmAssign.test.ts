import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Metric } from '../../src/dsl/config';
import { assign, assignReference } from '../../src/lutboost/assign';
import { wasmAssignBulk, wasmAssignHandles } from '../../src/lutboost/wasmAssign';
import { WorkerPool, sharedFloat32, sharedInt32 } from '../../src/lutboost/pool';
import { Rng } from '../../src/lutboost/prng';

const METRICS: Metric[] = ['l2', 'l1', 'chebyshev'];

/** Values on a coarse grid, so many distances tie exactly and the lowest-index rule is exercised. */
function grid(rng: Rng, len: number, step: number): Float32Array {
  return Float32Array.from({ length: len }, () => Math.round((rng.next() * 2 - 1) / step) * step);
}

function check(metric: Metric, points: Float32Array, n: number, v: number, cents: Float32Array, c: number, what: string): void {
  const want = new Int32Array(n), got = new Int32Array(n);
  const wd = new Float32Array(n), gd = new Float32Array(n);
  const wt = assignReference(metric, points, n, v, cents, c, want, wd);
  const gt = assign(metric, points, n, v, cents, c, got, gd);
  assert.deepEqual(got, want, `${what}: indices`);
  // Compared as numbers: NaN equals NaN whatever its bit pattern (wasm and JS may pick different NaN payloads).
  assert.deepEqual(Array.from(gd), Array.from(wd), `${what}: distances`);
  assert.equal(gt, wt, `${what}: total`);
}

test('the wasm kernels are available on this Node', () => {
  assert.equal(wasmAssignHandles(4, 16), true);
  assert.equal(wasmAssignHandles(17, 16), false);
});

for (const metric of METRICS) {
  test(`wasm ${metric} assignment is bit-identical to the JS reference (random data, exact ties, odd sizes)`, () => {
    const rng = new Rng(5);
    for (const [v, c] of [[4, 16], [2, 8], [8, 32], [3, 5], [1, 2], [16, 256], [4, 1]]) {
      // n above one 4096-point block and not a multiple of the point group, so blocks chain and the JS tail runs.
      const n = 4096 + 333;
      for (const [lo, hi] of [[0, 1], [-2, 2]]) {
        check(metric, Float32Array.from({ length: n * v }, () => lo + rng.next() * (hi - lo)), n, v,
          Float32Array.from({ length: c * v }, () => lo + rng.next() * (hi - lo)), c, `random [${lo},${hi}) v=${v} c=${c}`);
      }
      const pts = grid(rng, n * v, 0.5);
      const cents = grid(rng, c * v, 0.5);
      // Duplicate centroids: equal distances everywhere, the lower index must win.
      if (c >= 4) cents.copyWithin(3 * v, v, 2 * v);
      check(metric, pts, n, v, cents, c, `grid v=${v} c=${c}`);
    }
  });
}

test('wasm L2 and L1 treat NaN and infinite points as the reference does', () => {
  const v = 4, c = 16, n = 256;
  const rng = new Rng(8);
  const pts = Float32Array.from({ length: n * v }, () => rng.next());
  pts[5] = NaN;
  pts[17] = Infinity;
  pts[40] = -Infinity;
  const cents = Float32Array.from({ length: c * v }, () => rng.next());
  for (const metric of ['l2', 'l1'] as Metric[]) check(metric, pts, n, v, cents, c, `${metric} non-finite`);
});

test('wasmAssignBulk leaves the points after the last whole group of four to the caller', () => {
  const v = 4, c = 4, n = 101;
  const rng = new Rng(1);
  const out = new Int32Array(n).fill(-7);
  const r = wasmAssignBulk('l2', Float32Array.from({ length: n * v }, () => rng.next()), n, v, Float32Array.from({ length: c * v }, () => rng.next()), c, out);
  assert.equal(r.done, 100);
  assert.equal(out[100], -7);
  assert.ok(out.subarray(0, 100).every((i) => i >= 0 && i < c));
});

test('the worker pool writes indices in place when they live in shared memory, and agrees with the reference', async () => {
  const S = 3, n = 5000, v = 4, c = 16;
  const rng = new Rng(4);
  const pts = sharedFloat32(S * n * v);
  for (let i = 0; i < pts.length; i++) pts[i] = rng.next();
  const cents = Float32Array.from({ length: S * c * v }, () => rng.next());
  const pool = new WorkerPool(2);
  try {
    for (const metric of METRICS) {
      const idx = sharedInt32(S * n);
      const sums = await pool.assign(metric, pts, S, n, v, cents, c, idx);
      for (let s = 0; s < S; s++) {
        const want = new Int32Array(n);
        const total = assignReference(metric, pts.subarray(s * n * v, (s + 1) * n * v), n, v, cents.subarray(s * c * v, (s + 1) * c * v), c, want);
        assert.deepEqual(idx.subarray(s * n, (s + 1) * n), want, `${metric} subspace ${s}`);
        assert.equal(sums?.[s], total);
      }
    }
  } finally {
    await pool.close();
  }
});
