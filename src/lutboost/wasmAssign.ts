import type { Metric } from '../dsl/config';

/**
 * Nearest-centroid assignment as generated WebAssembly SIMD, several times faster than the scalar JS kernels of
 * assign.ts and bit-for-bit the same results: it does the same float64 operations in the same order, only two
 * points at a time (one per f64x2 lane), so each lane is exactly the JS loop for its point.
 *
 * Why generated: the code is specialised for the exact (metric, v, c): the coordinate loop is unrolled so a
 * point's coordinates and the running (best, index) pairs of its chains stay in registers, and each centroid's
 * values sit at constant offsets in the inner loop. A module is built once per (metric, v, c) and thread (well
 * under a millisecond) and shares the thread's memory.
 *
 * Semantics kept from the JS reference: L2 compares ||c||^2 - 2 x.c, accumulated as cn + x0*m0 + x1*m1 + ...;
 * L1 sums |x_d - c_d| left to right; Chebyshev takes the max of |x_d - c_d|; a centroid replaces the best only
 * when strictly smaller (ties go to the lower index; NaN never wins); the returned total adds the per-point
 * distances in point order (L2: max(0, best + ||x||^2)). Chebyshev matches the reference for finite inputs (the
 * reference's early exit treats NaN coordinates in its own way).
 */

/** Points per copy into wasm memory: small enough that points, indices and distances stay in the L2 cache. */
const BLOCK_TARGET = 4096;
/**
 * f64x2 chains (two points each) per outer iteration, and centroids per inner iteration. Measured on v=4, c=16
 * (single thread, distances/s): fully unrolled over the centroids 6.9e8 (TurboFan hoists every table load to the
 * top of the body and spills them); an inner loop over centroids 9.4e8 to 1.0e9 with 1 chain and 1 centroid per
 * iteration, 1.07e9 with 2 chains and 2 centroids (more independent work per iteration, still no spills).
 */
const CHAINS = 2;
const UNROLL = 2;
const GROUP = 2 * CHAINS;
const BLOCK = BLOCK_TARGET - (BLOCK_TARGET % GROUP);
/** Largest v the generator unrolls (each coordinate holds a register per chain), and a sane bound on c. */
export const WASM_MAX_V = 16;
export const WASM_MAX_C = 4096;

// --- a minimal WebAssembly encoder: only what the kernels need ---------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const str = (s: string): number[] => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));

const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;
const op = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  f32Load: 0x2a, i32Store: 0x36, f32Store: 0x38,
  i32Const: 0x41, f64Const: 0x44, i32GeU: 0x4f, i32Add: 0x6a,
  f64Add: 0xa0, i32WrapI64: 0xa7, f32DemoteF64: 0xb6, f64PromoteF32: 0xbb,
};
// SIMD opcodes (0xfd prefix, then the LEB128 sub-opcode).
const simd = {
  load: 0x00, const: 0x0c, i8x16Shuffle: 0x0d, f64x2PromoteLow: 0x5f, f64x2Splat: 0x14, i64x2ExtractLane: 0x1d, f64x2ExtractLane: 0x21, f64x2ReplaceLane: 0x22,
  f64x2Lt: 0x49, v128And: 0x4e, i32x4MaxU: 0xb9, i32x4Add: 0xae,
  f64x2Abs: 0xec, f64x2Add: 0xf0, f64x2Sub: 0xf1, f64x2Mul: 0xf2, f64x2Max: 0xf5, f64x2Pmin: 0xf6, f64x2Pmax: 0xf7,
};
const s = (code: number, ...imm: number[]): number[] => [0xfd, ...uleb(code), ...imm];
const memarg = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)];
const get = (i: number): number[] => [op.localGet, ...uleb(i)];
const set = (i: number): number[] => [op.localSet, ...uleb(i)];
const tee = (i: number): number[] => [op.localTee, ...uleb(i)];
const vload = (base: number, offset: number): number[] => [...get(base), ...s(simd.load, ...memarg(4, offset))];
function f64const(x: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return [op.f64Const, ...b];
}
function i64x2const(a: number, b: number): number[] {
  const bytes = new Uint8Array(16);
  const dv = new DataView(bytes.buffer);
  dv.setBigInt64(0, BigInt(a), true);
  dv.setBigInt64(8, BigInt(b), true);
  return s(simd.const, ...bytes);
}

