/** Dense linear algebra on typed arrays (float64 accumulation) for the per-layer solves of LUTBoost. */

/** C[M x N] = A[M x K] B[K x N] (row-major); i-k-j order so the inner loop streams rows of B. */
export function matmul(A: ArrayLike<number>, B: ArrayLike<number>, M: number, K: number, N: number): Float32Array {
  const C = new Float32Array(M * N);
  const acc = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const a = A[i * K + k];
      if (a === 0) continue;
      const bo = k * N;
      for (let j = 0; j < N; j++) acc[j] += a * B[bo + j];
    }
    C.set(acc, i * N);
  }
  return C;
}

/**
 * In-place Cholesky factorisation of a symmetric positive-definite P x P matrix (lower triangle, row-major).
 * Returns false when a pivot is not positive (the caller raises the ridge).
 */
export function cholesky(A: Float64Array, P: number): boolean {
  for (let j = 0; j < P; j++) {
    const jo = j * P;
    let d = A[jo + j];
    for (let k = 0; k < j; k++) d -= A[jo + k] * A[jo + k];
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    A[jo + j] = l;
    let i = j + 1;
    // Four rows at a time share each load of row j (twice as fast on a 2048 x 2048 system); each entry's sum runs
    // in the same order as one row at a time, so the factor is bit for bit the same.
    for (; i + 3 < P; i += 4) {
      const o0 = i * P, o1 = o0 + P, o2 = o1 + P, o3 = o2 + P;
      let s0 = A[o0 + j], s1 = A[o1 + j], s2 = A[o2 + j], s3 = A[o3 + j];
      for (let k = 0; k < j; k++) {
        const x = A[jo + k];
        s0 -= A[o0 + k] * x;
        s1 -= A[o1 + k] * x;
        s2 -= A[o2 + k] * x;
        s3 -= A[o3 + k] * x;
      }
      A[o0 + j] = s0 / l;
      A[o1 + j] = s1 / l;
      A[o2 + j] = s2 / l;
      A[o3 + j] = s3 / l;
    }
    for (; i < P; i++) {
      const io = i * P;
      let s = A[io + j];
      for (let k = 0; k < j; k++) s -= A[io + k] * A[jo + k];
      A[io + j] = s / l;
    }
  }
  return true;
}

/** Solves L L^T X = B for X in place; B is [P x N] row-major (N right-hand sides). */
export function choleskySolve(L: Float64Array, P: number, B: Float64Array, N: number): void {
  for (let i = 0; i < P; i++) {
    const io = i * P;
    const bo = i * N;
    for (let k = 0; k < i; k++) {
      const l = L[io + k];
      if (l === 0) continue;
      const ko = k * N;
      for (let j = 0; j < N; j++) B[bo + j] -= l * B[ko + j];
    }
    const d = L[io + i];
    for (let j = 0; j < N; j++) B[bo + j] /= d;
  }
  for (let i = P - 1; i >= 0; i--) {
    const bo = i * N;
    for (let k = i + 1; k < P; k++) {
      const l = L[k * P + i];
      if (l === 0) continue;
      const ko = k * N;
      for (let j = 0; j < N; j++) B[bo + j] -= l * B[ko + j];
    }
    const d = L[i * P + i];
    for (let j = 0; j < N; j++) B[bo + j] /= d;
  }
}
