import { centroidInitializers, LUT_LAYOUT } from '../lutboost/export';
import { quantizeBlocks } from '../lutboost/quantize';
import { encodeTables, type TableStorage } from '../lutboost/tableStorage';
import { LUT_METADATA_PREFIX } from '../onnx/layerInfo';
import { floatTensor, makeTensor } from '../onnx/tensor';
import { DataType, type ModelProto, type TensorProto } from '../onnx/types';
import type { GraphNode, TrainGraph } from './graph';
import { quantizeTableValues, TRAIN_DOMAIN, type LutMetric, type TablePrecision } from './ops/lut';
import type { Tensor } from './tensor';

/** One exported LUT layer found in a converted model and fused into a trainable LutLookup node. */
export interface FusedLutLayer {
  name: string;
  prefix: string;
  metric: LutMetric;
  precision: TablePrecision;
  c: number;
  v: number;
  groups: number;
  /** Trainable tensors in the executor's graph. */
  centroids: string;
  tables: string;
  bias?: string;
}

/**
 * Step names of the nodes that src/lutboost/export.ts emits between the sub-vectors and the accumulated sum: the
 * rows-major layout of earlier exports, and the channel-major one (`layout: "channels"` in the metadata).
 */
const CORE_STEPS = new Set([
  'products', 'products_split', 'dot', 'distance', 'diff', 'absdiff', 'absdiff_split', 'argmin', 'indices', 'table_rows', 'lookup', 'lookup_grouped', 'accumulate',
  'subvectors_f64', 'subvectors_split', 'subvectors_one', 'subvectors_t', 'subvectors_wide', 'coordinates', 'centroid_coordinates', 'distance_split',
]);
const CORE_STEP_PATTERN = /^(diff|absdiff)_\d+$/;

function isCoreStep(step: string): boolean {
  return CORE_STEPS.has(step) || CORE_STEP_PATTERN.test(step);
}

interface LutMeta {
  prefix?: string;
  metric?: string;
  tables?: string;
  precision?: string;
  centroids?: number;
  vector?: number;
  groups?: number;
  layout?: string;
}

/**
 * Replaces each LUT layer's nearest-centroid + lookup-sum subgraph (as written by the conversion's export:
 * `lut/<layer>/...` nodes, `lutdla.layer.<layer>` metadata) by one fused LutLookup node with trainable centroids
 * [GS, c, v] and tables [GS*c, n]. The rest of the layer (im2col, reshapes, padding, bias, transposes) stays as
 * standard operators. Returns the fused layers; throws when a layer's nodes are not in the expected form.
 */
