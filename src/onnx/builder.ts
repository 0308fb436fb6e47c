import { AttributeProto, AttributeType, DataType, FunctionProto, GraphProto, Int64, ModelProto, NodeProto, OnnxFormatError, OperatorSetIdProto, TensorProto, TypeProto, ValueInfoProto } from './types';
import { floatTensor } from './tensor';

/** Builders for nodes, attributes, value infos and whole models, plus attribute readers. */

function emptyAttribute(name: string, type: AttributeType): AttributeProto {
  return { name, type, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] };
}

/** Typed attribute constructors: `attr.int('axis', 1)`, `attr.floats('scales', [1, 2])`, ... */
export const attr = {
  int(name: string, v: Int64): AttributeProto {
    return { ...emptyAttribute(name, AttributeType.INT), i: v };
  },
  float(name: string, v: number): AttributeProto {
    return { ...emptyAttribute(name, AttributeType.FLOAT), f: v };
  },
  string(name: string, v: string): AttributeProto {
    return { ...emptyAttribute(name, AttributeType.STRING), s: new Uint8Array(Buffer.from(v, 'utf8')) };
  },
  ints(name: string, v: readonly Int64[]): AttributeProto {
    return { ...emptyAttribute(name, AttributeType.INTS), ints: v.slice() };
  },
  floats(name: string, v: readonly number[]): AttributeProto {
    return { ...emptyAttribute(name, AttributeType.FLOATS), floats: v.slice() };
  },
  strings(name: string, v: readonly string[]): AttributeProto {
    return { ...emptyAttribute(name, AttributeType.STRINGS), strings: v.map((s) => new Uint8Array(Buffer.from(s, 'utf8'))) };
  },
  tensor(name: string, t: TensorProto): AttributeProto {
    return { ...emptyAttribute(name, AttributeType.TENSOR), t };
  },
  graph(name: string, g: GraphProto): AttributeProto {
    return { ...emptyAttribute(name, AttributeType.GRAPH), g };
  },
};

export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: readonly AttributeProto[] = [],
  name?: string,
  domain?: string,
): NodeProto {
  const n: NodeProto = { opType, input: inputs.slice(), output: outputs.slice(), attribute: attributes.slice(), metadataProps: [] };
  if (name !== undefined) n.name = name;
  if (domain) n.domain = domain;
  return n;
}

/** A tensor type; a string dimension is symbolic (e.g. 'N'), a negative or undefined one is unknown. */
export function makeTensorType(elemType: number, shape?: readonly (number | string | undefined)[]): TypeProto {
  const t: TypeProto = { tensorType: { elemType } };
  if (shape) {
    t.tensorType!.shape = {
      dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : d === undefined || d < 0 ? {} : { dimValue: d })),
    };
  }
  return t;
}

export function makeValueInfo(name: string, elemType: number = DataType.FLOAT, shape?: readonly (number | string | undefined)[]): ValueInfoProto {
  return { name, type: makeTensorType(elemType, shape), metadataProps: [] };
}

export function emptyGraph(name = 'graph'): GraphProto {
  return { name, node: [], initializer: [], sparseInitializer: [], input: [], output: [], valueInfo: [], quantizationAnnotation: [], metadataProps: [] };
}

export function emptyModel(graph: GraphProto, opset = 17): ModelProto {
  return {
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'lutdla',
    producerVersion: '0.1.0',
    graph,
    metadataProps: [],
    trainingInfo: [],
    functions: [],
  };
}

/** The IR version that goes with an ai.onnx opset (onnx/helper.py's VERSION_TABLE, clamped to what ORT 1.30 reads). */
export function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/**
 * Builds a model step by step. Names are checked for uniqueness; `unique(prefix)` hands out fresh ones.
 *   const b = new GraphBuilder('net', 17);
 *   const x = b.addInput('x', [1, 784]);
 *   const w = b.addFloat('w', [784, 10], weights);
 *   b.addNode('MatMul', [x, w], ['y']);
 *   b.addOutput('y', [1, 10]);
 *   const model = b.build();
 */
export class GraphBuilder {
  readonly graph: GraphProto;
  readonly opsets: OperatorSetIdProto[];
  readonly functions: FunctionProto[] = [];
  readonly metadata: { key: string; value: string }[] = [];
  private readonly names = new Set<string>(); // tensor names
  private readonly nodeNames = new Set<string>(); // ONNX keeps node names in their own namespace
  private counter = 0;

  constructor(name = 'graph', readonly opset = 17) {
    this.graph = emptyGraph(name);
    this.opsets = [{ domain: '', version: opset }];
  }

