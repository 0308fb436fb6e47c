import * as os from 'node:os';
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Metric } from '../dsl/config';
import type { Assigner } from './kmeans';
import { inlineAssigner } from './kmeans';
import { inlineSolver, SWEEP_COLS, type RidgeProblem, type SweepsProblem, type TablesSolver } from './tables';

export interface AssignTask {
  kind: 'assign';
  id: number;
  metric: Metric;
  points: SharedArrayBuffer;
  centroids: SharedArrayBuffer;
  idx: SharedArrayBuffer;
  S: number;
  n: number;
  v: number;
  c: number;
  s0: number;
  s1: number;
}

/** A worker's answer, of the kind of the task it answers. */
export type TaskReply =
  /** An assignment's distance sums, one per subspace of its range. */
  | { kind: 'assign'; id: number; sums: Float64Array }
  | { kind: 'sweeps'; id: number }
  /** A ridge solve's outcome: false when A + lambda I is not positive definite. */
  | { kind: 'ridge'; id: number; solved: boolean };

type TaskKind = PoolTask['kind'];
type ReplyOf<K extends TaskKind> = Extract<TaskReply, { kind: K }>;

/** Output columns [t0, t1) of a tables sweeps problem (see sweepColumns); the worker writes them into D. */
export interface SweepsTask {
  kind: 'sweeps';
  id: number;
  S: number;
  c: number;
  n: number;
  M: number;
  lambda: number;
  count: number;
  idx: SharedArrayBuffer;
  R: SharedArrayBuffer;
  D: SharedArrayBuffer;
  t0: number;
  t1: number;
}

/** One lambda of a ridge solve (see solveRidgeOne): X into `out`; the reply says whether it was solved. */
export interface RidgeTask {
  kind: 'ridge';
  id: number;
  A: SharedArrayBuffer;
  B: SharedArrayBuffer;
  P: number;
  N: number;
  lambda: number;
  out: SharedArrayBuffer;
}

export type PoolTask = AssignTask | SweepsTask | RidgeTask;
type BodyOf<K extends TaskKind> = Omit<Extract<PoolTask, { kind: K }>, 'id'>;

/** A copy of a typed array in shared memory (what the workers read). */
function sharedCopy(a: Float64Array | Int32Array): SharedArrayBuffer {
  const buf = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(buf).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return buf;
}

/** A Float32Array over a SharedArrayBuffer (what the pool's workers can read without a copy). */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/** An Int32Array over a SharedArrayBuffer: indices the pool's workers write in place. */
export function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

/**
 * Starts the worker script: next to the bundle (dist/kmeansWorker.js) when running bundled, or the .ts source
 * through tsx's require hook (tests and benches run under tsx; `--import tsx` in execArgv does not reach a
 * worker's entry module on Node 20).
 */
export function startWorker(bundleName: string, sourceFile: string): Worker {
  const bundled = path.join(__dirname, bundleName);
  if (!__filename.endsWith('.ts') && existsSync(bundled)) return new Worker(bundled);
  const code = `const p = require.resolve('tsx/cjs/api', { paths: [${JSON.stringify(__dirname)}] });
require(p).register();
require(${JSON.stringify(path.join(__dirname, sourceFile))});`;
  return new Worker(code, { eval: true });
}

/**
 * Worker threads that run nearest-centroid assignment over ranges of subspaces, and the tables stage's solves
 * (the lambdas of a ridge solve, the output columns of a sweeps solve), on all cores. Work is handed out in
 * chunks as workers free up. Results do not depend on which worker did what.
 */
