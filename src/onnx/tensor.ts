import { DataType, Int64, OnnxFormatError, TensorProto } from './types';

/**
 * TensorProto helpers: element counts checked against the stored data before anything is allocated, decoding of
 * every numeric type to Float32Array or to the typed array onnxruntime expects, and building tensors from typed
 * arrays (stored as little-endian raw_data).
 */

/** onnxruntime-node tensor type names (a subset of ort.Tensor.Type; 'bfloat16' has no JS array and is widened). */
export type OrtTypeName =
  | 'float32' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'int32' | 'int64' | 'string' | 'bool'
  | 'float16' | 'float64' | 'uint32' | 'uint64' | 'uint4' | 'int4';

export type NumericArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

/** A decoded tensor in the form onnxruntime takes (`new ort.Tensor(type, data, dims)`). */
export interface TypedTensor {
  type: OrtTypeName;
  data: NumericArray | string[];
  dims: number[];
}

const TYPE_INFO: Record<number, { name: string; bytes: number; ort?: OrtTypeName }> = {
  [DataType.FLOAT]: { name: 'float32', bytes: 4, ort: 'float32' },
  [DataType.UINT8]: { name: 'uint8', bytes: 1, ort: 'uint8' },
  [DataType.INT8]: { name: 'int8', bytes: 1, ort: 'int8' },
  [DataType.UINT16]: { name: 'uint16', bytes: 2, ort: 'uint16' },
  [DataType.INT16]: { name: 'int16', bytes: 2, ort: 'int16' },
  [DataType.INT32]: { name: 'int32', bytes: 4, ort: 'int32' },
  [DataType.INT64]: { name: 'int64', bytes: 8, ort: 'int64' },
  [DataType.STRING]: { name: 'string', bytes: 0, ort: 'string' },
  [DataType.BOOL]: { name: 'bool', bytes: 1, ort: 'bool' },
  [DataType.FLOAT16]: { name: 'float16', bytes: 2, ort: 'float16' },
  [DataType.DOUBLE]: { name: 'float64', bytes: 8, ort: 'float64' },
  [DataType.UINT32]: { name: 'uint32', bytes: 4, ort: 'uint32' },
  [DataType.UINT64]: { name: 'uint64', bytes: 8, ort: 'uint64' },
  [DataType.COMPLEX64]: { name: 'complex64', bytes: 8 },
  [DataType.COMPLEX128]: { name: 'complex128', bytes: 16 },
  [DataType.BFLOAT16]: { name: 'bfloat16', bytes: 2 },
  [DataType.FLOAT8E4M3FN]: { name: 'float8e4m3fn', bytes: 1 },
  [DataType.FLOAT8E4M3FNUZ]: { name: 'float8e4m3fnuz', bytes: 1 },
  [DataType.FLOAT8E5M2]: { name: 'float8e5m2', bytes: 1 },
  [DataType.FLOAT8E5M2FNUZ]: { name: 'float8e5m2fnuz', bytes: 1 },
  [DataType.UINT4]: { name: 'uint4', bytes: 0.5, ort: 'uint4' },
  [DataType.INT4]: { name: 'int4', bytes: 0.5, ort: 'int4' },
};

/** Largest tensor we decode in memory (elements); protects against absurd declared shapes. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export function dataTypeName(dt: number | undefined): string {
  return TYPE_INFO[dt ?? 0]?.name ?? `data type ${dt ?? 'undefined'}`;
}

export function ortTypeOf(dt: number | undefined): OrtTypeName | undefined {
  return TYPE_INFO[dt ?? 0]?.ort;
}

const ORT_TO_DT: Record<string, DataType> = Object.fromEntries(
  Object.entries(TYPE_INFO).filter(([, v]) => v.ort).map(([k, v]) => [v.ort!, Number(k) as DataType]),
);

export function dataTypeOfOrt(type: string): DataType {
  const dt = ORT_TO_DT[type];
  if (dt === undefined) throw new OnnxFormatError(`no ONNX data type for onnxruntime type ${type}`);
  return dt;
}

function tensorLabel(t: TensorProto, where?: string): string {
  return `${where ? `${where}: ` : ''}tensor '${t.name ?? ''}'`;
}

/** Product of dims, refusing negative, non-integer or absurd shapes. */
export function elementCount(dims: readonly number[], what = 'tensor'): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxFormatError(`${what}: invalid dimension ${d} in shape [${dims.join(',')}]`);
    n *= d;
  }
  if (n > MAX_ELEMENTS) throw new OnnxFormatError(`${what}: shape [${dims.join(',')}] has ${n} elements, more than ${MAX_ELEMENTS}`);
  return n;
}

