import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import * as zlib from 'node:zlib';
import { DataError } from '../../src/data/errors';
import { openArray, readLabels, resolveDataPath } from '../../src/data/dataset';
import { encodeNpy } from '../../src/data/npy';
import { encodeZip } from '../../src/data/npz';
import { PathEscapeError, resolveInside } from '../../src/data/safePath';
import { readTestDataSet, testDataSets } from '../../src/data/tensorFiles';
import { encodeTensorProto } from '../../src/onnx/proto';
import { makeTensor } from '../../src/onnx/tensor';
import { DataType } from '../../src/onnx/types';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lutdla-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function put(name: string, bytes: Uint8Array): string {
  const f = path.join(dir, name);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, bytes);
  return f;
}

function readAll(file: string, opts = {}): { shape: number[]; data: number[] } {
  const a = openArray(file, opts);
  const out = new Float32Array(a.count * a.sampleSize);
  a.readInto(0, a.count, out);
  a.close();
  return { shape: a.shape, data: Array.from(out) };
}

function idx(type: number, dims: number[], body: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, body]);
}

test('.npy of every numeric dtype, header versions 1 and 2, big-endian and Fortran order', () => {
  const arrays = [Float32Array.of(1.5, -2, 3, 4, 5, 6), Float64Array.of(1, 2, 3, 4, 5, -6.5), Int8Array.of(-1, 2, -3, 4, -5, 6),
    Uint8Array.of(0, 1, 2, 253, 254, 255), Int16Array.of(-300, 1, 2, 3, 4, 5), Uint16Array.of(60000, 1, 2, 3, 4, 5),
    Int32Array.of(-70000, 1, 2, 3, 4, 5), Uint32Array.of(4e9, 1, 2, 3, 4, 5), BigInt64Array.of(-7n, 1n, 2n, 3n, 4n, 5n)];
  for (const a of arrays) {
    const f = put(`a_${a.constructor.name}.npy`, encodeNpy(a, [3, 2]));
    assert.deepEqual(readAll(f), { shape: [3, 2], data: Array.from(a as ArrayLike<number>, Number) }, a.constructor.name);
  }
  // version 2 header, big-endian float32, fortran order [2,3] holding column-major data
  const header = "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }";
  const h = Buffer.alloc(12 + header.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]).copy(h);
  h.writeUInt32LE(header.length, 8);
  h.write(header, 12, 'latin1');
  const body = Buffer.alloc(24);
  [1, 4, 2, 5, 3, 6].forEach((v, i) => body.writeFloatBE(v, i * 4)); // column-major of [[1,2,3],[4,5,6]]
  const f = put('fortran.npy', Buffer.concat([h, body]));
  assert.deepEqual(readAll(f), { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
});

test('.npy errors: truncated data, bad magic, unsupported dtype, huge declared shape', () => {
  const good = encodeNpy(new Float32Array(100), [10, 10]);
  assert.throws(() => openArray(put('trunc.npy', good.subarray(0, good.length - 8))), /trunc\.npy: shape \[10,10\] of float32 needs 400 bytes of data but the file holds 392 \(truncated\?\)/);
  assert.throws(() => openArray(put('head.npy', good.subarray(0, 30))), /head\.npy: truncated or corrupt \.npy header/);
  const text = Buffer.from(good).toString('latin1').replace('<f4', '<c8');
  assert.throws(() => openArray(put('complex.npy', Buffer.from(text, 'latin1'))), /unsupported NumPy dtype '<c8'/);
  const huge = Buffer.from(Buffer.from(good).toString('latin1').replace('(10, 10)', '(99999999, 99999)'), 'latin1');
  assert.throws(() => openArray(put('huge.npy', huge)), (e: Error) => e instanceof DataError && /huge\.npy: shape \[99999999,99999\].*needs/.test(e.message));
  assert.throws(() => openArray(put('noise.bin', Buffer.from('hello world, not data'))), /noise\.bin: unknown data format/);
});

test('.npz with stored and deflated entries; named arrays; errors list the names', () => {
  const x = Float32Array.from({ length: 12 }, (_, i) => i / 2);
  const y = Int32Array.of(3, 1, 4);
  for (const deflate of [false, true]) {
    const f = put(`d${deflate}.npz`, encodeZip([{ name: 'x.npy', data: encodeNpy(x, [3, 4]) }, { name: 'y.npy', data: encodeNpy(y, [3]) }], deflate));
    assert.deepEqual(readAll(f), { shape: [3, 4], data: Array.from(x) });
    assert.deepEqual(Array.from(readLabels(f)), [3, 1, 4]);
    assert.deepEqual(readAll(f, { key: 'y' }).data, [3, 1, 4]);
    assert.throws(() => openArray(f, { key: 'z' }), /no array 'z' \(it has 'x', 'y'\)/);
  }
  const two = put('two.npz', encodeZip([{ name: 'a.npy', data: encodeNpy(x, [12]) }, { name: 'b.npy', data: encodeNpy(x, [12]) }]));
  assert.throws(() => openArray(two), /holds 'a', 'b'; say which array to use/);
  const whole = encodeZip([{ name: 'x.npy', data: encodeNpy(x, [3, 4]) }], true);
  assert.throws(() => openArray(put('cut.npz', whole.subarray(0, whole.length - 30))), /cut\.npz: .*(truncated|corrupt)/);
});

test('IDX files, plain and gzipped, with MNIST names; labels from IDX', () => {
  const pixels = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 10);
  const imgs = idx(0x08, [2, 3, 3], pixels);
  put('train-images-idx3-ubyte', imgs);
  put('t10k-images-idx3-ubyte.gz', zlib.gzipSync(imgs));
  put('x.idx', imgs);
  for (const n of ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte.gz', 'x.idx']) {
    assert.deepEqual(readAll(path.join(dir, n)), { shape: [2, 3, 3], data: Array.from(pixels) }, n);
  }
  const floats = Buffer.alloc(8);
  floats.writeFloatBE(1.25, 0);
  floats.writeFloatBE(-3, 4);
  assert.deepEqual(readAll(put('f.idx', idx(0x0d, [2], floats))).data, [1.25, -3]);
  put('t10k-labels-idx1-ubyte.gz', zlib.gzipSync(idx(0x08, [5], Uint8Array.of(7, 2, 1, 0, 4))));
  assert.deepEqual(Array.from(readLabels(path.join(dir, 't10k-labels-idx1-ubyte.gz'), [1, 4])), [2, 1, 0]);
  assert.throws(() => openArray(put('short-idx1-ubyte', idx(0x08, [100], Uint8Array.of(1, 2)))), /needs 100 bytes of data but the file holds 2/);
  assert.throws(() => openArray(put('bad.idx', Uint8Array.of(0, 0, 0x42, 1, 0, 0, 0, 1, 5))), /not an IDX file/);
});

