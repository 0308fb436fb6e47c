import type { Metric, Precision } from '../dsl/config';
import type { DenseLayerInfo } from '../onnx/layerInfo';

/** The LUT parameters one layer runs with. */
export interface LutParams {
  centroids: number;
  vector: number;
  metric: Metric;
  precision: Precision;
}

/** One layer as the accelerator sees it: `groups` independent GEMMs of M x K x N with its LUT parameters. */
export interface WorkLayer {
  name: string;
  op: string;
  m: number;
  k: number;
  n: number;
  groups: number;
  lut: LutParams;
}

/** What a network asks of the accelerator: LUT layers, plus dense layers that are reported but not accelerated. */
export interface Workload {
  name: string;
  layers: WorkLayer[];
  dense: DenseLayerInfo[];
  notes: string[];
}

/** Bad input to the hardware model (a buffer too small for a layer, zero bandwidth...): a message for the user. */
export class SimInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimInputError';
  }
}

/** Equivalent operations of a layer as a dense GEMM: 2*M*K*N per group. */
export function layerOps(l: { m: number; k: number; n: number; groups: number }): number {
  return 2 * l.m * l.k * l.n * l.groups;
}

/** Bits of one table entry. */
export function tableBits(p: Precision): number {
  return p === 'int4' ? 4 : p === 'int8' ? 8 : 16;
}

/** Bits of one activation element: int8 activations for integer tables, 16-bit floats for float tables. */
export function activationBits(p: Precision): number {
  return p === 'int4' || p === 'int8' ? 8 : 16;
}

/** Whether table entries (and so accumulation) are floating point. */
export function isFloat(p: Precision): boolean {
  return p === 'fp16' || p === 'bf16';
}
