import { cholesky, choleskySolve } from './linalg';
import { lookup, relativeError, type LutGemm } from './lutGemm';

/**
 * The tables stage: with the assignments fixed, refit the tables T by ridge regression of the layer's target
 * output on the one-hot index matrix H (M rows, S*c columns with S ones per row), shrinking towards the current
 * tables T0:  min ||H T - (Y - b)||^2 + lambda ||T - T0||^2.  Writing T = T0 + D, D solves
 *   primal (P = S*c unknowns per column):  (H^T H + lambda I) D = H^T R,        R = Y - b - H T0
 *   dual   (M rows, cheaper when M < P):    D = H^T (H H^T + lambda I)^-1 R
 * Both are dense Cholesky solves shared by all n output columns. When both P and M are large, block
 * Gauss-Seidel sweeps over subspaces solve the same problem without a matrix. lambda is chosen by the error on
 * held-out rows, and the refit is kept only if that error goes down (few rows per table entry overfit badly).
 * (Solving once more on all rows with the chosen lambda was tried: it cost 0.15 points of accuracy on both MNIST
 * models, so the held-out rows stay out of the final tables.)
 */
export interface TablesResult {
  tables: Float32Array;
  heldOutBefore: number;
  heldOutAfter: number;
  lambda: number | null;
  kept: boolean;
  method: 'primal' | 'dual' | 'sweeps';
  /** Output columns lambda was chosen on, when fewer than all (see SWEEPS_CHOICE_COLS). */
  choiceColumns?: number;
}

export interface TablesInput {
  idx: Int32Array; // [S][M] training assignments
  Y: Float32Array; // [M x n] training targets (including bias)
  M: number;
  idxHeld: Int32Array; // [S][Mh]
  Yheld: Float32Array; // [Mh x n]
  Mh: number;
  signal?: AbortSignal;
  /**
   * Per-row weights of the training and held-out rows (e.g. emphasising rows near a class boundary): the primal
   * solve weights its rows, and held-out judging uses the weighted error (the dual and sweep solves, for layers
   * with more than 2048 table entries, stay unweighted).
   */
  weights?: Float64Array;
  heldWeights?: Float64Array;
  /** Runs the ridge and sweeps solves (default: on this thread). */
  solver?: TablesSolver;
}

function weightedRelError(ref: Float32Array, got: Float32Array, n: number, w?: Float64Array): number {
  if (!w) return relativeError(ref, got);
  let e = 0, en = 0;
  for (let m = 0; m < w.length; m++) {
    for (let j = 0; j < n; j++) {
      const d = ref[m * n + j] - got[m * n + j];
      e += w[m] * d * d;
      en += w[m] * ref[m * n + j] * ref[m * n + j];
    }
  }
  return en > 0 ? e / en : e;
}

/** Largest direct system solved densely (a 2048 x 2048 Cholesky is ~1.4e9 multiply-adds, about a second). */
const MAX_DIRECT = 2048;
const ALPHAS = [0.001, 0.01, 0.1, 1, 10];

/**
 * Output columns a sweeps solve chooses lambda on, when the layer has more: the chosen lambda then solves all of
 * them (a third of the work for 512 columns). The columns are spread evenly over the layer's outputs.
 */
export const SWEEPS_CHOICE_COLS = 64;

