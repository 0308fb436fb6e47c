import type { Metric } from '../dsl/config';
import { assign, distance } from './assign';
import { Rng } from './prng';

/**
 * Assigns the points of subspaces [0, S) to their nearest centroids: points are [S][n][v], centroids [S][c][v],
 * indices [S][n]. Returns per-subspace sums of distances when the implementation computes them (the JS kernels
 * do; the onnxruntime L2 path does not). Implementations: inline JS, the worker pool, onnxruntime MatMul (L2).
 */
export interface Assigner {
  assign(metric: Metric, points: Float32Array, S: number, n: number, v: number, centroids: Float32Array, c: number,
    idx: Int32Array): Promise<Float64Array | undefined>;
}

/** Single-threaded assigner on the calling thread (tests, small jobs). */
export const inlineAssigner: Assigner = {
  async assign(metric, points, S, n, v, centroids, c, idx) {
    const sums = new Float64Array(S);
    for (let s = 0; s < S; s++) {
      sums[s] = assign(metric, points.subarray(s * n * v, (s + 1) * n * v), n, v, centroids.subarray(s * c * v, (s + 1) * c * v), c,
        idx.subarray(s * n, (s + 1) * n));
    }
    return sums;
  },
};

export interface KmeansOptions {
  metric: Metric;
  c: number;
  iterations: number;
  /** Stream for subspace s; derived from the conversion seed so results never depend on scheduling. */
  rngFor: (s: number) => Rng;
  assigner?: Assigner;
  signal?: AbortSignal;
  /** Points used by k-means++ seeding per subspace (a prefix sample keeps seeding cheap). */
  seedingSample?: number;
}

export interface KmeansResult {
  centroids: Float32Array; // [S][c][v]
  iterations: number;
  /** Mean distance of a point to its centroid per subspace (squared for L2), at the returned centroids. */
  meanDistance: Float64Array;
}

/**
 * Lloyd's k-means on S independent subspaces in lockstep (one assignment pass over all subspaces per iteration,
 * so the assignment can run on onnxruntime or on the worker pool). The update matches the metric: mean (L2),
 * coordinate-wise median (L1), mid-range (Chebyshev). k-means++ seeding; an empty cluster is re-seeded with the
 * point farthest from its centroid. Since mid-range updates need not lower the sum of distances, the best
 * centroids seen per subspace are returned.
 */
export async function kmeans(points: Float32Array, S: number, n: number, v: number, opts: KmeansOptions): Promise<KmeansResult> {
  const { metric, c } = opts;
  const assigner = opts.assigner ?? inlineAssigner;
  const cents = new Float32Array(S * c * v);
  for (let s = 0; s < S; s++) {
    seedPlusPlus(metric, points.subarray(s * n * v, (s + 1) * n * v), n, v, c, opts.rngFor(s), cents.subarray(s * c * v, (s + 1) * c * v),
      opts.seedingSample ?? 4096);
  }
  const idx = new Int32Array(S * n);
  const prev = new Int32Array(S * n).fill(-1);
  const best = new Float32Array(cents);
  const bestObj = new Float64Array(S).fill(Infinity);
  const converged = new Uint8Array(S);
  let it = 0;
  for (; it <= opts.iterations; it++) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
    // Without distance sums (the onnxruntime L2 path) the last centroids are returned: Lloyd's L2 update never
    // raises the sum of squared distances, so they are the best seen.
    const sums = await assigner.assign(metric, points, S, n, v, cents, c, idx);
    let allConverged = true;
    for (let s = 0; s < S; s++) {
      if (!sums || sums[s] < bestObj[s]) {
        if (sums) bestObj[s] = sums[s];
        best.set(cents.subarray(s * c * v, (s + 1) * c * v), s * c * v);
      }
      if (!converged[s]) {
        let same = true;
        for (let i = s * n, e = (s + 1) * n; i < e; i++) if (idx[i] !== prev[i]) { same = false; break; }
        if (same) converged[s] = 1;
        else allConverged = false;
      }
    }
    if (allConverged || it === opts.iterations) break;
    prev.set(idx);
    for (let s = 0; s < S; s++) {
      if (converged[s]) continue;
      update(metric, points.subarray(s * n * v, (s + 1) * n * v), n, v, c, idx.subarray(s * n, (s + 1) * n), cents.subarray(s * c * v, (s + 1) * c * v));
    }
  }
  const finalObj = bestObj[0] === Infinity ? objective(metric, points, S, n, v, best, c, idx) : bestObj;
  const meanDistance = new Float64Array(S);
  for (let s = 0; s < S; s++) meanDistance[s] = finalObj[s] / Math.max(1, n);
  return { centroids: best, iterations: it, meanDistance };
}

function objective(metric: Metric, points: Float32Array, S: number, n: number, v: number, cents: Float32Array, c: number, idx: Int32Array): Float64Array {
  const sums = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += distance(metric, points, (s * n + i) * v, cents, (s * c + idx[s * n + i]) * v, v);
    sums[s] = t;
  }
  return sums;
}

/**
 * Greedy k-means++ (D^2 sampling, several candidates per step keeping the one that lowers the potential most, as
 * scikit-learn does) on a prefix sample of the points.
 */