  /** Starts from an existing graph (its names are reserved). */
  static from(model: ModelProto): GraphBuilder {
    const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 17;
    const b = new GraphBuilder(model.graph?.name ?? 'graph', opset);
    Object.assign(b.graph, model.graph);
    b.opsets.splice(0, b.opsets.length, ...model.opsetImport);
    b.functions.push(...model.functions);
    for (const m of model.metadataProps) b.metadata.push({ key: m.key ?? '', value: m.value ?? '' });
    const g = b.graph;
    for (const v of [...g.input, ...g.output, ...g.valueInfo]) if (v.name) b.names.add(v.name);
    for (const t of g.initializer) if (t.name) b.names.add(t.name);
    for (const n of g.node) {
      for (const o of n.output) b.names.add(o);
      if (n.name) b.nodeNames.add(n.name);
    }
    return b;
  }

  /** A tensor (or, with `node`, node) name not used yet in this graph, derived from `prefix`. */
  unique(prefix: string, node = false): string {
    const set = node ? this.nodeNames : this.names;
    let name = prefix;
    while (set.has(name)) name = `${prefix}_${++this.counter}`;
    set.add(name);
    return name;
  }

  private claim(name: string, what: string): string {
    const set = what === 'node' ? this.nodeNames : this.names;
    if (set.has(name)) throw new OnnxFormatError(`${what} name '${name}' is already used in graph '${this.graph.name}'`);
    set.add(name);
    return name;
  }

  addInput(name: string, shape: readonly (number | string | undefined)[], elemType: number = DataType.FLOAT): string {
    this.graph.input.push(makeValueInfo(this.claim(name, 'input'), elemType, shape));
    return name;
  }

  /** Declares a graph output (the tensor must be produced by a node or be an input/initializer). */
  addOutput(name: string, shape?: readonly (number | string | undefined)[], elemType: number = DataType.FLOAT): string {
    this.graph.output.push(makeValueInfo(name, elemType, shape));
    this.names.add(name);
    return name;
  }

  addInitializer(t: TensorProto): string {
    if (!t.name) throw new OnnxFormatError('an initializer needs a name');
    this.claim(t.name, 'initializer');
    this.graph.initializer.push(t);
    return t.name;
  }

  addFloat(name: string, dims: readonly number[], data: Float32Array): string {
    return this.addInitializer(floatTensor(name, dims, data));
  }

  /** Appends a node; outputs must be fresh names. Returns the node (its outputs are node.output). */
  addNode(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly AttributeProto[] = [], name?: string, domain?: string): NodeProto {
    for (const o of outputs) if (o) this.claim(o, 'tensor');
    const n = makeNode(opType, inputs, outputs, attributes, name === undefined ? this.unique(opType.toLowerCase(), true) : this.claim(name, 'node'), domain);
    this.graph.node.push(n);
    return n;
  }

  addValueInfo(name: string, shape?: readonly (number | string | undefined)[], elemType: number = DataType.FLOAT): void {
    this.graph.valueInfo.push(makeValueInfo(name, elemType, shape));
  }

  addOpset(domain: string, version: number): void {
    const e = this.opsets.find((o) => (o.domain ?? '') === domain);
    if (e) e.version = Math.max(e.version ?? 0, version);
    else this.opsets.push({ domain, version });
  }

  addFunction(f: FunctionProto): void {
    this.functions.push(f);
    if (f.domain) this.addOpset(f.domain, 1);
  }

  setMetadata(key: string, value: string): void {
    const e = this.metadata.find((m) => m.key === key);
    if (e) e.value = value;
    else this.metadata.push({ key, value });
  }

  build(): ModelProto {
    const m = emptyModel(this.graph, this.opset);
    m.opsetImport = this.opsets.slice();
    m.functions = this.functions.slice();
    m.metadataProps = this.metadata.map((e) => ({ ...e }));
    return m;
  }
}

/** Makes a model-local function (a recognisable group of nodes, e.g. one LUT layer). */
export function makeFunction(domain: string, name: string, inputs: string[], outputs: string[], nodes: NodeProto[], opset = 17, attributes: string[] = []): FunctionProto {
  return {
    name, domain, input: inputs, output: outputs, attribute: attributes, attributeProto: [], node: nodes,
    opsetImport: [{ domain: '', version: opset }], valueInfo: [], metadataProps: [],
  };
}

// ---- attribute readers ----

export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

function toNumber(v: Int64): number {
  return typeof v === 'bigint' ? Number(v) : v;
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = getAttribute(node, name);
  return a?.i !== undefined ? toNumber(a.i) : fallback;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = getAttribute(node, name);
  return a?.f !== undefined ? a.f : fallback;
}

export function attrInts(node: NodeProto, name: string, fallback?: number[]): number[] | undefined {
  const a = getAttribute(node, name);
  return a && (a.ints.length || a.type === AttributeType.INTS) ? a.ints.map(toNumber) : fallback;
}

export function attrString(node: NodeProto, name: string, fallback: string): string {
  const a = getAttribute(node, name);
  return a?.s !== undefined ? Buffer.from(a.s).toString('utf8') : fallback;
}

export function attrTensor(node: NodeProto, name: string): TensorProto | undefined {
  return getAttribute(node, name)?.t;
}
