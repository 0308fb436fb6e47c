import { attrNum, attrStr } from '../graph';
import { cholesky, choleskySolve } from '../../lutboost/linalg';
import { quantizeBlocks } from '../../lutboost/quantize';
import { gemm } from '../matmul';
import type { Tensor } from '../tensor';
import { need, type KernelCtx, type OpKernel } from './kernel';

/** Domain of the executor's own fused operators (never written into an exported model). */
export const TRAIN_DOMAIN = 'lutdla.train';

export type LutMetric = 'l2' | 'l1' | 'chebyshev';
export type TablePrecision = 'fp32' | 'int8' | 'int4' | 'fp16' | 'bf16';

/**
 * The values a table entry takes at a precision: the conversion's quantize arithmetic (quantizeBlocks: symmetric
 * integers with one scale per subspace table, or fp16/bf16 rounding), so training through it (quantization-aware)
 * trains the tables that are exported.
 */
export function quantizeTableValues(T: Float32Array, blocks: number, precision: TablePrecision, out = new Float32Array(T.length)): Float32Array {
  out.set(precision === 'fp32' ? T : quantizeBlocks(T, blocks, precision).tables);
  return out;
}

interface LutGeometry {
  R: number; // rows
  GS: number; // subspaces over all groups
  S: number; // subspaces per group
  groups: number;
  c: number;
  v: number;
  n: number;
  metric: LutMetric;
  precision: TablePrecision;
  outShape: number[];
}

function geometry(inputs: (Tensor | undefined)[], ctx: KernelCtx): LutGeometry {
  const node = ctx.node;
  const x = need(inputs, 0, node);
  const cents = need(inputs, 1, node);
  const tables = need(inputs, 2, node);
  const [GS, c, v] = cents.shape;
  const groups = attrNum(node, 'groups', 1);
  const S = GS / groups;
  const n = tables.shape[1];
  const metric = attrStr(node, 'metric', 'l2') as LutMetric;
  const precision = attrStr(node, 'precision', 'fp32') as TablePrecision;
  if (cents.shape.length !== 3 || tables.shape.length !== 2 || tables.shape[0] !== GS * c || !Number.isInteger(S)) {
    throw new Error(`LUT layer "${node.name}": centroids [${cents.shape}] and tables [${tables.shape}] do not fit ${groups} group(s)`);
  }
  const R = x.data.length / (GS * v);
  if (!Number.isInteger(R)) throw new Error(`LUT layer "${node.name}": input [${x.shape}] is not a whole number of [${GS} x ${v}] sub-vector rows`);
  // Input rows [..., 1, GS*v] or [..., GS*v], or sub-vectors [..., GS, 1, v] or [..., GS, v]; output [..., groups, n].
  const sh = x.shape;
  const r = sh.length;
  let drop: number;
  const layout = attrStr(node, 'layout', sh[r - 1] === GS * v && GS > 1 ? 'rows' : 'subvectors');
  if (layout === 'rows') drop = r >= 2 && sh[r - 2] === 1 ? 2 : 1;
  else drop = r >= 3 && sh[r - 2] === 1 ? 3 : 2;
  const lead = sh.slice(0, r - drop);
  return { R, GS, S, groups, c, v, n, metric, precision, outShape: [...lead, groups, n] };
}

/**
 * Distances [R x c] from the R sub-vectors of subspace s to its c centroids, into D (row r at r * c).
 * l2 is computed as ||c||^2 - 2 x.c (a small GEMM), the form the exported graph uses, so ties break alike; the
 * constant ||x||^2 is left out.
 */
function distances(metric: LutMetric, X: Float32Array, R: number, GS: number, s: number, C: Float32Array, c: number, v: number, D: Float32Array, norms: Float64Array): void {
  const cb = s * c * v;
  if (metric === 'l2') {
    gemm(R, c, v, X, C, D, { aOff: s * v, lda: GS * v, bOff: cb, transB: true });
    for (let j = 0; j < c; j++) {
      let q = 0;
      for (let k = 0; k < v; k++) q += C[cb + j * v + k] * C[cb + j * v + k];
      norms[j] = q;
    }
    for (let r = 0; r < R; r++) for (let j = 0; j < c; j++) D[r * c + j] = norms[j] - 2 * D[r * c + j];
    return;
  }
  for (let r = 0; r < R; r++) {
    const xo = (r * GS + s) * v;
    for (let j = 0; j < c; j++) {
      const co = cb + j * v;
      let acc = 0;
      if (metric === 'l1') {
        for (let k = 0; k < v; k++) acc += Math.abs(X[xo + k] - C[co + k]);
      } else {
        for (let k = 0; k < v; k++) acc = Math.max(acc, Math.abs(X[xo + k] - C[co + k]));
      }
      D[r * c + j] = acc;
    }
  }
}

interface LutSaved {
  idx: Int32Array; // [GS][R]
  dist: Float32Array; // [GS][R][c]
  tq: Float32Array;
  tau: number;
}

