import { attr, GraphBuilder } from '../onnx/builder';
import { makeTensor, tensorToFloat32 } from '../onnx/tensor';
import { AttributeType, DataType, type AttributeProto, type ModelProto, type TensorProto, type ValueInfoProto } from '../onnx/types';
import type { AttrValue, GraphNode, TrainGraph, ValueInfo } from './graph';
import type { Tensor } from './tensor';

/**
 * The bridge between ONNX models (src/onnx's ModelProto) and the executor's TrainGraph: import a model to train
 * it, export a TrainGraph built in code (the demo CNN), and write trained parameters back into a model.
 */

function attrValue(a: AttributeProto, where: string): AttrValue | undefined {
  const num = (v: number | bigint): number => (typeof v === 'bigint' ? Number(v) : v);
  switch (a.type) {
    case AttributeType.FLOAT: return a.f ?? 0;
    case AttributeType.INT: return num(a.i ?? 0);
    case AttributeType.STRING: return Buffer.from(a.s ?? new Uint8Array()).toString('utf8');
    case AttributeType.FLOATS: return a.floats.slice();
    case AttributeType.INTS: return a.ints.map(num);
    case AttributeType.STRINGS: return a.strings.map((s) => Buffer.from(s).toString('utf8'));
    case AttributeType.TENSOR: return a.t ? tensorOf(a.t, where) : undefined;
    default: return undefined; // graphs and the like: no operator the executor runs uses them
  }
}

function tensorOf(t: TensorProto, where: string): Tensor {
  return { shape: t.dims.slice(), data: tensorToFloat32(t, where) };
}

function valueInfo(v: ValueInfoProto): ValueInfo {
  const tt = v.type?.tensorType;
  return {
    name: v.name ?? '',
    shape: (tt?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined ? d.dimValue : d.dimParam ?? -1)),
    elemType: tt?.elemType === DataType.FLOAT ? 'float' : tt?.elemType === DataType.INT64 ? 'int64' : undefined,
  };
}

/** Imports an ONNX model; `params` picks the initializers that train (default: every float initializer of rank >= 1). */
export function graphFromOnnx(model: ModelProto, params?: (name: string, t: TensorProto) => boolean): TrainGraph {
  const g = model.graph;
  if (!g) throw new Error('the model has no graph');
  const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 17;
  const initializers = new Map<string, Tensor>();
  const trainable = new Set<string>();
  for (const t of g.initializer) {
    const name = t.name ?? '';
    initializers.set(name, tensorOf(t, `initializer '${name}'`));
    const isFloat = t.dataType === DataType.FLOAT;
    if (params ? params(name, t) : isFloat && t.dims.length >= 1) trainable.add(name);
  }
  const nodes: GraphNode[] = g.node.map((n, i) => {
    const name = n.name || `${n.opType ?? 'node'}_${i}`;
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute) {
      const v = attrValue(a, `node '${name}' attribute '${a.name}'`);
      if (v !== undefined && a.name) attrs[a.name] = v;
    }
    return { name, op: n.opType ?? '', domain: n.domain || undefined, inputs: n.input.slice(), outputs: n.output.slice(), attrs };
  });
  return {
    name: g.name ?? 'graph',
    opset,
    nodes,
    inputs: g.input.filter((v) => !initializers.has(v.name ?? '')).map(valueInfo),
    outputs: g.output.map(valueInfo),
    initializers,
    params: trainable,
  };
}

/** Attributes that are floats in ONNX even when their value happens to be a whole number. */
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon', 'momentum', 'value_float', 'gamma', 'bias', 'lambd', 'ratio']);

function attrProto(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') return FLOAT_ATTRS.has(name) || !Number.isInteger(v) ? attr.float(name, v) : attr.int(name, v);
  if (typeof v === 'string') return attr.string(name, v);
  if (Array.isArray(v)) {
    if (v.length && typeof v[0] === 'string') return attr.strings(name, v as string[]);
    const nums = v as number[];
    return name === 'value_floats' || nums.some((x) => !Number.isInteger(x)) ? attr.floats(name, nums) : attr.ints(name, nums);
  }
  return attr.tensor(name, makeTensor(name, v.shape, v.data, DataType.FLOAT));
}

/**
 * Exports a TrainGraph as an ONNX model with the project's writer. Initializers named in `int64` are written as
 * INT64 (shape and index tensors); the rest as float32.
 */
export function graphToOnnx(graph: TrainGraph, opts: { int64?: Set<string>; metadata?: Record<string, string>; docString?: string } = {}): ModelProto {
  const b = new GraphBuilder(graph.name, graph.opset);
  for (const i of graph.inputs) b.addInput(i.name, i.shape.map((d) => (d === -1 ? undefined : d)), i.elemType === 'int64' ? DataType.INT64 : DataType.FLOAT);
  for (const [name, t] of graph.initializers) {
    if (opts.int64?.has(name)) b.addInitializer(makeTensor(name, t.shape, Array.from(t.data)));
    else b.addFloat(name, t.shape, t.data);
  }
  for (const n of graph.nodes) {
    b.addNode(n.op, n.inputs, n.outputs, Object.entries(n.attrs).map(([k, v]) => attrProto(k, v)), n.name, n.domain);
  }
  for (const o of graph.outputs) b.addOutput(o.name, o.shape.map((d) => (d === -1 ? undefined : d)));
  for (const [k, v] of Object.entries(opts.metadata ?? {})) b.setMetadata(k, v);
  const m = b.build();
  if (opts.docString) m.docString = opts.docString;
  return m;
}

/**
 * Writes the current values of the graph's parameters back into the model's initializers of the same name
 * (float32), so onnxruntime computes what the executor computes. Returns the names written.
 */
export function writeParamsBack(model: ModelProto, graph: TrainGraph, names: Iterable<string> = graph.params): string[] {
  const g = model.graph;
  if (!g) throw new Error('the model has no graph');
  const byName = new Map(g.initializer.map((t, i) => [t.name ?? '', i]));
  const written: string[] = [];
  for (const name of names) {
    const i = byName.get(name);
    const t = graph.initializers.get(name);
    if (i === undefined || !t) continue;
    const old = g.initializer[i];
    if (old.dataType !== DataType.FLOAT) throw new Error(`initializer '${name}' is ${old.dataType}, not float32: cannot write trained values into it`);
    g.initializer[i] = makeTensor(name, old.dims, t.data, DataType.FLOAT);
    written.push(name);
  }
  return written;
}
