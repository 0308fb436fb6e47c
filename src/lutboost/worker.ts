import { parentPort } from 'node:worker_threads';
import { assign } from './assign';
import type { AssignTask, AssignReply } from './pool';

/**
 * Worker thread of the assignment pool (bundled to dist/kmeansWorker.js). Points, centroids and indices live in
 * SharedArrayBuffers, so a task message carries only a range of subspaces; the reply carries their distance sums.
 */
parentPort?.on('message', (task: AssignTask) => {
  const { metric, n, v, c, s0, s1 } = task;
  const points = new Float32Array(task.points);
  const cents = new Float32Array(task.centroids);
  const idx = new Int32Array(task.idx);
  const sums = new Float64Array(s1 - s0);
  for (let s = s0; s < s1; s++) {
    sums[s - s0] = assign(metric, points.subarray(s * n * v, (s + 1) * n * v), n, v, cents.subarray(s * c * v, (s + 1) * c * v), c,
      idx.subarray(s * n, (s + 1) * n));
  }
  const reply: AssignReply = { id: task.id, sums };
  parentPort!.postMessage(reply);
});
