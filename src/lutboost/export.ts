import type { Precision } from '../dsl/config';
import type { ConvertibleLayer } from '../onnx/analysis';
import { attr, makeNode } from '../onnx/builder';
import { formatLutMetadata } from '../onnx/layerInfo';
import { floatTensor, int64Tensor, makeTensor } from '../onnx/tensor';
import { DataType, OnnxFormatError, type ModelProto, type NodeProto, type TensorProto } from '../onnx/types';
import type { LutGemm } from './lutGemm';
import { encodeTables, tableStorageFor, tableStorageNote } from './tableStorage';

/**
 * Writes a LUT layer into an ONNX graph in standard operators, replacing the layer's node in place (same output
 * tensor, so the rest of the graph is untouched). Every new node, tensor and initializer is named
 * `lut/<layer>/<step>`; the model's metadata gets `lutdla.layer.<layer>` (see src/onnx/layerInfo.ts) with c, v,
 * metric, precision, the GEMM shape, the original node and `layout: "channels"`.
 *
 * Channel-major: the sub-vector coordinates lie on the channel axis and the rows (output pixels, or Gemm rows) on
 * the last one, so each step is a long contiguous loop or a batched product in onnxruntime. (GS = g*S subspaces
 * over all groups; P = rows per sample; the Gemm path runs as N = 1, P = R.)
 *
 *   Conv:      im2col = Conv(x, identity kernel) -> [N, GS*v, OH, OW]   (exact: one 1 per output channel; a
 *              depthwise identity when K needs no padding, else per group with zero rows padding K to S*v)
 *   Gemm:      rows [R, K] -> Pad K to S*v -> Transpose [S*v, R]         (transA: the input already is [K, R])
 *   all:       subvectors [N, GS*v, P]
 *              l2:        Cast float64 -> [N, GS, v, P] -> Pad a row of ones -> MatMul([-2C | ||c||^2] [GS, c, v+1], .)
 *              l1 / cheb: Transpose to [N, v, GS, 1, P] -> Split(v) -> per coordinate |x_d - C_d| [N, 1, GS, c, P]
 *                         -> Sum / Max -> [N, GS, c, P]
 *              ArgMin over c -> indices [N, GS, P] -> Add s*c -> Gather(tables [GS*c, n]) -> [N, GS, P, n]
 *              -> [N, g, S, P*n] -> MatMul(ones [1, S], .) -> [N, g, 1, P*n]
 *   Conv:      [N, g, P, n] -> Transpose [N, g, n, P] -> Reshape [N, g*n, OH, OW] -> Add bias
 *   Gemm:      Reshape [..., n] -> Add bias
 *
 * The tables are stored at the layer's precision (int8 codes + scales, float16, bfloat16) and dequantized to the
 * float32 tensor `tables` in the graph (src/lutboost/tableStorage.ts), exactly the engine's values.
 *
 * The Gather of table rows and the sum over subspaces are the OneHot x MatMul of the design without the zeros.
 * Measured per sample on mnist-12 (one onnxruntime thread, batch 1), the whole LUT model runs about 3x faster
 * than the rows-major layout this replaced ([..., c, GS*v] broadcast Mul/Sub and ReduceSum over v): onnxruntime's
 * ReduceSum / ReduceMax over a short axis are slow in every layout, hence the MatMuls, Split and Sum / Max.
 */
export interface LutLayerExport {
  layer: ConvertibleLayer;
  luts: LutGemm[]; // one per group
  precision: Precision;
  /** False when the quantize stage was off: tables are float32. */
  quantized: boolean;
  /** Rank of the layer's input tensor (Gemm: 2). */
  inputRank: number;
}

/** The `layout` metadata value of this export (src/train/lutGraph.ts reads it back). */
export const LUT_LAYOUT = 'channels';

function opsetOf(model: ModelProto): number {
  return model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 1;
}

