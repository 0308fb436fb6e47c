import { ArraySource, ByteSource, contiguousArray, ElementType } from './array';
import { DataError } from './errors';

/** IDX files (MNIST's format): 2 zero bytes, a type code, the rank, big-endian u32 dims, then big-endian data. */

const TYPES: Record<number, ElementType> = {
  0x08: { kind: 'u', size: 1, littleEndian: false, name: 'uint8' },
  0x09: { kind: 'i', size: 1, littleEndian: false, name: 'int8' },
  0x0b: { kind: 'i', size: 2, littleEndian: false, name: 'int16' },
  0x0c: { kind: 'i', size: 4, littleEndian: false, name: 'int32' },
  0x0d: { kind: 'f', size: 4, littleEndian: false, name: 'float32' },
  0x0e: { kind: 'f', size: 8, littleEndian: false, name: 'float64' },
};

export function isIdxName(file: string): boolean {
  return /idx\d*-ubyte(\.gz)?$|\.idx\d*(-ubyte)?(\.gz)?$|\.idx(\.gz)?$/i.test(file);
}

export function idxArray(src: ByteSource, size: number, label: string): ArraySource {
  if (size < 4) throw new DataError(`${label}: too short for an IDX file (${size} bytes)`);
  const head = src.read(0, 4);
  if (head[0] !== 0 || head[1] !== 0 || !TYPES[head[2]]) {
    throw new DataError(`${label}: not an IDX file (magic ${Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  }
  const rank = head[3];
  if (rank < 1 || 4 + rank * 4 > size) throw new DataError(`${label}: IDX header declares ${rank} dimensions but the file is ${size} bytes (truncated?)`);
  const d = src.read(4, rank * 4);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(d[i * 4] * 2 ** 24 + ((d[i * 4 + 1] << 16) | (d[i * 4 + 2] << 8) | d[i * 4 + 3]));
  return contiguousArray(label, src, size, 4 + rank * 4, shape, TYPES[head[2]]);
}
