import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Executor } from '../../src/train/executor';
import type { TrainGraph } from '../../src/train/graph';
import { quantizeTableValues, TRAIN_DOMAIN, type LutMetric } from '../../src/train/ops/lut';
import { Rng } from '../../src/train/rng';
import type { Tensor } from '../../src/train/tensor';

const R = 5, GS = 4, groups = 2, c = 4, v = 3, n = 3;

function rand(rng: Rng, shape: number[]): Tensor {
  const len = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: len }, () => rng.normal()) };
}

function lutGraph(metric: LutMetric, X: Tensor, C: Tensor, T: Tensor, precision = 'fp32', inputGrad = 'soft'): TrainGraph {
  return {
    name: 'lut', opset: 17, inputs: [], outputs: [{ name: 'y', shape: [] }],
    nodes: [{ name: 'l', op: 'LutLookup', domain: TRAIN_DOMAIN, inputs: ['x', 'C', 'T'], outputs: ['y'], attrs: { metric, groups, precision, inputGrad } }],
    initializers: new Map([['C', C], ['T', T]]), params: new Set(['C', 'T']),
  };
}

function dist(metric: LutMetric, x: Float32Array, xo: number, C: Float32Array, co: number): number {
  let a = 0;
  for (let k = 0; k < v; k++) {
    const d = x[xo + k] - C[co + k];
    if (metric === 'l2') a += d * d;
    else if (metric === 'l1') a += Math.abs(d);
    else a = Math.max(a, Math.abs(d));
  }
  return a;
}

/** The soft surrogate the backward differentiates: y = sum_s sum_j softmax(-d/tau)_j T[s, j] (float64). */
function softOut(metric: LutMetric, X: Float32Array, C: Float32Array, T: Float32Array, tau: number): Float64Array {
  const S = GS / groups;
  const y = new Float64Array(R * groups * n);
  for (let r = 0; r < R; r++) {
    for (let s = 0; s < GS; s++) {
      const d = Array.from({ length: c }, (_, j) => dist(metric, X, (r * GS + s) * v, C, (s * c + j) * v));
      const mn = Math.min(...d);
      const p = d.map((x) => Math.exp(-(x - mn) / tau));
      const z = p.reduce((a, b) => a + b, 0);
      for (let j = 0; j < c; j++) for (let k = 0; k < n; k++) y[(r * groups + Math.floor(s / S)) * n + k] += (p[j] / z) * T[(s * c + j) * n + k];
    }
  }
  return y;
}

function meanNearest(metric: LutMetric, X: Float32Array, C: Float32Array): number {
  let sum = 0;
  for (let r = 0; r < R; r++) for (let s = 0; s < GS; s++) {
    sum += Math.min(...Array.from({ length: c }, (_, j) => dist(metric, X, (r * GS + s) * v, C, (s * c + j) * v)));
  }
  return sum / (R * GS);
}

for (const metric of ['l2', 'l1', 'chebyshev'] as LutMetric[]) {
  test(`LUT layer (${metric}): hard forward, exact table gradient, soft-assignment gradient of centroids and input`, () => {
    const rng = new Rng(metric.length);
    const X = rand(rng, [R, GS, 1, v]);
    const C = rand(rng, [GS, c, v]);
    const T = rand(rng, [GS * c, n]);
    const ex = new Executor(lutGraph(metric, X, C, T), { gradTargets: ['x'] });
    // Forward: each sub-vector picks its nearest centroid.
    const y = ex.forward({ x: X }).get('y')!;
    assert.deepEqual(y.shape, [R, groups, n]);
    const S = GS / groups;
    for (let r = 0; r < R; r++) {
      const want = new Float64Array(groups * n);
      for (let s = 0; s < GS; s++) {
        const d = Array.from({ length: c }, (_, j) => dist(metric, X.data, (r * GS + s) * v, C.data, (s * c + j) * v));
        const j = d.indexOf(Math.min(...d));
        for (let k = 0; k < n; k++) want[Math.floor(s / S) * n + k] += T.data[(s * c + j) * n + k];
      }
      for (let i = 0; i < groups * n; i++) assert.ok(Math.abs(y.data[r * groups * n + i] - want[i]) < 1e-5);
    }
    const W = rand(rng, y.shape);
    ex.forward({ x: X }, { training: true });
    const grads = ex.backward(new Map([['y', W]]));
    const tau = meanNearest(metric, X.data, C.data);
    const lossOf = (yy: ArrayLike<number>): number => Array.from(yy).reduce((a, b, i) => a + b * W.data[i], 0);
    const check = (name: string, t: Tensor, f: () => number, h: number): void => {
      const g = grads.get(name)!;
      let num2 = 0, diff2 = 0;
      for (let i = 0; i < t.data.length; i++) {
        const keep = t.data[i];
        t.data[i] = keep + h;
        const lp = f();
        t.data[i] = keep - h;
        const lm = f();
        t.data[i] = keep;
        const num = (lp - lm) / (2 * h);
        num2 += num * num;
        diff2 += (num - g.data[i]) ** 2;
      }
      assert.ok(Math.sqrt(diff2) <= 2e-2 * Math.max(Math.sqrt(num2), 1e-6), `${metric} ${name}: |diff| ${Math.sqrt(diff2)} vs |num| ${Math.sqrt(num2)}`);
    };
    // Tables: the hard output is linear in them, so the exact finite difference applies.
    check('T', T, () => lossOf(ex.forward({ x: X }).get('y')!.data), 1e-2);
    // Centroids and input: the gradient is that of the soft surrogate at the forward's temperature.
    check('C', C, () => lossOf(softOut(metric, X.data, C.data, T.data, tau)), 1e-4);
    check('x', X, () => lossOf(softOut(metric, X.data, C.data, T.data, tau)), 1e-4);
  });
}

