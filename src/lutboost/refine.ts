import { assign } from './assign';
import { relativeError, type LutGemm } from './lutGemm';
import { ortMatmul } from './ortMatmul';

/**
 * The centroids stage: with the weights W frozen, move the centroids to minimise the layer's output error
 * ||(Y - b) - Q(X) W||^2 (Q(X): each sub-vector replaced by its centroid; Y = X W + b unless the target carries
 * upstream corrections). Straight-through gradient descent: assignments are recomputed after every step and
 * treated as constant within it; each step is a count-preconditioned gradient with an exact line search (the loss
 * is quadratic along the step). The centroids with the lowest held-out error are kept. The products with W run
 * on onnxruntime.
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

function encodeWith(lut: LutGemm, centroids: Float32Array, sub: Float32Array, M: number): Int32Array {
  const { S, v, c } = lut;
  const idx = new Int32Array(S * M);
  for (let s = 0; s < S; s++) {
    assign(lut.metric, sub.subarray(s * M * v, (s + 1) * M * v), M, v, centroids.subarray(s * c * v, (s + 1) * c * v), c,
      idx.subarray(s * M, (s + 1) * M));
  }
  return idx;
}

/** Rows [M x k] whose sub-vectors are the assigned centroids (padded coordinates dropped). */
function gatherRows(lut: LutGemm, centroids: Float32Array, idx: Int32Array, M: number): Float32Array {
  const { S, v, c, k } = lut;
  const out = new Float32Array(M * k);
  for (let s = 0; s < S; s++) {
    const lim = Math.min(v, k - s * v);
    for (let m = 0; m < M; m++) {
      const co = (s * c + idx[s * M + m]) * v;
      const o = m * k + s * v;
      for (let d = 0; d < lim; d++) out[o + d] = centroids[co + d];
    }
  }
  return out;
}

async function outputOf(lut: LutGemm, centroids: Float32Array, idx: Int32Array, M: number, W: Float32Array, bias = true): Promise<Float32Array> {
  const y = await ortMatmul(gatherRows(lut, centroids, idx, M), W, M, lut.k, lut.n);
  if (bias && lut.bias) for (let m = 0; m < M; m++) for (let j = 0; j < lut.n; j++) y[m * lut.n + j] += lut.bias[j];
  return y;
}

async function heldOutError(lut: LutGemm, centroids: Float32Array, W: Float32Array, inp: RefineInput): Promise<number> {
  return relativeError(inp.Yheld, await outputOf(lut, centroids, encodeWith(lut, centroids, inp.subHeld, inp.Mh), inp.Mh, W));
}

export async function refineCentroids(lut: LutGemm, inp: RefineInput): Promise<RefineResult> {
  const { S, c, v, n, k } = lut;
  const { W, M } = inp;
  const Wt = new Float32Array(n * k);
  for (let r = 0; r < k; r++) for (let j = 0; j < n; j++) Wt[j * k + r] = W[r * n + j];
  const cents = lut.centroids.slice();
  const before = await heldOutError(lut, cents, W, inp);
  let best = { err: before, centroids: lut.centroids };
  const E = new Float32Array(M * n);
  const grad = new Float32Array(S * c * v);
  const count = new Float64Array(S * c);
  let steps = 0;
  let stale = 0;
  for (let it = 0; it < inp.iterations && stale < 4; it++) {
    if (inp.signal?.aborted) throw inp.signal.reason;
    const idx = encodeWith(lut, cents, inp.sub, M);
    const QW = await outputOf(lut, cents, idx, M, W);
    for (let i = 0; i < E.length; i++) E[i] = inp.Y[i] - QW[i];
    // Descent direction: per (subspace, centroid), the mean over its rows of (E W^T) restricted to the subspace.
    const F = await ortMatmul(E, Wt, M, n, k);
    grad.fill(0);
    count.fill(0);
    for (let s = 0; s < S; s++) {
      const lim = Math.min(v, k - s * v);
      for (let m = 0; m < M; m++) {
        const q = s * c + idx[s * M + m];
        count[q]++;
        const fo = m * k + s * v;
        for (let d = 0; d < lim; d++) grad[q * v + d] += F[fo + d];
      }
    }
    for (let q = 0; q < S * c; q++) if (count[q] > 0) for (let d = 0; d < v; d++) grad[q * v + d] /= count[q];
    // Exact line search along the step: its effect on the output is (H G) W; loss ||E - t (H G) W||^2.
    const ZW = await outputOf(lut, grad, idx, M, W, false);
    let num = 0;
    let den = 0;
    for (let i = 0; i < ZW.length; i++) {
      num += E[i] * ZW[i];
      den += ZW[i] * ZW[i];
    }
    if (!(den > 0)) break;
    const t = num / den;
    for (let i = 0; i < grad.length; i++) cents[i] += t * grad[i];
    steps++;
    const err = await heldOutError(lut, cents, W, inp);
    if (err < best.err) {
      best = { err, centroids: cents.slice() };
      stale = 0;
    } else stale++; // stop after a few steps without held-out progress
  }
  return { centroids: best.centroids, heldOutBefore: before, heldOutAfter: best.err, kept: best.err < before, steps };
}