/** Where a tensor's values live; checks that the stored data matches the declared shape (before allocating). */
function storage(t: TensorProto, where?: string): { n: number; field: 'raw' | 'float' | 'int32' | 'int64' | 'double' | 'uint64' | 'string' } {
  const label = tensorLabel(t, where);
  if (t.dataLocation === 1 && !t.rawData) throw new OnnxFormatError(`${label}: its data is external and was not loaded`);
  const info = TYPE_INFO[t.dataType ?? 0];
  if (!info) throw new OnnxFormatError(`${label}: unsupported ${dataTypeName(t.dataType)}`);
  const n = elementCount(t.dims, label);
  const complex = t.dataType === DataType.COMPLEX64 || t.dataType === DataType.COMPLEX128 ? 2 : 1;
  const check = (have: number, want: number, unit: string) => {
    if (have !== want) {
      throw new OnnxFormatError(`${label}: shape [${t.dims.join(',')}] (${n} elements of ${info.name}) needs ${want} ${unit} but ${have} are stored`);
    }
  };
  if (t.dataType === DataType.STRING) {
    check(t.stringData.length, n, 'strings');
    return { n, field: 'string' };
  }
  if (t.rawData && (t.rawData.length || n === 0 || !hasTypedField(t))) {
    check(t.rawData.length, Math.ceil(n * info.bytes), 'bytes');
    return { n, field: 'raw' };
  }
  const dt = t.dataType;
  if (dt === DataType.FLOAT || dt === DataType.COMPLEX64) return check(t.floatData.length, n * complex, 'values'), { n, field: 'float' };
  if (dt === DataType.DOUBLE || dt === DataType.COMPLEX128) return check(t.doubleData.length, n * complex, 'values'), { n, field: 'double' };
  if (dt === DataType.INT64) return check(t.int64Data.length, n, 'values'), { n, field: 'int64' };
  if (dt === DataType.UINT32 || dt === DataType.UINT64) return check(t.uint64Data.length, n, 'values'), { n, field: 'uint64' };
  const packed = dt === DataType.INT4 || dt === DataType.UINT4;
  check(t.int32Data.length, packed ? Math.ceil(n / 2) : n, 'values');
  return { n, field: 'int32' };
}

function hasTypedField(t: TensorProto): boolean {
  return !!(t.floatData.length || t.int32Data.length || t.int64Data.length || t.doubleData.length || t.uint64Data.length);
}

/** Verifies a tensor's stored data matches its shape; throws OnnxFormatError naming the tensor otherwise. */
export function checkTensor(t: TensorProto, where?: string): number {
  return storage(t, where).n;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies raw little-endian bytes into an aligned typed array of the given constructor. */
function fromRaw<T extends NumericArray>(raw: Uint8Array, Ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }): T {
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  if (!LITTLE_ENDIAN && Ctor.BYTES_PER_ELEMENT > 1) {
    const w = Ctor.BYTES_PER_ELEMENT;
    for (let i = 0; i < copy.length; i += w) copy.subarray(i, i + w).reverse();
  }
  return new Ctor(copy.buffer);
}

export function float16ToFloat32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bfloat16ToFloat32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** Float32 to IEEE half bits, round to nearest even. */
export function float32ToFloat16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // a carry into the exponent is still correct
  return sign | half;
}