test('TensorProto .pb files and the test_data_set_N layout', () => {
  const t0 = makeTensor('x', [1, 2, 2], Float32Array.of(1, 2, 3, 4));
  const t1 = makeTensor('x', [1, 2, 2], Float32Array.of(5, 6, 7, 8));
  put('sets/test_data_set_0/input_0.pb', encodeTensorProto(t0));
  put('sets/test_data_set_0/output_0.pb', encodeTensorProto(makeTensor('y', [1], Float32Array.of(9))));
  put('sets/test_data_set_1/input_0.pb', encodeTensorProto(t1));
  put('single.pb', encodeTensorProto(makeTensor('l', [3], BigInt64Array.of(1n, 0n, 2n), DataType.INT64)));
  assert.deepEqual(readAll(path.join(dir, 'sets')), { shape: [2, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] });
  assert.deepEqual(testDataSets(path.join(dir, 'sets')).map((s) => path.basename(s)), ['test_data_set_0', 'test_data_set_1']);
  const ds = readTestDataSet(path.join(dir, 'sets', 'test_data_set_0'));
  assert.equal(ds.inputs.length, 1);
  assert.equal(ds.outputs[0].name, 'y');
  assert.deepEqual(Array.from(readLabels(path.join(dir, 'single.pb'))), [1, 0, 2]);
  assert.throws(() => openArray(put('junk.pb', Buffer.from([0xff, 0xff, 0xff]))), /junk\.pb: not a valid ONNX TensorProto/);
  assert.throws(() => openArray(put('hugedims.pb', encodeTensorProto({ ...t0, dims: [1e6, 1e6] }))), /hugedims\.pb: tensor 'x'.*(more than|needs)/);
});

test('labels: one-hot rows by argmax, non-integer labels refused, ranges checked', () => {
  const onehot = put('onehot.npy', encodeNpy(Float32Array.of(0, 1, 0, 1, 0, 0, 0, 0, 1), [3, 3]));
  assert.deepEqual(Array.from(readLabels(onehot)), [1, 0, 2]);
  const frac = put('frac.npy', encodeNpy(Float32Array.of(0.5, 1), [2]));
  assert.throws(() => readLabels(frac), /frac\.npy: label 0 is 0\.5, not a class index/);
  assert.throws(() => readLabels(onehot, [2, 5]), /onehot\.npy: range 2:5 goes past the 3 samples/);
});

test('paths from configs cannot escape their folder', () => {
  put('cfg/data/x.npy', encodeNpy(Float32Array.of(1), [1]));
  const base = path.join(dir, 'cfg');
  assert.equal(resolveDataPath(base, 'data/x.npy'), path.join(base, 'data', 'x.npy'));
  assert.throws(() => resolveInside(base, '../onehot.npy', 'calibration'), (e: Error) => e instanceof PathEscapeError && /calibration "\.\.\/onehot\.npy" escapes/.test(e.message));
  assert.throws(() => resolveInside(base, '/etc/passwd'), /is absolute/);
  assert.throws(() => resolveInside(base, 'C:\\x.npy'), /is absolute/);
  assert.throws(() => resolveInside(base, 'data/../../x'), /escapes/);
  symlinkSync('/etc', path.join(base, 'etc-link'));
  assert.throws(() => resolveInside(base, 'etc-link/hostname'), /symbolic link/);
});