/**
 * A LUT layer's core, fused: nearest centroid per sub-vector (hard, as exported), then the sum over each group's
 * subspaces of the chosen table rows. Backward: tables get their exact gradient (straight through the
 * quantization); centroids get the gradient of the soft assignment p = softmax(-d / tau) (a straight-through
 * estimator of the hard argmin, for each metric), tau = the batch's mean nearest distance times the `softness`
 * attribute. The input gets, by default (`inputGrad` = 'linear'), the straight-through gradient of vector
 * quantization: as if each sub-vector were passed unquantized through the linear map that the subspace's table
 * implements (the affine least-squares fit of its rows on its centroids, which is the dense weight slice when the
 * tables come from the centroids). The soft surrogate's input gradient (`inputGrad` = 'soft') vanishes wherever
 * one centroid takes all the weight and points along centroid differences only, so the layers before a LUT layer
 * learned little from it.
 */
const lutLookup: OpKernel = {
  forward(inputs, ctx) {
    const g = geometry(inputs, ctx);
    const { R, GS, S, c, v, n, groups } = g;
    const X = (inputs[0] as Tensor).data;
    const C = (inputs[1] as Tensor).data;
    const tq = quantizeTableValues((inputs[2] as Tensor).data, GS, g.precision);
    const y = new Float32Array(R * groups * n);
    const idx = new Int32Array(GS * R);
    const dist = new Float32Array(GS * R * c);
    const norms = new Float64Array(c);
    let dminSum = 0;
    for (let s = 0; s < GS; s++) {
      const D = dist.subarray(s * R * c, (s + 1) * R * c);
      distances(g.metric, X, R, GS, s, C, c, v, D, norms);
      const grp = Math.floor(s / S);
      for (let r = 0; r < R; r++) {
        const o = r * c;
        let best = 0;
        for (let j = 1; j < c; j++) if (D[o + j] < D[o + best]) best = j;
        idx[s * R + r] = best;
        let dm = D[o + best];
        if (g.metric === 'l2') {
          const xo = (r * GS + s) * v;
          for (let k = 0; k < v; k++) dm += X[xo + k] * X[xo + k];
        }
        dminSum += Math.max(dm, 0);
        const to = (s * c + best) * n;
        const yo = (r * groups + grp) * n;
        for (let k = 0; k < n; k++) y[yo + k] += tq[to + k];
      }
    }
    const tau = Math.max((dminSum / Math.max(R * GS, 1)) * attrNum(ctx.node, 'softness', 1), 1e-12);
    const saved: LutSaved = { idx, dist: ctx.training ? dist : new Float32Array(0), tq, tau };
    return { outputs: [{ shape: g.outShape, data: y }], saved };
  },
  backward(inputs, _outputs, gradOut, saved, needGrad, ctx) {
    const G = gradOut[0]?.data;
    if (!G) return [];
    const g = geometry(inputs, ctx);
    const { R, GS, S, c, v, n, groups, metric } = g;
    const X = (inputs[0] as Tensor).data;
    const C = (inputs[1] as Tensor).data;
    const { idx, dist, tq, tau } = saved as LutSaved;
    const dX = needGrad[0] ? new Float32Array(X.length) : undefined;
    const dC = needGrad[1] ? new Float32Array(C.length) : undefined;
    const dT = needGrad[2] ? new Float32Array(tq.length) : undefined;
    const p = new Float64Array(c);
    const active = new Int32Array(c);
    const linearInput = attrStr(ctx.node, 'inputGrad', 'linear') === 'linear';
    const needA = !!dC || (!!dX && !linearInput);
    const dXs = linearInput ? undefined : dX; // the soft surrogate's input gradient
    const itau = 1 / tau;
    // A block of subspaces shares one GEMM for A (below): its N is then blockS * c instead of c, which the 4x4
    // kernel runs far better than GS small ones (same dot products, same results), within a bounded buffer.
    const blockS = Math.max(1, Math.min(S, Math.floor(A_BUDGET / Math.max(R * c, 1))));
    const A = needA ? new Float32Array(R * blockS * c) : new Float32Array(0);
    const Wlin = new Float32Array(v * n);
    const Wall = dX && linearInput ? new Float32Array(S * v * n) : new Float32Array(0);
    for (let grp = 0; grp < groups; grp++) {
      if (dX && linearInput) {
        for (let s = grp * S; s < (grp + 1) * S; s++) {
          linearMap(C, tq, s, c, v, n, Wlin);
          Wall.set(Wlin, (s - grp * S) * v * n);
        }
        // dX[r, s, :] = G[r, grp, :] . Wlin_s^T for all of the group's subspaces at once.
        gemm(R, S * v, n, G, Wall, dX, { aOff: grp * n, lda: groups * n, transB: true, cOff: grp * S * v, ldc: GS * v });
      }
      for (let s0 = grp * S; s0 < (grp + 1) * S; s0 += blockS) {
        const nb = Math.min(blockS, (grp + 1) * S - s0);
        const aStride = nb * c;
        // A[r, (s - s0) * c + j] = dL/dy_r . table row j of subspace s: how much choosing centroid j would change the loss.
        if (needA) gemm(R, aStride, n, G, tq, A, { aOff: grp * n, lda: groups * n, bOff: s0 * c * n, transB: true });
        if (dT) {
          for (let s = s0; s < s0 + nb; s++) {
            for (let r = 0; r < R; r++) {
              const to = (s * c + idx[s * R + r]) * n;
              const go = (r * groups + grp) * n;
              for (let k = 0; k < n; k++) dT[to + k] += G[go + k];
            }
          }
        }
        if (!needA) continue;
        // Row by row, the block's subspaces in turn: A's and X's rows are then read in order. Each centroid's
        // gradient still sums its rows in row order.
        for (let r = 0; r < R; r++) {
          for (let s = s0; s < s0 + nb; s++) {
            const o = s * R * c + r * c; // dist is [GS][R][c]
            const oa = r * aStride + (s - s0) * c;
            const mn = dist[o + idx[s * R + r]]; // the forward pass's nearest centroid is at the least distance
            // Only the centroids with a weight (e^-18 < 1e-7: the others take no part; about 5 of 16 on mnist-12).
            let z = 0;
            let m = 0;
            for (let j = 0; j < c; j++) {
              const e = (dist[o + j] - mn) * itau;
              if (e > 18) continue;
              p[j] = Math.exp(-e);
              z += p[j];
              active[m++] = j;
            }
            if (z < 1 + 1e-9) continue; // one centroid takes all the weight: no gradient
            let abar = 0;
            for (let q = 0; q < m; q++) {
              const j = active[q];
              p[j] /= z;
              abar += p[j] * A[oa + j];
            }
            const xo = (r * GS + s) * v;
            for (let q = 0; q < m; q++) {
              const j = active[q];
              if (p[j] < 1e-7) continue;
              const dd = (-p[j] * (A[oa + j] - abar)) / tau; // dL/d(distance j)
              const co = (s * c + j) * v;
              addDistanceGrad(metric, dd, X, xo, C, co, v, dXs, dC);
            }
          }
        }
      }
    }
    const t = (arr: Float32Array | undefined, like: Tensor): Tensor | undefined => arr && { shape: like.shape.slice(), data: arr };
    return [t(dX, inputs[0] as Tensor), t(dC, inputs[1] as Tensor), t(dT, inputs[2] as Tensor)];
  },
};

