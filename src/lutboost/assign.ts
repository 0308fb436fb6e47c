import type { Metric } from '../dsl/config';
import { wasmAssignBulk, wasmAssignHandles } from './wasmAssign';

/**
 * Nearest-centroid assignment: the hot loop of k-means and of the LUT encoder. `points` is [n x v] row-major,
 * `centroids` is [c x v]. Writes the index of the nearest centroid of each point into `out` and, when given, its
 * distance (squared for L2) into `dist`; returns the sum of those distances. Ties go to the lower index, as
 * ONNX ArgMin does.
 *
 * L2 uses ||x||^2 - 2 x.c + ||c||^2: the search only needs ||c||^2 - 2 x.c (a dot product per pair), with -2c
 * precomputed. Runs on the WebAssembly SIMD kernels of wasmAssign.ts (bit-identical results) when they take the
 * shape; the JS loops below (specialised for v = 2, 4, 8) are the reference and the fallback.
 */
export function assign(metric: Metric, points: Float32Array, n: number, v: number, centroids: Float32Array, c: number,
  out: Int32Array, dist?: Float32Array): number {
  // The WebAssembly SIMD kernels give the same results several times faster; they take points four at a time and
  // the JS loop finishes the rest, continuing the running total so it is summed in point order either way.
  if (n >= WASM_MIN_POINTS && wasmAssignHandles(v, c)) {
    const { done, total } = wasmAssignBulk(metric, points, n, v, centroids, c, out, dist);
    if (done === n) return total;
    return assignReference(metric, points.subarray(done * v), n - done, v, centroids, c, out.subarray(done), dist?.subarray(done), total);
  }
  return assignReference(metric, points, n, v, centroids, c, out, dist);
}

/** Below this many points the wasm table setup costs more than the loop saves. */
const WASM_MIN_POINTS = 64;

/**
 * The scalar JS kernels: the reference the wasm kernels are tested against, and the path for shapes they do not
 * take. `total0` starts the running sum (so a caller finishing a tail keeps the point order of the sum).
 */
export function assignReference(metric: Metric, points: Float32Array, n: number, v: number, centroids: Float32Array, c: number,
  out: Int32Array, dist?: Float32Array, total0 = 0): number {
  if (metric === 'l2') return assignL2(points, n, v, centroids, c, out, dist, total0);
  if (metric === 'l1') return assignL1(points, n, v, centroids, c, out, dist, total0);
  return assignChebyshev(points, n, v, centroids, c, out, dist, total0);
}

/** Distance between two sub-vectors under a metric (squared for L2), for seeding and tests. */
export function distance(metric: Metric, a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, v: number): number {
  let s = 0;
  for (let d = 0; d < v; d++) {
    const e = a[ao + d] - b[bo + d];
    if (metric === 'l2') s += e * e;
    else if (metric === 'l1') s += Math.abs(e);
    else s = Math.max(s, Math.abs(e));
  }
  return s;
}

function assignL2(p: Float32Array, n: number, v: number, cents: Float32Array, c: number, out: Int32Array, dist: Float32Array | undefined, total0: number): number {
  const m2 = new Float64Array(c * v);
  const cn = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    let s = 0;
    for (let d = 0; d < v; d++) {
      const x = cents[j * v + d];
      m2[j * v + d] = -2 * x;
      s += x * x;
    }
    cn[j] = s;
  }
  let total = total0;
  if (v === 4) {
    for (let i = 0, o = 0; i < n; i++, o += 4) {
      const x0 = p[o], x1 = p[o + 1], x2 = p[o + 2], x3 = p[o + 3];
      let best = Infinity;
      let bi = 0;
      for (let j = 0, q = 0; j < c; j++, q += 4) {
        const s = cn[j] + x0 * m2[q] + x1 * m2[q + 1] + x2 * m2[q + 2] + x3 * m2[q + 3];
        if (s < best) {
          best = s;
          bi = j;
        }
      }
      out[i] = bi;
      const e = Math.max(0, best + x0 * x0 + x1 * x1 + x2 * x2 + x3 * x3);
      if (dist) dist[i] = e;
      total += e;
    }
  } else if (v === 2) {
    for (let i = 0, o = 0; i < n; i++, o += 2) {
      const x0 = p[o], x1 = p[o + 1];
      let best = Infinity;
      let bi = 0;
      for (let j = 0, q = 0; j < c; j++, q += 2) {
        const s = cn[j] + x0 * m2[q] + x1 * m2[q + 1];
        if (s < best) {
          best = s;
          bi = j;
        }
      }
      out[i] = bi;
      const e = Math.max(0, best + x0 * x0 + x1 * x1);
      if (dist) dist[i] = e;
      total += e;
    }
  } else if (v === 8) {
    for (let i = 0, o = 0; i < n; i++, o += 8) {
      const x0 = p[o], x1 = p[o + 1], x2 = p[o + 2], x3 = p[o + 3], x4 = p[o + 4], x5 = p[o + 5], x6 = p[o + 6], x7 = p[o + 7];
      let best = Infinity;
      let bi = 0;
      for (let j = 0, q = 0; j < c; j++, q += 8) {
        const s = cn[j] + x0 * m2[q] + x1 * m2[q + 1] + x2 * m2[q + 2] + x3 * m2[q + 3]
          + x4 * m2[q + 4] + x5 * m2[q + 5] + x6 * m2[q + 6] + x7 * m2[q + 7];
        if (s < best) {
          best = s;
          bi = j;
        }
      }
      out[i] = bi;
      const e = Math.max(0, best + x0 * x0 + x1 * x1 + x2 * x2 + x3 * x3 + x4 * x4 + x5 * x5 + x6 * x6 + x7 * x7);
      if (dist) dist[i] = e;
      total += e;
    }
  } else {
    for (let i = 0, o = 0; i < n; i++, o += v) {
      let best = Infinity;
      let bi = 0;
      for (let j = 0, q = 0; j < c; j++, q += v) {
        let s = cn[j];
        for (let d = 0; d < v; d++) s += p[o + d] * m2[q + d];
        if (s < best) {
          best = s;
          bi = j;
        }
      }
      out[i] = bi;
      let xx = 0;
      for (let d = 0; d < v; d++) xx += p[o + d] * p[o + d];
      const e = Math.max(0, best + xx);
      if (dist) dist[i] = e;
      total += e;
    }
  }
  return total;
}

