import type { Metric, Precision } from '../dsl/config';
import { assign } from './assign';

/**
 * One GEMM `Y[M x n] = X[M x k] W[k x n] + b` replaced by a lookup table: X's rows are split into S = ceil(k / v)
 * sub-vectors (the last one zero-padded), each is replaced by its nearest of c centroids, and the output is the sum
 * over subspaces of the chosen table rows plus the bias. A grouped convolution is several of these.
 */
export interface LutGemm {
  k: number; // original reduction length
  n: number; // output columns
  v: number;
  c: number;
  S: number; // subspaces, ceil(k / v)
  metric: Metric;
  centroids: Float32Array; // [S][c][v]; coordinates of padded dimensions are 0
  tables: Float32Array; // [S][c][n], the values the exported model uses (dequantized when quantized)
  bias?: Float32Array; // [n]
  /** Set by the quantize stage: integer codes and one scale per subspace table, or the float format used. */
  quant?: { precision: Precision; scales?: Float32Array; codes?: Int8Array };
}

export function subspaces(k: number, v: number): number {
  return Math.ceil(k / v);
}

/** Rows [M x k] -> sub-vectors [S][M][v] (subspace-major, zero-padded), the layout k-means and encode use. */
export function toSubvectors(rows: Float32Array, M: number, k: number, v: number, out?: Float32Array): Float32Array {
  const S = subspaces(k, v);
  const sub = out ?? new Float32Array(S * M * v);
  for (let m = 0; m < M; m++) {
    const ro = m * k;
    for (let s = 0; s < S; s++) {
      const base = (s * M + m) * v;
      const d0 = s * v;
      const lim = Math.min(v, k - d0);
      for (let d = 0; d < lim; d++) sub[base + d] = rows[ro + d0 + d];
      for (let d = lim; d < v; d++) sub[base + d] = 0;
    }
  }
  return sub;
}

/** Nearest-centroid indices [S][M] of sub-vectors [S][M][v] (the engine's reference encoder). */
export function encodeSub(lut: LutGemm, sub: Float32Array, M: number): Int32Array {
  const { S, v, c } = lut;
  const idx = new Int32Array(S * M);
  for (let s = 0; s < S; s++) {
    assign(lut.metric, sub.subarray(s * M * v, (s + 1) * M * v), M, v, lut.centroids.subarray(s * c * v, (s + 1) * c * v), c,
      idx.subarray(s * M, (s + 1) * M));
  }
  return idx;
}

export function encode(lut: LutGemm, rows: Float32Array, M: number): Int32Array {
  return encodeSub(lut, toSubvectors(rows, M, lut.k, lut.v), M);
}

/**
 * The engine's LUT arithmetic: out[m] = bias + sum_s tables[s][idx[s][m]], accumulated in float64 and rounded once
 * to float32. (onnxruntime sums in float32, so the exported model differs by at most float32 rounding of the sum.)
 */
export function lookup(lut: LutGemm, idx: Int32Array, M: number, withBias = true): Float32Array {
  const { S, c, n, tables } = lut;
  const acc = new Float64Array(M * n);
  for (let s = 0; s < S; s++) {
    const ib = s * M;
    const tb = s * c * n;
    for (let m = 0; m < M; m++) {
      const t = tb + idx[ib + m] * n;
      const o = m * n;
      for (let j = 0; j < n; j++) acc[o + j] += tables[t + j];
    }
  }
  const out = new Float32Array(M * n);
  const b = withBias ? lut.bias : undefined;
  for (let m = 0; m < M; m++) for (let j = 0; j < n; j++) out[m * n + j] = acc[m * n + j] + (b ? b[j] : 0);
  return out;
}

/** tables[s][j] = centroid[s][j] . W[s*v .. s*v+v), the products precomputed from the frozen weights W[k x n]. */
export function tablesFromCentroids(lut: LutGemm, W: Float32Array): Float32Array {
  const { S, c, v, n, k } = lut;
  const T = new Float32Array(S * c * n);
  const acc = new Float64Array(n);
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < c; j++) {
      acc.fill(0);
      for (let d = 0; d < v; d++) {
        const r = s * v + d;
        if (r >= k) break;
        const x = lut.centroids[(s * c + j) * v + d];
        if (x === 0) continue;
        const wo = r * n;
        for (let q = 0; q < n; q++) acc[q] += x * W[wo + q];
      }
      T.set(acc, (s * c + j) * n);
    }
  }
  return T;
}

/** Sum of squared differences and the energy of `ref` (for relative errors). */
export function squaredError(ref: Float32Array, got: Float32Array): { error: number; energy: number } {
  let error = 0;
  let energy = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = ref[i] - got[i];
    error += e * e;
    energy += ref[i] * ref[i];
  }
  return { error, energy };
}

export function relativeError(ref: Float32Array, got: Float32Array): number {
  const { error, energy } = squaredError(ref, got);
  return energy > 0 ? error / energy : error;
}