export async function fitTables(lut: LutGemm, inp: TablesInput): Promise<TablesResult> {
  const { n } = lut;
  const solver = inp.solver ?? inlineSolver;
  const before = weightedRelError(inp.Yheld, lookup(lut, inp.idxHeld, inp.Mh), n, inp.heldWeights);
  let alphas = ALPHAS;
  let choiceColumns: number | undefined;
  if (methodFor(lut.S * lut.c, inp.M, !!inp.weights) === 'sweeps' && n > SWEEPS_CHOICE_COLS) {
    const cols = Int32Array.from({ length: SWEEPS_CHOICE_COLS }, (_, i) => Math.floor((i * n) / SWEEPS_CHOICE_COLS));
    const sub = { ...lut, n: cols.length, tables: pickColumns(lut.tables, n, cols), bias: lut.bias && pickColumns(lut.bias, n, cols) };
    const trial = await choose(sub, { ...inp, Y: pickColumns(inp.Y, n, cols), Yheld: pickColumns(inp.Yheld, n, cols) }, ALPHAS, solver);
    choiceColumns = cols.length;
    if (!trial.best) return { tables: lut.tables, heldOutBefore: before, heldOutAfter: before, lambda: null, kept: false, method: 'sweeps', choiceColumns };
    alphas = [trial.best.alpha];
  }
  const { method, best } = await choose(lut, inp, alphas, solver);
  if (!best || best.err >= before) {
    return { tables: lut.tables, heldOutBefore: before, heldOutAfter: best?.err ?? before, lambda: best?.lambda ?? null, kept: false, method, choiceColumns };
  }
  return { tables: best.tables, heldOutBefore: before, heldOutAfter: best.err, lambda: best.lambda, kept: true, method, choiceColumns };
}

/** A refit's tables and their held-out error. */
interface Choice {
  alpha: number;
  lambda: number;
  tables: Float32Array;
  err: number;
}

/** Solves for each alpha and returns the tables with the lowest held-out error. */
async function choose(lut: LutGemm, inp: TablesInput, alphas: readonly number[], solver: TablesSolver):
  Promise<{ method: TablesResult['method']; best?: Choice }> {
  const { S, c, n } = lut;
  const T0 = lut.tables;
  const { method, candidates } = await solve(lut, inp.idx, inp.Y, inp.M, alphas, solver, inp.signal, inp.weights);
  let best: Choice | undefined;
  for (const { alpha, lambda, D } of candidates) {
    const tables = new Float32Array(S * c * n);
    for (let i = 0; i < tables.length; i++) tables[i] = T0[i] + D[i];
    const err = weightedRelError(inp.Yheld, lookup({ ...lut, tables }, inp.idxHeld, inp.Mh), n, inp.heldWeights);
    if (Number.isFinite(err) && (!best || err < best.err)) best = { alpha, lambda, tables, err };
  }
  return { method, best };
}

/** The columns `cols` of a row-major matrix with n columns. */
function pickColumns(a: Float32Array, n: number, cols: Int32Array): Float32Array {
  const rows = a.length / n;
  const out = new Float32Array(rows * cols.length);
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols.length; i++) out[r * cols.length + i] = a[r * n + cols[i]];
  return out;
}

/** The cheapest applicable solve for P table entries and M rows (weighted rows need the primal). */
function methodFor(P: number, M: number, weighted: boolean): TablesResult['method'] {
  if ((Math.min(P, M) <= MAX_DIRECT && P <= M) || (weighted && P <= MAX_DIRECT)) return 'primal';
  return Math.min(P, M) <= MAX_DIRECT ? 'dual' : 'sweeps';
}

/** One ridge solution: tables = T0 + D. */
interface Candidate {
  alpha: number;
  lambda: number;
  D: Float64Array;
}

