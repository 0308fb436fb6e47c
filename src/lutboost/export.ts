import type { Precision } from '../dsl/config';
import type { ConvertibleLayer } from '../onnx/analysis';
import { attr, makeNode } from '../onnx/builder';
import { formatLutMetadata } from '../onnx/layerInfo';
import { floatTensor, int64Tensor } from '../onnx/tensor';
import { OnnxFormatError, type ModelProto, type NodeProto, type TensorProto } from '../onnx/types';
import type { LutGemm } from './lutGemm';

/**
 * Writes a LUT layer into an ONNX graph in standard operators, replacing the layer's node in place (same output
 * tensor, so the rest of the graph is untouched). Every new node, tensor and initializer is named
 * `lut/<layer>/<step>`; the model's metadata gets `lutdla.layer.<layer>` (see src/onnx/layerInfo.ts) with c, v,
 * metric, precision, the GEMM shape and the original node.
 *
 *   Conv:      im2col = Conv(x, identity kernel) -> Transpose to [N, OH, OW, g*K]      (exact: one 1 per column)
 *   Gemm:      (Transpose when transA)                                                  rows [..., K]
 *   all:       Reshape [..., g, K] -> Pad K to S*v with zeros -> Reshape [..., 1, g*S*v]
 *              l2:        Mul -2C [c, g*S*v] -> Reshape [..., c, g*S, v] -> ReduceSum(v) -> Add ||c||^2
 *              l1 / cheb: Sub C [c, g*S*v] -> Abs -> Reshape [..., c, g*S, v] -> ReduceSum / ReduceMax(v)
 *              ArgMin over c -> [..., g*S] -> Add s*c -> Gather(table [g*S*c, n]) -> [..., g*S, n]
 *              -> Reshape [..., g, S, n] -> ReduceSum(S) -> Reshape [..., g*n] -> Add bias
 *   Conv:      Transpose back to [N, g*n, OH, OW]
 *
 * The Gather of table rows followed by ReduceSum is the OneHot x MatMul of the design without the zeros.
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

function opsetOf(model: ModelProto): number {
  return model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 1;
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
  const reduce = (op: 'ReduceSum' | 'ReduceMax', x: string, axis: number, step: string): string => {
    const inputAxes = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
    return inputAxes
      ? node(op, [x, i64(`${step}_axes`, [axis])], step, [attr.int('keepdims', 0)])
      : node(op, [x], step, [attr.ints('axes', [axis]), attr.int('keepdims', 0)]);
  };

  const groups = luts.length;
  const { v, c, S, metric } = luts[0];
  const k = luts[0].k;
  const n = luts[0].n;
  for (const l of luts) if (l.v !== v || l.c !== c || l.S !== S || l.k !== k || l.n !== n || l.metric !== metric) throw new Error('groups of one layer must share their LUT shape');
  const GS = groups * S;

  // 1. Rows [..., g*K] of rank r.
  let x = layer.input;
  let r = ex.inputRank;
  if (layer.info.op === 'Conv') {
    const conv = layer.conv!;
    if (conv.kernel.length !== 2) throw new OnnxFormatError(`layer '${layer.info.name}': only 2-D convolutions are converted`);
    const [kh, kw] = conv.kernel;
    const cg = conv.inChannels / groups;
    const id = new Float32Array(groups * k * cg * kh * kw);
    for (let gi = 0; gi < groups; gi++) {
      for (let kk = 0; kk < k; kk++) {
        // im2col order of analysis.ts: k = (cin * kh + y) * kw + x, which is also the flat index within [cg, kh, kw].
        id[(gi * k + kk) * k + kk] = 1;
      }
    }
    const attrs = [attr.ints('kernel_shape', [kh, kw]), attr.ints('strides', conv.strides), attr.ints('dilations', conv.dilations), attr.int('group', groups)];
    if (conv.autoPad !== 'NOTSET') attrs.push(attr.string('auto_pad', conv.autoPad));
    else attrs.push(attr.ints('pads', conv.pads));
    const cols = node('Conv', [x, f32('im2col_kernel', [groups * k, cg, kh, kw], id)], 'im2col', attrs);
    x = node('Transpose', [cols], 'rows', [attr.ints('perm', [0, 2, 3, 1])]);
    r = 4;
  } else if (layer.transA) {
    x = node('Transpose', [x], 'rows', [attr.ints('perm', [1, 0])]);
  }
  const lead = new Array<number>(r - 1).fill(0);

  // 2. Padded rows [..., 1, g*S*v].
  x = node('Reshape', [x, i64('group_shape', [...lead, groups, k])], 'grouped');
  const padBy = S * v - k;
  if (padBy > 0) {
    const pads = new Array<number>(2 * (r + 1)).fill(0);
    pads[2 * (r + 1) - 1] = padBy;
    x = opset >= 11
      ? node('Pad', [x, i64('pads', pads)], 'padded')
      : node('Pad', [x], 'padded', [attr.ints('pads', pads), attr.string('mode', 'constant')]);
  }
  x = node('Reshape', [x, i64('row_shape', [...lead, 1, GS * v])], 'subvectors');

  // 3. Distances [..., c, g*S] and nearest centroid. Every row is broadcast against all c centroid rows
  // [c, g*S*v] at once: long contiguous spans, which onnxruntime's broadcasting handles fast (a [.., S, 1, v] vs
  // [S, c, v] layout, or a batched MatMul of 1 x v by v x c, is several times slower for v = 2..8).
  const cT = new Float32Array(c * GS * v);
  const cn = new Float32Array(c * GS);
  luts.forEach((l, gi) => {
    for (let s = 0; s < S; s++) {
      for (let j = 0; j < c; j++) {
        let q = 0;
        for (let d = 0; d < v; d++) {
          const val = l.centroids[(s * c + j) * v + d];
          cT[j * GS * v + (gi * S + s) * v + d] = metric === 'l2' ? -2 * val : val;
          q += val * val;
        }
        cn[j * GS + gi * S + s] = q;
      }
    }
  });
  let dist: string;
  if (metric === 'l2') {
    // ||c||^2 - 2 x.c (||x||^2 is the same for every centroid).
    const prod = node('Mul', [x, f32('centroids_m2', [c, GS * v], cT)], 'products');
    const split = node('Reshape', [prod, i64('split_shape', [...lead, c, GS, v])], 'products_split');
    const dot = reduce('ReduceSum', split, r + 1, 'dot');
    dist = node('Add', [dot, f32('centroid_norms', [c, GS], cn)], 'distance');
  } else {
    const diff = node('Sub', [x, f32('centroids', [c, GS * v], cT)], 'diff');
    const a = node('Abs', [diff], 'absdiff');
    const split = node('Reshape', [a, i64('split_shape', [...lead, c, GS, v])], 'absdiff_split');
    dist = reduce(metric === 'l1' ? 'ReduceSum' : 'ReduceMax', split, r + 1, 'distance');
  }
  // [..., c, g*S]: the c axis is r - 1.
  const idx = node('ArgMin', [dist], 'indices', [attr.int('axis', r - 1), attr.int('keepdims', 0)]);

  // 4. Table lookup and accumulation.
  const offsets = Array.from({ length: GS }, (_, s) => s * c);
  const flat = node('Add', [idx, i64('offsets', offsets)], 'table_rows');
  const table = new Float32Array(GS * c * n);
  luts.forEach((l, gi) => table.set(l.tables, gi * S * c * n));
  const picked = node('Gather', [f32('tables', [GS * c, n], table), flat], 'lookup', [attr.int('axis', 0)]);
  const perGroup = node('Reshape', [picked, i64('lookup_shape', [...lead, groups, S, n])], 'lookup_grouped');
  let y = reduce('ReduceSum', perGroup, r, 'accumulate');
  const bias = layer.bias ?? (luts[0].bias ? concatBias(luts) : undefined);
  const isConv = layer.info.op === 'Conv';
  const finalOut = layer.output;
  y = node('Reshape', [y, i64('out_shape', [...lead, groups * n])], 'columns');
  if (bias) y = node('Add', [y, f32('bias', [groups * n], bias)], 'biased', [], isConv ? undefined : finalOut);
  if (isConv) y = node('Transpose', [y], 'output', [attr.ints('perm', [0, 3, 1, 2])], finalOut);
  else if (y !== finalOut) node('Identity', [y], 'output', [], finalOut);

  g.node.splice(at, 1, ...nodes);
  g.initializer.push(...inits);
  // Drop initializers only the replaced node read (the dense weight).
  const read = new Set(g.node.flatMap((nd) => nd.input));
  const outputs = new Set(g.output.map((o) => o.name));
  g.initializer = g.initializer.filter((t) => read.has(t.name ?? '') || outputs.has(t.name) || g.input.some((i) => i.name === t.name));

  const md = formatLutMetadata(
    { ...layer.info, lut: { centroids: c, vector: v, metric, precision: ex.precision } },
    { node: layer.node.name ?? '', input: layer.input, output: layer.output, prefix: p, tables: ex.quantized ? ex.precision : 'fp32', subspaces: S, padded: padBy },
  );
  const e = model.metadataProps.find((m) => m.key === md.key);
  if (e) e.value = md.value;
  else model.metadataProps.push(md);
}

function concatBias(luts: LutGemm[]): Float32Array {
  const n = luts[0].n;
  const b = new Float32Array(luts.length * n);
  luts.forEach((l, gi) => l.bias && b.set(l.bias, gi * n));
  return b;
}
