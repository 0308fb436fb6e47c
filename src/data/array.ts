import * as fs from 'node:fs';
import { DataError } from './errors';
import { float16ToFloat32 } from '../onnx/tensor';

/**
 * A numeric array stored in a file, read sample by sample (samples = slices along the first axis) and converted
 * to float32 only when asked for. The bytes come from a ByteSource: an open file (read on demand) or a buffer
 * (decompressed data).
 */

export interface ByteSource {
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export function bufferSource(buf: Uint8Array): ByteSource {
  return { read: (o, l) => buf.subarray(o, o + l), close: () => undefined };
}

export function fileSource(file: string): ByteSource & { size: number } {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  let open = true;
  return {
    size,
    read(offset, length) {
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const r = fs.readSync(fd, buf, done, length - done, offset + done);
        if (r <= 0) throw new DataError(`${file}: ended early (wanted ${length} bytes at ${offset})`);
        done += r;
      }
      return buf;
    },
    close() {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}

/** Element type: float, signed int, unsigned int or bool, with its byte size and byte order. */
export interface ElementType {
  kind: 'f' | 'i' | 'u' | 'b';
  size: number;
  littleEndian: boolean;
  name: string;
}

export interface ArraySource {
  /** File (and entry) the array comes from, for messages. */
  label: string;
  shape: number[];
  dtype: ElementType;
  /** Number of samples (first axis; 1 for a 0-D array). */
  count: number;
  /** Values per sample (product of the other axes). */
  sampleSize: number;
  /** Reads samples [start, start+n) as float32 into out[outOffset...]. */
  readInto(start: number, n: number, out: Float32Array, outOffset?: number): void;
  close(): void;
}

export function elementCountOf(shape: readonly number[], label: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new DataError(`${label}: invalid dimension ${d} in shape [${shape.join(',')}]`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new DataError(`${label}: shape [${shape.join(',')}] is too large`);
  return n;
}

/** Converts `n` elements of raw bytes to float32. */
export function decodeElements(bytes: Uint8Array, t: ElementType, n: number, out: Float32Array, outOffset: number): void {
  if (t.size === 1) {
    if (t.kind === 'i') for (let i = 0; i < n; i++) out[outOffset + i] = (bytes[i] << 24) >> 24;
    else if (t.kind === 'b') for (let i = 0; i < n; i++) out[outOffset + i] = bytes[i] ? 1 : 0;
    else for (let i = 0; i < n; i++) out[outOffset + i] = bytes[i];
    return;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = t.littleEndian;
  const s = t.size;
  let get: (o: number) => number;
  if (t.kind === 'f') {
    if (s === 4) get = (o) => dv.getFloat32(o, le);
    else if (s === 8) get = (o) => dv.getFloat64(o, le);
    else get = (o) => float16ToFloat32(dv.getUint16(o, le));
  } else if (t.kind === 'i') {
    if (s === 2) get = (o) => dv.getInt16(o, le);
    else if (s === 4) get = (o) => dv.getInt32(o, le);
    else get = (o) => Number(dv.getBigInt64(o, le));
  } else {
    if (s === 2) get = (o) => dv.getUint16(o, le);
    else if (s === 4) get = (o) => dv.getUint32(o, le);
    else get = (o) => Number(dv.getBigUint64(o, le));
  }
  for (let i = 0; i < n; i++) out[outOffset + i] = get(i * s);
}

/**
 * A C-order (row-major) array at `dataOffset` in a byte source; checks the source holds all the data the shape
 * declares before anything is read.
 */
export function contiguousArray(label: string, src: ByteSource, available: number, dataOffset: number, shape: number[], dtype: ElementType): ArraySource {
  const total = elementCountOf(shape, label);
  const need = total * dtype.size;
  if (available - dataOffset < need) {
    throw new DataError(`${label}: shape [${shape.join(',')}] of ${dtype.name} needs ${need} bytes of data but the file holds ${Math.max(0, available - dataOffset)} (truncated?)`);
  }
  const count = shape.length ? shape[0] : 1;
  const sampleSize = shape.length ? elementCountOf(shape.slice(1), label) : 1;
  return {
    label, shape, dtype, count, sampleSize,
    readInto(start, n, out, outOffset = 0) {
      if (start < 0 || n < 0 || start + n > count) throw new DataError(`${label}: samples ${start}..${start + n} are outside 0..${count}`);
      const bytes = src.read(dataOffset + start * sampleSize * dtype.size, n * sampleSize * dtype.size);
      decodeElements(bytes, dtype, n * sampleSize, out, outOffset);
    },
    close: () => src.close(),
  };
}

/** An array already decoded in memory (e.g. a TensorProto). */
export function memoryArray(label: string, shape: number[], data: Float32Array): ArraySource {
  const count = shape.length ? shape[0] : 1;
  const sampleSize = shape.length ? elementCountOf(shape.slice(1), label) : 1;
  return {
    label, shape, dtype: { kind: 'f', size: 4, littleEndian: true, name: 'float32' }, count, sampleSize,
    readInto(start, n, out, outOffset = 0) {
      if (start < 0 || n < 0 || start + n > count) throw new DataError(`${label}: samples ${start}..${start + n} are outside 0..${count}`);
      out.set(data.subarray(start * sampleSize, (start + n) * sampleSize), outOffset);
    },
    close: () => undefined,
  };
}

/** Several arrays with the same per-sample shape, one after another (e.g. test_data_set_0, _1, ...). */
export function concatArrays(label: string, parts: ArraySource[]): ArraySource {
  if (parts.length === 1) return parts[0];
  const inner = parts[0].shape.slice(1);
  for (const p of parts) {
    if (p.shape.slice(1).join(',') !== inner.join(',')) {
      throw new DataError(`${label}: ${p.label} has samples of shape [${p.shape.slice(1).join(',')}], the others [${inner.join(',')}]`);
    }
  }
  const count = parts.reduce((a, p) => a + p.count, 0);
  const sampleSize = parts[0].sampleSize;
  return {
    label, shape: [count, ...inner], dtype: parts[0].dtype, count, sampleSize,
    readInto(start, n, out, outOffset = 0) {
      let base = 0;
      for (const p of parts) {
        const lo = Math.max(start, base);
        const hi = Math.min(start + n, base + p.count);
        if (hi > lo) p.readInto(lo - base, hi - lo, out, outOffset + (lo - start) * sampleSize);
        base += p.count;
      }
    },
    close: () => parts.forEach((p) => p.close()),
  };
}
