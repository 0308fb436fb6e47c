import type { Tensor } from './tensor';

/** An attribute value, as ONNX has them (ints and floats both become numbers). */
export type AttrValue = number | string | number[] | string[] | Tensor;

/** One operator node of an ONNX-like graph; empty input names mean "optional input absent" as in ONNX. */
export interface GraphNode {
  name: string;
  op: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface ValueInfo {
  name: string;
  /** Dimensions; a string or -1 marks a symbolic (batch) dimension. */
  shape: (number | string)[];
  /** ONNX element type name ('float', 'int64', ...); the executor computes in float32 regardless. */
  elemType?: string;
}

/**
 * The graph the executor trains: nodes in topological order (as ONNX requires), named tensors, initializers
 * (constants and parameters alike; `params` names the ones that train).
 */
export interface TrainGraph {
  name: string;
  opset: number;
  nodes: GraphNode[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, Tensor>;
  /** Initializers updated by the optimiser. */
  params: Set<string>;
}

export function attrNum(node: GraphNode, key: string, dflt: number): number {
  const v = node.attrs[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new Error(`${node.op} node "${node.name}": attribute ${key} must be a number`);
  return v;
}

export function attrInts(node: GraphNode, key: string, dflt: number[] | undefined): number[] | undefined {
  const v = node.attrs[key];
  if (v === undefined) return dflt;
  if (!Array.isArray(v)) throw new Error(`${node.op} node "${node.name}": attribute ${key} must be a list of ints`);
  return v as number[];
}

export function attrStr(node: GraphNode, key: string, dflt: string): string {
  const v = node.attrs[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'string') throw new Error(`${node.op} node "${node.name}": attribute ${key} must be a string`);
  return v;
}

export function attrTensor(node: GraphNode, key: string): Tensor | undefined {
  const v = node.attrs[key];
  if (v === undefined || typeof v !== 'object' || Array.isArray(v)) return undefined;
  return v;
}