/** Float32 to bfloat16 bits, round to nearest even. */
export function float32ToBfloat16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if (Number.isNaN(v)) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

function int64ToNumber(v: Int64): number {
  return typeof v === 'bigint' ? Number(v) : v;
}

/** Decodes the numeric values of a tensor as float64 numbers in one pass (shared by the converters below). */
function numericValues(t: TensorProto, where?: string): ArrayLike<number> {
  const { n, field } = storage(t, where);
  const dt = t.dataType!;
  if (field === 'string') throw new OnnxFormatError(`${tensorLabel(t, where)}: string tensor where numbers are needed`);
  if (dt === DataType.COMPLEX64 || dt === DataType.COMPLEX128) throw new OnnxFormatError(`${tensorLabel(t, where)}: complex tensor where real numbers are needed`);
  if (field === 'float') return t.floatData;
  if (field === 'double') return t.doubleData;
  if (field === 'int64') return t.int64Data.map(int64ToNumber);
  if (field === 'uint64') return t.uint64Data.map(int64ToNumber);
  if (field === 'int32') {
    const d = t.int32Data;
    if (dt === DataType.FLOAT16) return Float32Array.from(d, float16ToFloat32);
    if (dt === DataType.BFLOAT16) return Float32Array.from(d, bfloat16ToFloat32);
    if (dt === DataType.INT4 || dt === DataType.UINT4) return unpack4(Uint8Array.from(d), n, dt === DataType.INT4);
    if (dt >= DataType.FLOAT8E4M3FN && dt <= DataType.FLOAT8E5M2FNUZ) return Float32Array.from(d, (b) => float8ToFloat32(b, dt));
    return d;
  }
  const raw = t.rawData!;
  switch (dt) {
    case DataType.FLOAT: return fromRaw(raw, Float32Array);
    case DataType.DOUBLE: return fromRaw(raw, Float64Array);
    case DataType.UINT8: case DataType.BOOL: return raw;
    case DataType.INT8: return new Int8Array(raw.buffer, raw.byteOffset, raw.length);
    case DataType.UINT16: return fromRaw(raw, Uint16Array);
    case DataType.INT16: return fromRaw(raw, Int16Array);
    case DataType.INT32: return fromRaw(raw, Int32Array);
    case DataType.UINT32: return fromRaw(raw, Uint32Array);
    case DataType.INT64: return Float64Array.from(fromRaw(raw, BigInt64Array), Number);
    case DataType.UINT64: return Float64Array.from(fromRaw(raw, BigUint64Array), Number);
    case DataType.FLOAT16: return Float32Array.from(fromRaw(raw, Uint16Array), float16ToFloat32);
    case DataType.BFLOAT16: return Float32Array.from(fromRaw(raw, Uint16Array), bfloat16ToFloat32);
    case DataType.INT4: case DataType.UINT4: return unpack4(raw, n, dt === DataType.INT4);
    default:
      if (dt >= DataType.FLOAT8E4M3FN && dt <= DataType.FLOAT8E5M2FNUZ) return Float32Array.from(raw, (b) => float8ToFloat32(b, dt));
      throw new OnnxFormatError(`${tensorLabel(t, where)}: cannot read ${dataTypeName(dt)} values`);
  }
}

function unpack4(packed: Uint8Array, n: number, signed: boolean): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    let v = (packed[i >> 1] >> ((i & 1) * 4)) & 0xf;
    if (signed && v > 7) v -= 16;
    out[i] = v;
  }
  return out;
}

