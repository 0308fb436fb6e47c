import protobuf from 'protobufjs';
import Long from 'long';
import { ONNX_PROTO } from './onnxProto';
import { Int64, ModelProto, OnnxFormatError, TensorProto } from './types';

/**
 * protobufjs (reflection) codec for the ONNX schema, converting between protobufjs messages and the plain objects
 * of ./types: int64 values become number (safe) or bigint, and back. Parsing the schema happens once, lazily.
 */

type Plain = Record<string, unknown>;

/** Messages nested deeper than this (graphs in attributes in graphs...) are refused instead of exhausting the stack. */
export const MAX_NESTING = 64;

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
/** int64 fields that describe shapes or versions: must be safe integers. */
const NUMBER_ONLY = new Set(['TensorProto.dims', 'SparseTensorProto.dims', 'Dimension.dimValue', 'ModelProto.irVersion', 'ModelProto.modelVersion', 'OperatorSetIdProto.version']);

interface FieldPlan {
  name: string;
  repeated: boolean;
  long: boolean;
  unsigned: boolean;
  numberOnly: boolean;
  message?: protobuf.Type;
}

let root: protobuf.Root | undefined;
const plans = new Map<protobuf.Type, FieldPlan[]>();

function schema(): protobuf.Root {
  if (!root) {
    // Explicit Long so int64 decoding is exact in bundles too (protobufjs otherwise looks it up dynamically).
    protobuf.util.Long = Long as unknown as typeof protobuf.util.Long;
    protobuf.configure();
    root = protobuf.parse(ONNX_PROTO, { keepCase: false }).root;
    root.resolveAll();
  }
  return root;
}

export function messageType(name: 'ModelProto' | 'TensorProto' | 'GraphProto' | 'NodeProto' | 'AttributeProto' | 'TypeProto'): protobuf.Type {
  return schema().lookupType(`onnx.${name}`);
}

function planOf(type: protobuf.Type): FieldPlan[] {
  let plan = plans.get(type);
  if (!plan) {
    plan = type.fieldsArray.map((f) => ({
      name: f.name,
      repeated: f.repeated,
      long: LONG_TYPES.has(f.type),
      unsigned: f.type === 'uint64' || f.type === 'fixed64',
      numberOnly: NUMBER_ONLY.has(`${type.name}.${f.name}`),
      message: f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined,
    }));
    plans.set(type, plan);
  }
  return plan;
}

function longToJs(v: unknown, field: FieldPlan, where: string): Int64 {
  if (typeof v === 'number') return v;
  const l = v as Long;
  const n = l.toNumber();
  if (Number.isSafeInteger(n)) return n;
  if (field.numberOnly) throw new OnnxFormatError(`${where}: ${field.name} value ${l.toString()} is beyond 2^53`);
  return BigInt(l.toString());
}

function jsToLong(v: unknown, unsigned: boolean): unknown {
  if (typeof v === 'bigint') return Long.fromString(v.toString(), unsigned);
  return v;
}

function toPlain(type: protobuf.Type, msg: Plain, depth: number, where: string): Plain {
  if (depth > MAX_NESTING) throw new OnnxFormatError(`${where}: messages nested more than ${MAX_NESTING} deep`);
  const out: Plain = {};
  for (const f of planOf(type)) {
    const v = msg[f.name];
    if (f.repeated) {
      const arr = (v as unknown[] | undefined) ?? [];
      if (f.message) out[f.name] = arr.map((x) => toPlain(f.message!, x as Plain, depth + 1, where));
      else if (f.long) out[f.name] = arr.map((x) => longToJs(x, f, where));
      else out[f.name] = arr;
    } else if (v != null && Object.prototype.hasOwnProperty.call(msg, f.name)) {
      if (f.message) out[f.name] = toPlain(f.message, v as Plain, depth + 1, where);
      else if (f.long) out[f.name] = longToJs(v, f, where);
      else out[f.name] = v;
    }
  }
  return out;
}

function fromPlain(type: protobuf.Type, obj: Plain, depth: number): Plain {
  if (depth > MAX_NESTING) throw new OnnxFormatError(`cannot write: messages nested more than ${MAX_NESTING} deep`);
  const out: Plain = {};
  for (const f of planOf(type)) {
    const v = obj[f.name];
    if (v == null) continue;
    if (f.repeated) {
      const arr = v as unknown[];
      if (!arr.length) continue;
      if (f.message) out[f.name] = arr.map((x) => fromPlain(f.message!, x as Plain, depth + 1));
      else if (f.long) out[f.name] = arr.map((x) => jsToLong(x, f.unsigned));
      else out[f.name] = arr;
    } else if (f.message) out[f.name] = fromPlain(f.message, v as Plain, depth + 1);
    else if (f.long) out[f.name] = jsToLong(v, f.unsigned);
    else out[f.name] = v;
  }
  return out;
}

function describe(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (e instanceof RangeError && /call stack/i.test(m)) return 'messages nested too deeply';
  if (/nesting depth/i.test(m)) return `messages nested too deeply (${m})`;
  if (/^index out of range/.test(m)) return 'the data ends early (truncated file?)';
  return `corrupt protobuf data (${m})`;
}

/** Decodes one protobuf message to a plain object; any decoding failure becomes an OnnxFormatError naming `where`. */
export function decodeMessage<T>(typeName: Parameters<typeof messageType>[0], bytes: Uint8Array, where: string): T {
  const type = messageType(typeName);
  const what = typeName === 'ModelProto' ? 'ONNX model' : `ONNX ${typeName}`;
  let msg: protobuf.Message;
  try {
    msg = type.decode(bytes);
  } catch (e) {
    throw new OnnxFormatError(`${where}: not a valid ${what}: ${describe(e)}`);
  }
  try {
    return toPlain(type, msg as unknown as Plain, 0, where) as T;
  } catch (e) {
    if (e instanceof OnnxFormatError) throw e;
    throw new OnnxFormatError(`${where}: not a valid ${what}: ${describe(e)}`);
  }
}

/** Encodes a plain object of ./types back to protobuf bytes. */
export function encodeMessage(typeName: Parameters<typeof messageType>[0], obj: object): Uint8Array {
  const type = messageType(typeName);
  return type.encode(fromPlain(type, obj as Plain, 0)).finish();
}

export function decodeModelProto(bytes: Uint8Array, where: string): ModelProto {
  return decodeMessage<ModelProto>('ModelProto', bytes, where);
}

export function decodeTensorProto(bytes: Uint8Array, where: string): TensorProto {
  return decodeMessage<TensorProto>('TensorProto', bytes, where);
}

export function encodeTensorProto(t: TensorProto): Uint8Array {
  return encodeMessage('TensorProto', t);
}