/**
 * The layer's centroids in the export's initializer layouts (src/train/lutGraph.ts writes trained ones back
 * through this too). l2: `centroids_m2d` [GS, c, v + 1] float64, each row -2c followed by ||c||^2 (summed in
 * float64 as the engine's assign() does), to multiply sub-vectors extended by a 1; l1 / chebyshev: `centroids_t`
 * [v, GS, c, 1] (coordinate-major).
 */
export function centroidInitializers(metric: LutGemm['metric'], C: Float32Array, GS: number, c: number, v: number): TensorProto[] {
  if (metric !== 'l2') {
    const t = new Float32Array(GS * c * v);
    for (let j = 0; j < GS * c; j++) for (let d = 0; d < v; d++) t[d * GS * c + j] = C[j * v + d];
    return [floatTensor('centroids_t', [v, GS, c, 1], t)];
  }
  const m2 = new Float64Array(GS * c * (v + 1));
  for (let j = 0; j < GS * c; j++) {
    let q = 0;
    for (let d = 0; d < v; d++) {
      const x = C[j * v + d];
      m2[j * (v + 1) + d] = -2 * x;
      q += x * x;
    }
    m2[j * (v + 1) + v] = q;
  }
  return [makeTensor('centroids_m2d', [GS, c, v + 1], m2)];
}

