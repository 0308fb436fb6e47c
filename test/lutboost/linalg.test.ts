import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cholesky, choleskySolve } from '../../src/lutboost/linalg';
import { Rng } from '../../src/lutboost/prng';

test('cholesky factors A = L L^T (rows four at a time and the rest), solves with it, and refuses a matrix that is not positive definite', () => {
  for (const P of [1, 4, 7, 13]) {
    const rng = new Rng(P);
    // A = B B^T + I: symmetric positive definite.
    const B = Float64Array.from({ length: P * P }, () => rng.next() * 2 - 1);
    const A = new Float64Array(P * P);
    for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < P; k++) s += B[i * P + k] * B[j * P + k];
      A[i * P + j] = s;
    }
    const L = A.slice();
    assert.ok(cholesky(L, P));
    for (let i = 0; i < P; i++) for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k <= j; k++) s += L[i * P + k] * L[j * P + k];
      assert.ok(Math.abs(s - A[i * P + j]) < 1e-9, `P=${P}: (L L^T)[${i},${j}] = ${s}, A = ${A[i * P + j]}`);
    }
    const x = Float64Array.from({ length: P * 2 }, () => rng.next());
    const b = new Float64Array(P * 2);
    for (let i = 0; i < P; i++) for (let t = 0; t < 2; t++) for (let k = 0; k < P; k++) b[i * 2 + t] += A[i * P + k] * x[k * 2 + t];
    choleskySolve(L, P, b, 2);
    for (let i = 0; i < b.length; i++) assert.ok(Math.abs(b[i] - x[i]) < 1e-8, `P=${P}: solution ${i}`);
  }
  assert.equal(cholesky(Float64Array.from([1, 2, 2, 1]), 2), false);
});
