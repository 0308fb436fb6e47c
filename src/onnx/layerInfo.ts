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
