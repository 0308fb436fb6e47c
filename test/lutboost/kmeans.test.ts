import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Metric } from '../../src/dsl/config';
import { assign } from '../../src/lutboost/assign';
import { kmeans, median, inlineAssigner } from '../../src/lutboost/kmeans';
import { WorkerPool, sharedFloat32 } from '../../src/lutboost/pool';
import { OrtL2Assigner } from '../../src/lutboost/ortAssign';
import { Rng } from '../../src/lutboost/prng';

/** Points around known centres (noise well below the centre spacing), 2 subspaces. */
function clustered(S: number, n: number, v: number, centres: number[][], noise: number, seed: number, shared = false): Float32Array {
  const rng = new Rng(seed);
  const pts = shared ? sharedFloat32(S * n * v) : new Float32Array(S * n * v);
  for (let s = 0; s < S; s++) {
    for (let i = 0; i < n; i++) {
      const c = centres[(i + s) % centres.length];
      for (let d = 0; d < v; d++) pts[(s * n + i) * v + d] = c[d] + s * 10 + (rng.next() * 2 - 1) * noise;
    }
  }
  return pts;
}

const CENTRES = [[0, 0, 0, 0], [5, 5, 0, 0], [0, 5, 5, 0], [5, 0, 5, 5]];

for (const metric of ['l2', 'l1', 'chebyshev'] as Metric[]) {
  test(`k-means (${metric}) finds known centres`, async () => {
    const S = 2, n = 2000, v = 4, c = 4;
    const pts = clustered(S, n, v, CENTRES, 0.5, 7);
    const r = await kmeans(pts, S, n, v, { metric, c, iterations: 30, rngFor: (s) => Rng.derive(1, s) });
    for (let s = 0; s < S; s++) {
      for (const centre of CENTRES) {
        // Symmetric uniform noise: mean, median and mid-range all estimate the centre.
        let best = Infinity;
        for (let j = 0; j < c; j++) {
          let e = 0;
          for (let d = 0; d < v; d++) e = Math.max(e, Math.abs(r.centroids[(s * c + j) * v + d] - (centre[d] + s * 10)));
          best = Math.min(best, e);
        }
        assert.ok(best < 0.1, `${metric}: subspace ${s} centre ${centre} found within ${best}`);
      }
    }
  });
}

test('k-means is deterministic for a seed and re-seeds empty clusters', async () => {
  const S = 1, n = 500, v = 2, c = 8;
  const pts = clustered(S, n, v, [[0, 0], [1, 1]], 0.01, 3);
  const a = await kmeans(pts, S, n, v, { metric: 'l2', c, iterations: 10, rngFor: (s) => Rng.derive(5, s) });
  const b = await kmeans(pts, S, n, v, { metric: 'l2', c, iterations: 10, rngFor: (s) => Rng.derive(5, s) });
  assert.deepEqual(a.centroids, b.centroids);
  assert.ok(a.centroids.every(Number.isFinite));
});

test('median of even and odd lengths', () => {
  assert.equal(median(Float64Array.from([3, 1, 2]), 3), 2);
  assert.equal(median(Float64Array.from([4, 1, 3, 2]), 4), 2.5);
  assert.equal(median(Float64Array.from([5, 5, 1, 5, 9, 0, 5]), 7), 5);
});

test('worker pool and onnxruntime assignment agree with the inline kernels', async () => {
  const S = 3, n = 3000, v = 4, c = 16;
  const pts = clustered(S, n, v, CENTRES, 2, 11, true);
  const rng = new Rng(2);
  const cents = Float32Array.from({ length: S * c * v }, () => rng.next() * 8);
  const pool = new WorkerPool(2);
  const ortA = new OrtL2Assigner(pool, 2);
  try {
    for (const metric of ['l2', 'l1', 'chebyshev'] as Metric[]) {
      const want = new Int32Array(S * n);
      await inlineAssigner.assign(metric, pts, S, n, v, cents, c, want);
      const got = new Int32Array(S * n);
      await pool.assign(metric, pts, S, n, v, cents, c, got);
      assert.deepEqual(got, want, `pool ${metric}`);
      const got2 = new Int32Array(S * n);
      await ortA.assign(metric, pts, S, n, v, cents, c, got2);
      // float32 (onnxruntime) vs float64 (JS) sums may break exact near-ties differently: allow a handful.
      let diff = 0;
      for (let i = 0; i < want.length; i++) if (got2[i] !== want[i]) diff++;
      assert.ok(diff <= want.length * 1e-3, `ort ${metric}: ${diff} differ`);
    }
  } finally {
    await pool.close();
    await ortA.close();
  }
});

test('assign returns nearest by brute force (generic v)', () => {
  const rng = new Rng(9);
  const n = 200, v = 3, c = 5;
  const p = Float32Array.from({ length: n * v }, () => rng.next());
  const cs = Float32Array.from({ length: c * v }, () => rng.next());
  for (const metric of ['l2', 'l1', 'chebyshev'] as Metric[]) {
    const out = new Int32Array(n);
    assign(metric, p, n, v, cs, c, out);
    for (let i = 0; i < n; i++) {
      let bi = 0, bd = Infinity;
      for (let j = 0; j < c; j++) {
        let d = 0;
        for (let t = 0; t < v; t++) {
          const e = Math.abs(p[i * v + t] - cs[j * v + t]);
          d = metric === 'l2' ? d + e * e : metric === 'l1' ? d + e : Math.max(d, e);
        }
        if (d < bd) { bd = d; bi = j; }
      }
      assert.equal(out[i], bi);
    }
  }
});
