import { assign } from './assign';
import { lookup, relativeError, tablesFromCentroids, type LutGemm } from './lutGemm';

/**
 * The centroids stage: with the weights W frozen, move the centroids to minimise the layer's output error
 * ||(Y - b) - Q(X) W||^2 (Q(X): each sub-vector replaced by its centroid; Y = X W + b unless the target carries
 * upstream corrections). Straight-through gradient descent: assignments are recomputed after every step and
 * treated as constant within it; each step is a count-preconditioned gradient with an exact line search (the loss
 * is quadratic along the step). The centroids with the lowest held-out error are kept.
 */
export interface RefineInput {
  W: Float32Array; // [k x n]
  sub: Float32Array; // training sub-vectors [S][M][v]
  Y: Float32Array; // [M x n] training targets (including bias)
  M: number;
  subHeld: Float32Array;
  Yheld: Float32Array;
  Mh: number;
  iterations: number;
  signal?: AbortSignal;
}

export interface RefineResult {
  centroids: Float32Array;
  heldOutBefore: number;
  heldOutAfter: number;
  kept: boolean;
  steps: number;
}

function encodeWith(lut: LutGemm, sub: Float32Array, M: number): Int32Array {
  const { S, v, c } = lut;
  const idx = new Int32Array(S * M);
  for (let s = 0; s < S; s++) {
    assign(lut.metric, sub.subarray(s * M * v, (s + 1) * M * v), M, v, lut.centroids.subarray(s * c * v, (s + 1) * c * v), c,
      idx.subarray(s * M, (s + 1) * M));
  }
  return idx;
}

function heldOutError(lut: LutGemm, W: Float32Array, inp: RefineInput): number {
  const probe: LutGemm = { ...lut, tables: tablesFromCentroids(lut, W) };
  return relativeError(inp.Yheld, lookup(probe, encodeWith(lut, inp.subHeld, inp.Mh), inp.Mh));
}

export function refineCentroids(lut0: LutGemm, inp: RefineInput): RefineResult {
  const { S, c, v, n, k } = lut0;
  const { W, M } = inp;
  const lut: LutGemm = { ...lut0, centroids: lut0.centroids.slice() };
  const before = heldOutError(lut, W, inp);
  let best = { err: before, centroids: lut0.centroids };
  const E = new Float64Array(M * n);
  const F = new Float64Array(k);
  const grad = new Float32Array(S * c * v);
  const count = new Float64Array(S * c);
  let steps = 0;
  for (let it = 0; it < inp.iterations; it++) {
    if (inp.signal?.aborted) throw inp.signal.reason;
    const idx = encodeWith(lut, inp.sub, M);
    const QW = lookup({ ...lut, tables: tablesFromCentroids(lut, W) }, idx, M);
    for (let i = 0; i < E.length; i++) E[i] = inp.Y[i] - QW[i];
    // Descent direction: for each (subspace, centroid), the mean over its rows of (E W^T) restricted to the subspace.
    grad.fill(0);
    count.fill(0);
    for (let m = 0; m < M; m++) {
      const eo = m * n;
      for (let r = 0; r < k; r++) {
        const wo = r * n;
        let s2 = 0;
        for (let j = 0; j < n; j++) s2 += E[eo + j] * W[wo + j];
        F[r] = s2;
      }
      for (let s = 0; s < S; s++) {
        const j = idx[s * M + m];
        count[s * c + j]++;
        const go = (s * c + j) * v;
        for (let d = 0; d < v && s * v + d < k; d++) grad[go + d] += F[s * v + d];
      }
    }
    for (let q = 0; q < S * c; q++) if (count[q] > 0) for (let d = 0; d < v; d++) grad[q * v + d] /= count[q];
    // Exact line search: the step's effect on the output is H G W (tables of G), loss ||E - t ZW||^2.
    const ZW = lookup({ ...lut, centroids: grad, tables: tablesFromCentroids({ ...lut, centroids: grad }, W), bias: undefined }, idx, M, false);
    let num = 0;
    let den = 0;
    for (let i = 0; i < ZW.length; i++) {
      num += E[i] * ZW[i];
      den += ZW[i] * ZW[i];
    }
    if (!(den > 0)) break;
    const t = num / den;
    for (let i = 0; i < grad.length; i++) lut.centroids[i] += t * grad[i];
    steps++;
    const err = heldOutError(lut, W, inp);
    if (err < best.err) best = { err, centroids: lut.centroids.slice() };
  }
  return { centroids: best.centroids, heldOutBefore: before, heldOutAfter: best.err, kept: best.err < before, steps };
}
