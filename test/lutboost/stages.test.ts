import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Precision } from '../../src/dsl/config';
import { decisionWeights, fitGemm, type GemmData } from '../../src/lutboost/fit';
import { encode, lookup, relativeError, subspaces, tablesFromCentroids, type LutGemm } from '../../src/lutboost/lutGemm';
import { cholesky, choleskySolve, matmul } from '../../src/lutboost/linalg';
import { Rng } from '../../src/lutboost/prng';
import { quantizeTables } from '../../src/lutboost/quantize';
import { fitTables, inlineSolver, sweeps, SWEEPS_CHOICE_COLS } from '../../src/lutboost/tables';
import { WorkerPool } from '../../src/lutboost/pool';
import { kmeans } from '../../src/lutboost/kmeans';
import { toSubvectors, encodeSub } from '../../src/lutboost/lutGemm';

function rand(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.next() * 2 - 1);
}

/** A GEMM with correlated inputs (low-rank plus noise), as real activations are. */
function gemm(M: number, Mh: number, k: number, n: number, seed: number): GemmData {
  const rank = 3;
  const basis = rand(rank * k, seed);
  const mk = (rows: number, s: number): Float32Array => {
    const coef = rand(rows * rank, s);
    const X = matmul(coef, basis, rows, rank, k);
    const noise = rand(rows * k, s + 1);
    for (let i = 0; i < X.length; i++) X[i] += 0.1 * noise[i];
    return X;
  };
  const W = rand(k * n, seed + 2);
  const bias = rand(n, seed + 3);
  const X = mk(M, seed + 4);
  const Xheld = mk(Mh, seed + 5);
  const withBias = (Y: Float32Array, rows: number) => { for (let m = 0; m < rows; m++) for (let j = 0; j < n; j++) Y[m * n + j] += bias[j]; return Y; };
  return { k, n, W, bias, X, Y: withBias(matmul(X, W, M, k, n), M), M, Xheld, Yheld: withBias(matmul(Xheld, W, Mh, k, n), Mh), Mh };
}

/** An l2 LUT of the GEMM from 15 k-means iterations, tables from the centroids. */
async function kmeansLut(d: GemmData, v: number, c: number, seed: number): Promise<LutGemm> {
  const S = subspaces(d.k, v);
  const km = await kmeans(toSubvectors(d.X, d.M, d.k, v), S, d.M, v, { metric: 'l2', c, iterations: 15, rngFor: (s) => Rng.derive(seed, s) });
  const lut: LutGemm = { k: d.k, n: d.n, v, c, S, metric: 'l2', centroids: km.centroids, tables: new Float32Array(0), bias: d.bias };
  lut.tables = tablesFromCentroids(lut, d.W);
  return lut;
}

test('the tables stage lowers the held-out layer error', async () => {
  const d = gemm(3000, 800, 12, 6, 1);
  const v = 4;
  const lut = await kmeansLut(d, v, 8, 3);
  const r = await fitTables(lut, { idx: encodeSub(lut, toSubvectors(d.X, d.M, d.k, v), d.M), Y: d.Y, M: d.M, idxHeld: encode(lut, d.Xheld, d.Mh), Yheld: d.Yheld, Mh: d.Mh });
  assert.equal(r.method, 'primal');
  assert.equal(r.choiceColumns, undefined, 'a dense solve chooses lambda on all columns');
  assert.ok(r.kept, 'refit kept');
  assert.ok(r.heldOutAfter < r.heldOutBefore * 0.95, `${r.heldOutBefore} -> ${r.heldOutAfter}`);
  // With more table entries than rows the dual form is used and the held-out check still guards it.
  const small = gemm(40, 40, 64, 5, 9);
  const lut2: LutGemm = { k: 64, n: 5, v: 4, c: 16, S: 16, metric: 'l1', centroids: rand(16 * 16 * 4, 2), tables: new Float32Array(0), bias: small.bias };
  lut2.tables = tablesFromCentroids(lut2, small.W);
  const r2 = await fitTables(lut2, { idx: encode(lut2, small.X, 40), Y: small.Y, M: 40, idxHeld: encode(lut2, small.Xheld, 40), Yheld: small.Yheld, Mh: 40 });
  assert.equal(r2.method, 'dual');
  assert.ok(r2.kept ? r2.heldOutAfter < r2.heldOutBefore : r2.tables === lut2.tables);
});