export function fuseLutLayers(graph: TrainGraph, model: ModelProto): FusedLutLayer[] {
  const layers: FusedLutLayer[] = [];
  for (const e of model.metadataProps) {
    if (!e.key?.startsWith(LUT_METADATA_PREFIX)) continue;
    const name = e.key.slice(LUT_METADATA_PREFIX.length);
    let meta: LutMeta;
    try {
      meta = JSON.parse(e.value ?? '') as LutMeta;
    } catch {
      throw new Error(`LUT layer '${name}': its metadata is not valid JSON`);
    }
    const prefix = meta.prefix ?? `lut/${name}/`;
    const metric = meta.metric as LutMetric;
    if (metric !== 'l2' && metric !== 'l1' && metric !== 'chebyshev') throw new Error(`LUT layer '${name}': unknown metric '${meta.metric}'`);
    const precision = (meta.tables ?? 'fp32') as TablePrecision;
    const core = graph.nodes.filter((n) => n.name.startsWith(prefix) && isCoreStep(n.name.slice(prefix.length)));
    const acc = core.find((n) => n.name === `${prefix}accumulate`);
    const tablesName = `${prefix}tables`;
    const T = readTables(graph, prefix);
    if (!acc || !T) throw new Error(`LUT layer '${name}': the converted model does not have the expected ${prefix}accumulate node and ${tablesName} initializer`);
    const centroidsName = `${prefix}centroids`;
    const C = readCentroids(graph, prefix, metric, T.shape[0], name);
    graph.initializers.set(centroidsName, { shape: C.shape, data: C.data });
    const [GS, c, v] = C.shape;
    const groups = meta.groups ?? 1;
    // The master tables train in float; start them from the exported (possibly dequantized) values.
    graph.initializers.set(tablesName, { shape: T.shape.slice(), data: T.data.slice() });
    const attrs = { metric, groups, precision, subspaces: GS / groups };
    const at = graph.nodes.indexOf(core[0]);
    graph.nodes = graph.nodes.filter((n) => !core.includes(n));
    if (meta.layout === LUT_LAYOUT) {
      // Channel-major sub-vectors [N, GS*v, P] -> rows [N, P, 1, GS*v] -> fused lookup [N, P, g, n] -> [N, g, P, n],
      // the layout the export's `columns` reshape reads after `accumulate`.
      const t = (step: string): string => `${prefix}${step}`;
      graph.initializers.set(t('fused_rows_shape'), { shape: [4], data: new Float32Array([0, 0, 1, GS * v]) });
      graph.nodes.splice(at, 0,
        { name: t('fused_rows_t'), op: 'Transpose', inputs: [t('subvectors')], outputs: [t('fused_rows_t')], attrs: { perm: [0, 2, 1] } },
        { name: t('fused_rows'), op: 'Reshape', inputs: [t('fused_rows_t'), t('fused_rows_shape')], outputs: [t('fused_rows')], attrs: {} },
        { name: t('lookup_fused'), op: 'LutLookup', domain: TRAIN_DOMAIN, inputs: [t('fused_rows'), centroidsName, tablesName], outputs: [t('lookup_fused')], attrs: { ...attrs, layout: 'rows' } },
        { name: t('fused_columns'), op: 'Transpose', inputs: [t('lookup_fused')], outputs: [acc.outputs[0]], attrs: { perm: [0, 2, 1, 3] } });
    } else {
      const fused: GraphNode = {
        name: `${prefix}lookup_fused`,
        op: 'LutLookup',
        domain: TRAIN_DOMAIN,
        inputs: [`${prefix}subvectors`, centroidsName, tablesName],
        outputs: [acc.outputs[0]],
        attrs: { ...attrs, layout: C.rowsLayout ? 'rows' : 'subvectors' },
      };
      graph.nodes.splice(at, 0, fused);
    }
    const biasName = `${prefix}bias`;
    layers.push({ name, prefix, metric, precision, c, v, groups, centroids: centroidsName, tables: tablesName, bias: graph.initializers.has(biasName) ? biasName : undefined });
  }
  return layers;
}

/**
 * The layer's float32 tables [GS*c, n] in any storage of src/lutboost/tableStorage.ts: an initializer `tables`, or
 * the nodes that dequantize `tables_q` x `tables_scale` / widen `tables_f16` / `tables_bf16` into it. Those nodes
 * and initializers leave the graph and `tables` becomes the (dequantized) initializer the fused lookup trains.
 */
function readTables(graph: TrainGraph, prefix: string): Tensor | undefined {
  const name = `${prefix}tables`;
  const direct = graph.initializers.get(name);
  if (direct) return direct;
  const get = (step: string): Tensor | undefined => graph.initializers.get(prefix + step);
  const q = get('tables_q');
  const scale = get('tables_scale');
  const half = get('tables_f16') ?? get('tables_bf16');
  let T: Tensor;
  if (q && scale) {
    const [rows, n] = q.shape;
    if (scale.data.length !== rows) throw new Error(`${prefix}tables_scale has ${scale.data.length} values for ${rows} table rows`);
    const data = new Float32Array(q.data.length);
    // q * scale rounded once to float32: what DequantizeLinear (or Cast + Mul) computes in onnxruntime.
    for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) data[r * n + j] = q.data[r * n + j] * scale.data[r];
    T = { shape: q.shape.slice(), data };
  } else if (half) {
    T = { shape: half.shape.slice(), data: half.data.slice() }; // already widened exactly on import
  } else {
    return undefined;
  }
  const steps = new Set([`${prefix}tables`, `${prefix}tables_cast`]);
  graph.nodes = graph.nodes.filter((nd) => !steps.has(nd.name));
  for (const step of ['tables_q', 'tables_scale', 'tables_f16', 'tables_bf16']) graph.initializers.delete(prefix + step);
  graph.initializers.set(name, T);
  return T;
}

/**
 * The layer's centroids as [GS, c, v] from any export layout: channel-major `centroids_m2d` [GS, c, v+1] (l2: -2c
 * then ||c||^2 per row) / `centroids_t` [v, GS, c, 1]; rows-major `centroids_m2` / `centroids` [c, GS*v] (l2
 * stores -2C); or subspace-major `centroids_m2t` [GS, v, c] / `centroids` [GS, c, v].
 */
