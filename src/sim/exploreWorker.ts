import { parentPort } from 'node:worker_threads';
import type { AcceleratorConfig } from '../dsl/config';
import { evaluateRange, type Axis } from './sweep';
import type { Workload } from './workload';

/** Worker thread of `lutdla explore`: receives the workload and axes once, then evaluates ranges of point ids. */
export type ToWorker = { type: 'init'; workload: Workload; base: AcceleratorConfig; axes: Axis[] } | { type: 'range'; from: number; to: number };
export type FromWorker =
  | { type: 'result'; from: number; figures: Float64Array; errors: { id: number; message: string }[] }
  | { type: 'error'; message: string };

let ctx: { workload: Workload; base: AcceleratorConfig; axes: Axis[] } | undefined;

parentPort?.on('message', (m: ToWorker) => {
  try {
    if (m.type === 'init') {
      ctx = { workload: m.workload, base: m.base, axes: m.axes };
      return;
    }
    if (!ctx) throw new Error('explore worker: range before init');
    const r = evaluateRange(ctx.workload, ctx.base, ctx.axes, m.from, m.to);
    const msg: FromWorker = { type: 'result', from: r.from, figures: r.figures, errors: r.errors };
    parentPort!.postMessage(msg, [r.figures.buffer as ArrayBuffer]);
  } catch (err) {
    const msg: FromWorker = { type: 'error', message: (err as Error).message };
    parentPort!.postMessage(msg);
  }
});
