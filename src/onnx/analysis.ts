import type { DenseLayerInfo, GemmLayerInfo } from './layerInfo';
import { LUT_METADATA_PREFIX, LUT_NODE_PREFIX, lutNodePrefix, parseLutMetadata } from './layerInfo';
import { attrFloat, attrInt, attrInts, attrString } from './builder';
import { constantsOf, foldForConversion } from './fold';
import { elementCount, ortTypeOf, tensorToFloat32, TypedTensor } from './tensor';
import { createSession, release, run, withExtraOutputs } from './runtime';
import { DataType, ModelProto, NodeProto, OnnxFormatError, TensorProto, ValueInfoProto } from './types';

/**
 * Graph analysis: which layers can become lookup tables, as GEMMs `A[M x K] * W[K x N]`.
 *
 * Weight layout (what the LUT export must use): `weight[g*K*N + k*N + n]`, i.e. [groups][K][N] row-major.
 * - Conv, weight W[Cout, Cin/g, kh, kw] (any number of kernel dims): N = Cout/g, K = Cin/g * kh * kw, and
 *   the im2col K index of input channel `cin` (within its group) at kernel offset (y, x) is
 *   `k = ((cin * kh) + y) * kw + x` (channel-major, then kernel rows, then columns; 1-D/3-D likewise).
 *   Output channel `g*N + n` belongs to group g.
 * - Gemm: W = alpha * op(B) as [K x N] (transB applied); bias = beta * C when C is per column (length N or 1).
 *   transA=1 means the activation is stored [K x M]; `transA` says so.
 * - MatMul with a constant 2-D (or 1-D) right operand B[K x N]: W = B; M = product of A's leading dims.
 */

export interface ConvAttributes {
  kernel: number[]; // kernel spatial dims (kh, kw) or (k) or (kd, kh, kw)
  strides: number[];
  dilations: number[];
  pads: number[]; // ONNX order: begins then ends; with auto_pad SAME_* these are the pads it resolves to
  autoPad: 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  group: number;
  inChannels: number; // total input channels
  outChannels: number;
}

export interface ConvertibleLayer {
  info: GemmLayerInfo;
  /** The node in `AnalyzedModel.model` (the folded model). */
  node: NodeProto;
  nodeIndex: number;
  /** The activation tensor the layer reads, and the tensor it writes. */
  input: string;
  output: string;
  /** [groups][K][N] row-major, see the file comment. */
  weight: Float32Array;
  /** One value per output column of each group ([groups * N]), or undefined. */
  bias?: Float32Array;
  conv?: ConvAttributes;
  transA?: boolean;
  /** Shapes seen when running the model once (batch 1 unless the caller gave another input shape). */
  inputShape?: number[];
  outputShape?: number[];
}

export interface AnalyzedModel {
  /** The model after constant and BatchNormalization folding; layers' nodes point into it. */
  model: ModelProto;
  layers: ConvertibleLayer[];
  dense: DenseLayerInfo[];
  /** Layers already converted to lookup tables (read from metadata). */
  lutLayers: GemmLayerInfo[];
  /** Shapes of the graph inputs used for shape inference. */
  inputShapes: Record<string, number[]>;
}

export interface AnalyzeOptions {
  /** Graph input shapes; unset dims default to the declared ones with symbolic/unknown dims set to 1. */
  inputShapes?: Record<string, number[]>;
  /** Run onnxruntime once to learn M and the shapes (default true). Without it M is 0. */
  inferShapes?: boolean;
  /** Skip constant/BN folding (when the caller already folded). */
  noFold?: boolean;
  label?: string;
}

const MATMUL_LIKE = new Set(['Conv', 'Gemm', 'MatMul', 'ConvTranspose', 'MatMulInteger', 'QLinearMatMul', 'QLinearConv', 'ConvInteger']);

/** A stable, unique layer name: the node name, or `<op>_<index>` when it has none. */
export function layerName(node: NodeProto, index: number, taken?: Set<string>): string {
  let name = node.name || `${node.opType}_${index}`;
  if (taken) {
    if (taken.has(name)) name = `${name}_${index}`;
    taken.add(name);
  }
  return name;
}

