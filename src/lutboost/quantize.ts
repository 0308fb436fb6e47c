import type { Precision } from '../dsl/config';
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from '../onnx/tensor';
import type { LutGemm } from './lutGemm';

/** Bytes per table entry as stored on the accelerator. */
export function bytesPerEntry(p: Precision | 'fp32'): number {
  return p === 'int4' ? 0.5 : p === 'int8' ? 1 : p === 'fp32' ? 4 : 2;
}

/**
 * The quantize stage: store table entries at the configured precision. int4/int8 are symmetric with one scale
 * per subspace table ([c x n]); fp16/bf16 round to nearest even. Returns the dequantized tables (what the
 * exported model computes with) plus the codes and scales.
 *
 * Error bound per entry: |T - deq(T)| <= scale / 2 = max|T_s| / (2 qmax) for int (qmax 127 / 7); relative
 * 2^-11 for fp16 (normal range) and 2^-8 for bf16.
 */
export function quantizeTables(lut: LutGemm, precision: Precision): { tables: Float32Array; quant: NonNullable<LutGemm['quant']> } {
  const q = quantizeBlocks(lut.tables, lut.S, precision);
  return { tables: q.tables, quant: { precision, scales: q.scales, codes: q.codes } };
}

/**
 * quantizeTables' arithmetic on `blocks` equal blocks of T (a subspace table each). Shared with the export's
 * integer initializers and the trainer's write-back (src/train/lutGraph.ts), so all three store the same integers
 * and scales as the engine computes with. int4 codes are in [-7, 7].
 */
export function quantizeBlocks(T: Float32Array, blocks: number, precision: Precision): { tables: Float32Array; scales?: Float32Array; codes?: Int8Array } {
  const per = T.length / blocks;
  const out = new Float32Array(T.length);
  if (precision === 'int8' || precision === 'int4') {
    const qmax = precision === 'int8' ? 127 : 7;
    const scales = new Float32Array(blocks);
    const codes = new Int8Array(T.length);
    for (let s = 0; s < blocks; s++) {
      let amax = 0;
      for (let i = s * per; i < (s + 1) * per; i++) amax = Math.max(amax, Math.abs(T[i]));
      const scale = Math.fround(amax > 0 ? amax / qmax : 1);
      scales[s] = scale;
      for (let i = s * per; i < (s + 1) * per; i++) {
        const q = Math.max(-qmax, Math.min(qmax, Math.round(T[i] / scale)));
        codes[i] = q;
        out[i] = q * scale; // the same single rounding as onnxruntime's DequantizeLinear / Mul in float32
      }
    }
    return { tables: out, scales, codes };
  }
  for (let i = 0; i < T.length; i++) {
    out[i] = precision === 'fp16' ? float16ToFloat32(float32ToFloat16(T[i])) : bfloat16ToFloat32(float32ToBfloat16(T[i]));
  }
  return { tables: out };
}
