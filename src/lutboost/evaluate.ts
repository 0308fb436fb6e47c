import type { Batch, Dataset, ModelInput } from '../data/dataset';
import { createSession, release, runFloat, type Session } from '../onnx/runtime';
import type { ModelProto } from '../onnx/types';

export interface Accuracy {
  original: number | null;
  lut: number | null;
  drop: number | null; // percentage points
  agreement: number;
  samples: number;
  labelled: boolean;
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

/**
 * Runs the original and the LUT model on the evaluation data: top-1 of each against the labels (when given) and
 * the fraction of samples where both pick the same class. The class is the argmax of the first output's last axis.
 */
export async function evaluate(original: ModelProto, lut: ModelProto, data: Dataset, input: ModelInput, labels: Int32Array | undefined,
  opts: { label?: string; signal?: AbortSignal; progress?: (done: number, total: number) => void; batchSize?: number } = {}): Promise<Accuracy> {
  const label = opts.label ?? 'model';
  const output = original.graph!.output[0]?.name;
  if (!output) throw new Error(`${label}: the model has no output`);
  if (labels && labels.length !== data.count) throw new Error(`labels: ${labels.length} labels for ${data.count} evaluation samples`);
  let so: Session | undefined;
  let sl: Session | undefined;
  try {
    // One thread each: per-sample runs of small models are dominated by per-run overhead, not arithmetic.
    so = await createSession(original, { label, threads: 1 });
    sl = await createSession(lut, { label: `${label} (LUT)`, threads: 1 });
    let co = 0, cl = 0, agree = 0, done = 0;
    const handle = async (batch: Batch): Promise<void> => {
      // Both models at once: onnxruntime-node runs each session call on its own thread, so the two cores share
      // the work even for a fixed batch of 1.
      const [ra, rl] = await Promise.all([
        runFloat(so!, input.name, batch.data, batch.dims, [output], label),
        runFloat(sl!, input.name, batch.data, batch.dims, [output], label),
      ]);
      const a = ra[output];
      const l = rl[output];
      const rows = batch.dims.length > 1 && a.dims.length > 1 ? a.dims[0] : 1;
      const pa = argmaxRows(a.data, rows);
      const pl = argmaxRows(l.data, rows);
      for (let b = 0; b < batch.count; b++) {
        const i = batch.start - data.start + b;
        if (pa[b] === pl[b]) agree++;
        if (labels) {
          if (pa[b] === labels[i]) co++;
          if (pl[b] === labels[i]) cl++;
        }
      }
      done += batch.count;
    };
    let reported = 0;
    for (const batch of data.batches(input, opts.batchSize ?? 256)) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
      await handle(batch);
      if (done - reported >= 64 || done === data.count) {
        reported = done;
        opts.progress?.(done, data.count);
      }
    }
    const n = Math.max(1, done);
    const original_ = labels ? co / n : null;
    const lut_ = labels ? cl / n : null;
    return {
      original: original_, lut: lut_, drop: labels ? ((co - cl) / n) * 100 : null, agreement: agree / n, samples: done, labelled: !!labels,
    };
  } finally {
    await release(so);
    await release(sl);
  }
}
