import { getAttribute, attrInt } from './builder';
import { cloneModel } from './model';
import { createSession, release, runFloat, type Session } from './runtime';
import { int64Tensor, tensorToNumbers } from './tensor';
import type { ModelProto, TensorProto, TypeProto } from './types';

/**
 * Models exported with a fixed batch of 1 (mnist-12 declares [1,1,28,28] and reshapes to [1,256]) can only be run
 * one sample at a time, which makes evaluation and calibration slow (the per-run overhead of onnxruntime dominates
 * a small model). This module makes a copy whose batch is free, and proves on real samples that the copy computes
 * what the original does before anyone uses it.
 */

/**
 * The rule shared by every batch relaxation (also the training executor's): a Reshape target whose first entry is
 * the fixed batch 1 takes the batch from its input instead. -1 infers it; when -1 is already used elsewhere, 0
 * copies the input's first dimension (the batch, which the check of `batchableModel` confirms). Undefined: not a
 * batch-1 target.
 */
export function relaxedReshapeTarget(shape: readonly number[]): number[] | undefined {
  if (shape.length < 1 || shape[0] !== 1) return undefined;
  const r = shape.slice();
  r[0] = shape.includes(-1) ? 0 : -1;
  return r;
}

function batchOneToSymbol(type: TypeProto | undefined, symbol: string): boolean {
  const dims = type?.tensorType?.shape?.dim;
  if (!dims?.length || dims[0].dimValue !== 1) return false;
  dims[0] = { dimParam: symbol };
  return true;
}

/**
 * A copy of `model` whose single graph input has a free first dimension instead of a fixed 1, with the Reshape
 * targets that hard-code that 1 relaxed (`relaxedReshapeTarget`), graph outputs whose first dimension is 1 made
 * symbolic too, and the intermediate shape annotations (value_info, stated for batch 1) dropped. Undefined when the
 * model has no fixed batch of 1 to relax. Unchecked: callers use `batchableModel`, which verifies it.
 */
export function relaxBatchDim(model: ModelProto, symbol = 'batch'): ModelProto | undefined {
  const src = model.graph;
  if (!src) return undefined;
  const inits = new Set(src.initializer.map((t) => t.name));
  const inputs = src.input.filter((i) => !inits.has(i.name));
  if (inputs.length !== 1 || inputs[0].type?.tensorType?.shape?.dim?.[0]?.dimValue !== 1) return undefined;
  const m = cloneModel(model);
  const g = m.graph!;
  batchOneToSymbol(g.input.find((i) => i.name === inputs[0].name)?.type, symbol);
  for (const o of g.output) batchOneToSymbol(o.type, symbol);
  g.valueInfo = [];
  const constants = new Map<string, TensorProto>();
  for (const t of g.initializer) if (t.name) constants.set(t.name, t);
  for (const n of g.node) {
    const value = n.opType === 'Constant' && !n.domain ? getAttribute(n, 'value')?.t : undefined;
    if (value && n.output[0]) constants.set(n.output[0], value);
  }
  const used = new Set<string>([...constants.keys()]);
  for (const n of g.node) {
    // A reshape of a constant (a weight) has no batch; with allowzero=1 a 0 would mean an empty dimension.
    if (n.opType !== 'Reshape' || (n.domain ?? '') !== '' || constants.has(n.input[0]) || attrInt(n, 'allowzero', 0) !== 0) continue;
    const t = constants.get(n.input[1] ?? '');
    if (!t) continue;
    const relaxed = relaxedReshapeTarget(tensorToNumbers(t));
    if (!relaxed) continue;
    let name = `${n.input[1]}__batch`;
    for (let k = 1; used.has(name); k++) name = `${n.input[1]}__batch${k}`;
    used.add(name);
    g.initializer.push(int64Tensor(name, [relaxed.length], relaxed));
    n.input[1] = name;
  }
  return m;
}

export interface BatchableResult {
  /** The model to run: the relaxed copy when it was proven equal, else the original. */
  model: ModelProto;
  /** True when `model` takes any batch. */
  relaxed: boolean;
  /** Why the original is kept (for a log line), when it is. */
  reason?: string;
}

