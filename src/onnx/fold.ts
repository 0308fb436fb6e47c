import { attrInt, attrInts, attrTensor, getAttribute } from './builder';
import { elementCount, makeTensorFromTyped, NumericArray, OrtTypeName, tensorToTyped, TypedTensor } from './tensor';
import { DataType, GraphProto, ModelProto, NodeProto, OnnxFormatError, TensorProto } from './types';

/**
 * Constant folding of the data-movement chains that hide weights (Reshape, Transpose, Cast, Squeeze, Unsqueeze,
 * Flatten, Identity of initializers or Constant nodes), and BatchNormalization folded into the Conv before it.
 * Both return a new model that computes the same outputs; the input model is not modified.
 */

/** Folded constants larger than this many elements are left as they are (memory bound). */
const MAX_FOLD_ELEMENTS = 1 << 26;

const FOLDABLE = new Set(['Reshape', 'Transpose', 'Cast', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Constant']);

/** Names of tensors read from inside subgraphs (If/Loop/Scan bodies): their producers must stay visible. */
function subgraphReads(g: GraphProto, out = new Set<string>()): Set<string> {
  for (const n of g.node) {
    for (const a of n.attribute) {
      for (const sg of [...(a.g ? [a.g] : []), ...a.graphs]) {
        for (const m of sg.node) for (const i of m.input) out.add(i);
        subgraphReads(sg, out);
      }
    }
  }
  return out;
}

/** The value of a Constant node, or undefined for forms we do not fold (sparse, strings lists). */
export function constantNodeValue(n: NodeProto): TensorProto | undefined {
  const t = attrTensor(n, 'value');
  if (t) return t;
  const name = n.output[0];
  const f = getAttribute(n, 'value_float');
  if (f?.f !== undefined) return makeTensorFromTyped(name, { type: 'float32', data: Float32Array.of(f.f), dims: [] });
  const fs = getAttribute(n, 'value_floats');
  if (fs) return makeTensorFromTyped(name, { type: 'float32', data: Float32Array.from(fs.floats), dims: [fs.floats.length] });
  const i = getAttribute(n, 'value_int');
  if (i?.i !== undefined) return makeTensorFromTyped(name, { type: 'int64', data: BigInt64Array.of(BigInt(i.i)), dims: [] });
  const is = getAttribute(n, 'value_ints');
  if (is) return makeTensorFromTyped(name, { type: 'int64', data: BigInt64Array.from(is.ints, (v) => BigInt(v)), dims: [is.ints.length] });
  return undefined;
}

/** Constant tensors of a graph by name: initializers and Constant node outputs (not folded). */
export function constantsOf(g: GraphProto): Map<string, TensorProto> {
  const m = new Map<string, TensorProto>();
  for (const t of g.initializer) if (t.name) m.set(t.name, t);
  for (const n of g.node) {
    if (n.opType === 'Constant' && !n.domain) {
      const v = constantNodeValue(n);
      if (v) m.set(n.output[0], { ...v, name: n.output[0] });
    }
  }
  return m;
}

function numbers(t: TypedTensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

function newLike(data: TypedTensor['data'], n: number): TypedTensor['data'] {
  if (Array.isArray(data)) return new Array<string>(n);
  const Ctor = (data as NumericArray).constructor as new (n: number) => NumericArray;
  return new Ctor(n);
}

function transpose(t: TypedTensor, perm: number[]): TypedTensor {
  const r = t.dims.length;
  const dims = perm.map((p) => t.dims[p]);
  const n = elementCount(t.dims);
  const src = t.data as ArrayLike<unknown>;
  const out = newLike(t.data, n) as unknown as unknown[];
  const inStrides = new Array<number>(r).fill(1);
  for (let i = r - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * t.dims[i + 1];
  const strideOfOut = perm.map((p) => inStrides[p]);
  const idx = new Array<number>(r).fill(0);
  let srcPos = 0;
  for (let o = 0; o < n; o++) {
    out[o] = src[srcPos];
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      srcPos += strideOfOut[d];
      if (idx[d] < dims[d]) break;
      srcPos -= strideOfOut[d] * dims[d];
      idx[d] = 0;
    }
  }
  return { type: t.type, data: out as unknown as TypedTensor['data'], dims };
}

function reshapeDims(inDims: number[], shape: number[], allowzero: boolean): number[] {
  const n = elementCount(inDims);
  const out = shape.map((d, i) => (d === 0 && !allowzero ? inDims[i] : d));
  const unknown = out.indexOf(-1);
  if (unknown >= 0) {
    const known = out.reduce((a, d, i) => (i === unknown ? a : a * d), 1);
    out[unknown] = known ? n / known : 0;
  }
  if (out.some((d) => !Number.isInteger(d) || d < 0) || elementCount(out) !== n) {
    throw new OnnxFormatError(`Reshape of [${inDims.join(',')}] to [${shape.join(',')}] does not keep the element count`);
  }
  return out;
}

const CAST_TO: Record<number, OrtTypeName> = {
  [DataType.FLOAT]: 'float32', [DataType.DOUBLE]: 'float64', [DataType.INT64]: 'int64', [DataType.INT32]: 'int32',
  [DataType.INT8]: 'int8', [DataType.UINT8]: 'uint8', [DataType.INT16]: 'int16', [DataType.UINT16]: 'uint16',
};

function cast(t: TypedTensor, to: number): TypedTensor | undefined {
  const type = CAST_TO[to];
  if (!type || t.type === 'string' || t.type === 'bool' || t.type === 'float16' || t.type === 'uint4' || t.type === 'int4') return undefined;
  const vals = numbers(t);
  if (type === 'int64') return { type, data: BigInt64Array.from(vals, (v) => BigInt(Math.trunc(v))), dims: t.dims };
  if (type === 'float32') return { type, data: Float32Array.from(vals), dims: t.dims };
  if (type === 'float64') return { type, data: Float64Array.from(vals), dims: t.dims };
  // Integer casts saturate nowhere in ONNX; they wrap like C casts. Typed arrays do the same on assignment.
  const Ctor = { int32: Int32Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array }[type as 'int32'];
  return { type, data: Ctor.from(vals, Math.trunc), dims: t.dims };
}

function normAxes(axes: number[], rank: number): number[] {
  return axes.map((a) => (a < 0 ? a + rank : a));
}

/** Evaluates one foldable node on constant inputs; undefined when the form is not handled. */
function evaluate(n: NodeProto, inputs: (TypedTensor | undefined)[], opset: number): TypedTensor | undefined {
  const x = inputs[0];
  if (!x) return undefined;
  switch (n.opType) {
    case 'Identity':
      return x;
    case 'Reshape': {
      const shape = opset >= 5 ? inputs[1] && numbers(inputs[1]) : attrInts(n, 'shape');
      if (!shape) return undefined;
      return { ...x, dims: reshapeDims(x.dims, shape, attrInt(n, 'allowzero', 0) === 1) };
    }
    case 'Flatten': {
      let axis = attrInt(n, 'axis', 1);
      if (axis < 0) axis += x.dims.length;
      const a = x.dims.slice(0, axis).reduce((p, d) => p * d, 1);
      return { ...x, dims: [a, elementCount(x.dims) / (a || 1)] };
    }
    case 'Transpose': {
      const perm = attrInts(n, 'perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
      return transpose(x, perm);
    }
    case 'Cast':
      return cast(x, attrInt(n, 'to', 0));
    case 'Squeeze': {
      const axesList = inputs[1] ? numbers(inputs[1]) : attrInts(n, 'axes');
      const axes = axesList ? normAxes(axesList, x.dims.length) : x.dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      return { ...x, dims: x.dims.filter((_, i) => !axes.includes(i)) };
    }
    case 'Unsqueeze': {
      const axesList = inputs[1] ? numbers(inputs[1]) : attrInts(n, 'axes');
      if (!axesList) return undefined;
      const rank = x.dims.length + axesList.length;
      const axes = normAxes(axesList, rank);
      const dims: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) dims.push(axes.includes(i) ? 1 : x.dims[j++]);
      return { ...x, dims };
    }
    default:
      return undefined;
  }
}

function opsetOf(model: ModelProto): number {
  return model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 1;
}

/**
 * Folds chains of foldable nodes whose inputs are all constant into initializers. Constant nodes whose outputs
 * are consumed by remaining nodes become initializers too. Nodes in subgraphs are not touched.
 */
export function foldConstants(model: ModelProto): ModelProto {
  const g = model.graph;
  if (!g) return model;
  const opset = opsetOf(model);
  const graphInputs = new Set(g.input.map((i) => i.name));
  // Initializers that are also graph inputs are overridable defaults in IR < 4; still treated as weights here.
  const values = new Map<string, TensorProto>();
  for (const t of g.initializer) if (t.name) values.set(t.name, t);
  const decoded = new Map<string, TypedTensor>();
  const getTyped = (name: string): TypedTensor | undefined => {
    if (!name) return undefined;
    let t = decoded.get(name);
    if (!t) {
      const p = values.get(name);
      if (!p) return undefined;
      try {
        t = tensorToTyped(p);
      } catch {
        return undefined;
      }
      decoded.set(name, t);
    }
    return t;
  };
  const folded = new Set<NodeProto>();
  const produced = new Map<string, TypedTensor>();
  for (const n of g.node) {
    if (n.domain || !FOLDABLE.has(n.opType ?? '') || n.output.length !== 1) continue;
    if (n.opType === 'Constant') {
      const v = constantNodeValue(n);
      if (!v) continue;
      let t: TypedTensor;
      try {
        t = tensorToTyped(v);
      } catch {
        continue;
      }
      folded.add(n);
      produced.set(n.output[0], t);
      decoded.set(n.output[0], t);
      values.set(n.output[0], v);
      continue;
    }
    const ins = n.input.map((i) => (i ? getTyped(i) : undefined));
    if (n.input.some((i, k) => i && !ins[k])) continue;
    if (n.input.some((i) => graphInputs.has(i) && !values.has(i))) continue;
    let r: TypedTensor | undefined;
    try {
      r = evaluate(n, ins, opset);
    } catch {
      r = undefined;
    }
    if (!r || (r.data as ArrayLike<unknown>).length > MAX_FOLD_ELEMENTS) continue;
    folded.add(n);
    produced.set(n.output[0], r);
    decoded.set(n.output[0], r);
    values.set(n.output[0], makeTensorFromTyped(n.output[0], r));
  }
  if (!folded.size) return model;
  const kept = g.node.filter((n) => !folded.has(n));
  const needed = new Set<string>([...kept.flatMap((n) => n.input), ...g.output.map((o) => o.name ?? ''), ...subgraphReads(g)]);
  const initializer = g.initializer.filter((t) => needed.has(t.name ?? '') || graphInputs.has(t.name));
  for (const [name, t] of produced) {
    if (needed.has(name)) initializer.push(makeTensorFromTyped(name, t));
  }
  return { ...model, graph: { ...g, node: kept, initializer } };
}

/** How many nodes read each tensor (including reads from subgraphs and graph outputs). */
export function consumerCounts(g: GraphProto): Map<string, number> {
  const c = new Map<string, number>();
  const add = (s: string) => c.set(s, (c.get(s) ?? 0) + 1);
  for (const n of g.node) for (const i of n.input) if (i) add(i);
  for (const o of g.output) if (o.name) add(o.name);
  for (const s of subgraphReads(g)) add(s);
  return c;
}

/**
 * Folds every BatchNormalization (inference form) that directly follows a Conv whose output feeds only that BN,
 * when the Conv weight/bias and the BN parameters are constants: W' = W * s, b' = (b - mean) * s + beta with
 * s = scale / sqrt(var + epsilon). The Conv then writes the BN's output tensor.
 */
export function foldBatchNorm(model: ModelProto): ModelProto {
  const g = model.graph;
  if (!g) return model;
  const consts = constantsOf(g);
  const uses = consumerCounts(g);
  const producer = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  const removed = new Set<NodeProto>();
  const replaced = new Map<NodeProto, NodeProto>();
  const newInits: TensorProto[] = [];
  const used = new Set([...g.initializer.map((t) => t.name ?? ''), ...g.node.flatMap((n) => n.output)]);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  for (const bn of g.node) {
    if (bn.opType !== 'BatchNormalization' || bn.domain) continue;
    if (bn.output.filter(Boolean).length !== 1 || attrInt(bn, 'training_mode', 0) !== 0) continue;
    const conv = producer.get(bn.input[0]);
    if (!conv || conv.opType !== 'Conv' || conv.domain || replaced.has(conv) || uses.get(bn.input[0]) !== 1) continue;
    const [wT, bT] = [consts.get(conv.input[1]), conv.input[2] ? consts.get(conv.input[2]) : undefined];
    const p = bn.input.slice(1, 5).map((i) => consts.get(i));
    if (!wT || (conv.input[2] && !bT) || p.some((t) => !t)) continue;
    let w: TypedTensor;
    let params: number[][];
    let bias: number[] | undefined;
    try {
      w = tensorToTyped(wT);
      params = p.map((t) => numbers(tensorToTyped(t!)));
      bias = bT ? numbers(tensorToTyped(bT)) : undefined;
    } catch {
      continue;
    }
    if (w.type !== 'float32' && w.type !== 'float64') continue;
    const cout = w.dims[0];
    const [scale, beta, mean, variance] = params;
    if ([scale, beta, mean, variance].some((a) => a.length !== cout)) continue;
    const eps = getAttribute(bn, 'epsilon')?.f ?? 1e-5;
    const per = elementCount(w.dims) / cout;
    const wd = w.data as Float32Array | Float64Array;
    const nw = new Float32Array(wd.length);
    const nb = new Float32Array(cout);
    for (let o = 0; o < cout; o++) {
      const s = scale[o] / Math.sqrt(variance[o] + eps);
      for (let j = 0; j < per; j++) nw[o * per + j] = wd[o * per + j] * s;
      nb[o] = ((bias ? bias[o] : 0) - mean[o]) * s + beta[o];
    }
    const wName = fresh(`${conv.input[1]}_bnfolded`);
    const bName = fresh(`${conv.name || conv.input[1]}_bias_bnfolded`);
    newInits.push(makeTensorFromTyped(wName, { type: 'float32', data: nw, dims: w.dims }));
    newInits.push(makeTensorFromTyped(bName, { type: 'float32', data: nb, dims: [cout] }));
    replaced.set(conv, { ...conv, input: [conv.input[0], wName, bName], output: [bn.output[0]] });
    removed.add(bn);
  }
  if (!removed.size) return model;
  const node = g.node.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  const stillRead = new Set([...node.flatMap((n) => n.input), ...g.output.map((o) => o.name ?? ''), ...subgraphReads(g)]);
  const graphInputs = new Set(g.input.map((i) => i.name));
  const initializer = [...g.initializer.filter((t) => stillRead.has(t.name ?? '') || graphInputs.has(t.name)), ...newInits];
  return { ...model, graph: { ...g, node, initializer } };
}

/** Both folds, in the order the analysis needs them. */
export function foldForConversion(model: ModelProto): ModelProto {
  return foldBatchNorm(foldConstants(model));
}