function assignL1(p: Float32Array, n: number, v: number, cents: Float32Array, c: number, out: Int32Array, dist: Float32Array | undefined, total0: number): number {
  const cc = Float64Array.from(cents.subarray(0, c * v));
  let total = total0;
  if (v === 4) {
    for (let i = 0, o = 0; i < n; i++, o += 4) {
      const x0 = p[o], x1 = p[o + 1], x2 = p[o + 2], x3 = p[o + 3];
      let best = Infinity;
      let bi = 0;
      for (let j = 0, q = 0; j < c; j++, q += 4) {
        const s = Math.abs(x0 - cc[q]) + Math.abs(x1 - cc[q + 1]) + Math.abs(x2 - cc[q + 2]) + Math.abs(x3 - cc[q + 3]);
        if (s < best) {
          best = s;
          bi = j;
        }
      }
      out[i] = bi;
      if (dist) dist[i] = best;
      total += best;
    }
  } else {
    for (let i = 0, o = 0; i < n; i++, o += v) {
      let best = Infinity;
      let bi = 0;
      for (let j = 0, q = 0; j < c; j++, q += v) {
        let s = 0;
        for (let d = 0; d < v; d++) s += Math.abs(p[o + d] - cc[q + d]);
        if (s < best) {
          best = s;
          bi = j;
        }
      }
      out[i] = bi;
      if (dist) dist[i] = best;
      total += best;
    }
  }
  return total;
}

function assignChebyshev(p: Float32Array, n: number, v: number, cents: Float32Array, c: number, out: Int32Array, dist: Float32Array | undefined, total0: number): number {
  const cc = Float64Array.from(cents.subarray(0, c * v));
  let total = total0;
  if (v === 4) {
    for (let i = 0, o = 0; i < n; i++, o += 4) {
      const x0 = p[o], x1 = p[o + 1], x2 = p[o + 2], x3 = p[o + 3];
      let best = Infinity;
      let bi = 0;
      for (let j = 0, q = 0; j < c; j++, q += 4) {
        // Early exit per coordinate: once one coordinate is no better than the best, the centroid cannot win.
        const a0 = Math.abs(x0 - cc[q]);
        if (a0 >= best) continue;
        const a1 = Math.abs(x1 - cc[q + 1]);
        if (a1 >= best) continue;
        const a2 = Math.abs(x2 - cc[q + 2]);
        if (a2 >= best) continue;
        const a3 = Math.abs(x3 - cc[q + 3]);
        if (a3 >= best) continue;
        const m01 = a0 > a1 ? a0 : a1;
        const m23 = a2 > a3 ? a2 : a3;
        const s = m01 > m23 ? m01 : m23;
        {
          best = s;
          bi = j;
        }
      }
      out[i] = bi;
      if (dist) dist[i] = best;
      total += best;
    }
  } else {
    for (let i = 0, o = 0; i < n; i++, o += v) {
      let best = Infinity;
      let bi = 0;
      for (let j = 0, q = 0; j < c; j++, q += v) {
        let s = 0;
        for (let d = 0; d < v; d++) {
          const e = Math.abs(p[o + d] - cc[q + d]);
          if (e > s) s = e;
        }
        if (s < best) {
          best = s;
          bi = j;
        }
      }
      out[i] = bi;
      if (dist) dist[i] = best;
      total += best;
    }
  }
  return total;
}
