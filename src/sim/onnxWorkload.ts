import * as path from 'node:path';
import type { LayerOverride, ModelConfig } from '../dsl/config';
import { globMatch } from '../lutboost/glob';
import { analyzeModel } from '../onnx/analysis';
import { LUT_METADATA_PREFIX, type DenseLayerInfo } from '../onnx/layerInfo';
import { metadataOf, readModel } from '../onnx/model';
import type { ModelProto } from '../onnx/types';
import { SimInputError, type LutParams, type WorkLayer, type Workload } from './workload';

export interface OnnxWorkloadOptions {
  /** Shape of the (first) graph input, e.g. [1, 3, 224, 224]; unset dims of the model default to 1. */
  inputShape?: number[];
  /** LUT parameters for layers the model does not record as converted (config `lut`, then flags). */
  lut: LutParams;
  /** Flags that override even the converted layers' recorded parameters (rarely wanted: what-if studies). */
  force?: Partial<LutParams>;
  /** The config's model block: `keep` patterns and per-layer overrides. */
  model?: Pick<ModelConfig, 'keep' | 'layers' | 'lut'>;
  name?: string;
}

function applyOverrides(name: string, base: LutParams, overrides: readonly LayerOverride[]): { lut: LutParams; keep: boolean } {
  const lut = { ...base };
  let keep = false;
  for (const o of overrides) {
    if (!globMatch(o.pattern, name)) continue;
    if (o.centroids !== undefined) lut.centroids = o.centroids;
    if (o.vector !== undefined) lut.vector = o.vector;
    if (o.metric !== undefined) lut.metric = o.metric;
    if (o.precision !== undefined) lut.precision = o.precision;
    if (o.keep !== undefined) keep = o.keep;
  }
  return { lut, keep };
}

/** Name prefixes of the nodes a converted LUT layer was expanded into (recorded by the conversion's metadata). */
function lutNodePrefixes(model: ModelProto): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(metadataOf(model))) {
    if (!k.startsWith(LUT_METADATA_PREFIX)) continue;
    try {
      const prefix = (JSON.parse(v) as { prefix?: unknown }).prefix;
      if (typeof prefix === 'string' && prefix) out.push(prefix);
    } catch {
      // a malformed entry is skipped by the analysis too
    }
  }
  return out;
}

/**
 * The layer list of an ONNX model as accelerator work (B's graph analysis underneath): converted LUT layers with
 * their recorded c, v, metric and precision; convertible layers not yet converted with the config's (or the
 * flags') parameters, unless kept; every other matmul-like layer as dense work that is reported, not accelerated.
 */
export async function workloadFromModel(model: ModelProto, opts: OnnxWorkloadOptions): Promise<Workload> {
  const label = opts.name ?? 'model';
  const firstInput = model.graph?.input.find((i) => !(model.graph?.initializer ?? []).some((t) => t.name === i.name));
  let shape = opts.inputShape;
  // A config's input_shape may leave out the batch dimension (one sample): add a batch of 1.
  const declaredRank = firstInput?.type?.tensorType?.shape?.dim?.length;
  if (shape && declaredRank !== undefined && shape.length === declaredRank - 1) shape = [1, ...shape];
  const inputShapes = shape && firstInput?.name ? { [firstInput.name]: shape } : undefined;
  let analysis: Awaited<ReturnType<typeof analyzeModel>>;
  try {
    analysis = await analyzeModel(model, { inputShapes, label });
  } catch (err) {
    // onnxruntime refusing the shapes or the graph is a problem with the input, not an engine bug.
    throw new SimInputError(`${label}: cannot analyze the model${shape ? ` with input shape [${shape.join(', ')}]` : ''}: ${(err as Error).message}`);
  }
  const notes: string[] = [];
  const layers: WorkLayer[] = [];
  const dense: DenseLayerInfo[] = [...analysis.dense];
  const prefixes = lutNodePrefixes(model);
  const converted = new Set(analysis.lutLayers.map((l) => l.name));
  for (const l of analysis.lutLayers) {
    const lut = { ...l.lut!, ...(opts.force ?? {}) };
    layers.push({ name: l.name, op: l.op, m: l.m, k: l.k, n: l.n, groups: l.groups, lut });
  }
  if (analysis.lutLayers.length && opts.inputShape) notes.push('converted layers keep the M recorded at conversion time; --input-shape applies to the layers not yet converted');
  const base: LutParams = { ...opts.lut, ...(opts.model?.lut ?? {}), ...(opts.force ?? {}) };
  const keepPatterns = opts.model?.keep ?? [];
  for (const c of analysis.layers) {
    const name = c.info.name;
    if (converted.has(name) || prefixes.some((p) => name.startsWith(p))) continue;
    const o = applyOverrides(name, base, opts.model?.layers ?? []);
    if (o.keep || keepPatterns.some((p) => globMatch(p, name))) {
      dense.push({ name, op: c.info.op, reason: 'kept dense by the config', m: c.info.m, k: c.info.k, n: c.info.n });
      continue;
    }
    if (!(c.info.m > 0)) throw new SimInputError(`${label}: could not infer the rows (M) of layer '${name}'; give the input shape with --input-shape`);
    layers.push({ name, op: c.info.op, m: c.info.m, k: c.info.k, n: c.info.n, groups: c.info.groups, lut: { ...o.lut } });
  }
  if (!layers.length) throw new SimInputError(`${label}: no layer to run on the LUT-DLA (no Conv, Gemm or MatMul with a constant operand${dense.length ? `; ${dense.length} dense layer(s) only` : ''})`);
  const unconverted = layers.length - analysis.lutLayers.length;
  if (analysis.lutLayers.length === 0) notes.push(`the model is not converted: its ${unconverted} convertible layer(s) use c=${base.centroids} v=${base.vector} ${base.metric} ${base.precision} from the config or flags`);
  else if (unconverted > 0) notes.push(`${unconverted} layer(s) not converted in the model use c=${base.centroids} v=${base.vector} ${base.metric} ${base.precision}`);
  return { name: opts.name ?? 'model', layers, dense, notes };
}

export async function workloadFromOnnx(file: string, opts: OnnxWorkloadOptions): Promise<Workload> {
  const name = opts.name ?? path.basename(file).replace(/\.onnx$/i, '');
  return workloadFromModel(readModel(file), { ...opts, name });
}
