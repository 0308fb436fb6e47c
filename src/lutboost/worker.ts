import { parentPort } from 'node:worker_threads';
import { assign } from './assign';
import type { AssignTask, TaskReply, PoolTask, RidgeTask, SweepsTask } from './pool';
import { solveRidgeOne, sweepColumns } from './tables';

/**
 * Worker thread of the pool (bundled to dist/kmeansWorker.js). Inputs and outputs live in SharedArrayBuffers, so
 * a task message carries only a range of subspaces (assignment), of output columns (the tables' sweeps) or one
 * lambda (a ridge solve); the reply carries the assignment's distance sums, or whether the ridge solve succeeded (see TaskReply).
 */
function runAssign(task: AssignTask): Float64Array {
  const { metric, n, v, c, s0, s1 } = task;
  const points = new Float32Array(task.points);
  const cents = new Float32Array(task.centroids);
  const idx = new Int32Array(task.idx);
  const sums = new Float64Array(s1 - s0);
  for (let s = s0; s < s1; s++) {
    sums[s - s0] = assign(metric, points.subarray(s * n * v, (s + 1) * n * v), n, v, cents.subarray(s * c * v, (s + 1) * c * v), c,
      idx.subarray(s * n, (s + 1) * n));
  }
  return sums;
}

function runSweeps(task: SweepsTask): void {
  const { S, c, n, M, lambda, count, t0, t1 } = task;
  sweepColumns({ S, c, n, M, lambda, count, idx: new Int32Array(task.idx), R: new Float64Array(task.R) }, t0, t1, new Float64Array(task.D));
}

/** Solves into task.out; false when A + lambda I is not positive definite. */
function runRidge(task: RidgeTask): boolean {
  const X = solveRidgeOne({ A: new Float64Array(task.A), B: new Float64Array(task.B), P: task.P, N: task.N }, task.lambda);
  if (X) new Float64Array(task.out).set(X);
  return X !== undefined;
}

function reply(task: PoolTask): TaskReply {
  switch (task.kind) {
    case 'assign': return { kind: 'assign', id: task.id, sums: runAssign(task) };
    case 'sweeps': runSweeps(task); return { kind: 'sweeps', id: task.id };
    case 'ridge': return { kind: 'ridge', id: task.id, solved: runRidge(task) };
  }
}

parentPort?.on('message', (task: PoolTask) => parentPort!.postMessage(reply(task)));
