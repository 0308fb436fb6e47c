import { resolvePads, type ConvertibleLayer } from '../onnx/analysis';

/**
 * GEMM rows of a layer from the tensors onnxruntime returns: the input rows (im2col for Conv) and the output rows,
 * for chosen row positions of one sample, and for one group of a grouped convolution. Rows are sample-major:
 * within sample b of a batch, position p is row b * rowsPerSample + p.
 */
export interface Tensor {
  data: Float32Array;
  dims: number[];
}

/** Rows of one sample for a layer, from its output shape (Conv: output pixels; others: rows / batch). */
export function rowsPerSample(layer: ConvertibleLayer, outDims: number[], batch: number): number {
  if (layer.info.op === 'Conv') return outDims.slice(2).reduce((a, d) => a * d, 1);
  const rows = outDims.length <= 1 ? 1 : outDims.slice(0, -1).reduce((a, d) => a * d, 1);
  return Math.max(1, Math.floor(rows / batch));
}

/** Copies the input rows (k values each, group `g`) at `positions` of sample `b` into out[offset...]. */
export function inputRows(layer: ConvertibleLayer, x: Tensor, outDims: number[], b: number, positions: Int32Array, g: number,
  out: Float32Array, offset: number, perSample: number): void {
  const k = layer.info.k;
  if (layer.info.op === 'Conv') {
    const conv = layer.conv!;
    const [, C, H, W] = x.dims;
    const [kh, kw] = conv.kernel;
    const [sh, sw] = conv.strides;
    const [dh, dw] = conv.dilations;
    const pads = resolvePads(conv, [H, W]);
    const OW = outDims[3];
    const cg = C / conv.group;
    const base = (b * C + g * cg) * H * W;
    let o = offset;
    for (const p of positions) {
      const oh = Math.floor(p / OW);
      const ow = p - oh * OW;
      const ih0 = oh * sh - pads[0];
      const iw0 = ow * sw - pads[1];
      for (let ci = 0; ci < cg; ci++) {
        const cb = base + ci * H * W;
        for (let y = 0; y < kh; y++) {
          const ih = ih0 + y * dh;
          const inRow = ih >= 0 && ih < H;
          for (let xx = 0; xx < kw; xx++) {
            const iw = iw0 + xx * dw;
            out[o++] = inRow && iw >= 0 && iw < W ? x.data[cb + ih * W + iw] : 0;
          }
        }
      }
    }
    return;
  }
  if (layer.transA) {
    // A stored [K x Mtotal]: row r is column r.
    const Mt = x.dims[1];
    let o = offset;
    for (const p of positions) {
      const r = b * perSample + p;
      for (let kk = 0; kk < k; kk++) out[o++] = x.data[kk * Mt + r];
    }
    return;
  }
  let o = offset;
  for (const p of positions) {
    const r = b * perSample + p;
    out.set(x.data.subarray(r * k, (r + 1) * k), o);
    o += k;
  }
}

/** Copies the output rows (n values each, the columns of group `g`) at `positions` of sample `b`. */
export function outputRows(layer: ConvertibleLayer, y: Tensor, b: number, positions: Int32Array, g: number, out: Float32Array,
  offset: number, perSample: number): void {
  const n = layer.info.n;
  if (layer.info.op === 'Conv') {
    const Cout = y.dims[1];
    const P = y.dims.slice(2).reduce((a, d) => a * d, 1);
    let o = offset;
    for (const p of positions) {
      for (let j = 0; j < n; j++) out[o++] = y.data[(b * Cout + g * n + j) * P + p];
    }
    return;
  }
  let o = offset;
  for (const p of positions) {
    const r = b * perSample + p;
    out.set(y.data.subarray(r * n, (r + 1) * n), o);
    o += n;
  }
}