function declaredShape(v: ValueInfoProto): (number | undefined)[] | undefined {
  const s = v.type?.tensorType?.shape;
  return s?.dim.map((d) => (d.dimValue !== undefined && d.dimValue >= 0 && d.dimParam === undefined ? d.dimValue : undefined));
}

/** The real graph inputs (not initializers), with declared shapes. */
export function graphInputs(model: ModelProto): { name: string; elemType: number; shape: (number | undefined)[] | undefined }[] {
  const g = model.graph!;
  const inits = new Set(g.initializer.map((t) => t.name));
  return g.input
    .filter((v) => v.name && !inits.has(v.name))
    .map((v) => ({ name: v.name!, elemType: v.type?.tensorType?.elemType ?? DataType.FLOAT, shape: declaredShape(v) }));
}

function zeros(elemType: number, dims: number[], what: string): TypedTensor {
  const n = elementCount(dims, what);
  const type = ortTypeOf(elemType) ?? 'float32';
  const arrays: Record<string, () => TypedTensor['data']> = {
    float32: () => new Float32Array(n), float64: () => new Float64Array(n), int64: () => new BigInt64Array(n),
    uint64: () => new BigUint64Array(n), int32: () => new Int32Array(n), uint32: () => new Uint32Array(n),
    int8: () => new Int8Array(n), uint8: () => new Uint8Array(n), bool: () => new Uint8Array(n), int16: () => new Int16Array(n),
    uint16: () => new Uint16Array(n), float16: () => new Uint16Array(n), string: () => new Array<string>(n).fill(''),
  };
  return { type, data: (arrays[type] ?? arrays.float32)(), dims };
}

function weightOf(consts: Map<string, TensorProto>, name: string, label: string, layer: string): { data: Float32Array; dims: number[] } | undefined {
  const t = consts.get(name);
  if (!t) return undefined;
  const data = tensorToFloat32(t, label);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new OnnxFormatError(`${label}: layer '${layer}': constant '${name}' holds a non-finite value (${data[i]}) at index ${i}`);
    }
  }
  return { data, dims: t.dims.slice() };
}

function convAttributes(node: NodeProto, w: number[]): ConvAttributes {
  const spatial = w.slice(2);
  const r = spatial.length;
  const group = attrInt(node, 'group', 1);
  return {
    kernel: attrInts(node, 'kernel_shape') ?? spatial,
    strides: attrInts(node, 'strides') ?? new Array<number>(r).fill(1),
    dilations: attrInts(node, 'dilations') ?? new Array<number>(r).fill(1),
    pads: attrInts(node, 'pads') ?? new Array<number>(2 * r).fill(0),
    autoPad: attrString(node, 'auto_pad', 'NOTSET') as ConvAttributes['autoPad'],
    group,
    inChannels: w[1] * group,
    outChannels: w[0],
  };
}

/** Resolves auto_pad to explicit pads for the given input spatial size (ONNX's formula). */
export function resolvePads(c: ConvAttributes, inSpatial: number[]): number[] {
  const r = c.kernel.length;
  if (c.autoPad === 'NOTSET') return c.pads.slice();
  if (c.autoPad === 'VALID') return new Array<number>(2 * r).fill(0);
  const pads = new Array<number>(2 * r).fill(0);
  for (let i = 0; i < r; i++) {
    const out = Math.ceil(inSpatial[i] / c.strides[i]);
    const eff = (c.kernel[i] - 1) * c.dilations[i] + 1;
    const total = Math.max(0, (out - 1) * c.strides[i] + eff - inSpatial[i]);
    const small = Math.floor(total / 2);
    pads[i] = c.autoPad === 'SAME_UPPER' ? small : total - small;
    pads[i + r] = total - pads[i];
  }
  return pads;
}

interface Candidate {
  layer?: Omit<ConvertibleLayer, 'info'> & { info: Omit<GemmLayerInfo, 'm'> };
  dense?: DenseLayerInfo & { inputs: string[]; output: string };
}

