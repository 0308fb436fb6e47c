import * as zlib from 'node:zlib';
import { ArraySource, bufferSource, ByteSource } from './array';
import { DataError } from './errors';
import { npyArray } from './npy';

/** NumPy .npz: a zip of .npy entries, stored or deflated (zip64 sizes supported). */

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 2 ** 24;
}
function u64(b: Uint8Array, o: number): number {
  return u32(b, o) + u32(b, o + 4) * 2 ** 32;
}

/** Reads the zip central directory. */
export function zipEntries(src: ByteSource, size: number, label: string): ZipEntry[] {
  const tailLen = Math.min(size, 65557);
  const tail = src.read(size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 5 && tail[i + 3] === 6) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new DataError(`${label}: not a .npz/zip file (no end-of-archive record; truncated?)`);
  let count = u16(tail, eocd + 10);
  let cdSize = u32(tail, eocd + 12);
  let cdOffset = u32(tail, eocd + 16);
  // zip64 end-of-central-directory locator sits right before the classic record
  const loc = eocd - 20;
  if (loc >= 0 && u32(tail, loc) === 0x07064b50) {
    const z64 = u64(tail, loc + 8);
    if (z64 + 56 > size) throw new DataError(`${label}: corrupt zip64 record`);
    const rec = src.read(z64, 56);
    if (u32(rec, 0) !== 0x06064b50) throw new DataError(`${label}: corrupt zip64 record`);
    count = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
  }
  if (cdOffset + cdSize > size || count > cdSize / 46) throw new DataError(`${label}: corrupt zip directory (truncated?)`);
  const cd = src.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || u32(cd, p) !== 0x02014b50) throw new DataError(`${label}: corrupt zip directory entry ${i}`);
    const method = u16(cd, p + 10);
    let compressedSize = u32(cd, p + 20);
    let usize = u32(cd, p + 24);
    const nameLen = u16(cd, p + 28);
    const extraLen = u16(cd, p + 30);
    const commentLen = u16(cd, p + 32);
    let localOffset = u32(cd, p + 42);
    const name = Buffer.from(cd.subarray(p + 46, p + 46 + nameLen)).toString('utf8');
    // zip64 extra field: the 0xffffffff values are replaced, in order
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = u16(cd, e);
      const len = u16(cd, e + 2);
      if (id === 1) {
        let q = e + 4;
        if (usize === 0xffffffff) (usize = u64(cd, q)), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(cd, q)), (q += 8);
        if (localOffset === 0xffffffff) localOffset = u64(cd, q);
      }
      e += 4 + len;
    }
    entries.push({ name, method, compressedSize, size: usize, localOffset });
    p = eEnd + commentLen;
  }
  return entries;
}

/** The bytes of one entry: a view for stored entries, inflated (bounded by the declared size) for deflated ones. */
export function zipEntryData(src: ByteSource, size: number, e: ZipEntry, label: string): { src: ByteSource; size: number } {
  if (e.localOffset + 30 > size) throw new DataError(`${label}: entry '${e.name}' lies outside the file (truncated?)`);
  const lh = src.read(e.localOffset, 30);
  if (u32(lh, 0) !== 0x04034b50) throw new DataError(`${label}: corrupt zip entry '${e.name}'`);
  const start = e.localOffset + 30 + u16(lh, 26) + u16(lh, 28);
  if (start + e.compressedSize > size) throw new DataError(`${label}: entry '${e.name}' is cut off (truncated file?)`);
  if (e.method === 0) {
    return { src: { read: (o, l) => src.read(start + o, l), close: () => src.close() }, size: e.size };
  }
  if (e.method !== 8) throw new DataError(`${label}: entry '${e.name}' uses zip compression method ${e.method}; only stored and deflate are supported`);
  let out: Buffer;
  try {
    out = zlib.inflateRawSync(src.read(start, e.compressedSize), { maxOutputLength: Math.max(1, e.size) });
  } catch (err) {
    throw new DataError(`${label}: entry '${e.name}' does not inflate (${(err as Error).message})`);
  }
  if (out.length !== e.size) throw new DataError(`${label}: entry '${e.name}' inflates to ${out.length} bytes, the directory says ${e.size}`);
  return { src: bufferSource(out), size: out.length };
}

/** Opens the arrays of a .npz lazily by name (without the .npy suffix). */
export class NpzFile {
  readonly entries: ZipEntry[];
  constructor(private readonly src: ByteSource, private readonly size: number, readonly label: string) {
    this.entries = zipEntries(src, size, label);
  }

  get names(): string[] {
    return this.entries.map((e) => e.name.replace(/\.npy$/, ''));
  }

  array(name: string): ArraySource {
    const e = this.entries.find((x) => x.name === name || x.name === `${name}.npy`);
    if (!e) throw new DataError(`${this.label}: no array '${name}' (it has ${this.names.map((n) => `'${n}'`).join(', ') || 'none'})`);
    const d = zipEntryData(this.src, this.size, e, this.label);
    return npyArray(d.src, d.size, `${this.label}[${e.name.replace(/\.npy$/, '')}]`);
  }

  close(): void {
    this.src.close();
  }
}

/** Writes a .npz with stored (or deflated) entries; for tests and exports. */
export function encodeZip(files: { name: string; data: Uint8Array }[], deflate = false): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const body = deflate ? zlib.deflateRawSync(f.data) : f.data;
    const crc = zlib.crc32 ? zlib.crc32(f.data) : 0;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(deflate ? 8 : 0, 8);
    lh.writeUInt32LE(crc >>> 0, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(f.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(deflate ? 8 : 0, 10);
    ch.writeUInt32LE(crc >>> 0, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(f.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    chunks.push(lh, name, body);
    central.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, ...central, end]);
}