function float8ToFloat32(b: number, dt: number): number {
  const sign = b & 0x80 ? -1 : 1;
  if (dt === DataType.FLOAT8E4M3FN || dt === DataType.FLOAT8E4M3FNUZ) {
    const uz = dt === DataType.FLOAT8E4M3FNUZ;
    if (uz && b === 0x80) return NaN;
    if (!uz && (b & 0x7f) === 0x7f) return NaN;
    const e = (b >> 3) & 0xf;
    const m = b & 7;
    const bias = uz ? 8 : 7;
    return e === 0 ? sign * m * 2 ** (1 - bias - 3) : sign * (1 + m / 8) * 2 ** (e - bias);
  }
  const uz = dt === DataType.FLOAT8E5M2FNUZ;
  if (uz && b === 0x80) return NaN;
  const e = (b >> 2) & 0x1f;
  const m = b & 3;
  const bias = uz ? 16 : 15;
  if (!uz && e === 31) return m ? NaN : sign * Infinity;
  return e === 0 ? sign * m * 2 ** (1 - bias - 2) : sign * (1 + m / 4) * 2 ** (e - bias);
}

/**
 * The tensor's values as float32 (any numeric type; int64 beyond 2^24 rounds), in an array of their own: never
 * the tensor's floatData or a view of its rawData, so a caller that changes them (a trainer) leaves the model alone.
 */
export function tensorToFloat32(t: TensorProto, where?: string): Float32Array {
  const v = numericValues(t, where);
  const shared = v === t.floatData || (v instanceof Float32Array && v.buffer === t.rawData?.buffer);
  return v instanceof Float32Array && !shared ? v : Float32Array.from(v);
}

/** The tensor's values as plain numbers (for small shape/axes tensors: int64 exact up to 2^53). */
export function tensorToNumbers(t: TensorProto, where?: string): number[] {
  const { field } = storage(t, where);
  if (field === 'raw' && (t.dataType === DataType.INT64 || t.dataType === DataType.UINT64)) {
    const a = t.dataType === DataType.INT64 ? fromRaw(t.rawData!, BigInt64Array) : fromRaw(t.rawData!, BigUint64Array);
    return Array.from(a, Number);
  }
  return Array.from(numericValues(t, where));
}

/** Decodes a tensor into the typed array onnxruntime takes for its type. */
export function tensorToTyped(t: TensorProto, where?: string): TypedTensor {
  const { n, field } = storage(t, where);
  const dt = t.dataType!;
  const dims = t.dims.slice();
  const label = tensorLabel(t, where);
  if (dt === DataType.BFLOAT16) return { type: 'float32', data: tensorToFloat32(t, where), dims };
  const type = ortTypeOf(dt);
  if (!type) throw new OnnxFormatError(`${label}: onnxruntime-node has no tensor type for ${dataTypeName(dt)}`);
  if (field === 'string') return { type, data: t.stringData.map((b) => Buffer.from(b).toString('utf8')), dims };
  if (field === 'raw') {
    const raw = t.rawData!;
    switch (type) {
      case 'float32': return { type, data: fromRaw(raw, Float32Array), dims };
      case 'float64': return { type, data: fromRaw(raw, Float64Array), dims };
      case 'int8': return { type, data: new Int8Array(fromRaw(raw, Uint8Array).buffer), dims };
      // 4-bit types stay packed two per byte, as onnxruntime-node takes them
      case 'uint8': case 'bool': case 'uint4': case 'int4': return { type, data: fromRaw(raw, Uint8Array), dims };
      case 'int16': return { type, data: fromRaw(raw, Int16Array), dims };
      case 'uint16': case 'float16': return { type, data: fromRaw(raw, Uint16Array), dims };
      case 'int32': return { type, data: fromRaw(raw, Int32Array), dims };
      case 'uint32': return { type, data: fromRaw(raw, Uint32Array), dims };
      case 'int64': return { type, data: fromRaw(raw, BigInt64Array), dims };
      case 'uint64': return { type, data: fromRaw(raw, BigUint64Array), dims };
      default: break;
    }
  }
  switch (type) {
    case 'float32': return { type, data: Float32Array.from(t.floatData), dims };
    case 'float64': return { type, data: Float64Array.from(t.doubleData), dims };
    case 'int64': return { type, data: BigInt64Array.from(t.int64Data, (v) => BigInt(v)), dims };
    case 'uint64': return { type, data: BigUint64Array.from(t.uint64Data, (v) => BigInt.asUintN(64, BigInt(v))), dims };
    case 'uint32': return { type, data: Uint32Array.from(t.uint64Data, Number), dims };
    case 'int8': return { type, data: Int8Array.from(t.int32Data), dims };
    case 'uint8': case 'bool': case 'uint4': case 'int4': return { type, data: Uint8Array.from(t.int32Data), dims };
    case 'int16': return { type, data: Int16Array.from(t.int32Data), dims };
    case 'uint16': case 'float16': return { type, data: Uint16Array.from(t.int32Data), dims };
    case 'int32': return { type, data: Int32Array.from(t.int32Data), dims };
    default: throw new OnnxFormatError(`${label}: cannot decode ${dataTypeName(dt)} (n=${n})`);
  }
}