function readCentroids(graph: TrainGraph, prefix: string, metric: LutMetric, tableRows: number, name: string): Tensor & { rowsLayout?: boolean } {
  const get = (step: string): Tensor | undefined => graph.initializers.get(prefix + step);
  const m2d = metric === 'l2' ? get('centroids_m2d') : undefined;
  if (m2d) {
    const [GS, c, v1] = m2d.shape;
    const v = v1 - 1;
    const data = new Float32Array(GS * c * v);
    for (let j = 0; j < GS * c; j++) for (let d = 0; d < v; d++) data[j * v + d] = -m2d.data[j * v1 + d] / 2;
    return { shape: [GS, c, v], data };
  }
  const ct = metric === 'l2' ? undefined : get('centroids_t');
  if (ct) {
    const [v, GS, c] = ct.shape;
    const data = new Float32Array(GS * c * v);
    for (let j = 0; j < GS * c; j++) for (let d = 0; d < v; d++) data[j * v + d] = ct.data[d * GS * c + j];
    return { shape: [GS, c, v], data };
  }
  const rowsMajor = metric === 'l2' ? get('centroids_m2') : get('centroids')?.shape.length === 2 ? get('centroids') : undefined;
  if (rowsMajor) {
    const [c, GSv] = rowsMajor.shape;
    const GS = tableRows / c;
    const v = GSv / GS;
    const k = metric === 'l2' ? -0.5 : 1;
    const data = new Float32Array(GS * c * v);
    for (let j = 0; j < c; j++) for (let s = 0; s < GS; s++) for (let d = 0; d < v; d++) data[(s * c + j) * v + d] = k * rowsMajor.data[j * GSv + s * v + d];
    return { shape: [GS, c, v], data, rowsLayout: true };
  }
  if (metric === 'l2') {
    const m2 = get('centroids_m2t');
    if (!m2) throw new Error(`LUT layer '${name}': neither ${prefix}centroids_m2 nor ${prefix}centroids_m2t is in the model`);
    const [GS, v, c] = m2.shape;
    const data = new Float32Array(GS * c * v);
    for (let s = 0; s < GS; s++) for (let d = 0; d < v; d++) for (let j = 0; j < c; j++) data[(s * c + j) * v + d] = -m2.data[(s * v + d) * c + j] / 2;
    return { shape: [GS, c, v], data };
  }
  const t = get('centroids');
  if (!t) throw new Error(`LUT layer '${name}': ${prefix}centroids is missing`);
  return { shape: t.shape.slice(), data: t.data.slice() };
}

/**
 * A model declared with a fixed batch of 1 (e.g. mnist-12) often reshapes activations to [1, ...]: let those
 * reshapes take any batch so the executor can train on mini-batches. Only the executor's copy changes.
 */
export function relaxBatch(graph: TrainGraph): void {
  const input = graph.inputs[0];
  if (!input || input.shape[0] !== 1) return;
  input.shape[0] = 'N';
  const fixed = new Set(graph.initializers.keys());
  for (const n of graph.nodes) {
    if (n.op !== 'Reshape' || fixed.has(n.inputs[0])) continue;
    const s = graph.initializers.get(n.inputs[1]);
    if (!s || s.data[0] !== 1 || s.data.includes(-1)) continue;
    const relaxed = s.data.slice();
    relaxed[0] = -1;
    const name = `${n.inputs[1]}__batch`;
    graph.initializers.set(name, { shape: s.shape.slice(), data: relaxed });
    n.inputs = [n.inputs[0], name, ...n.inputs.slice(2)];
  }
}