export class WorkerPool implements Assigner, TablesSolver {
  private readonly workers: Worker[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: TaskReply) => void; reject: (e: Error) => void }>();
  private failed: Error | undefined;

  constructor(readonly size = Math.max(1, Math.min(os.cpus().length, 8))) {
    for (let i = 0; i < size; i++) {
      const w = startWorker('kmeansWorker.js', 'worker.ts');
      w.on('message', (r: TaskReply) => {
        const p = this.waiting.get(r.id);
        this.waiting.delete(r.id);
        // Idle workers must not keep the process alive; busy ones must.
        if (!this.waiting.size) for (const x of this.workers) x.unref();
        p?.resolve(r);
      });
      w.on('error', (e) => this.fail(e));
      w.unref();
      this.workers.push(w);
    }
  }

  private fail(e: Error): void {
    this.failed = e;
    for (const p of this.waiting.values()) p.reject(e);
    this.waiting.clear();
  }

  private run<K extends TaskKind>(worker: Worker, task: BodyOf<K>): Promise<ReplyOf<K>> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // The worker answers each task with a reply of the task's kind (worker.ts).
      this.waiting.set(id, { resolve: (r) => resolve(r as ReplyOf<K>), reject });
      worker.ref();
      worker.postMessage({ ...task, id });
    });
  }

  /**
   * Hands chunks [from, to) of `total` items to the workers as they free up, `chunk` at a time; a cancellation
   * stops the handing out (the chunks in flight finish).
   */
  private async spread<K extends TaskKind>(total: number, chunk: number, task: (from: number, to: number) => BodyOf<K>, done: (from: number, r: ReplyOf<K>) => void,
    signal?: AbortSignal): Promise<void> {
    let next = 0;
    const loop = async (w: Worker): Promise<void> => {
      while (next < total) {
        if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
        const from = next;
        next = Math.min(total, from + chunk);
        done(from, await this.run(w, task(from, next)));
      }
    };
    await Promise.all(this.workers.map(loop));
  }

  async assign(metric: Metric, points: Float32Array, S: number, n: number, v: number, centroids: Float32Array, c: number,
    idx: Int32Array): Promise<Float64Array | undefined> {
    if (!(points.buffer instanceof SharedArrayBuffer) || points.byteOffset !== 0 || S * n * v < 4096) {
      return inlineAssigner.assign(metric, points, S, n, v, centroids, c, idx);
    }
    const cents = new SharedArrayBuffer(S * c * v * 4);
    new Float32Array(cents).set(centroids.subarray(0, S * c * v));
    // Indices in shared memory are written by the workers in place; others go through a shared buffer and a copy.
    const direct = idx.buffer instanceof SharedArrayBuffer && idx.byteOffset === 0;
    const idxBuf = direct ? (idx.buffer as SharedArrayBuffer) : new SharedArrayBuffer(S * n * 4);
    const sums = new Float64Array(S);
    const chunk = Math.max(1, Math.ceil(S / (this.size * 4)));
    await this.spread<'assign'>(S, chunk, (s0, s1) => ({ kind: 'assign', metric, points: points.buffer as SharedArrayBuffer, centroids: cents, idx: idxBuf, S, n, v, c, s0, s1 }),
      (s0, r) => sums.set(r.sums, s0));
    if (!direct) idx.set(new Int32Array(idxBuf, 0, S * n));
    return sums;
  }

  async solveSweeps(p: SweepsProblem, signal?: AbortSignal): Promise<Float64Array> {
    if (this.size < 2 || p.n <= SWEEP_COLS) return inlineSolver.solveSweeps(p, signal);
    const idx = sharedCopy(p.idx);
    const R = sharedCopy(p.R);
    const D = new SharedArrayBuffer(p.S * p.c * p.n * 8);
    // One column block per task: a cancellation waits for one block, not for a worker's whole share.
    await this.spread<'sweeps'>(p.n, SWEEP_COLS, (t0, t1) => ({ kind: 'sweeps', S: p.S, c: p.c, n: p.n, M: p.M, lambda: p.lambda, count: p.count, idx, R, D, t0, t1 }),
      () => {}, signal);
    return new Float64Array(D);
  }

  async solveRidge(p: RidgeProblem, signal?: AbortSignal): Promise<(Float64Array | undefined)[]> {
    // Below ~256 unknowns a solve takes milliseconds: copying to the workers would cost more than it saves.
    if (this.size < 2 || p.lambdas.length < 2 || p.P < 256) return inlineSolver.solveRidge(p, signal);
    const A = sharedCopy(p.A.subarray(0, p.P * p.P));
    const B = sharedCopy(p.B.subarray(0, p.P * p.N));
    const X = p.lambdas.map(() => new SharedArrayBuffer(p.P * p.N * 8));
    const out: (Float64Array | undefined)[] = new Array(p.lambdas.length).fill(undefined);
    await this.spread<'ridge'>(p.lambdas.length, 1, (i) => ({ kind: 'ridge', A, B, P: p.P, N: p.N, lambda: p.lambdas[i], out: X[i] }),
      (i, r) => { if (r.solved) out[i] = new Float64Array(X[i]); }, signal);
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
