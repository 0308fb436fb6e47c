import type { Precision } from '../dsl/config';
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from '../onnx/tensor';
import { quantizeBlocks } from './quantize';

/**
 * How an exported LUT layer stores its tables [GS*c, n] in the .lut.onnx file, so that the file holds what the
 * accelerator would hold (and a reader can take the integers out of it), while the graph still gathers the same
 * float32 values the engine computes with:
 *   int8:     `tables_q` INT8 codes [GS*c, n] + `tables_scale` float32 per table row (one scale per subspace,
 *             repeated for its c rows) -> DequantizeLinear(axis 0) -> `tables` (opset >= 13), else
 *             Cast + Mul with `tables_scale` [GS*c, 1]. int4 tables use this too: codes in [-7, 7] stored as INT8,
 *             since onnxruntime's INT4 support is uneven across kernels and opsets.
 *   float16:  `tables_f16` FLOAT16 -> Cast(to float) -> `tables` (opset >= 6).
 *   bfloat16: `tables_bf16` BFLOAT16 -> Cast(to float) -> `tables` (Cast takes bfloat16 from opset 13).
 *   float32:  `tables` as an initializer (no quantize stage, or an opset too old for the above).
 * Each form dequantizes with at most one float32 multiply (q * scale, the engine's own rounding) or an exact
 * widening, so the gathered values are bit-identical to the float32 tables of earlier exports.
 */
export type TableStorage = 'float32' | 'int8' | 'float16' | 'bfloat16';

/** Storage for a layer's tables given its precision, whether the quantize stage ran and the model's opset. */
export function tableStorageFor(precision: Precision, quantized: boolean, opset: number): TableStorage {
  if (!quantized) return 'float32';
  if (precision === 'int8' || precision === 'int4') return opset >= 6 ? 'int8' : 'float32';
  if (precision === 'fp16') return opset >= 6 ? 'float16' : 'float32';
  // Cast's type list has bfloat16 from opset 13 on; older models keep the (exact) float32 values.
  return opset >= 13 ? 'bfloat16' : 'float32';
}

/** The metadata note on the storage (an int4 layer says its codes are stored as INT8 and why). */
export function tableStorageNote(precision: Precision, storage: TableStorage): string {
  if (storage === 'int8') {
    return precision === 'int4'
      ? 'int4 codes in [-7, 7] stored as INT8 (onnxruntime INT4 support is uneven) in tables_q, float32 scale per table row in tables_scale'
      : 'int8 codes in tables_q, float32 scale per table row in tables_scale';
  }
  if (storage === 'float16') return 'float16 in tables_f16';
  if (storage === 'bfloat16') return 'bfloat16 in tables_bf16';
  return 'float32 in tables';
}

export interface EncodedTables {
  storage: TableStorage;
  /** int8: codes [GS*c*n]. */
  codes?: Int8Array;
  /** int8: one scale per table row [GS*c]. */
  rowScales?: Float32Array;
  /** float16 / bfloat16: raw 16-bit patterns. */
  half?: Uint16Array;
}

/**
 * Encodes float32 tables that are already on the precision's grid (the quantize stage's output). `blockCodes`, when
 * given, are the quantize stage's own codes and per-subspace scales; otherwise the tables are re-quantized. Either
 * way every stored value must decode to exactly the given float32 value, else the tables stay float32 (never a
 * silent change of the model's arithmetic).
 */
export function encodeTables(tables: Float32Array, rows: number, c: number, storage: TableStorage, precision: Precision,
  blockCodes?: { codes: Int8Array; scales: Float32Array }): EncodedTables {
  const n = tables.length / rows;
  if (storage === 'int8') {
    const blocks = rows / c;
    let q = blockCodes && blockCodes.codes.length === tables.length && blockCodes.scales.length === blocks ? blockCodes : undefined;
    if (!q) {
      const r = quantizeBlocks(tables, blocks, precision);
      q = r.codes && r.scales ? { codes: r.codes, scales: r.scales } : undefined;
    }
    if (!q) return { storage: 'float32' };
    const rowScales = new Float32Array(rows);
    for (let r = 0; r < rows; r++) rowScales[r] = q.scales[Math.floor(r / c)];
    for (let i = 0; i < tables.length; i++) if (Math.fround(q.codes[i] * rowScales[Math.floor(i / n)]) !== tables[i]) return { storage: 'float32' };
    return { storage, codes: q.codes, rowScales };
  }
  if (storage === 'float16' || storage === 'bfloat16') {
    const half = new Uint16Array(tables.length);
    const [enc, dec] = storage === 'float16' ? [float32ToFloat16, float16ToFloat32] : [float32ToBfloat16, bfloat16ToFloat32];
    for (let i = 0; i < tables.length; i++) {
      half[i] = enc(tables[i]);
      if (!Object.is(dec(half[i]), tables[i])) return { storage: 'float32' };
    }
    return { storage, half };
  }
  return { storage: 'float32' };
}
