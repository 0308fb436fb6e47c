/**
 * The hot path of training: C[M x N] (+)= op(A)[M x K] * op(B)[K x N] on Float32Arrays with offsets and leading
 * dimensions. One kernel (row-of-B inner loop, four rows of C per pass so each loaded B value is used four
 * times, blocked over N and K so the B panel stays in cache); a transposed A is read through strides, a
 * transposed B is first copied into a reused scratch buffer so the inner loop stays contiguous.
 */

const NB = 256;
const KB = 128;

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
  if (!o.accumulate) {
    for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
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
  kernelNN(M, N, K, A, aOff, sai, sak, Bm, bOff, ldb, C, cOff, ldc);
}

function kernelNN(
  M: number, N: number, K: number,
  A: Float32Array, aOff: number, sai: number, sak: number,
  B: Float32Array, bOff: number, ldb: number,
  C: Float32Array, cOff: number, ldc: number,
): void {
  for (let k0 = 0; k0 < K; k0 += KB) {
    const k1 = Math.min(K, k0 + KB);
    for (let j0 = 0; j0 < N; j0 += NB) {
      const j1 = Math.min(N, j0 + NB);
      let i = 0;
      for (; i + 3 < M; i += 4) {
        const c0 = cOff + i * ldc;
        const c1 = c0 + ldc;
        const c2 = c1 + ldc;
        const c3 = c2 + ldc;
        const a0base = aOff + i * sai;
        for (let k = k0; k < k1; k++) {
          const ak = a0base + k * sak;
          const a0 = A[ak];
          const a1 = A[ak + sai];
          const a2 = A[ak + 2 * sai];
          const a3 = A[ak + 3 * sai];
          if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue; // ReLU outputs are often zero
          const bk = bOff + k * ldb;
          for (let j = j0; j < j1; j++) {
            const b = B[bk + j];
            C[c0 + j] += a0 * b;
            C[c1 + j] += a1 * b;
            C[c2 + j] += a2 * b;
            C[c3 + j] += a3 * b;
          }
        }
      }
      for (; i < M; i++) {
        const c0 = cOff + i * ldc;
        const a0base = aOff + i * sai;
        for (let k = k0; k < k1; k++) {
          const a0 = A[a0base + k * sak];
          if (a0 === 0) continue;
          const bk = bOff + k * ldb;
          for (let j = j0; j < j1; j++) C[c0 + j] += a0 * B[bk + j];
        }
      }
    }
  }
}
