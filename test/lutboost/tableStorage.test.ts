import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryArray } from '../../src/data/array';
import { Dataset } from '../../src/data/dataset';
import type { Precision } from '../../src/dsl/config';
import { analyzeModel } from '../../src/onnx/analysis';
import { attr, GraphBuilder } from '../../src/onnx/builder';
import { writeModel } from '../../src/onnx/model';
import { createSession, release, runFloat, withExtraOutputs } from '../../src/onnx/runtime';
import { tensorToFloat32 } from '../../src/onnx/tensor';
import { DataType, type ModelProto, type TensorProto } from '../../src/onnx/types';
import { exportLutLayer } from '../../src/lutboost/export';
import { subspaces, type LutGemm } from '../../src/lutboost/lutGemm';
import { convertModel } from '../../src/lutboost/pipeline';
import { Rng } from '../../src/lutboost/prng';
import { quantizeBlocks, quantizeTables } from '../../src/lutboost/quantize';

function rand(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => (r.next() * 2 - 1) * scale);
}

function initializer(m: ModelProto, name: string): TensorProto | undefined {
  return m.graph!.initializer.find((t) => t.name === name);
}

/** A Gemm [5, 10] x [10, 7] + bias at `opset`, analysed. */
async function gemmModel(opset: number) {
  const b = new GraphBuilder('mlp', opset);
  b.addInput('x', [5, 10]);
  b.addFloat('B', [7, 10], rand(70, 4));
  b.addFloat('C', [7], rand(7, 5));
  b.addNode('Gemm', ['x', 'B', 'C'], ['y'], [attr.int('transB', 1)], 'fc');
  b.addOutput('y');
  return analyzeModel(b.build(), { inputShapes: { x: [5, 10] } });
}

const X = rand(50, 7, 3);

/** onnxruntime's values of the float32 `tables` tensor the Gather reads, and of the layer's output. */
async function runTables(m: ModelProto): Promise<{ tables: Float32Array; y: Float32Array }> {
  const s = await createSession(withExtraOutputs(m, ['lut/fc/tables', 'y']));
  const r = await runFloat(s, 'x', X, [5, 10], ['lut/fc/tables', 'y']);
  await release(s);
  return { tables: r['lut/fc/tables'].data, y: r.y.data };
}

// [precision, opset, storage expected]: DequantizeLinear from opset 13, Cast + Mul before; Cast from bfloat16 needs 13.
const CASES: [Precision, number, string, string][] = [
  ['int8', 13, 'int8', 'DequantizeLinear'], ['int4', 13, 'int8', 'DequantizeLinear'], ['int8', 11, 'int8', 'Mul'],
  ['fp16', 13, 'float16', 'Cast'], ['bf16', 17, 'bfloat16', 'Cast'], ['bf16', 11, 'float32', ''],
];

for (const [precision, opset, storage, op] of CASES) {
  test(`${precision} tables at opset ${opset} are stored as ${storage} and dequantize in onnxruntime to exactly the engine's values`, async () => {
    const a = await gemmModel(opset);
    const layer = a.layers[0];
    const { k, n } = layer.info;
    const v = 4;
    const c = 8;
    const S = subspaces(k, v);
    const lut: LutGemm = { k, n, v, c, S, metric: 'l2', centroids: rand(S * c * v, 8, 2), tables: rand(S * c * n, 9), bias: layer.bias };
    const q = quantizeTables(lut, precision);
    const quantized: LutGemm = { ...lut, tables: q.tables, quant: q.quant };
    const m = structuredClone(a.model);
    exportLutLayer(m, { layer, luts: [quantized], precision, quantized: true, inputRank: 2 });
    const meta = JSON.parse(m.metadataProps.find((e) => e.key === 'lutdla.layer.fc')!.value!) as { tableStorage: string; tableStorageNote: string };
    assert.equal(meta.tableStorage, storage);
    if (precision === 'int4') assert.match(meta.tableStorageNote, /int4 .*stored as INT8/);
    const tablesNode = m.graph!.node.find((nd) => nd.output[0] === 'lut/fc/tables');
    assert.equal(tablesNode?.opType ?? '', op);

    if (storage === 'int8') {
      const codes = initializer(m, 'lut/fc/tables_q')!;
      assert.equal(codes.dataType, DataType.INT8);
      assert.deepEqual(codes.dims, [S * c, n]);
      assert.deepEqual(Array.from(tensorToFloat32(codes)), Array.from(q.quant.codes!), 'the stored integers are the quantize stage codes');
      const scales = tensorToFloat32(initializer(m, 'lut/fc/tables_scale')!);
      assert.deepEqual(Array.from(scales), Array.from({ length: S * c }, (_, r) => q.quant.scales![Math.floor(r / c)]));
      const qmax = precision === 'int8' ? 127 : 7;
      assert.ok(q.quant.codes!.every((z) => Math.abs(z) <= qmax));
    } else if (storage === 'float16' || storage === 'bfloat16') {
      assert.equal(initializer(m, `lut/fc/tables_${storage === 'float16' ? 'f16' : 'bf16'}`)?.dataType, storage === 'float16' ? DataType.FLOAT16 : DataType.BFLOAT16);
    } else {
      assert.equal(initializer(m, 'lut/fc/tables')?.dataType, DataType.FLOAT);
    }
    assert.equal(initializer(m, storage === 'float32' ? 'lut/fc/tables_q' : 'lut/fc/tables'), undefined);

    // The same layer exported with float32 tables holding the dequantized values (the earlier export): onnxruntime
    // gathers the same float32 values and computes the same outputs, bit for bit.
    const f = structuredClone(a.model);
    exportLutLayer(f, { layer, luts: [quantized], precision, quantized: false, inputRank: 2 });
    const [got, want] = [await runTables(m), await runTables(f)];
    for (let i = 0; i < quantized.tables.length; i++) assert.ok(got.tables[i] === quantized.tables[i], `entry ${i}: ${got.tables[i]} vs engine ${quantized.tables[i]}`);
    assert.deepEqual(Array.from(got.y), Array.from(want.y));
  });
}

