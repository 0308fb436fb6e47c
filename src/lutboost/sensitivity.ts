import type { Dataset } from '../data/dataset';
import type { ModelProto } from '../onnx/types';
import { evaluate, type Evaluation } from './evaluate';
import { convertModel, type ConvertInput } from './pipeline';
import type { ConversionLayer } from '../reports/conversion';
import { pairedGain } from '../util/stats';

/** What keeping one layer dense buys (the report's field, every part of it filled in). */
export type LayerKeptDense = Required<NonNullable<ConversionLayer['keptDense']>>;

/** Standard error (points) of the mean of a - b over samples, where a and b are each model's top-1 hit (0/1). */
export function pairedSe(labels: Int32Array, a: Int32Array, b: Int32Array): number {
  const hits = (classes: Int32Array): Float64Array => Float64Array.from(labels, (y, i) => (classes[i] === y ? 1 : 0));
  return pairedGain(hits(a), hits(b)).se * 100;
}

/**
 * For each named converted layer in turn: converts the model again with that layer kept dense as well (the same
 * settings and seed, no finetune stage, so the layers after it are fitted to what they then receive) and
 * evaluates the result. Each figure is what adding the layer to `keep` gives before fine-tuning. The original's
 * classes come from the main evaluation, so only the new LUT models run; each is dropped once measured.
 */
export async function measureLayersKeptDense(conversion: ConvertInput, names: string[], original: ModelProto,
  data: Dataset, labels: Int32Array | undefined, reference: Evaluation,
  opts: { progress?: (layer: string, done: number, total: number, message?: string) => void } = {}): Promise<Map<string, LayerKeptDense>> {
  const out = new Map<string, LayerKeptDense>();
  const { settings, signal } = conversion;
  for (const [i, name] of names.entries()) {
    if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
    opts.progress?.(name, i, names.length);
    const r = await convertModel({
      ...conversion,
      settings: {
        ...settings,
        lutboost: { ...settings.lutboost, stages: settings.lutboost.stages.filter((s) => s !== 'finetune') },
        denseLayers: [...(settings.denseLayers ?? []), name],
      },
      progress: (e) => opts.progress?.(name, i, names.length, e.message),
      log: undefined,
    });
    const a = await evaluate(original, r.lut, data, r.input, labels, {
      label: conversion.label, signal, originalClasses: reference.originalClasses,
    });
    out.set(name, { drop: a.drop, agreement: a.agreement, dropSe: labels ? pairedSe(labels, reference.lutClasses, a.lutClasses) : null });
  }
  opts.progress?.('', names.length, names.length);
  return out;
}
