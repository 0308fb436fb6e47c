import { ArraySource, ByteSource, contiguousArray, decodeElements, ElementType, elementCountOf, memoryArray } from './array';
import { DataError } from './errors';

/** NumPy .npy: magic, version, a Python-dict header (descr, fortran_order, shape), then the raw data. */

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface NpyHeader {
  dtype: ElementType;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
}

export function isNpy(head: Uint8Array): boolean {
  return NPY_MAGIC.every((b, i) => head[i] === b);
}

/** Parses the header; `src` must hold at least the header bytes. */
export function parseNpyHeader(src: ByteSource, size: number, label: string): NpyHeader {
  if (size < 10) throw new DataError(`${label}: too short for a .npy file (${size} bytes)`);
  const head = src.read(0, 10);
  if (!isNpy(head)) throw new DataError(`${label}: not a .npy file (the NumPy magic bytes are missing)`);
  const major = head[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = head[8] | (head[9] << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (size < 12) throw new DataError(`${label}: truncated .npy header`);
    const h = src.read(8, 4);
    headerLen = (h[0] | (h[1] << 8) | (h[2] << 16)) + h[3] * 2 ** 24;
    start = 12;
  } else {
    throw new DataError(`${label}: unsupported .npy format version ${major}`);
  }
  if (headerLen > 1 << 20 || start + headerLen > size) throw new DataError(`${label}: truncated or corrupt .npy header (declares ${headerLen} bytes)`);
  const text = Buffer.from(src.read(start, headerLen)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new DataError(`${label}: cannot read the .npy header ${JSON.stringify(text.trim().slice(0, 120))}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const v = Number(s.replace(/L$/, ''));
    if (!Number.isSafeInteger(v) || v < 0) throw new DataError(`${label}: invalid dimension '${s}' in the .npy shape`);
    return v;
  });
  elementCountOf(shape, label);
  return { dtype: parseDescr(descr, label), fortranOrder: fortran === 'True', shape, dataOffset: start + headerLen };
}

export function parseDescr(descr: string, label: string): ElementType {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  if (!m) throw new DataError(`${label}: unsupported NumPy dtype '${descr}' (numeric types only)`);
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  const ok = kind === 'f' ? [2, 4, 8].includes(size) : kind === 'b' ? size === 1 : [1, 2, 4, 8].includes(size);
  if (!ok) throw new DataError(`${label}: unsupported NumPy dtype '${descr}'`);
  const name = kind === 'f' ? `float${size * 8}` : kind === 'b' ? 'bool' : `${kind === 'i' ? 'int' : 'uint'}${size * 8}`;
  return { kind: kind as ElementType['kind'], size, littleEndian: order !== '>', name };
}

/** An array view over .npy bytes in `src` (of `size` bytes); Fortran-order arrays are reordered in memory. */
export function npyArray(src: ByteSource, size: number, label: string): ArraySource {
  const h = parseNpyHeader(src, size, label);
  if (!h.fortranOrder || h.shape.length <= 1) return contiguousArray(label, src, size, h.dataOffset, h.shape, h.dtype);
  // Fortran order: samples are not contiguous; decode everything once and transpose to C order.
  const total = elementCountOf(h.shape, label);
  const need = total * h.dtype.size;
  if (size - h.dataOffset < need) throw new DataError(`${label}: shape [${h.shape.join(',')}] needs ${need} bytes of data, the file holds ${size - h.dataOffset} (truncated?)`);
  const f = new Float32Array(total);
  decodeElements(src.read(h.dataOffset, need), h.dtype, total, f, 0);
  src.close();
  const r = h.shape.length;
  const c = new Float32Array(total);
  const idx = new Array<number>(r).fill(0);
  const fStride = new Array<number>(r);
  fStride[0] = 1;
  for (let d = 1; d < r; d++) fStride[d] = fStride[d - 1] * h.shape[d - 1];
  for (let i = 0; i < total; i++) {
    let off = 0;
    for (let d = 0; d < r; d++) off += idx[d] * fStride[d];
    c[i] = f[off];
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < h.shape[d]) break;
      idx[d] = 0;
    }
  }
  return memoryArray(label, h.shape, c);
}

const DESCR: Record<string, string> = {
  Float32Array: '<f4', Float64Array: '<f8', Int8Array: '|i1', Uint8Array: '|u1', Int16Array: '<i2', Uint16Array: '<u2',
  Int32Array: '<i4', Uint32Array: '<u4', BigInt64Array: '<i8', BigUint64Array: '<u8',
};

/** Writes a C-order .npy (version 1.0); used by tests and by tools that export data. */
export function encodeNpy(data: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array, shape: readonly number[]): Uint8Array {
  const descr = DESCR[data.constructor.name];
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