/** Bytes of the centroid table the kernel reads: per centroid, v (L1, Chebyshev) or v + 1 (L2) splatted f64x2. */
function tableBytes(metric: Metric, v: number, c: number): number {
  return c * (metric === 'l2' ? v + 1 : v) * 16;
}

/**
 * The kernel (P, n, T, I, D, total) -> total: points [n x v] f32 at P (n a multiple of GROUP), centroid table at T, indices
 * (i32) to I, distances (f32) to D. `GROUP` points per iteration, as f64x2 chains of two.
 */
function buildModule(metric: Metric, v: number, c: number): Uint8Array<ArrayBuffer> {
  // Params P, n, T, I, D (i32) and the running total (f64); locals: the v128 group (a scratch vector, then per chain
  // its v x vectors, best, idx and running distance), then the i32 end pointer.
  const P = 0, N = 1, T = 2, I = 3, D = 4, total = 5;
  const tmp = 6;
  const chains = Array.from({ length: CHAINS }, (_, k) => ({ x: 7 + k * (v + 3), best: 7 + k * (v + 3) + v, idx: 7 + k * (v + 3) + v + 1, acc: 7 + k * (v + 3) + v + 2, p0: 2 * k }));
  const jv = 7 + CHAINS * (v + 3);
  const numV128 = 2 + CHAINS * (v + 3);
  const end = tmp + numV128, t = end + 1, tEnd = end + 2;
  const body: number[] = [];
  const emit = (...b: number[][]): void => {
    for (const x of b) body.push(...x);
  };
  emit(get(N), [op.i32Const, ...sleb(v * 4)], [0x6c /* i32.mul */], get(P), [op.i32Add], set(end));
  emit(get(T), [op.i32Const, ...sleb(tableBytes(metric, v, c))], [op.i32Add], set(tEnd));
  emit([op.block, 0x40], [op.loop, 0x40]);
  emit(get(P), get(end), [op.i32GeU], [op.brIf, 1]);
  // Lane k of x_d is coordinate d of point k of the chain.
  const lanes = (...b: number[]): number[] => b;
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  for (const ch of chains) {
    const p0 = ch.p0 * v * 4, p1 = (ch.p0 + 1) * v * 4;
    let d = 0;
    // Whole quads: two loads, two interleaves and four promotions give four x vectors (instead of 24 scalar ops).
    for (; d + 4 <= v; d += 4) {
      emit(vload(P, p0 + d * 4), vload(P, p1 + d * 4), s(simd.i8x16Shuffle, ...lanes(...range(0, 4), ...range(16, 4), ...range(4, 4), ...range(20, 4))), set(tmp));
      emit(get(tmp), s(simd.f64x2PromoteLow), set(ch.x + d));
      emit(get(tmp), get(tmp), s(simd.i8x16Shuffle, ...range(8, 8), ...range(8, 8)), s(simd.f64x2PromoteLow), set(ch.x + d + 1));
      emit(vload(P, p0 + d * 4), vload(P, p1 + d * 4), s(simd.i8x16Shuffle, ...lanes(...range(8, 4), ...range(24, 4), ...range(12, 4), ...range(28, 4))), set(tmp));
      emit(get(tmp), s(simd.f64x2PromoteLow), set(ch.x + d + 2));
      emit(get(tmp), get(tmp), s(simd.i8x16Shuffle, ...range(8, 8), ...range(8, 8)), s(simd.f64x2PromoteLow), set(ch.x + d + 3));
    }
    for (; d < v; d++) {
      emit(get(P), [op.f32Load, ...memarg(2, p0 + d * 4)], [op.f64PromoteF32], s(simd.f64x2Splat));
      emit(get(P), [op.f32Load, ...memarg(2, p1 + d * 4)], [op.f64PromoteF32], s(simd.f64x2ReplaceLane, 1), set(ch.x + d));
    }
  }
  for (const ch of chains) emit(f64const(Infinity), s(simd.f64x2Splat), set(ch.best), i64x2const(0, 0), set(ch.idx));
  const per = metric === 'l2' ? v + 1 : v;
  // Centroids in an inner loop, UNROLL at a time when that divides c (see UNROLL).
  const inner = c % UNROLL === 0 ? UNROLL : 1;
  if (inner < c) emit(i64x2const(0, 0), set(jv), get(T), set(t), [op.loop, 0x40]);
  for (let j = 0; j < inner; j++) {
    const base = j * per * 16;
    const tb = inner < c ? t : T;
    if (metric === 'l2') {
      // cn + x0*m0 + x1*m1 + ... (the reference's order)
      emit(vload(tb, base), set(tmp));
      for (const ch of chains) emit(get(tmp), set(ch.acc));
      for (let d = 0; d < v; d++) {
        emit(vload(tb, base + (d + 1) * 16), set(tmp));
        for (const ch of chains) emit(get(ch.acc), get(ch.x + d), get(tmp), s(simd.f64x2Mul), s(simd.f64x2Add), set(ch.acc));
      }
    } else {
      for (let d = 0; d < v; d++) {
        emit(vload(tb, base + d * 16), set(tmp));
        for (const ch of chains) {
          if (d > 0) emit(get(ch.acc));
          emit(get(ch.x + d), get(tmp), s(simd.f64x2Sub), s(simd.f64x2Abs));
          // L1: acc + a, left to right. Chebyshev: `if (a > acc) acc = a`, which is pmax(acc, a).
          if (d > 0) emit(s(metric === 'l1' ? simd.f64x2Add : simd.f64x2Pmax));
          emit(set(ch.acc));
        }
      }
    }
    for (const ch of chains) {
      // Strictly smaller replaces (ties keep the lower index, NaN never wins). As j only grows, the winner is the
      // largest j whose test passed: idx = max(idx, j & mask), two instructions instead of a three-instruction
      // select (the high 32 bits of each 64-bit lane stay 0).
      emit(get(ch.idx), inner < c ? get(jv) : i64x2const(j, j), get(ch.acc), get(ch.best), s(simd.f64x2Lt), s(simd.v128And), s(simd.i32x4MaxU), set(ch.idx));
      // pmin(best, acc) = acc < best ? acc : best
      emit(get(ch.best), get(ch.acc), s(simd.f64x2Pmin), set(ch.best));
    }
    if (inner < c) emit(get(jv), i64x2const(1, 1), s(simd.i32x4Add), set(jv));
  }
  if (inner < c) {
    emit(get(t), [op.i32Const, ...sleb(inner * per * 16)], [op.i32Add], tee(t), get(tEnd), [0x49 /* i32.lt_u */], [op.brIf, 0], [op.end]);
  }
  for (const ch of chains) {
    if (metric === 'l2') {
      // max(0, best + ||x||^2) in the reference's order: its loops for v = 2, 4, 8 add x_d^2 onto best one by one,
      // its generic loop sums ||x||^2 first.
      emit(f64const(0), s(simd.f64x2Splat), get(ch.best));
      const ontoBest = v === 2 || v === 4 || v === 8;
      for (let d = 0; d < v; d++) {
        emit(get(ch.x + d), get(ch.x + d), s(simd.f64x2Mul));
        if (ontoBest || d > 0) emit(s(simd.f64x2Add));
      }
      if (!ontoBest) emit(s(simd.f64x2Add));
      emit(s(simd.f64x2Max), set(ch.acc));
    } else {
      emit(get(ch.best), set(ch.acc));
    }
    for (let k = 0; k < 2; k++) {
      const at = (ch.p0 + k) * 4;
      emit(get(total), get(ch.acc), s(simd.f64x2ExtractLane, k), [op.f64Add], set(total));
      emit(get(D), get(ch.acc), s(simd.f64x2ExtractLane, k), [op.f32DemoteF64], [op.f32Store, ...memarg(2, at)]);
      emit(get(I), get(ch.idx), s(simd.i64x2ExtractLane, k), [op.i32WrapI64], [op.i32Store, ...memarg(2, at)]);
    }
  }
  emit(get(P), [op.i32Const, ...sleb(4 * GROUP * v)], [op.i32Add], set(P));
  emit(get(I), [op.i32Const, ...sleb(4 * GROUP)], [op.i32Add], set(I));
  emit(get(D), [op.i32Const, ...sleb(4 * GROUP)], [op.i32Add], set(D));
  emit([op.br, 0], [op.end], [op.end], get(total), [op.end]);

  const locals = vec([[...uleb(numV128), V128], [3, I32]]);
  const fn = [...locals, ...body];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [F64]]), ...vec([[F64]])]])),
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...str('run'), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(fn.length), ...fn]])),
  ];
  return Uint8Array.from(bytes);
}