for (const metric of ['l2', 'l1', 'chebyshev'] as LutMetric[]) {
  test(`LUT layer (${metric}): the default input gradient is that of the linear map the tables implement`, () => {
    const rng = new Rng(17 + metric.length);
    const X = rand(rng, [R, GS, 1, v]);
    const C = rand(rng, [GS, c, v]);
    // Tables made from the centroids by an affine map per subspace: T[s, j] = C[s, j] . Wd[s] + b[s].
    const Wd = rand(rng, [GS, v, n]);
    const b = rand(rng, [GS, n]);
    const T: Tensor = { shape: [GS * c, n], data: new Float32Array(GS * c * n) };
    for (let s = 0; s < GS; s++) for (let j = 0; j < c; j++) for (let k = 0; k < n; k++) {
      let acc = b.data[s * n + k];
      for (let d = 0; d < v; d++) acc += C.data[(s * c + j) * v + d] * Wd.data[(s * v + d) * n + k];
      T.data[(s * c + j) * n + k] = acc;
    }
    const ex = new Executor(lutGraph(metric, X, C, T, 'fp32', 'linear'), { gradTargets: ['x'] });
    const G = rand(rng, [R, groups, n]);
    ex.forward({ x: X }, { training: true });
    const dX = ex.backward(new Map([['y', G]])).get('x')!;
    // The dense layer y[r, grp] = sum over the group's subspaces of x[r, s] . Wd[s] has dL/dx[r, s] = G[r, grp] . Wd[s]^T.
    const S = GS / groups;
    let err = 0, norm = 0;
    for (let r = 0; r < R; r++) for (let s = 0; s < GS; s++) for (let d = 0; d < v; d++) {
      let want = 0;
      for (let k = 0; k < n; k++) want += G.data[(r * groups + Math.floor(s / S)) * n + k] * Wd.data[(s * v + d) * n + k];
      err = Math.max(err, Math.abs(dX.data[(r * GS + s) * v + d] - want));
      norm = Math.max(norm, Math.abs(want));
    }
    assert.ok(err <= 1e-3 * norm, `${metric}: max |dX - G W^T| ${err} (max |G W^T| ${norm})`);
  });
}

test('int8 tables: the forward uses the quantized values (per-subspace scale), the gradient passes straight through', () => {
  const rng = new Rng(9);
  const X = rand(rng, [R, GS, 1, v]);
  const C = rand(rng, [GS, c, v]);
  const T = rand(rng, [GS * c, n]);
  const q = quantizeTableValues(T.data, GS, 'int8');
  for (let s = 0; s < GS; s++) {
    const block = Array.from(T.data.subarray(s * c * n, (s + 1) * c * n));
    const scale = Math.max(...block.map(Math.abs)) / 127;
    for (let i = 0; i < c * n; i++) assert.ok(Math.abs(q[s * c * n + i] - T.data[s * c * n + i]) <= scale / 2 + 1e-6);
  }
  const exq = new Executor(lutGraph('l2', X, C, T, 'int8'));
  const ex32 = new Executor(lutGraph('l2', X, C, { shape: T.shape, data: q }));
  assert.deepEqual(Array.from(exq.forward({ x: X }).get('y')!.data), Array.from(ex32.forward({ x: X }).get('y')!.data));
});