/**
 * Adds dd x the gradient of the distance between sub-vector X[xo..] and centroid C[co..] (length v) to dX (the
 * sub-vector's side) and dC (the centroid's, the opposite sign), for each metric.
 */
function addDistanceGrad(metric: LutMetric, dd: number, X: Float32Array, xo: number, C: Float32Array, co: number, v: number,
  dX: Float32Array | undefined, dC: Float32Array | undefined): void {
  if (metric === 'l2') {
    for (let k = 0; k < v; k++) {
      const diff = 2 * dd * (X[xo + k] - C[co + k]);
      if (dX) dX[xo + k] += diff;
      if (dC) dC[co + k] -= diff;
    }
  } else if (metric === 'l1') {
    for (let k = 0; k < v; k++) {
      const sg = dd * Math.sign(X[xo + k] - C[co + k]);
      if (dX) dX[xo + k] += sg;
      if (dC) dC[co + k] -= sg;
    }
  } else {
    let km = 0;
    for (let k = 1; k < v; k++) if (Math.abs(X[xo + k] - C[co + k]) > Math.abs(X[xo + km] - C[co + km])) km = k;
    const sg = dd * Math.sign(X[xo + km] - C[co + km]);
    if (dX) dX[xo + km] += sg;
    if (dC) dC[co + km] -= sg;
  }
}

/**
 * The linear map [v x n] of subspace s: the affine least-squares fit T[s, j] ~ C[s, j] . W + b over its c
 * entries (a tiny ridge keeps it defined when the centroids do not span the subspace).
 */
export function linearMap(C: Float32Array, T: Float32Array, s: number, c: number, v: number, n: number, out: Float32Array): void {
  const P = v + 1;
  const M = new Float64Array(P * P);
  const B = new Float64Array(P * n);
  const row = new Float64Array(P);
  for (let j = 0; j < c; j++) {
    for (let d = 0; d < v; d++) row[d] = C[(s * c + j) * v + d];
    row[v] = 1;
    for (let a = 0; a < P; a++) {
      for (let b = 0; b < P; b++) M[a * P + b] += row[a] * row[b];
      for (let k = 0; k < n; k++) B[a * n + k] += row[a] * T[(s * c + j) * n + k];
    }
  }
  let trace = 0;
  for (let a = 0; a < P; a++) trace += M[a * P + a];
  const ridge = 1e-6 * (trace / P) + 1e-30;
  for (let a = 0; a < P; a++) M[a * P + a] += ridge;
  if (!cholesky(M, P)) {
    out.fill(0);
    return;
  }
  choleskySolve(M, P, B, n);
  for (let d = 0; d < v; d++) for (let k = 0; k < n; k++) out[d * n + k] = B[d * n + k];
}

/** Floats of the per-block A buffer of the backward pass (16 MiB). */
const A_BUDGET = 1 << 22;

export const lutKernels: Record<string, OpKernel> = { LutLookup: lutLookup };