test('all stages together: each fitted stage only ever lowers the held-out error; K padding is handled', async () => {
  for (const metric of ['l2', 'l1', 'chebyshev'] as const) {
    const d = gemm(2000, 500, 10, 4, 20); // K = 10, v = 4: the last subspace is half padding
    const r = await fitGemm(d, { c: 16, v: 4, metric, precision: 'int8', stages: ['kmeans', 'centroids', 'tables', 'quantize'], iterations: 10, seed: 1, streams: [0] });
    assert.deepEqual(r.stages.map((s) => s.stage), ['kmeans', 'centroids', 'tables', 'quantize']);
    for (const s of r.stages.slice(1, 3)) assert.ok(s.heldOutErrorAfter <= s.heldOutErrorBefore || !s.kept, `${metric} ${s.stage}`);
    assert.ok(r.relativeError < r.stages[0].heldOutErrorAfter, `${metric}: ${r.stages[0].heldOutErrorAfter} -> ${r.relativeError}`);
    for (let s = 0; s < 16; s++) for (const d2 of [2, 3]) assert.equal(r.lut.centroids[((r.lut.S - 1) * 16 + s) * 4 + d2], 0, 'padded coordinates stay 0');
  }
});

test('zero padding is exact: rows with as many distinct values as centroids are reproduced exactly', async () => {
  const k = 6, n = 3, M = 400;
  const protos = [rand(k, 1), rand(k, 2), rand(k, 3), rand(k, 4)];
  const X = new Float32Array(M * k);
  for (let m = 0; m < M; m++) X.set(protos[m % 4], m * k);
  const W = rand(k * n, 5);
  const Y = matmul(X, W, M, k, n);
  const d: GemmData = { k, n, W, X, Y, M, Xheld: X, Yheld: Y, Mh: M };
  const r = await fitGemm(d, { c: 4, v: 4, metric: 'l2', precision: 'int8', stages: ['kmeans'], iterations: 10, seed: 2, streams: [0] });
  const out = lookup(r.lut, encode(r.lut, X, M), M);
  assert.ok(relativeError(Y, out) < 1e-12, `error ${relativeError(Y, out)}`);
});

test('quantization error stays within its bound', () => {
  const S = 3, c = 4, n = 5;
  const tables = rand(S * c * n, 8).map((x, i) => x * (i < c * n ? 100 : 0.01));
  const lut: LutGemm = { k: 12, n, v: 4, c, S, metric: 'l2', centroids: new Float32Array(S * c * 4), tables };
  for (const p of ['int8', 'int4', 'fp16', 'bf16'] as Precision[]) {
    const q = quantizeTables(lut, p);
    for (let s = 0; s < S; s++) {
      let amax = 0;
      for (let i = s * c * n; i < (s + 1) * c * n; i++) amax = Math.max(amax, Math.abs(tables[i]));
      for (let i = s * c * n; i < (s + 1) * c * n; i++) {
        const e = Math.abs(q.tables[i] - tables[i]);
        const bound = p === 'int8' ? amax / 127 / 2 : p === 'int4' ? amax / 7 / 2 : p === 'fp16' ? Math.max(Math.abs(tables[i]) * 2 ** -11, 2 ** -25) /* half-precision subnormals: absolute */ : Math.abs(tables[i]) * 2 ** -8;
        assert.ok(e <= bound * (1 + 1e-6) + 1e-30, `${p}: entry ${i} error ${e} > ${bound}`);
      }
      if (q.quant.scales) {
        const qmax = p === 'int8' ? 127 : 7;
        for (let i = s * c * n; i < (s + 1) * c * n; i++) {
          assert.ok(Math.abs(q.quant.codes![i]) <= qmax);
          assert.equal(q.tables[i], Math.fround(q.quant.codes![i] * q.quant.scales[s]));
        }
      }
    }
  }
});

