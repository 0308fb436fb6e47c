import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gemm } from '../../src/train/matmul';
import { Rng } from '../../src/train/rng';

test('gemm matches a naive product for all transpose combinations, odd sizes, offsets and accumulation', () => {
  const rng = new Rng(3);
  for (const [M, N, K] of [[1, 1, 1], [5, 7, 3], [9, 13, 300], [4, 64, 4], [17, 70, 9]]) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        for (const acc of [false, true]) {
          const aOff = 3;
          const A = Float32Array.from({ length: aOff + M * K }, () => rng.normal());
          const B = Float32Array.from({ length: M * N * 0 + K * N }, () => rng.normal());
          const C = Float32Array.from({ length: M * N }, () => rng.normal());
          const want = Float64Array.from(acc ? C : new Float32Array(M * N));
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let s = 0;
              for (let k = 0; k < K; k++) s += A[aOff + (tA ? k * M + i : i * K + k)] * B[tB ? j * K + k : k * N + j];
              want[i * N + j] += s;
            }
          }
          gemm(M, N, K, A, B, C, { transA: tA, transB: tB, accumulate: acc, aOff });
          for (let i = 0; i < M * N; i++) assert.ok(Math.abs(C[i] - want[i]) < 1e-3 * (1 + Math.abs(want[i])), `M${M} N${N} K${K} tA${tA} tB${tB} acc${acc} at ${i}`);
        }
      }
    }
  }
});