export function seedPlusPlus(metric: Metric, pts: Float32Array, n: number, v: number, c: number, rng: Rng, out: Float32Array, sample: number): void {
  const m = Math.min(n, sample);
  if (m === 0) return;
  const trials = 2 + Math.floor(Math.log(c));
  const weight = (e: number): number => (metric === 'l2' ? e : e * e);
  const dist = (i: number, j: number): number => {
    let acc = 0;
    const a = i * v;
    const b = j * v;
    if (metric === 'l2') for (let t = 0; t < v; t++) { const e = pts[a + t] - pts[b + t]; acc += e * e; }
    else if (metric === 'l1') for (let t = 0; t < v; t++) acc += Math.abs(pts[a + t] - pts[b + t]);
    else for (let t = 0; t < v; t++) { const e = Math.abs(pts[a + t] - pts[b + t]); if (e > acc) acc = e; }
    return acc;
  };
  const d = new Float64Array(m);
  let chosen = rng.int(m);
  for (let i = 0; i < m; i++) d[i] = weight(dist(i, chosen));
  for (let t = 0; t < v; t++) out[t] = pts[chosen * v + t];
  const cand = new Float64Array(m);
  const bestD = new Float64Array(m);
  for (let j = 1; j < c; j++) {
    let total = 0;
    for (let i = 0; i < m; i++) total += d[i];
    if (total <= 0) {
      // Fewer distinct points than centroids: the rest repeat a point (they stay empty and harmless).
      for (let t = 0; t < v; t++) out[j * v + t] = pts[t];
      continue;
    }
    let bestPot = Infinity;
    for (let trial = 0; trial < trials; trial++) {
      let r = rng.next() * total;
      let pick = m - 1;
      for (let i = 0; i < m; i++) {
        r -= d[i];
        if (r < 0) { pick = i; break; }
      }
      let pot = 0;
      for (let i = 0; i < m; i++) {
        const w = Math.min(d[i], weight(dist(i, pick)));
        cand[i] = w;
        pot += w;
      }
      if (pot < bestPot) {
        bestPot = pot;
        chosen = pick;
        bestD.set(cand);
      }
    }
    d.set(bestD);
    for (let t = 0; t < v; t++) out[j * v + t] = pts[chosen * v + t];
  }
}

/** The metric-matched centroid update for one subspace; empty clusters take the farthest points. */
export function update(metric: Metric, pts: Float32Array, n: number, v: number, c: number, idx: Int32Array, cents: Float32Array): void {
  const count = new Int32Array(c);
  for (let i = 0; i < n; i++) count[idx[i]]++;
  if (metric === 'l2') {
    const acc = new Float64Array(c * v);
    for (let i = 0; i < n; i++) {
      const o = idx[i] * v;
      for (let t = 0; t < v; t++) acc[o + t] += pts[i * v + t];
    }
    for (let j = 0; j < c; j++) if (count[j]) for (let t = 0; t < v; t++) cents[j * v + t] = acc[j * v + t] / count[j];
  } else if (metric === 'chebyshev') {
    const lo = new Float64Array(c * v).fill(Infinity);
    const hi = new Float64Array(c * v).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      const o = idx[i] * v;
      for (let t = 0; t < v; t++) {
        const x = pts[i * v + t];
        if (x < lo[o + t]) lo[o + t] = x;
        if (x > hi[o + t]) hi[o + t] = x;
      }
    }
    for (let j = 0; j < c; j++) if (count[j]) for (let t = 0; t < v; t++) cents[j * v + t] = (lo[j * v + t] + hi[j * v + t]) / 2;
  } else {
    // Coordinate-wise median: bucket the points by cluster (counting sort), then quickselect per coordinate.
    const start = new Int32Array(c + 1);
    for (let j = 0; j < c; j++) start[j + 1] = start[j] + count[j];
    const fill = start.slice(0, c);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[fill[idx[i]]++] = i;
    const buf = new Float64Array(n);
    for (let j = 0; j < c; j++) {
      const len = count[j];
      if (!len) continue;
      for (let t = 0; t < v; t++) {
        for (let q = 0; q < len; q++) buf[q] = pts[order[start[j] + q] * v + t];
        cents[j * v + t] = median(buf, len);
      }
    }
  }
  let empties = 0;
  for (let j = 0; j < c; j++) if (!count[j]) empties++;
  if (!empties) return;
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) dist[i] = distance(metric, pts, i * v, cents, idx[i] * v, v);
  for (let j = 0; j < c; j++) {
    if (count[j]) continue;
    let far = -1;
    let fd = 0;
    for (let i = 0; i < n; i++) if (dist[i] > fd) { fd = dist[i]; far = i; }
    if (far < 0) continue; // every point sits on a centroid: nothing to gain
    for (let t = 0; t < v; t++) cents[j * v + t] = pts[far * v + t];
    dist[far] = 0;
  }
}

/** Median of buf[0..len) (lower middle for even lengths averaged with the upper one); reorders buf. */
export function median(buf: Float64Array, len: number): number {
  const k = len >> 1;
  const hi = select(buf, 0, len - 1, k);
  if (len & 1) return hi;
  let lo = -Infinity;
  for (let i = 0; i < k; i++) if (buf[i] > lo) lo = buf[i];
  return (lo + hi) / 2;
}

function select(a: Float64Array, left: number, right: number, k: number): number {
  while (right > left) {
    const pivot = a[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++; j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k];
  }
  return a[k];
}