test('class scores: rows near a class boundary weigh more, and the weighted tables fit lowers their error', async () => {
  // Weights: 1 / (1 + margin / kappa), kappa = half the median margin between the top two scores.
  const Y = Float32Array.from([5, 4.9, 0, /**/ 9, 1, 0, /**/ 3, 1, 2, /**/ 0, 0, 7]);
  const w = decisionWeights(Y, 4, 3);
  const margins = [0.1, 8, 1, 7];
  const kappa = 0.5 * 7; // sorted margins 0.1, 1, 7, 8: the median (index 2) is 7
  margins.forEach((g, m) => assert.ok(Math.abs(w[m] - 1 / (1 + g / kappa)) < 1e-6, `row ${m}: ${w[m]}`));
  // The weighted fit favours the heavy rows: their error is lower than after an unweighted fit.
  const d = gemm(3000, 800, 12, 6, 4);
  const v = 4;
  const lut = await kmeansLut(d, v, 8, 5);
  const inp = { idx: encodeSub(lut, toSubvectors(d.X, d.M, d.k, v), d.M), Y: d.Y, M: d.M, idxHeld: encode(lut, d.Xheld, d.Mh), Yheld: d.Yheld, Mh: d.Mh };
  const wt = decisionWeights(d.Y, d.M, d.n);
  const wh = decisionWeights(d.Yheld, d.Mh, d.n);
  const plain = await fitTables(lut, inp);
  const weighted = await fitTables(lut, { ...inp, weights: wt, heldWeights: wh });
  assert.ok(weighted.kept);
  const weightedError = (tables: Float32Array): number => {
    const got = lookup({ ...lut, tables }, inp.idx, d.M);
    let e = 0;
    for (let m = 0; m < d.M; m++) for (let j = 0; j < d.n; j++) e += wt[m] * (got[m * d.n + j] - d.Y[m * d.n + j]) ** 2;
    return e;
  };
  assert.ok(weightedError(weighted.tables) < weightedError(plain.tables), 'the weighted fit has the lower weighted training error');
});

test('the sweeps solve (for layers too large for a dense solve) converges to the ridge solution, column block by block', () => {
  // 37 output columns: two whole blocks of 16 and a partial one, each solved on its own.
  const S = 3, c = 4, n = 37, M = 60, P = S * c, lambda = 0.5;
  const rng = new Rng(9);
  const idx = Int32Array.from({ length: S * M }, () => Math.floor(rng.next() * c));
  const R = Float64Array.from({ length: M * n }, () => rng.next() * 2 - 1);
  // Dense ridge: (H^T H + lambda I) D = H^T R.
  const G = new Float64Array(P * P);
  const HtR = new Float64Array(P * n);
  for (let m = 0; m < M; m++) {
    for (let a = 0; a < S; a++) {
      const pa = a * c + idx[a * M + m];
      for (let b = 0; b < S; b++) G[pa * P + b * c + idx[b * M + m]] += 1;
      for (let t = 0; t < n; t++) HtR[pa * n + t] += R[m * n + t];
    }
  }
  for (let p = 0; p < P; p++) G[p * P + p] += lambda;
  assert.ok(cholesky(G, P));
  choleskySolve(G, P, HtR, n);
  const D = sweeps({ S, c, n, idx, M, R, lambda, count: 3000 });
  let worst = 0;
  for (let i = 0; i < D.length; i++) worst = Math.max(worst, Math.abs(D[i] - HtR[i]));
  assert.ok(worst < 1e-8, `largest difference from the dense solve: ${worst}`);
});