function emptyTensor(name: string, dims: readonly number[], dataType: number): TensorProto {
  return {
    name, dims: dims.slice(), dataType, floatData: [], int32Data: [], stringData: [], int64Data: [], externalData: [],
    doubleData: [], uint64Data: [], metadataProps: [],
  };
}

/**
 * Builds a tensor from a typed array (stored as raw_data, little-endian). The data type follows the array:
 * Float32Array -> FLOAT, Float64Array -> DOUBLE, Int32Array -> INT32, BigInt64Array -> INT64, Int8Array -> INT8,
 * Uint8Array -> UINT8 (pass `dataType` for BOOL, FLOAT16 as Uint16Array, ...). A number[] becomes INT64 (shapes).
 */
export function makeTensor(name: string, dims: readonly number[], data: NumericArray | readonly number[], dataType?: DataType): TensorProto {
  const n = elementCount(dims, `tensor '${name}'`);
  let arr: NumericArray;
  if (Array.isArray(data)) arr = BigInt64Array.from(data as number[], (v) => BigInt(Math.trunc(v)));
  else arr = data as NumericArray;
  if (arr.length !== n) throw new OnnxFormatError(`tensor '${name}': shape [${dims.join(',')}] needs ${n} values, got ${arr.length}`);
  const dt = dataType ?? inferDataType(arr);
  const t = emptyTensor(name, dims, dt);
  const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).slice();
  if (!LITTLE_ENDIAN && arr.BYTES_PER_ELEMENT > 1) {
    for (let i = 0; i < bytes.length; i += arr.BYTES_PER_ELEMENT) bytes.subarray(i, i + arr.BYTES_PER_ELEMENT).reverse();
  }
  t.rawData = bytes;
  return t;
}

function inferDataType(a: NumericArray): DataType {
  if (a instanceof Float32Array) return DataType.FLOAT;
  if (a instanceof Float64Array) return DataType.DOUBLE;
  if (a instanceof Int32Array) return DataType.INT32;
  if (a instanceof BigInt64Array) return DataType.INT64;
  if (a instanceof BigUint64Array) return DataType.UINT64;
  if (a instanceof Int8Array) return DataType.INT8;
  if (a instanceof Uint8Array) return DataType.UINT8;
  if (a instanceof Int16Array) return DataType.INT16;
  if (a instanceof Uint16Array) return DataType.UINT16;
  return DataType.UINT32;
}

/** Builds a TensorProto from a decoded tensor (e.g. an onnxruntime output). */
export function makeTensorFromTyped(name: string, t: TypedTensor): TensorProto {
  const dt = dataTypeOfOrt(t.type);
  if (dt === DataType.STRING) {
    const out = emptyTensor(name, t.dims, dt);
    out.stringData = (t.data as string[]).map((s) => new Uint8Array(Buffer.from(s, 'utf8')));
    return out;
  }
  return makeTensor(name, t.dims, t.data as NumericArray, dt);
}

/** A float tensor from a Float32Array (convenience for weights). */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array): TensorProto {
  return makeTensor(name, dims, data, DataType.FLOAT);
}

/** An INT64 tensor from numbers (shapes, axes). */
export function int64Tensor(name: string, dims: readonly number[], data: readonly number[]): TensorProto {
  return makeTensor(name, dims, data);
}
