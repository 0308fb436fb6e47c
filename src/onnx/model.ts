import * as fs from 'node:fs';
import * as path from 'node:path';
import { PathEscapeError, resolveInside } from '../data/safePath';
import { decodeModelProto, encodeMessage } from './proto';
import { checkTensor, dataTypeName, elementCount } from './tensor';
import { GraphProto, ModelProto, OnnxFormatError, TensorProto } from './types';

/** Largest model file read into memory (protobuf itself cannot exceed 2 GiB). */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** Reads an ONNX model file, loading external data that sits beside it. Errors are OnnxFormatError naming the file. */
export function readModel(file: string): ModelProto {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new OnnxFormatError(`${file}: is a folder, not an ONNX model file`);
    size = st.size;
  } catch (e) {
    if (e instanceof OnnxFormatError) throw e;
    throw new OnnxFormatError(`${file}: cannot read the model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (size > MAX_MODEL_BYTES) throw new OnnxFormatError(`${file}: ${size} bytes is larger than an ONNX protobuf can be (2 GiB)`);
  return readModelBytes(fs.readFileSync(file), path.dirname(path.resolve(file)), file);
}

/**
 * Decodes model bytes. `baseDir` is the folder external data locations are relative to (no folder: a model with
 * external data is refused). `label` names the model in errors.
 */
export function readModelBytes(bytes: Uint8Array, baseDir?: string, label = 'model'): ModelProto {
  if (bytes.length === 0) throw new OnnxFormatError(`${label}: the file is empty`);
  const model = decodeModelProto(bytes, label);
  if (!model.graph) throw new OnnxFormatError(`${label}: not an ONNX model (no graph found; truncated or not a .onnx file?)`);
  if (model.irVersion === undefined && !model.opsetImport.length) {
    throw new OnnxFormatError(`${label}: not an ONNX model (no IR version and no opset import)`);
  }
  const tensors = collectTensors(model);
  if (tensors.some((t) => t.dataLocation === 1 || t.externalData.length)) loadExternalData(tensors, baseDir, label);
  for (const t of model.graph.initializer) checkTensor(t, label);
  return model;
}

/** Encodes a model (all tensor data inline). */
export function writeModel(model: ModelProto): Uint8Array {
  const bytes = encodeMessage('ModelProto', model);
  if (bytes.length > MAX_MODEL_BYTES) throw new OnnxFormatError(`model is ${bytes.length} bytes, more than protobuf's 2 GiB limit`);
  return bytes;
}

/** Every TensorProto reachable in the model: initializers, Constant values, attributes, subgraphs, functions. */
export function collectTensors(model: ModelProto): TensorProto[] {
  const out: TensorProto[] = [];
  const seen = new Set<GraphProto>();
  const visitNodes = (nodes: ModelProto['functions'][number]['node']) => {
    for (const n of nodes) {
      for (const a of n.attribute) {
        if (a.t) out.push(a.t);
        out.push(...a.tensors);
        if (a.sparseTensor?.values) out.push(a.sparseTensor.values);
        if (a.g) visitGraph(a.g);
        for (const g of a.graphs) visitGraph(g);
      }
    }
  };
  const visitGraph = (g: GraphProto) => {
    if (seen.has(g)) return;
    seen.add(g);
    out.push(...g.initializer);
    for (const s of g.sparseInitializer) {
      if (s.values) out.push(s.values);
      if (s.indices) out.push(s.indices);
    }
    visitNodes(g.node);
  };
  if (model.graph) visitGraph(model.graph);
  for (const f of model.functions) visitNodes(f.node);
  for (const ti of model.trainingInfo) {
    if (ti.initialization) visitGraph(ti.initialization);
    if (ti.algorithm) visitGraph(ti.algorithm);
  }
  return out;
}

function loadExternalData(tensors: TensorProto[], baseDir: string | undefined, label: string): void {
  const fds = new Map<string, { fd: number; size: number }>();
  try {
    for (const t of tensors) {
      if (t.dataLocation !== 1 && !t.externalData.length) continue;
      const name = `tensor '${t.name ?? ''}'`;
      const kv = new Map(t.externalData.map((e) => [e.key ?? '', e.value ?? '']));
      const location = kv.get('location');
      if (!location) throw new OnnxFormatError(`${label}: ${name} stores its data externally but names no location`);
      if (!baseDir) throw new OnnxFormatError(`${label}: ${name} has external data ('${location}') but the model was given without its folder`);
      let file: string;
      try {
        file = resolveInside(baseDir, location, `${label}: ${name}: external data location`);
      } catch (e) {
        if (e instanceof PathEscapeError) throw new OnnxFormatError(`${e.message}; refused`);
        throw e;
      }
      const offset = parseNonNegative(kv.get('offset') ?? '0', `${label}: ${name}: external data offset`);
      const n = elementCount(t.dims, `${label}: ${name}`);
      const bytesPer = externalBytesPer(t.dataType);
      if (bytesPer === undefined) throw new OnnxFormatError(`${label}: ${name}: external data of ${dataTypeName(t.dataType)} is not supported`);
      const want = Math.ceil(n * bytesPer);
      const length = kv.has('length') ? parseNonNegative(kv.get('length')!, `${label}: ${name}: external data length`) : want;
      if (length !== want) {
        throw new OnnxFormatError(`${label}: ${name}: shape [${t.dims.join(',')}] needs ${want} bytes but external data length is ${length}`);
      }
      let h = fds.get(file);
      if (!h) {
        let fd: number;
        try {
          fd = fs.openSync(file, 'r');
        } catch (e) {
          throw new OnnxFormatError(`${label}: ${name}: cannot open external data file '${location}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
        h = { fd, size: fs.fstatSync(fd).size };
        fds.set(file, h);
      }
      if (offset + length > h.size) {
        throw new OnnxFormatError(`${label}: ${name}: external data '${location}' has ${h.size} bytes, needs ${offset + length} (offset ${offset} + length ${length})`);
      }
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const r = fs.readSync(h.fd, buf, done, length - done, offset + done);
        if (r <= 0) throw new OnnxFormatError(`${label}: ${name}: external data '${location}' ended early`);
        done += r;
      }
      t.rawData = buf;
      t.externalData = [];
      delete t.dataLocation;
    }
  } finally {
    for (const { fd } of fds.values()) fs.closeSync(fd);
  }
}

function externalBytesPer(dt: number | undefined): number | undefined {
  const table: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2, 17: 1, 18: 1, 19: 1, 20: 1, 21: 0.5, 22: 0.5 };
  return table[dt ?? 0];
}

function parseNonNegative(s: string, what: string): number {
  const v = Number(s);
  if (!/^\d+$/.test(s.trim()) || !Number.isSafeInteger(v)) throw new OnnxFormatError(`${what} '${s}' is not a non-negative integer`);
  return v;
}

/** A deep copy (typed arrays copied, bigints kept). */
export function cloneModel(model: ModelProto): ModelProto {
  return structuredClone(model);
}

/** Metadata as a plain map. */
export function metadataOf(model: ModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of model.metadataProps) if (e.key !== undefined) out[e.key] = e.value ?? '';
  return out;
}

/** Sets (or replaces) a model metadata entry. */
export function setMetadata(model: ModelProto, key: string, value: string): void {
  const e = model.metadataProps.find((p) => p.key === key);
  if (e) e.value = value;
  else model.metadataProps.push({ key, value });
}
