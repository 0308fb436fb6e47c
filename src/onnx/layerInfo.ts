import type { Metric, Precision } from '../dsl/config';

/**
 * One convertible (or converted) layer seen as a GEMM `A[M x K] * W[K x N]`: the contract between ONNX graph
 * analysis (src/onnx), the conversion (src/lutboost) and the hardware model (src/sim).
 */
export interface GemmLayerInfo {
  name: string; // the ONNX node name (or a generated, stable one when the node has none)
  op: 'Conv' | 'Gemm' | 'MatMul';
  m: number; // rows of A for one inference at the given input shape (Conv: batch * output pixels)
  k: number; // reduction length (Conv: in_channels/groups * kh * kw)
  n: number; // output columns (Conv: out_channels / groups, per group)
  groups: number; // Conv groups (1 otherwise): the layer is `groups` independent GEMMs of M x K x N
  /** Present when the layer has already been converted to a LUT layer (read from the model's metadata). */
  lut?: { centroids: number; vector: number; metric: Metric; precision: Precision };
}

/** A layer that stays dense (kept by the config, an activation-by-activation matmul, or not convertible). */
export interface DenseLayerInfo {
  name: string;
  op: string;
  reason: string;
  /** GEMM shape when the layer is a matmul-like op (e.g. attention), for a dense unit's cost. */
  m?: number;
  k?: number;
  n?: number;
}

/**
 * Metadata the conversion writes into a LUT model so analysis (and the simulator) can recognise its LUT layers:
 * one model metadata entry per converted layer, key `lutdla.layer.<layer name>`, value a JSON object
 * `{ "op", "m", "k", "n", "groups", "centroids", "vector", "metric", "precision" }` (extra fields are allowed
 * and ignored here, e.g. the original node name or tensor names). Helper C: write these with formatLutMetadata.
 */
export const LUT_METADATA_PREFIX = 'lutdla.layer.';

export function formatLutMetadata(info: GemmLayerInfo & { lut: NonNullable<GemmLayerInfo['lut']> }, extra: Record<string, unknown> = {}): { key: string; value: string } {
  const { name, op, m, k, n, groups, lut } = info;
  return { key: `${LUT_METADATA_PREFIX}${name}`, value: JSON.stringify({ ...extra, op, m, k, n, groups, ...lut }) };
}

/** Reads one `lutdla.layer.*` entry; undefined when the value is not a valid description. */
export function parseLutMetadata(name: string, value: string): GemmLayerInfo | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(value) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined);
  const op = v.op === 'Conv' || v.op === 'Gemm' || v.op === 'MatMul' ? v.op : undefined;
  const [m, k, n, groups, centroids, vector] = [v.m, v.k, v.n, v.groups ?? 1, v.centroids, v.vector].map(num);
  const metric = v.metric === 'l2' || v.metric === 'l1' || v.metric === 'chebyshev' ? v.metric : undefined;
  const precision = v.precision === 'int4' || v.precision === 'int8' || v.precision === 'fp16' || v.precision === 'bf16' ? v.precision : undefined;
  if (!op || m === undefined || !k || !n || !groups || !centroids || !vector || !metric || !precision) return undefined;
  return { name, op, m, k, n, groups, lut: { centroids, vector, metric, precision } };
}

/**
 * Nodes, tensors and initializers of a converted LUT layer are named `lut/<layer name>/<step>` (the export's naming
 * scheme); analysis skips such nodes when `<layer name>` has a `lutdla.layer.*` metadata entry, so a LUT layer's
 * internal Conv (im2col) or MatMul (distances) is not taken for a new convertible layer.
 */
export const LUT_NODE_PREFIX = 'lut/';

export function lutNodePrefix(layerName: string): string {
  return `${LUT_NODE_PREFIX}${layerName}/`;
}