test('tables not on the precision grid stay float32 rather than change the arithmetic', async () => {
  const a = await gemmModel(13);
  const layer = a.layers[0];
  const { k, n } = layer.info;
  const S = subspaces(k, 4);
  const lut: LutGemm = { k, n, v: 4, c: 4, S, metric: 'l1', centroids: rand(S * 16, 8), tables: rand(S * 4 * n, 9) };
  const m = structuredClone(a.model);
  exportLutLayer(m, { layer, luts: [lut], precision: 'int8', quantized: true, inputRank: 2 });
  assert.equal(initializer(m, 'lut/fc/tables')?.dataType, DataType.FLOAT);
  assert.deepEqual(Array.from(tensorToFloat32(initializer(m, 'lut/fc/tables')!)), Array.from(lut.tables));
});

test('a model converted at int8 stores the quantize stage integers and is much smaller than at fp32', async () => {
  // One MatMul 16 -> 96: its tables (4 subspaces x 16 entries x 96) dominate the file.
  const K = 16;
  const N = 96;
  const COUNT = 256;
  const b = new GraphBuilder('wide', 13);
  b.addInput('x', [COUNT, K]);
  b.addFloat('W', [K, N], rand(K * N, 31));
  b.addNode('MatMul', ['x', 'W'], ['y'], [], 'fc');
  b.addOutput('y');
  const model = b.build();
  const calibration = new Dataset(memoryArray('calibration', [COUNT, K], rand(COUNT * K, 32, 2)));
  const convert = async (stages: ('kmeans' | 'tables' | 'quantize')[]): Promise<ModelProto> => (await convertModel({
    model, label: 'wide', calibration, inputShape: [COUNT, K],
    settings: {
      lut: { centroids: 16, vector: 4, metric: 'l2', precision: 'int8' },
      lutboost: { stages, iterations: 5, samples: 4096, seed: 1, holdout: 0.25 },
      keep: [], layers: [],
    },
  })).lut;
  const fp32 = await convert(['kmeans', 'tables']);
  const int8 = await convert(['kmeans', 'tables', 'quantize']);
  const [fp32Bytes, int8Bytes] = [writeModel(fp32).length, writeModel(int8).length];
  assert.ok(int8Bytes < 0.4 * fp32Bytes, `int8 file ${int8Bytes} B vs fp32 ${fp32Bytes} B`);
  // The quantize stage is last and deterministic: its integers are those of the fp32 run's tables.
  const T = tensorToFloat32(initializer(fp32, 'lut/fc/tables')!);
  const want = quantizeBlocks(T, subspaces(K, 4), 'int8');
  const codes = initializer(int8, 'lut/fc/tables_q')!;
  assert.equal(codes.dataType, DataType.INT8);
  assert.deepEqual(Array.from(tensorToFloat32(codes)), Array.from(want.codes!));
  assert.deepEqual(Array.from(tensorToFloat32(initializer(int8, 'lut/fc/tables_scale')!)), Array.from({ length: 64 }, (_, r) => want.scales![Math.floor(r / 16)]));
});