function examine(node: NodeProto, index: number, name: string, consts: Map<string, TensorProto>, label: string): Candidate | undefined {
  const op = node.opType ?? '';
  if (node.domain && node.domain !== 'ai.onnx') return undefined;
  if (!MATMUL_LIKE.has(op)) return undefined;
  const denseOf = (reason: string): Candidate => ({ dense: { name, op, reason, inputs: node.input.slice(0, 2), output: node.output[0] } });
  const input = node.input[0];
  const output = node.output[0];
  if (op === 'Conv') {
    const w = weightOf(consts, node.input[1], label, name);
    if (!w) return denseOf('the Conv weight is not a constant');
    if (consts.has(input)) return denseOf('the Conv input is a constant');
    if (w.dims.length < 3) throw new OnnxFormatError(`${label}: Conv '${name}': weight '${node.input[1]}' has shape [${w.dims.join(',')}], expected [Cout, Cin/group, k...]`);
    const conv = convAttributes(node, w.dims);
    if (conv.group < 1 || w.dims[0] % conv.group) throw new OnnxFormatError(`${label}: Conv '${name}': ${w.dims[0]} output channels do not divide into ${conv.group} groups`);
    const groups = conv.group;
    const n = w.dims[0] / groups;
    const k = elementCount(w.dims.slice(1));
    const weight = new Float32Array(groups * k * n);
    for (let g = 0; g < groups; g++) {
      for (let j = 0; j < n; j++) {
        const src = (g * n + j) * k;
        const dst = g * k * n + j;
        for (let kk = 0; kk < k; kk++) weight[dst + kk * n] = w.data[src + kk];
      }
    }
    let bias: Float32Array | undefined;
    if (node.input[2]) {
      const b = weightOf(consts, node.input[2], label, name);
      if (!b) return denseOf('the Conv bias is not a constant');
      bias = b.data;
    }
    return { layer: { info: { name, op: 'Conv', k, n, groups }, node, nodeIndex: index, input, output, weight, bias, conv } };
  }
  if (op === 'Gemm') {
    const transA = attrInt(node, 'transA', 0) === 1;
    const transB = attrInt(node, 'transB', 0) === 1;
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    const b = weightOf(consts, node.input[1], label, name);
    if (!b) return denseOf(consts.has(input) ? 'the constant operand is on the left (A)' : 'both Gemm operands are activations');
    if (b.dims.length !== 2) throw new OnnxFormatError(`${label}: Gemm '${name}': B has shape [${b.dims.join(',')}], expected 2-D`);
    const [k, n] = transB ? [b.dims[1], b.dims[0]] : b.dims;
    const weight = new Float32Array(k * n);
    for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) weight[kk * n + j] = alpha * (transB ? b.data[j * k + kk] : b.data[kk * n + j]);
    let bias: Float32Array | undefined;
    if (node.input[2]) {
      const c = weightOf(consts, node.input[2], label, name);
      if (!c) return denseOf('the Gemm bias C is not a constant');
      const cn = c.data.length;
      const lastDim = c.dims.length ? c.dims[c.dims.length - 1] : 1;
      if (cn === n && lastDim === n) bias = c.data.map((v) => beta * v);
      else if (cn === 1) bias = new Float32Array(n).fill(beta * c.data[0]);
      else return denseOf(`the Gemm bias C of shape [${c.dims.join(',')}] is not one value per output column`);
    }
    return { layer: { info: { name, op: 'Gemm', k, n, groups: 1 }, node, nodeIndex: index, input, output, weight, bias, transA } };
  }
  if (op === 'MatMul') {
    const b = weightOf(consts, node.input[1], label, name);
    if (!b) return denseOf(consts.has(input) ? 'the constant operand is on the left (A)' : 'a matmul of two activations');
    if (b.dims.length > 2) return denseOf(`the constant operand has shape [${b.dims.join(',')}] (batched weights)`);
    const [k, n] = b.dims.length === 2 ? b.dims : [b.dims[0], 1];
    return { layer: { info: { name, op: 'MatMul', k, n, groups: 1 }, node, nodeIndex: index, input, output, weight: b.data } };
  }
  return denseOf(`${op} is not converted to a lookup table`);
}

function rowsOf(layer: ConvertibleLayer, inShape: number[] | undefined, outShape: number[] | undefined): number {
  if (!inShape || !outShape) return 0;
  if (layer.info.op === 'Conv') return outShape[0] * outShape.slice(2).reduce((a, d) => a * d, 1);
  if (layer.info.op === 'Gemm') return layer.transA ? inShape[1] : inShape[0];
  return inShape.length <= 1 ? 1 : inShape.slice(0, -1).reduce((a, d) => a * d, 1);
}