export function exportLutLayer(model: ModelProto, ex: LutLayerExport): void {
  const g = model.graph!;
  const { layer, luts } = ex;
  const at = g.node.findIndex((n) => n.output[0] === layer.output && n.opType === layer.info.op);
  if (at < 0) throw new OnnxFormatError(`layer '${layer.info.name}': its node is not in the graph any more`);
  const opset = opsetOf(model);
  const p = `lut/${layer.info.name}/`;
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const node = (op: string, inputs: string[], step: string, attrs: ReturnType<typeof attr.int>[] = [], output?: string): string => {
    const out = output ?? p + step;
    nodes.push(makeNode(op, inputs, [out], attrs, p + step));
    return out;
  };
  const i64 = (step: string, values: number[], dims = [values.length]): string => {
    inits.push(int64Tensor(p + step, dims, values));
    return p + step;
  };
  const f32 = (step: string, dims: number[], data: Float32Array): string => {
    inits.push(floatTensor(p + step, dims, data));
    return p + step;
  };
  const pad = (x: string, rank: number, axis: number, by: number): string => {
    const pads = new Array<number>(2 * rank).fill(0);
    pads[rank + axis] = by;
    return opset >= 11
      ? node('Pad', [x, i64('pads', pads)], 'padded')
      : node('Pad', [x], 'padded', [attr.ints('pads', pads), attr.string('mode', 'constant')]);
  };
  /** Dims [start, end) of a tensor's runtime shape, for reshapes whose sizes are not known statically. */
  const shapeSlice = (x: string, start: number, end: number, step: string): string => {
    const shape = node('Shape', [x], `${step}_shape`);
    return opset >= 10
      ? node('Slice', [shape, i64(`${step}_starts`, [start]), i64(`${step}_ends`, [end]), i64(`${step}_axes`, [0])], `${step}_dims`)
      : node('Slice', [shape], `${step}_dims`, [attr.ints('starts', [start]), attr.ints('ends', [end]), attr.ints('axes', [0])]);
  };

  const groups = luts.length;
  const { v, c, S, metric } = luts[0];
  const k = luts[0].k;
  const n = luts[0].n;
  for (const l of luts) if (l.v !== v || l.c !== c || l.S !== S || l.k !== k || l.n !== n || l.metric !== metric) throw new Error('groups of one layer must share their LUT shape');
  const GS = groups * S;
  const padBy = S * v - k;
  const isConv = layer.info.op === 'Conv';

  // 1. Sub-vectors channel-major [N, GS*v, P].
  let x = layer.input;
  let cols = '';
  if (isConv) {
    const conv = layer.conv!;
    // The engine's rows (src/lutboost/rows.ts) unfold 2-D convolutions only.
    if (conv.kernel.length !== 2) throw new OnnxFormatError(`layer '${layer.info.name}': only 2-D convolutions are converted`);
    const spatial = conv.kernel;
    const kk = spatial.reduce((a, d) => a * d, 1);
    const cg = conv.inChannels / groups;
    // im2col order of analysis.ts: k = cin * (kh*kw) + y * kw + x, the flat index within [cg, kh, kw]. Without
    // padding this is a depthwise identity (group = input channels, kk outputs each): channel ci*kk + t of the
    // output is g*K + k, and onnxruntime multiplies kk x kk per channel instead of K x K per group.
    const depthwise = padBy === 0;
    const outPerGroup = depthwise ? kk : S * v;
    const inPerGroup = depthwise ? 1 : cg;
    const convGroups = depthwise ? conv.inChannels : groups;
    const id = new Float32Array(convGroups * outPerGroup * inPerGroup * kk);
    const rowLen = inPerGroup * kk;
    for (let gi = 0; gi < convGroups; gi++) for (let r = 0; r < rowLen; r++) id[(gi * outPerGroup + r) * rowLen + r] = 1;
    const attrs = [attr.ints('kernel_shape', spatial), attr.ints('strides', conv.strides), attr.ints('dilations', conv.dilations), attr.int('group', convGroups)];
    if (conv.autoPad !== 'NOTSET') attrs.push(attr.string('auto_pad', conv.autoPad));
    else attrs.push(attr.ints('pads', conv.pads));
    cols = node('Conv', [x, f32('im2col_kernel', [convGroups * outPerGroup, inPerGroup, ...spatial], id)], 'im2col', attrs);
    x = node('Reshape', [cols, i64('subvector_shape', [0, GS * v, -1])], 'subvectors');
  } else {
    if (!layer.transA) {
      // Rows [R, K] -> [R, S*v] -> [S*v, R].
      if (ex.inputRank !== 2) x = node('Reshape', [x, i64('flat_shape', [-1, k])], 'flat');
      if (padBy > 0) x = pad(x, 2, 1, padBy);
      x = node('Transpose', [x], 'rows_t', [attr.ints('perm', [1, 0])]);
    } else if (padBy > 0) {
      x = pad(x, 2, 0, padBy);
    }
    // Unsqueeze rather than a Reshape to [1, S*v, -1]: a target starting with 1 is what batch relaxation
    // (src/onnx/batchable.ts) rewrites to take the batch from the input, which here is not a batch.
    x = opset >= 13
      ? node('Unsqueeze', [x, i64('subvector_axes', [0])], 'subvectors')
      : node('Unsqueeze', [x], 'subvectors', [attr.ints('axes', [0])]);
  }

  // 2. Distances [N, GS, c, P] and nearest centroid [N, GS, P].
  const C = new Float32Array(GS * c * v);
  luts.forEach((l, gi) => C.set(l.centroids.subarray(0, S * c * v), gi * S * c * v));
  const cinit = centroidInitializers(metric, C, GS, c, v);
  const init = (t: TensorProto): string => {
    t.name = p + t.name;
    inits.push(t);
    return t.name;
  };
  let dist: string;
  if (metric === 'l2') {
    // ||c||^2 - 2 x.c (||x||^2 is the same for every centroid): the engine's assign() compares exactly this in
    // float64, where the products of float32 values are exact and the sums round at 2^-53, so this argmin picks
    // the engine's centroid except at ties within float64 rounding. In float32 the sums round at 2^-24 of |x.c|,
    // which on mnist-12 picked another centroid than the engine for a few sub-vectors in ten million (the earlier
    // float32 Mul + ReduceSum: 1 in Convolution110; a float32 grouped Conv: 2 in Convolution28). The cast is of the
    // sub-vectors, and the float64 MatMul still costs less than float32 elementwise passes over [.., c, v, P].
    const xd = node('Cast', [x], 'subvectors_f64', [attr.int('to', 11)]);
    const split = node('Reshape', [xd, i64('split_shape', [0, GS, v, -1])], 'subvectors_split');
    // A constant 1 after each sub-vector picks up ||c||^2 in the same product (cheaper than adding it after).
    const padded = opset >= 11
      ? node('Pad', [split, i64('one_pads', [0, 0, 0, 0, 0, 0, 1, 0]), init(makeTensor('one', [], new Float64Array([1])))], 'subvectors_one')
      : node('Pad', [split], 'subvectors_one', [attr.ints('pads', [0, 0, 0, 0, 0, 0, 1, 0]), attr.float('value', 1)]);
    dist = node('MatMul', [init(cinit[0]), padded], 'distance');
  } else {
    // Coordinate-major [N, v, GS, 1, P], so that coordinate d of every sub-vector is one contiguous block.
    const grouped = node('Reshape', [x, i64('split_shape', [0, GS, v, -1])], 'subvectors_split');
    const vMajor = node('Transpose', [grouped], 'subvectors_t', [attr.ints('perm', [0, 2, 1, 3])]);
    const wide = node('Reshape', [vMajor, i64('wide_shape', [0, v, GS, 1, -1])], 'subvectors_wide');
    // Per coordinate d: |x_d - c_d| over [N, 1, GS, c, P], then Sum / Max of the v terms. onnxruntime's
    // ReduceSum / ReduceMax over v take several times longer than these elementwise passes in either layout.
    const split = (t: string, axis: number, step: string): string[] => {
      const parts = Array.from({ length: v }, (_, d) => `${p}${step}_${d}`);
      const attrs = opset >= 18 ? [attr.int('axis', axis), attr.int('num_outputs', v)] : [attr.int('axis', axis)];
      nodes.push(makeNode('Split', [t], parts, attrs, `${p}${step}`));
      return parts;
    };
    const xs = v === 1 ? [wide] : split(wide, 1, 'coordinates');
    const cs = v === 1 ? [init(cinit[0])] : split(init(cinit[0]), 0, 'centroid_coordinates');
    const terms = xs.map((xd, d) => node('Abs', [node('Sub', [xd, cs[d]], `diff_${d}`)], `absdiff_${d}`));
    const d = v === 1 ? terms[0] : node(metric === 'l1' ? 'Sum' : 'Max', terms, 'distance');
    dist = node('Reshape', [d, i64('distance_shape', [0, GS, c, -1])], 'distance_split');
  }
  const idx = node('ArgMin', [dist], 'indices', [attr.int('axis', 2), attr.int('keepdims', 0)]);

  // 3. Table lookup and accumulation: [N, GS, P, n] -> [N, g, S, P*n] -> a row of ones times it sums the S
  // subspaces of each group (a GEMV over long rows: faster in onnxruntime than ReduceSum over either layout).
  const offsets = Array.from({ length: GS }, (_, s) => s * c);
  const flat = node('Add', [idx, i64('offsets', offsets, [GS, 1])], 'table_rows');
  const table = new Float32Array(GS * c * n);
  luts.forEach((l, gi) => table.set(l.tables, gi * S * c * n));
  const stored = encodeTables(table, GS * c, c, tableStorageFor(ex.precision, ex.quantized, opset), ex.precision, quantCodes(luts, ex.precision));
  let tables: string;
  if (stored.storage === 'int8') {
    // Dequantized in the graph: q * scale is one float32 multiply, the engine's own rounding (quantize.ts).
    const q = init(makeTensor('tables_q', [GS * c, n], stored.codes!));
    tables = opset >= 13
      ? node('DequantizeLinear', [q, f32('tables_scale', [GS * c], stored.rowScales!)], 'tables', [attr.int('axis', 0)])
      : node('Mul', [node('Cast', [q], 'tables_cast', [attr.int('to', DataType.FLOAT)]), f32('tables_scale', [GS * c, 1], stored.rowScales!)], 'tables');
  } else if (stored.storage === 'float16' || stored.storage === 'bfloat16') {
    const [step, dt] = stored.storage === 'float16' ? ['tables_f16', DataType.FLOAT16] : ['tables_bf16', DataType.BFLOAT16];
    tables = node('Cast', [init(makeTensor(step, [GS * c, n], stored.half!, dt))], 'tables', [attr.int('to', DataType.FLOAT)]);
  } else {
    tables = f32('tables', [GS * c, n], table);
  }
  const picked = node('Gather', [tables, flat], 'lookup', [attr.int('axis', 0)]);
  const perGroup = node('Reshape', [picked, i64('lookup_shape', [0, groups, S, -1])], 'lookup_grouped');
  let y = node('MatMul', [f32('ones', [1, S], new Float32Array(S).fill(1)), perGroup], 'accumulate');

  // 4. Back to the layer's output layout, plus bias. The trainer's fused lookup yields [N, g, P, n] at
  // `accumulate`, so the next reshape names all the dims it needs.
  const bias = layer.bias ?? (luts[0].bias ? concatBias(luts) : undefined);
  const finalOut = layer.output;
  if (isConv) {
    y = node('Reshape', [y, i64('columns_shape', [0, groups, -1, n])], 'columns');
    y = node('Transpose', [y], 'channels', [attr.ints('perm', [0, 1, 3, 2])]);
    const spatial = layer.outputShape?.slice(2);
    const outShape = spatial && spatial.every((d) => d > 0)
      ? i64('out_shape', [0, groups * n, ...spatial])
      : node('Concat', [i64('out_channels', [0, groups * n]), shapeSlice(cols, 2, layer.conv!.kernel.length + 2, 'spatial')], 'out_shape', [attr.int('axis', 0)]);
    y = node('Reshape', [y, outShape], 'output', [], bias ? undefined : finalOut);
    if (bias) node('Add', [y, f32('bias', [groups * n, ...layer.conv!.kernel.map(() => 1)], bias)], 'biased', [], finalOut);
  } else {
    const r = ex.inputRank;
    const outShape = layer.transA || r === 2 ? i64('out_shape', [-1, n])
      : r === 1 ? i64('out_shape', [n])
        : node('Concat', [shapeSlice(layer.input, 0, r - 1, 'lead'), i64('out_columns', [n])], 'out_shape', [attr.int('axis', 0)]);
    y = node('Reshape', [y, outShape], 'output', [], bias ? undefined : finalOut);
    if (bias) node('Add', [y, f32('bias', [n], bias)], 'biased', [], finalOut);
  }

  g.node.splice(at, 1, ...nodes);
  g.initializer.push(...inits);
  // Drop initializers only the replaced node read (the dense weight).
  const read = new Set(g.node.flatMap((nd) => nd.input));
  const outputs = new Set(g.output.map((o) => o.name));
  g.initializer = g.initializer.filter((t) => read.has(t.name ?? '') || outputs.has(t.name) || g.input.some((i) => i.name === t.name));

  const md = formatLutMetadata(
    { ...layer.info, lut: { centroids: c, vector: v, metric, precision: ex.precision } },
    { node: layer.node.name ?? '', input: layer.input, output: layer.output, prefix: p, tables: ex.quantized ? ex.precision : 'fp32', tableStorage: stored.storage, tableStorageNote: tableStorageNote(ex.precision, stored.storage), subspaces: S, padded: padBy, layout: LUT_LAYOUT },
  );
  const e = model.metadataProps.find((m) => m.key === md.key);
  if (e) e.value = md.value;
  else model.metadataProps.push(md);
}

/** The quantize stage's codes and per-subspace scales of all groups, when every group has them at `precision`. */
function quantCodes(luts: LutGemm[], precision: Precision): { codes: Int8Array; scales: Float32Array } | undefined {
  if (!luts.every((l) => l.quant?.precision === precision && l.quant.codes && l.quant.scales)) return undefined;
  const { S, c, n } = luts[0];
  const codes = new Int8Array(luts.length * S * c * n);
  const scales = new Float32Array(luts.length * S);
  luts.forEach((l, gi) => {
    codes.set(l.quant!.codes!.subarray(0, S * c * n), gi * S * c * n);
    scales.set(l.quant!.scales!.subarray(0, S), gi * S);
  });
  return { codes, scales };
}

function concatBias(luts: LutGemm[]): Float32Array {
  const n = luts[0].n;
  const b = new Float32Array(luts.length * n);
  luts.forEach((l, gi) => l.bias && b.set(l.bias, gi * n));
  return b;
}