export interface BatchableOptions {
  /** Samples run through both models, each of `sampleDims` (the input shape without the batch axis). */
  samples: Float32Array;
  sampleDims: readonly number[];
  /** Outputs compared (default: all graph outputs of the model). */
  outputs?: readonly string[];
  label?: string;
  /** Largest allowed max|relaxed - original| / max|original| per output (default 1e-5). */
  tolerance?: number;
}

/**
 * Relaxes the batch of a fixed-batch-1 model only when that is proven safe for this model: the relaxed copy, run
 * once on all given samples as one batch, must give every compared output as the original gives it run sample by
 * sample (same shape per sample, values within `tolerance` relative to the output's largest magnitude, which
 * allows for a batched kernel summing in another order). Anything else (a reshape that mixes the batch into
 * other axes, an op with a batch-1 constant, an onnxruntime error) keeps the original.
 */
export async function batchableModel(model: ModelProto, opts: BatchableOptions): Promise<BatchableResult> {
  const relaxed = relaxBatchDim(model);
  if (!relaxed) return { model, relaxed: false, reason: 'the model has no fixed batch of 1' };
  const g = model.graph!;
  const inits = new Set(g.initializer.map((t) => t.name));
  const input = g.input.find((i) => !inits.has(i.name))!.name ?? '';
  const per = opts.sampleDims.reduce((a, b) => a * b, 1);
  const count = per > 0 ? Math.floor(opts.samples.length / per) : 0;
  // Two samples at least, or a batch of 1 would prove nothing.
  if (count < 2) return { model, relaxed: false, reason: 'too few samples to check a batched run' };
  const outputs = opts.outputs ?? g.output.map((o) => o.name ?? '');
  const tol = opts.tolerance ?? 1e-5;
  const label = opts.label ?? 'model';
  let so: Session | undefined;
  let sr: Session | undefined;
  try {
    so = await createSession(model, { label });
    sr = await createSession(relaxed, { label: `${label} (batched)` });
    const batched = await runFloat(sr, input, opts.samples.subarray(0, count * per), [count, ...opts.sampleDims], outputs, label);
    const worst = new Map<string, number>();
    const scale = new Map<string, number>();
    for (let b = 0; b < count; b++) {
      const one = await runFloat(so, input, opts.samples.subarray(b * per, (b + 1) * per), [1, ...opts.sampleDims], outputs, label);
      for (const name of outputs) {
        const a = one[name];
        const r = batched[name];
        if (!a || !r) return { model, relaxed: false, reason: `output '${name}' is missing from a run` };
        if (a.dims[0] !== 1 || r.dims[0] !== count || a.dims.length !== r.dims.length || a.dims.some((d, i) => i > 0 && d !== r.dims[i])) {
          return { model, relaxed: false, reason: `output '${name}' has shape [${r.dims.join(',')}] at batch ${count} but [${a.dims.join(',')}] per sample` };
        }
        const n = a.data.length;
        let diff = worst.get(name) ?? 0;
        let mag = scale.get(name) ?? 0;
        for (let i = 0; i < n; i++) {
          const x = a.data[i];
          const y = r.data[b * n + i];
          if (!Number.isFinite(x) || !Number.isFinite(y)) {
            // NaN and infinities must match exactly (both NaN, or the same infinity).
            if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return { model, relaxed: false, reason: `output '${name}' differs (non-finite values) at batch ${count}` };
            continue;
          }
          diff = Math.max(diff, x === y ? 0 : Math.abs(x - y));
          mag = Math.max(mag, Math.abs(x));
        }
        worst.set(name, diff);
        scale.set(name, mag);
      }
    }
    for (const name of outputs) {
      const d = worst.get(name) ?? 0;
      const s = scale.get(name) ?? 0;
      if (d > tol * s) return { model, relaxed: false, reason: `output '${name}' differs by ${(s > 0 ? d / s : d).toExponential(2)} (relative) at batch ${count}` };
    }
    return { model: relaxed, relaxed: true };
  } catch (e) {
    return { model, relaxed: false, reason: `the batched copy does not run: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    await release(so);
    await release(sr);
  }
}