/**
 * Finds the convertible layers (after folding), the dense matmul-like ones, and the already converted LUT layers;
 * runs the model once on zeros to learn every layer's real shapes and so M.
 */
export async function analyzeModel(original: ModelProto, opts: AnalyzeOptions = {}): Promise<AnalyzedModel> {
  const label = opts.label ?? 'model';
  if (!original.graph) throw new OnnxFormatError(`${label}: the model has no graph`);
  const model = opts.noFold ? original : foldForConversion(original);
  const g = model.graph!;
  const consts = constantsOf(g);
  const layers: ConvertibleLayer[] = [];
  const dense: (DenseLayerInfo & { inputs: string[]; output: string })[] = [];
  const taken = new Set<string>();
  const lutLayers = lutLayersOf(model);
  const lutPrefixes = lutLayers.map((l) => lutNodePrefix(l.name));
  const insideLut = (n: NodeProto) => !!n.name?.startsWith(LUT_NODE_PREFIX) && lutPrefixes.some((p) => n.name!.startsWith(p));
  g.node.forEach((node, i) => {
    if (insideLut(node)) return;
    const c = examine(node, i, layerName(node, i, taken), consts, label);
    if (c?.layer) layers.push({ ...c.layer, info: { ...c.layer.info, m: 0 } });
    else if (c?.dense) dense.push(c.dense);
  });
  const inputShapes: Record<string, number[]> = {};
  for (const inp of graphInputs(model)) {
    inputShapes[inp.name] = opts.inputShapes?.[inp.name] ?? (inp.shape ?? [1]).map((d) => d ?? 1);
  }
  if (opts.inferShapes !== false && (layers.length || dense.length)) {
    const names = new Set<string>();
    for (const l of layers) names.add(l.input).add(l.output);
    for (const d of dense) {
      d.inputs.forEach((x) => x && names.add(x));
      names.add(d.output);
    }
    for (const c of consts.keys()) names.delete(c);
    const shapes = await inferTensorShapes(model, [...names], inputShapes, label);
    for (const l of layers) {
      l.inputShape = shapes[l.input] ?? consts.get(l.input)?.dims;
      l.outputShape = shapes[l.output];
      l.info.m = rowsOf(l, l.inputShape, l.outputShape);
    }
    for (const d of dense) {
      const a = shapes[d.inputs[0]] ?? consts.get(d.inputs[0])?.dims;
      const b = shapes[d.inputs[1]] ?? consts.get(d.inputs[1])?.dims;
      if (a && b && a.length >= 1 && b.length >= 1 && (d.op === 'MatMul' || d.op === 'Gemm')) {
        d.m = a.length === 1 ? 1 : a.slice(0, -1).reduce((x, y) => x * y, 1);
        d.k = a[a.length - 1];
        d.n = b.length === 1 ? 1 : b[b.length - 1];
      }
    }
  }
  return { model, layers, dense: dense.map(({ inputs: _i, output: _o, ...rest }) => rest), lutLayers, inputShapes };
}

/** Runs the model once on zero inputs of the given shapes and returns the shapes of the named tensors. */
export async function inferTensorShapes(model: ModelProto, names: readonly string[], inputShapes: Record<string, number[]>, label = 'model'): Promise<Record<string, number[]>> {
  const session = await createSession(withExtraOutputs(model, names), { label });
  try {
    const feeds: Record<string, TypedTensor> = {};
    for (const inp of graphInputs(model)) feeds[inp.name] = zeros(inp.elemType, inputShapes[inp.name] ?? (inp.shape ?? [1]).map((d) => d ?? 1), `${label}: input '${inp.name}'`);
    const res = await run(session, feeds, names, label);
    const out: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(res)) out[k] = v.dims;
    return out;
  } finally {
    await release(session);
  }
}

/** LUT layers recorded in the model's metadata by the conversion (keys `lutdla.layer.<name>`, see layerInfo.ts). */
export function lutLayersOf(model: ModelProto): GemmLayerInfo[] {
  const out: GemmLayerInfo[] = [];
  for (const p of model.metadataProps) {
    if (!p.key?.startsWith(LUT_METADATA_PREFIX)) continue;
    const info = parseLutMetadata(p.key.slice(LUT_METADATA_PREFIX.length), p.value ?? '');
    if (info) out.push(info);
  }
  return out;
}