/** Ridge solutions D (tables = T0 + D) for lambda = alpha * M / c, by the cheapest applicable method. */
async function solve(lut: LutGemm, idx: Int32Array, Y: Float32Array, M: number, alphas: readonly number[], solver: TablesSolver, signal?: AbortSignal, w?: Float64Array):
  Promise<{ method: TablesResult['method']; candidates: Candidate[] }> {
  const { S, c, n } = lut;
  const P = S * c;
  const base = lookup(lut, idx, M);
  const R = new Float64Array(M * n);
  for (let i = 0; i < R.length; i++) R[i] = Y[i] - base[i];
  const candidates: Candidate[] = [];
  const scale = Math.max(1, M / c);
  const lambdas = alphas.map((a) => a * scale);
  const method = methodFor(P, M, !!w);
  if (method === 'primal') {
    const G = new Float64Array(P * P);
    const cols = new Int32Array(S);
    for (let m = 0; m < M; m++) {
      for (let s = 0; s < S; s++) cols[s] = s * c + idx[s * M + m];
      const wm = w ? w[m] : 1;
      for (let a = 0; a < S; a++) {
        const ro = cols[a] * P;
        for (let b = 0; b < S; b++) G[ro + cols[b]] += wm;
      }
    }
    const HtR = new Float64Array(P * n);
    for (let s = 0; s < S; s++) {
      for (let m = 0; m < M; m++) {
        const o = (s * c + idx[s * M + m]) * n;
        const wm = w ? w[m] : 1;
        for (let j = 0; j < n; j++) HtR[o + j] += wm * R[m * n + j];
      }
    }
    const solved = await solver.solveRidge({ A: G, B: HtR, P, N: n, lambdas }, signal);
    solved.forEach((D, i) => { if (D) candidates.push({ alpha: alphas[i], lambda: lambdas[i], D }); });
  } else if (method === 'dual') {
    const K = new Float64Array(M * M);
    for (let s = 0; s < S; s++) {
      const row = idx.subarray(s * M, (s + 1) * M);
      for (let a = 0; a < M; a++) {
        const ia = row[a];
        const ao = a * M;
        for (let b = a; b < M; b++) if (row[b] === ia) K[ao + b] += 1;
      }
    }
    for (let a = 0; a < M; a++) for (let b = a + 1; b < M; b++) K[b * M + a] = K[a * M + b];
    const solved = await solver.solveRidge({ A: K, B: R, P: M, N: n, lambdas }, signal);
    for (let i = 0; i < alphas.length; i++) {
      const Alpha = solved[i];
      if (!Alpha) continue;
      const alpha = alphas[i];
      const lambda = lambdas[i];
      const D = new Float64Array(P * n);
      for (let s = 0; s < S; s++) {
        for (let m = 0; m < M; m++) {
          const o = (s * c + idx[s * M + m]) * n;
          for (let j = 0; j < n; j++) D[o + j] += Alpha[m * n + j];
        }
      }
      candidates.push({ alpha, lambda, D });
    }
  } else {
    for (let i = 0; i < alphas.length; i++) {
      await yieldToEvents(signal);
      candidates.push({ alpha: alphas[i], lambda: lambdas[i], D: await solver.solveSweeps({ S, c, n, idx, M, R, lambda: lambdas[i], count: 6 }, signal) });
    }
  }
  return { method, candidates };
}

/**
 * Block Gauss-Seidel over subspaces for min ||H D - R||^2 + lambda ||D||^2 (no P x P or M x M matrix), all n
 * output columns. See sweepColumns.
 */
export function sweeps(p: SweepsProblem): Float64Array {
  const D = new Float64Array(p.S * p.c * p.n);
  sweepColumns(p, 0, p.n, D);
  return D;
}

/** One sweeps problem: D [S*c x n] solving min ||H D - R||^2 + lambda ||D||^2, H given by idx [S][M]. */
export interface SweepsProblem {
  S: number;
  c: number;
  n: number;
  idx: Int32Array;
  M: number;
  R: Float64Array;
  lambda: number;
  count: number;
}

/**
 * Solves output columns [t0, t1) of a sweeps problem into D. The output columns are independent problems, so
 * they are solved a block at a time: the block's residual (M x COLS) then stays in cache through all sweeps
 * instead of streaming the whole M x n residual per subspace. Each column's arithmetic, and so its result, is the
 * same whatever the range or the thread that solves it.
 */
