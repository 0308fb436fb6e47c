import * as os from 'node:os';
import type { Batch, Dataset, ModelInput } from '../data/dataset';
import { batchableModel } from '../onnx/batchable';
import { createSession, forEachInFlight, release, runFloat, type Session } from '../onnx/runtime';
import type { ModelProto } from '../onnx/types';

export interface Accuracy {
  original: number | null;
  lut: number | null;
  drop: number | null; // percentage points
  agreement: number;
  samples: number;
  labelled: boolean;
}

/** An evaluation with each model's class per sample: later evaluations need not run the original again, and
 * two LUT models can be compared sample by sample. */
export interface Evaluation extends Accuracy {
  originalClasses: Int32Array;
  lutClasses: Int32Array;
}

function argmaxRows(data: Float32Array, rows: number): Int32Array {
  const C = data.length / rows;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < C; j++) if (data[r * C + j] > data[r * C + best]) best = j;
    out[r] = best;
  }
  return out;
}

/** Samples checked by a batched run before a relaxed model is trusted. */
const CHECK_SAMPLES = 3;
/**
 * Samples per run once the batch is free: enough to amortise the per-run overhead, small enough that the LUT
 * model's [rows x c x K] distance intermediates stay small (at 256 the conversion of mnist-12 peaked at 1.7 GB).
 */
const RELAXED_BATCH = 16;

/**
 * A fixed batch of 1 (mnist-12) would run both models once per sample, where per-run overhead dominates: run
 * copies with a free batch instead, each only when a batched run of it is proven to give the per-sample outputs
 * (src/onnx/batchable.ts). If either copy fails that check, both models keep batch 1 (and a log line says why).
 */
async function freeBatch(original: ModelProto, lut: ModelProto, data: Dataset, input: ModelInput, label: string, output: string,
  log?: (message: string) => void): Promise<{ original: ModelProto; lut: ModelProto; input: ModelInput; relaxed: boolean }> {
  const plan = data.plan(input);
  if (plan.fixedBatch !== 1 || plan.noBatchAxis || !input.shape) return { original, lut, input, relaxed: false };
  const k = Math.min(CHECK_SAMPLES, data.count);
  const samples = data.read(0, k, input);
  const check = { samples, sampleDims: plan.sampleDims, outputs: [output] };
  const o = await batchableModel(original, { ...check, label });
  const l = o.relaxed ? await batchableModel(lut, { ...check, label: `${label} (LUT)` }) : o;
  if (!o.relaxed || !l.relaxed) {
    log?.(`${o.relaxed ? `${label} (LUT)` : label}: evaluated one sample at a time (its batch of 1 cannot be freed: ${(o.relaxed ? l : o).reason})`);
    return { original, lut, input, relaxed: false };
  }
  return { original: o.model, lut: l.model, input: { name: input.name, shape: [undefined, ...input.shape.slice(1)] }, relaxed: true };
}

export interface EvaluateOptions {
  label?: string;
  signal?: AbortSignal;
  progress?: (done: number, total: number) => void;
  batchSize?: number;
  log?: (message: string) => void;
  /** The original's class per sample from an earlier evaluation of the same data: the original is not run again. */
  originalClasses?: Int32Array;
}

/**
 * Runs the original and the LUT model on the evaluation data: top-1 of each against the labels (when given) and
 * the fraction of samples where both pick the same class. The class is the argmax of the first output's last axis.
 */
export async function evaluate(original: ModelProto, lut: ModelProto, data: Dataset, input: ModelInput, labels: Int32Array | undefined,
  opts: EvaluateOptions = {}): Promise<Evaluation> {
  const label = opts.label ?? 'model';
  const output = original.graph!.output[0]?.name;
  if (!output) throw new Error(`${label}: the model has no output`);
  if (labels && labels.length !== data.count) throw new Error(`labels: ${labels.length} labels for ${data.count} evaluation samples`);
  const known = opts.originalClasses;
  if (known && known.length !== data.count) throw new Error(`${label}: ${known.length} known classes for ${data.count} evaluation samples`);
  const originalClasses = known ?? new Int32Array(data.count);
  const lutClasses = new Int32Array(data.count);
  let so: Session | undefined;
  let sl: Session | undefined;
  try {
    const freed = await freeBatch(original, lut, data, input, label, output, opts.log);
    ({ original, lut, input } = freed);
    // One thread each: the models are small, so threads inside one run mostly add synchronisation; the cores are
    // used by keeping several runs in flight instead (below).
    if (!known) so = await createSession(original, { label, threads: 1 });
    sl = await createSession(lut, { label: `${label} (LUT)`, threads: 1 });
    let co = 0, cl = 0, agree = 0, done = 0;
    const handle = async (batch: Batch): Promise<void> => {
      // Both models at once: onnxruntime-node runs each session call on its own thread, so the two cores share
      // the work even for a fixed batch of 1.
      const [ra, rl] = await Promise.all([
        so ? runFloat(so, input.name, batch.data, batch.dims, [output], label) : undefined,
        runFloat(sl!, input.name, batch.data, batch.dims, [output], label),
      ]);
      const l = rl[output];
      const rows = batch.dims.length > 1 && l.dims.length > 1 ? l.dims[0] : 1;
      const first = batch.start - data.start;
      if (ra) originalClasses.set(argmaxRows(ra[output].data, rows).subarray(0, batch.count), first);
      const pl = argmaxRows(l.data, rows);
      lutClasses.set(pl.subarray(0, batch.count), first);
      for (let b = 0; b < batch.count; b++) {
        const i = first + b;
        const pa = originalClasses[i];
        if (pa === pl[b]) agree++;
        if (labels) {
          if (pa === labels[i]) co++;
          if (pl[b] === labels[i]) cl++;
        }
      }
      done += batch.count;
    };
    let reported = 0;
    // Batches in flight: the LUT model costs far more than the original (its distance and lookup ops), so one
    // batch at a time would leave a core idle while the other runs the LUT model.
    await forEachInFlight(data.batches(input, opts.batchSize ?? (freed.relaxed ? RELAXED_BATCH : 256)), Math.max(2, os.cpus().length), async (batch) => {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
      await handle(batch);
      if (done - reported >= 64 || done === data.count) {
        reported = done;
        opts.progress?.(done, data.count);
      }
    });
    const n = Math.max(1, done);
    const original_ = labels ? co / n : null;
    const lut_ = labels ? cl / n : null;
    return {
      original: original_, lut: lut_, drop: labels ? ((co - cl) / n) * 100 : null, agreement: agree / n, samples: done, labelled: !!labels,
      originalClasses, lutClasses,
    };
  } finally {
    await release(so);
    await release(sl);
  }
}
