/**
 * The hot path of training: C[M x N] (+)= op(A)[M x K] * op(B)[K x N] on Float32Arrays with offsets and leading
 * dimensions. One kernel (a 4x4 register tile, see kernelNN); a transposed A is read through strides while it
 * is packed, a transposed B is first copied into a reused scratch buffer so B's rows stay contiguous.
 */

const NB = 64;
const KB = 256;

let scratch = new Float32Array(1 << 16);

function scratchOf(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(Math.max(n, scratch.length * 2));
  return scratch;
}

export interface GemmArgs {
  transA?: boolean;
  transB?: boolean;
  /** When true, C += A*B; otherwise C = A*B. */
  accumulate?: boolean;
  aOff?: number;
  bOff?: number;
  cOff?: number;
  /** Leading dimensions (row lengths as stored); default: the packed value. */
  lda?: number;
  ldb?: number;
  ldc?: number;
}

export function gemm(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, o: GemmArgs = {}): void {
  const transA = o.transA ?? false;
  const transB = o.transB ?? false;
  const aOff = o.aOff ?? 0;
  let bOff = o.bOff ?? 0;
  const cOff = o.cOff ?? 0;
  const lda = o.lda ?? (transA ? M : K);
  let ldb = o.ldb ?? (transB ? K : N);
  const ldc = o.ldc ?? N;
  const store = !o.accumulate;
  if (store) {
    // The kernel stores (rather than adds) its first K block, except in the rows past the last 4-row tile, which
    // it updates in place: only those need zeros first (all rows when there is no K to store).
    for (let i = K === 0 ? 0 : M - (M % 4); i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
  }
  if (M === 0 || N === 0 || K === 0) return;
  let Bm = B;
  if (transB) {
    // B is stored [N x K]; lay it out as [K x N].
    const t = scratchOf(K * N);
    for (let j = 0; j < N; j++) {
      const src = bOff + j * ldb;
      for (let k = 0; k < K; k++) t[k * N + j] = B[src + k];
    }
    Bm = t;
    bOff = 0;
    ldb = N;
  }
  const sai = transA ? 1 : lda; // stride between rows i of op(A)
  const sak = transA ? lda : 1; // stride between columns k of op(A)
  kernelNN(M, N, K, A, aOff, sai, sak, Bm, bOff, ldb, C, cOff, ldc, store);
}

let panel = new Float32Array(4 * 512);

/** Four sums into C at o: stored when C holds no sum yet (`first`), added otherwise. */
function put4(C: Float32Array, o: number, first: boolean, x0: number, x1: number, x2: number, x3: number): void {
  if (first) {
    C[o] = x0; C[o + 1] = x1; C[o + 2] = x2; C[o + 3] = x3;
  } else {
    C[o] += x0; C[o + 1] += x1; C[o + 2] += x2; C[o + 3] += x3;
  }
}

/**
 * C += op(A) * B with a 4x4 register tile: 16 accumulators live in locals while k runs, so each step does
 * 16 multiply-adds for 8 loads (2-3x the throughput of a row-update loop in V8). A's 4-row panel is packed
 * k-major so its loads are contiguous; blocks over K and N keep the B panel in cache.
 */
function kernelNN(
  M: number, N: number, K: number,
  A: Float32Array, aOff: number, sai: number, sak: number,
  B: Float32Array, bOff: number, ldb: number,
  C: Float32Array, cOff: number, ldc: number, store: boolean,
): void {
  if (panel.length < 4 * Math.min(K, KB)) panel = new Float32Array(4 * KB);
  const Ap = panel;
  for (let k0 = 0; k0 < K; k0 += KB) {
    const k1 = Math.min(K, k0 + KB);
    const kn = k1 - k0;
    const first = store && k0 === 0; // C holds no sum yet: store the tiles' sums instead of adding them
    for (let j0 = 0; j0 < N; j0 += NB) {
      const j1 = Math.min(N, j0 + NB);
      const j4 = j0 + ((j1 - j0) & ~3);
      let i = 0;
      for (; i + 3 < M; i += 4) {
        const ab = aOff + i * sai;
        for (let k = 0; k < kn; k++) {
          const a = ab + (k0 + k) * sak;
          Ap[4 * k] = A[a];
          Ap[4 * k + 1] = A[a + sai];
          Ap[4 * k + 2] = A[a + 2 * sai];
          Ap[4 * k + 3] = A[a + 3 * sai];
        }
        const c0 = cOff + i * ldc;
        for (let j = j0; j < j4; j += 4) {
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
          let bk = bOff + k0 * ldb + j;
          for (let k = 0; k < kn; k++, bk += ldb) {
            const a0 = Ap[4 * k], a1 = Ap[4 * k + 1], a2 = Ap[4 * k + 2], a3 = Ap[4 * k + 3];
            const b0 = B[bk], b1 = B[bk + 1], b2 = B[bk + 2], b3 = B[bk + 3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
          }
          const o = c0 + j;
          put4(C, o, first, c00, c01, c02, c03);
          put4(C, o + ldc, first, c10, c11, c12, c13);
          put4(C, o + 2 * ldc, first, c20, c21, c22, c23);
          put4(C, o + 3 * ldc, first, c30, c31, c32, c33);
        }
        for (let j = j4; j < j1; j++) {
          let c0v = 0, c1v = 0, c2v = 0, c3v = 0;
          let bk = bOff + k0 * ldb + j;
          for (let k = 0; k < kn; k++, bk += ldb) {
            const b = B[bk];
            c0v += Ap[4 * k] * b;
            c1v += Ap[4 * k + 1] * b;
            c2v += Ap[4 * k + 2] * b;
            c3v += Ap[4 * k + 3] * b;
          }
          const o = c0 + j;
          C[o] = first ? c0v : C[o] + c0v;
          C[o + ldc] = first ? c1v : C[o + ldc] + c1v;
          C[o + 2 * ldc] = first ? c2v : C[o + 2 * ldc] + c2v;
          C[o + 3 * ldc] = first ? c3v : C[o + 3 * ldc] + c3v;
        }
      }
      for (; i < M; i++) {
        const c0 = cOff + i * ldc;
        const ab = aOff + i * sai;
        for (let k = k0; k < k1; k++) {
          const a0 = A[ab + k * sak];
          if (a0 === 0) continue;
          const bk = bOff + k * ldb;
          for (let j = j0; j < j1; j++) C[c0 + j] += a0 * B[bk + j];
        }
      }
    }
  }
}
