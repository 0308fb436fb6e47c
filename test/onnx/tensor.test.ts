import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTensorProto, encodeTensorProto } from '../../src/onnx/proto';
import {
  bfloat16ToFloat32, checkTensor, float16ToFloat32, float32ToBfloat16, float32ToFloat16, makeTensor, tensorToFloat32, tensorToNumbers, tensorToTyped,
} from '../../src/onnx/tensor';
import { DataType, OnnxFormatError, TensorProto } from '../../src/onnx/types';

function typed(dataType: number, dims: number[], fields: Partial<TensorProto>): TensorProto {
  return { name: 't', dims, dataType, floatData: [], int32Data: [], stringData: [], int64Data: [], externalData: [], doubleData: [], uint64Data: [], metadataProps: [], ...fields };
}

test('tensorToFloat32 decodes raw_data of every numeric type (little-endian)', () => {
  const cases: [ArrayLike<number> | BigInt64Array, DataType][] = [
    [Float32Array.of(1.5, -2, 3.25), DataType.FLOAT],
    [Float64Array.of(1.5, -2, 3.25), DataType.DOUBLE],
    [Int8Array.of(-128, 0, 127), DataType.INT8],
    [Uint8Array.of(0, 200, 255), DataType.UINT8],
    [Int16Array.of(-300, 0, 300), DataType.INT16],
    [Uint16Array.of(0, 60000, 1), DataType.UINT16],
    [Int32Array.of(-70000, 5, 70000), DataType.INT32],
    [BigInt64Array.of(-5n, 0n, 1234567n), DataType.INT64],
  ];
  for (const [data, dt] of cases) {
    const t = makeTensor('x', [3], data as Float32Array, dt);
    const back = decodeTensorProto(encodeTensorProto(t), 'mem');
    assert.deepEqual(Array.from(tensorToFloat32(back)), Array.from(data as ArrayLike<number>, Number), `type ${dt}`);
  }
});

test('tensorToFloat32 decodes typed fields (float_data, int32_data, int64_data, double_data) and float16/bfloat16', () => {
  assert.deepEqual(Array.from(tensorToFloat32(typed(DataType.FLOAT, [2], { floatData: [1, 2] }))), [1, 2]);
  assert.deepEqual(Array.from(tensorToFloat32(typed(DataType.INT8, [2], { int32Data: [-3, 4] }))), [-3, 4]);
  assert.deepEqual(Array.from(tensorToFloat32(typed(DataType.INT64, [2], { int64Data: [7, 2n ** 40n] }))), [7, 2 ** 40]);
  assert.deepEqual(Array.from(tensorToFloat32(typed(DataType.DOUBLE, [1], { doubleData: [0.5] }))), [0.5]);
  const half = [1, -2.5, 65504, 0.000061035156].map(float32ToFloat16);
  assert.deepEqual(Array.from(tensorToFloat32(typed(DataType.FLOAT16, [4], { int32Data: half }))), [1, -2.5, 65504, 0.00006103515625]);
  const raw16 = new Uint8Array(Uint16Array.from([1, 3.5].map(float32ToBfloat16)).buffer);
  assert.deepEqual(Array.from(tensorToFloat32(typed(DataType.BFLOAT16, [2], { rawData: raw16 }))), [1, 3.5]);
  assert.equal(float16ToFloat32(0x7c00), Infinity);
  assert.ok(Number.isNaN(float16ToFloat32(0x7e00)));
  assert.equal(bfloat16ToFloat32(0x3f80), 1);
});

test('int64 shape tensors come back exactly; tensorToTyped gives onnxruntime arrays', () => {
  const t = makeTensor('shape', [3], [1, -1, 2 ** 40]);
  assert.deepEqual(tensorToNumbers(t), [1, -1, 2 ** 40]);
  const tt = tensorToTyped(t);
  assert.equal(tt.type, 'int64');
  assert.ok(tt.data instanceof BigInt64Array);
  const s = typed(DataType.STRING, [2], { stringData: [Buffer.from('a<b>'), Buffer.from('é')] });
  assert.deepEqual(tensorToTyped(s).data, ['a<b>', 'é']);
});

test('declared dims are checked against the stored data before allocating', () => {
  const huge = typed(DataType.FLOAT, [100000, 100000, 100000], { rawData: new Uint8Array(16) });
  assert.throws(() => tensorToFloat32(huge), (e: Error) => e instanceof OnnxFormatError && /more than/.test(e.message));
  const short = typed(DataType.FLOAT, [10, 10], { rawData: new Uint8Array(16) });
  assert.throws(() => checkTensor(short, 'f.onnx'), /f\.onnx: tensor 't': shape \[10,10\] \(100 elements of float32\) needs 400 bytes but 16 are stored/);
  assert.throws(() => checkTensor(typed(DataType.FLOAT, [-1], {})), /invalid dimension -1/);
  assert.throws(() => checkTensor(typed(99, [1], {})), /unsupported data type 99/);
});