/** Writes a fused layer's trained centroids, (quantized) tables and bias into the converted model's initializers. */
export function writeLutLayerBack(model: ModelProto, graph: TrainGraph, layer: FusedLutLayer): void {
  const g = model.graph!;
  const put = (t: TensorProto): void => {
    const i = g.initializer.findIndex((u) => u.name === t.name);
    if (i < 0) throw new Error(`LUT layer '${layer.name}': initializer ${t.name} is missing in the converted model`);
    g.initializer[i] = t;
  };
  const set = (name: string, dims: number[], data: Float32Array): void => put(floatTensor(name, dims, data));
  const C = graph.initializers.get(layer.centroids)!;
  const [GS, c, v] = C.shape;
  const has = (step: string): boolean => g.initializer.some((t) => t.name === layer.prefix + step);
  if (has('centroids_m2d') || has('centroids_t')) {
    // Channel-major layout: the export's own encoding of the centroids.
    for (const t of centroidInitializers(layer.metric, C.data, GS, c, v)) put({ ...t, name: layer.prefix + t.name });
  } else if (has('centroids_m2') || (layer.metric !== 'l2' && g.initializer.find((t) => t.name === layer.centroids)?.dims.length === 2)) {
    // Rows-major layout [c, GS*v] (l2: -2C) with norms [c, GS].
    const k = layer.metric === 'l2' ? -2 : 1;
    const cT = new Float32Array(c * GS * v);
    const norms = new Float32Array(c * GS);
    for (let s = 0; s < GS; s++) {
      for (let j = 0; j < c; j++) {
        let q = 0;
        for (let d = 0; d < v; d++) {
          const x = C.data[(s * c + j) * v + d];
          cT[j * GS * v + s * v + d] = k * x;
          q += x * x;
        }
        norms[j * GS + s] = q;
      }
    }
    if (layer.metric === 'l2') {
      set(`${layer.prefix}centroids_m2`, [c, GS * v], cT);
      set(`${layer.prefix}centroid_norms`, [c, GS], norms);
    } else {
      set(layer.centroids, [c, GS * v], cT);
    }
  } else if (layer.metric === 'l2') {
    const m2 = new Float32Array(GS * v * c);
    const norms = new Float32Array(GS * c);
    for (let s = 0; s < GS; s++) {
      for (let j = 0; j < c; j++) {
        let q = 0;
        for (let d = 0; d < v; d++) {
          const x = C.data[(s * c + j) * v + d];
          m2[(s * v + d) * c + j] = -2 * x;
          q += x * x;
        }
        norms[s * c + j] = q;
      }
    }
    set(`${layer.prefix}centroids_m2t`, [GS, v, c], m2);
    set(`${layer.prefix}centroid_norms`, [GS, 1, c], norms);
  } else {
    set(layer.centroids, [GS, c, v], C.data);
  }
  writeTablesBack(g.initializer, layer, graph.initializers.get(layer.tables)!, GS, put);
  if (layer.bias) {
    const b = graph.initializers.get(layer.bias)!;
    set(layer.bias, b.shape, b.data);
  }
}

/**
 * Writes trained tables in the storage the converted model already has (src/lutboost/tableStorage.ts): int8 codes
 * + per-row scales, float16 / bfloat16, or float32 holding the dequantized values. The codes come from the same
 * quantization as the fused lookup's forward pass (quantizeTableValues), so onnxruntime computes what it trained.
 */
function writeTablesBack(inits: TensorProto[], layer: FusedLutLayer, T: Tensor, GS: number, put: (t: TensorProto) => void): void {
  const p = layer.prefix;
  const has = (step: string): boolean => inits.some((t) => t.name === p + step);
  const storage: TableStorage = has('tables_q') && has('tables_scale') ? 'int8' : has('tables_f16') ? 'float16' : has('tables_bf16') ? 'bfloat16' : 'float32';
  if (storage === 'float32' || layer.precision === 'fp32') {
    put(floatTensor(layer.tables, T.shape, quantizeTableValues(T.data, GS, layer.precision)));
    return;
  }
  const [rows, n] = T.shape;
  const q = quantizeBlocks(T.data, GS, layer.precision);
  // The export's own encoding (src/lutboost/tableStorage.ts) of the values the fused lookup computed with.
  const stored = encodeTables(q.tables, rows, rows / GS, storage, layer.precision, q.codes && q.scales ? { codes: q.codes, scales: q.scales } : undefined);
  if (stored.storage !== storage) throw new Error(`LUT layer '${layer.name}': ${layer.precision} tables cannot be stored as ${storage}`);
  if (stored.storage === 'int8') {
    put(makeTensor(p + 'tables_q', [rows, n], stored.codes!, DataType.INT8));
    put(makeTensor(p + 'tables_scale', inits.find((t) => t.name === p + 'tables_scale')!.dims, stored.rowScales!, DataType.FLOAT));
  } else {
    put(makeTensor(p + (storage === 'float16' ? 'tables_f16' : 'tables_bf16'), T.shape, stored.half!, storage === 'float16' ? DataType.FLOAT16 : DataType.BFLOAT16));
  }
}