export function sweepColumns(p: SweepsProblem, t0: number, t1: number, D: Float64Array): void {
  const { S, c, n, idx, M, R, lambda, count } = p;
  const sum = new Float64Array(c * SWEEP_COLS);
  // How many rows pick each entry: the same for every sweep and column block.
  const cnt = new Float64Array(S * c);
  for (let s = 0; s < S; s++) for (let m = 0; m < M; m++) cnt[s * c + idx[s * M + m]]++;
  const Db = new Float64Array(S * c * SWEEP_COLS); // the block's columns of D, [S][c][w]
  const E = new Float64Array(M * SWEEP_COLS); // residual R - H D of the block's columns, [M][w]
  for (let b0 = t0; b0 < t1; b0 += SWEEP_COLS) {
    const w = Math.min(SWEEP_COLS, t1 - b0);
    Db.fill(0);
    for (let m = 0; m < M; m++) for (let t = 0; t < w; t++) E[m * w + t] = R[m * n + b0 + t];
    for (let sweep = 0; sweep < count; sweep++) {
      for (let s = 0; s < S; s++) {
        sum.fill(0);
        const Ds = Db.subarray(s * c * w, (s + 1) * c * w);
        const row = idx.subarray(s * M, (s + 1) * M);
        for (let m = 0; m < M; m++) {
          const o = m * w;
          const q = row[m] * w;
          for (let t = 0; t < w; t++) sum[q + t] += E[o + t];
        }
        // Exact minimiser over this subspace with the others fixed: the residual without its own term is
        // E + Ds, so Ds' = (sum E + cnt Ds) / (cnt + lambda); E then moves by Ds - Ds' (sum holds that step).
        for (let j = 0; j < c; j++) {
          const k = cnt[s * c + j];
          for (let t = 0; t < w; t++) {
            const q = j * w + t;
            const next = (sum[q] + k * Ds[q]) / (k + lambda);
            sum[q] = Ds[q] - next;
            Ds[q] = next;
          }
        }
        for (let m = 0; m < M; m++) {
          const o = m * w;
          const q = row[m] * w;
          for (let t = 0; t < w; t++) E[o + t] += sum[q + t];
        }
      }
    }
    for (let sj = 0; sj < S * c; sj++) for (let t = 0; t < w; t++) D[sj * n + b0 + t] = Db[sj * w + t];
  }
}

/** One ridge solve per lambda: X = (A + lambda I)^-1 B, A symmetric [P x P], B [P x N]; undefined where not definite. */
export interface RidgeProblem {
  A: Float64Array;
  B: Float64Array;
  P: number;
  N: number;
  lambdas: readonly number[];
}

export function solveRidgeOne(p: Omit<RidgeProblem, 'lambdas'>, lambda: number): Float64Array | undefined {
  const { P } = p;
  const A = p.A.slice(0, P * P);
  for (let i = 0; i < P; i++) A[i * P + i] += lambda;
  if (!cholesky(A, P)) return undefined;
  const X = p.B.slice(0, P * p.N);
  choleskySolve(A, P, X, p.N);
  return X;
}

/**
 * Runs the tables stage's solves, on this thread or on a worker pool's (WorkerPool: the lambdas of a ridge
 * solve, and the column blocks of a sweeps solve, in parallel); the result is the same either way.
 */
export interface TablesSolver {
  solveRidge(p: RidgeProblem, signal?: AbortSignal): Promise<(Float64Array | undefined)[]>;
  solveSweeps(p: SweepsProblem, signal?: AbortSignal): Promise<Float64Array>;
}

export const inlineSolver: TablesSolver = {
  solveRidge: async (p, signal) => {
    const out: (Float64Array | undefined)[] = [];
    for (const lambda of p.lambdas) {
      await yieldToEvents(signal);
      out.push(solveRidgeOne(p, lambda));
    }
    return out;
  },
  solveSweeps: async (p) => sweeps(p),
};

/** Output columns per block of the sweeps: 16 columns of a 10,000-row residual are 1.3 MB. */
export const SWEEP_COLS = 16;

/** Lets the event loop run (signal handlers included) between long synchronous steps; throws when cancelled. */
export async function yieldToEvents(signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
}