type Kernel = (P: number, n: number, T: number, I: number, D: number, total: number) => number;

/** One memory per thread, shared by the kernels of every (metric, v, c). */
let memory: WebAssembly.Memory | undefined;
const kernels = new Map<string, Kernel>();
let supported: boolean | undefined;

/** Whether this runtime has WebAssembly with SIMD (Node 16.4+ does). */
export function wasmAssignSupported(): boolean {
  if (supported === undefined) {
    try {
      supported = typeof WebAssembly === 'object' && WebAssembly.validate(buildModule('l2', 1, 1));
    } catch {
      supported = false;
    }
  }
  return supported;
}

function kernel(metric: Metric, v: number, c: number): Kernel {
  const key = `${metric}/${v}/${c}`;
  let k = kernels.get(key);
  if (!k) {
    memory ??= new WebAssembly.Memory({ initial: 1 });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(buildModule(metric, v, c)), { env: { mem: memory } });
    k = inst.exports.run as Kernel;
    kernels.set(key, k);
  }
  return k;
}

/** Whether `wasmAssign` handles this shape (else the caller runs the JS kernels). */
export function wasmAssignHandles(v: number, c: number): boolean {
  return v >= 1 && v <= WASM_MAX_V && c >= 1 && c <= WASM_MAX_C && wasmAssignSupported();
}

