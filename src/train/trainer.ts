import { Executor } from './executor';
import { Adam, warmupCosine, type AdamOptions, type Schedule } from './optim';
import { Rng } from './rng';
import type { Tensor } from './tensor';

export interface EpochEvent {
  epoch: number;
  epochs: number;
  /** Mean training loss over the epoch. */
  loss: number;
  /** Held-out metric (higher is better), when an evaluator is given. */
  heldOut?: number;
  seconds: number;
  samplesPerSecond: number;
}

export interface StepLoss {
  loss: number;
  /** Gradients of the loss with respect to graph tensors (usually the output logits). */
  seeds: Map<string, Tensor>;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Number of training samples; batches are drawn by a seeded shuffle of 0..count-1 each epoch. */
  count: number;
  /** Builds the feeds for the given sample indices. */
  feeds: (indices: Int32Array) => Record<string, Tensor>;
  /** Computes the loss and its output gradients from the forward values. */
  loss: (values: Map<string, Tensor>, indices: Int32Array) => StepLoss;
  /** Peak learning rate with warm-up + cosine decay, or an explicit schedule. */
  lr: number | Schedule;
  adam?: AdamOptions;
  /** Which tensors the loss reads (default: the graph outputs). */
  fetch?: string[];
  /** Held-out metric after each epoch (higher is better). */
  evaluate?: (epoch: number) => number | Promise<number>;
  /** Stop after this many epochs without a better held-out metric, restoring the best parameters. */
  patience?: number;
  onEpoch?: (e: EpochEvent) => void;
  onStep?: (step: number, total: number, loss: number) => void;
  signal?: AbortSignal;
}

export interface TrainResult {
  history: EpochEvent[];
  bestEpoch: number;
  bestHeldOut?: number;
  stoppedEarly: boolean;
  cancelled: boolean;
}

export class TrainingCancelled extends Error {
  constructor() {
    super('training cancelled');
    this.name = 'TrainingCancelled';
  }
}

function snapshot(ex: Executor): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>();
  for (const p of ex.graph.params) m.set(p, ex.graph.initializers.get(p)!.data.slice());
  return m;
}

function restore(ex: Executor, snap: Map<string, Float32Array>): void {
  for (const [p, d] of snap) ex.graph.initializers.get(p)!.data.set(d);
}

/**
 * Mini-batch training of the executor's parameters with Adam. Reproducible: the batch order comes from `seed`.
 * With an evaluator, the parameters of the best held-out epoch are kept (early stopping when `patience` is set).
 * On cancellation the best parameters so far are restored and `cancelled` is set (no exception), so the caller
 * decides whether to keep them.
 */
export async function train(ex: Executor, o: TrainOptions): Promise<TrainResult> {
  const rng = new Rng(o.seed);
  const adam = new Adam(o.adam);
  const stepsPerEpoch = Math.ceil(o.count / o.batchSize);
  const total = stepsPerEpoch * o.epochs;
  const schedule: Schedule = typeof o.lr === 'number' ? warmupCosine(o.lr, Math.min(100, Math.ceil(total * 0.05))) : o.lr;
  const params = new Map<string, Tensor>();
  for (const p of ex.graph.params) params.set(p, ex.graph.initializers.get(p)!);
  const history: EpochEvent[] = [];
  let best = -Infinity;
  let bestEpoch = -1;
  let bestSnap: Map<string, Float32Array> | undefined;
  let sinceBest = 0;
  let step = 0;
  let cancelled = false;
  let stoppedEarly = false;
  if (o.evaluate) {
    // The starting point counts: fine-tuning must never return something worse than what it was given.
    best = await o.evaluate(0);
    bestEpoch = 0;
    bestSnap = snapshot(ex);
  }
  outer: for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    const order = rng.permutation(o.count);
    let lossSum = 0;
    let seen = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      if (o.signal?.aborted) {
        cancelled = true;
        break outer;
      }
      const idx = order.subarray(s * o.batchSize, Math.min(o.count, (s + 1) * o.batchSize));
      const values = ex.forward(o.feeds(idx), { training: true, fetch: o.fetch });
      const { loss, seeds } = o.loss(values, idx);
      const grads = ex.backward(seeds);
      adam.step(params, grads, schedule(step, total));
      step++;
      lossSum += loss * idx.length;
      seen += idx.length;
      o.onStep?.(step, total, loss);
      if (s % 8 === 7) await new Promise<void>((r) => setImmediate(r)); // let signals and events through
    }
    const seconds = (performance.now() - t0) / 1000;
    const ev: EpochEvent = { epoch, epochs: o.epochs, loss: lossSum / Math.max(seen, 1), seconds, samplesPerSecond: seen / seconds };
    if (o.evaluate) {
      ev.heldOut = await o.evaluate(epoch);
      if (ev.heldOut > best) {
        best = ev.heldOut;
        bestEpoch = epoch;
        bestSnap = snapshot(ex);
        sinceBest = 0;
      } else sinceBest++;
    }
    history.push(ev);
    o.onEpoch?.(ev);
    if (o.patience !== undefined && sinceBest >= o.patience) {
      stoppedEarly = epoch < o.epochs;
      break;
    }
  }
  if (bestSnap && (o.patience !== undefined || cancelled)) restore(ex, bestSnap);
  if (!o.evaluate) bestEpoch = history.length;
  return { history, bestEpoch, bestHeldOut: o.evaluate ? best : undefined, stoppedEarly, cancelled };
}