test('the tables solves on the worker pool give the same bits as on this thread, and stop when cancelled', async () => {
  // 53 columns: the pool hands out blocks of 16 and a partial one, in whatever order its workers free up.
  const S = 5, c = 8, n = 53, M = 300, lambda = 2;
  const rng = new Rng(4);
  const idx = Int32Array.from({ length: S * M }, () => Math.floor(rng.next() * c));
  const R = Float64Array.from({ length: M * n }, () => rng.next() * 2 - 1);
  const want = sweeps({ S, c, n, idx, M, R, lambda, count: 6 });
  const pool = new WorkerPool(2);
  try {
    const got = await pool.solveSweeps({ S, c, n, idx, M, R, lambda, count: 6 });
    assert.deepEqual(got, want);
    // Ridge, one lambda per task: A = H^T H of a random index matrix (P = 260, large enough to go to the workers);
    // a negative lambda makes it indefinite, which must come back as undefined, not as a solution.
    const P = 260, N = 7;
    const A = new Float64Array(P * P);
    for (let m = 0; m < 400; m++) {
      const cols = [0, 1, 2, 3].map((g) => g * 65 + Math.floor(rng.next() * 65));
      for (const a of cols) for (const b of cols) A[a * P + b] += 1;
    }
    const B = Float64Array.from({ length: P * N }, () => rng.next());
    const problem = { A, B, P, N, lambdas: [0.5, 3, -1e6] };
    const inline = await inlineSolver.solveRidge(problem);
    const pooled = await pool.solveRidge(problem);
    assert.ok(inline[0] && inline[1] && inline[2] === undefined);
    assert.deepEqual(pooled, inline);
    const stop = new AbortController();
    stop.abort(new Error('stop'));
    await assert.rejects(pool.solveSweeps({ S, c, n, idx, M, R, lambda, count: 6 }, stop.signal), /stop/);
    await assert.rejects(pool.solveRidge(problem, stop.signal), /stop/);
  } finally {
    await pool.close();
  }
});

test('a layer too large for a dense solve chooses lambda on a spread of its output columns, then solves them all', async () => {
  // P = 130 x 16 = 2080 entries and M = 2100 rows: both above the dense limit, so the sweeps solve runs.
  const S = 130, c = 16, n = SWEEPS_CHOICE_COLS + 6, M = 2100, Mh = 300;
  const rng = new Rng(12);
  const truth = Float32Array.from({ length: S * c * n }, () => rng.next() - 0.5);
  const codes = (rows: number): Int32Array => Int32Array.from({ length: S * rows }, () => Math.floor(rng.next() * c));
  const idx = codes(M), idxHeld = codes(Mh);
  const noisy = (ix: Int32Array, rows: number): Float32Array => {
    const y = lookup({ k: S, n, v: 1, c, S, metric: 'l2', centroids: new Float32Array(0), tables: truth }, ix, rows);
    for (let i = 0; i < y.length; i++) y[i] += (rng.next() - 0.5) * 8;
    return y;
  };
  const Y = noisy(idx, M), Yheld = noisy(idxHeld, Mh);
  const lut: LutGemm = { k: S, n, v: 1, c, S, metric: 'l2', centroids: new Float32Array(0), tables: new Float32Array(S * c * n) };
  const r = await fitTables(lut, { idx, Y, M, idxHeld, Yheld, Mh });
  assert.equal(r.method, 'sweeps');
  assert.equal(r.choiceColumns, SWEEPS_CHOICE_COLS);
  assert.ok(r.kept && r.heldOutAfter < r.heldOutBefore, `${r.heldOutBefore} -> ${r.heldOutAfter}`);
  // Every column, the ones lambda was not chosen on included, holds the full solve at the chosen lambda.
  const R = Float64Array.from(Y);
  const D = sweeps({ S, c, n, idx, M, R, lambda: r.lambda!, count: 6 });
  for (let i = 0; i < D.length; i++) assert.equal(r.tables[i], Math.fround(D[i]), `entry ${i}`);
});