/**
 * Assigns the points up to the last whole GROUP (the caller finishes the rest, continuing the total from the returned
 * value so the sum keeps the point order). Same contract as assign() in assign.ts otherwise.
 */
export function wasmAssignBulk(metric: Metric, points: Float32Array, n: number, v: number, centroids: Float32Array, c: number,
  out: Int32Array, dist?: Float32Array): { done: number; total: number } {
  const run = kernel(metric, v, c);
  const tb = tableBytes(metric, v, c);
  const P = tb;
  const I = P + BLOCK * v * 4;
  const Dp = I + BLOCK * 4;
  const need = Dp + BLOCK * 4;
  const mem = memory!;
  if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
  const heap = mem.buffer;
  // The table: splatted f64 pairs, computed exactly as the JS kernels compute them.
  const t = new Float64Array(heap, 0, tb / 8);
  if (metric === 'l2') {
    for (let j = 0, o = 0; j < c; j++) {
      let q = 0;
      for (let d = 0; d < v; d++) {
        const x = centroids[j * v + d];
        q += x * x;
        t[o + 2 * (d + 1)] = t[o + 2 * (d + 1) + 1] = -2 * x;
      }
      t[o] = t[o + 1] = q;
      o += 2 * (v + 1);
    }
  } else {
    for (let i = 0; i < c * v; i++) t[2 * i] = t[2 * i + 1] = centroids[i];
  }
  const pts = new Float32Array(heap, P, BLOCK * v);
  const idx = new Int32Array(heap, I, BLOCK);
  const dst = new Float32Array(heap, Dp, BLOCK);
  const bulk = n - (n % GROUP);
  let total = 0;
  for (let i0 = 0; i0 < bulk; i0 += BLOCK) {
    const m = Math.min(BLOCK, bulk - i0);
    pts.set(points.subarray(i0 * v, (i0 + m) * v));
    // The running total goes in and out of each block, so the sum is added in point order as in the JS loop.
    total = run(P, m, 0, I, Dp, total);
    out.set(idx.subarray(0, m), i0);
    if (dist) dist.set(dst.subarray(0, m), i0);
  }
  return { done: bulk, total };
}
