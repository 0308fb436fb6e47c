import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Metric, Precision } from '../../src/dsl/config';
import { analyzeModel } from '../../src/onnx/analysis';
import { attr, GraphBuilder } from '../../src/onnx/builder';
import { createSession, release, runFloat } from '../../src/onnx/runtime';
import { int64Tensor, tensorToFloat32 } from '../../src/onnx/tensor';
import type { ModelProto, TensorProto } from '../../src/onnx/types';
import { exportLutLayer } from '../../src/lutboost/export';
import { subspaces, type LutGemm } from '../../src/lutboost/lutGemm';
import { quantizeTables } from '../../src/lutboost/quantize';
import { Rng } from '../../src/lutboost/prng';
import { Executor } from '../../src/train/executor';
import { fuseLutLayers, writeLutLayerBack } from '../../src/train/lutGraph';
import { graphFromOnnx } from '../../src/train/onnxGraph';
import '../../src/train/register';

function rand(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => (r.next() * 2 - 1) * scale);
}

/**
 * Every layer of `model` exported as a LUT layer with random centroids (spread like the inputs) and tables, then
 * checked three ways: the trainer's fused graph computes what onnxruntime computes on the exported model; after
 * changing the fused centroids, tables and bias and writing them back, the two still agree; and the written-back
 * model differs from the first export (the new values were really written).
 */
async function roundTrip(model: ModelProto, inputDims: number[], metric: Metric, v: number, c: number, precision?: Precision): Promise<void> {
  const a = await analyzeModel(model, { inputShapes: { x: inputDims } });
  assert.equal(a.layers.length, 2, 'both layers are convertible');
  const lut = structuredClone(a.model);
  a.layers.forEach((layer, li) => {
    const { k, n, groups } = layer.info;
    const S = subspaces(k, v);
    const luts: LutGemm[] = Array.from({ length: groups }, (_, g) => {
      const centroids = rand(S * c * v, 10 + li * 7 + g, 2);
      for (let s = 0; s < S; s++) for (let j = 0; j < c; j++) for (let d = 0; d < v; d++) if (s * v + d >= k) centroids[(s * c + j) * v + d] = 0;
      const l: LutGemm = { k, n, v, c, S, metric, centroids, tables: rand(S * c * n, 20 + li * 7 + g), bias: layer.bias?.slice(g * n, (g + 1) * n) };
      if (!precision) return l;
      // The quantize stage's output: tables on the precision's grid, with its codes and scales.
      const q = quantizeTables(l, precision);
      return { ...l, tables: q.tables, quant: q.quant };
    });
    exportLutLayer(lut, { layer, luts, precision: precision ?? 'int8', quantized: !!precision, inputRank: layer.inputShape!.length });
  });
  const x = rand(inputDims.reduce((p, d) => p * d, 1), 3, 2);
  const out = a.model.graph!.output[0].name!;
  const both = async (m: ModelProto, what: string): Promise<Float32Array> => {
    const s = await createSession(m);
    const want = (await runFloat(s, 'x', x, inputDims, [out]))[out].data;
    await release(s);
    const g = graphFromOnnx(m, () => false);
    fuseLutLayers(g, m);
    assert.ok(g.nodes.some((nd) => nd.op === 'LutLookup'), `${what}: no fused LUT layer`);
    const got = new Executor(g).forward({ x: { shape: inputDims, data: x } }).get(out)!;
    assert.deepEqual(got.shape.reduce((p, d) => p * d, 1), want.length);
    let worst = 0;
    let mag = 1;
    for (let i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(want[i] - got.data[i]));
      mag = Math.max(mag, Math.abs(want[i]));
    }
    // Same nearest centroids, so the two differ only by float32 summation order of the table rows.
    assert.ok(worst <= 1e-5 * mag, `${what} ${metric}: onnxruntime vs trainer executor differ by ${worst}`);
    return want;
  };
  const first = await both(lut, 'exported');
  const storage = precision === 'int8' || precision === 'int4' ? 'tables_q' : precision === 'fp16' ? 'tables_f16' : precision === 'bf16' ? 'tables_bf16' : 'tables';
  const stored = (): TensorProto[] => a.layers.map((l) => lut.graph!.initializer.find((t) => t.name === `lut/${l.info.name}/${storage}`)!);
  const before = stored();
  assert.ok(before.every((t) => t), `every layer stores ${storage}`);

  const g = graphFromOnnx(lut, () => false);
  const layers = fuseLutLayers(g, lut);
  assert.equal(layers.length, a.layers.length);
  for (const l of layers) {
    const C = g.initializers.get(l.centroids)!;
    const T = g.initializers.get(l.tables)!;
    g.initializers.set(l.centroids, { shape: C.shape, data: C.data.map((z, i) => z + ((i % 3) - 1) * 0.05) });
    g.initializers.set(l.tables, { shape: T.shape, data: T.data.map((z) => z * 1.5) });
    if (l.bias) g.initializers.set(l.bias, { shape: g.initializers.get(l.bias)!.shape, data: g.initializers.get(l.bias)!.data.map((z) => z + 1) });
    writeLutLayerBack(lut, g, l);
  }
  const second = await both(lut, 'written back');
  // Written back in the same storage (type and shape), re-quantized: int codes stay within +-qmax.
  stored().forEach((t, i) => {
    assert.equal(t.dataType, before[i].dataType);
    assert.deepEqual(t.dims, before[i].dims);
    if (precision === 'int8' || precision === 'int4') {
      const qmax = precision === 'int8' ? 127 : 7;
      assert.ok(tensorToFloat32(t).every((z) => Math.abs(z) <= qmax && Number.isInteger(z)));
    }
  });
  assert.ok(second.some((z, i) => z !== first[i]), 'writing back changed nothing');
}

/** Two Convs: grouped with SAME_UPPER padding and strides, then K = 6 * 2 * 2 = 24 (a multiple of v = 4, unfolded by a depthwise identity) with dilation 2. */
function convModel(): ModelProto {
  const b = new GraphBuilder('conv', 13);
  b.addInput('x', [2, 4, 9, 7]);
  b.addFloat('w', [6, 2, 3, 2], rand(6 * 2 * 6, 1));
  b.addFloat('bias', [6], rand(6, 2));
  b.addNode('Conv', ['x', 'w', 'bias'], ['h'], [attr.string('auto_pad', 'SAME_UPPER'), attr.ints('strides', [2, 1]), attr.int('group', 2)], 'conv1');
  b.addFloat('w2', [5, 6, 2, 2], rand(5 * 6 * 4, 4));
  b.addNode('Conv', ['h', 'w2'], ['y'], [attr.ints('dilations', [2, 1])], 'conv2');
  b.addOutput('y');
  return b.build();
}

/** A rank-3 MatMul, a reshape, then a Gemm with transA. */
function mlpModel(): ModelProto {
  const b = new GraphBuilder('mlp', 17);
  b.addInput('x', [2, 3, 10]);
  b.addFloat('W', [10, 7], rand(70, 4));
  b.addNode('MatMul', ['x', 'W'], ['h'], [], 'fc1');
  b.addInitializer(int64Tensor('flat', [2], [7, 6]));
  b.addNode('Reshape', ['h', 'flat'], ['ht'], [], 'reshape');
  b.addFloat('B', [7, 3], rand(21, 6));
  b.addFloat('C', [3], rand(3, 5));
  b.addNode('Gemm', ['ht', 'B', 'C'], ['y'], [attr.int('transA', 1)], 'fc2');
  b.addOutput('y');
  return b.build();
}

for (const metric of ['l2', 'l1', 'chebyshev'] as Metric[]) {
  test(`trainer reads and writes back exported Conv LUT layers (${metric}: groups 2, K padded to v, SAME_UPPER, stride 2; and a depthwise-unfolded conv)`, async () => {
    await roundTrip(convModel(), [2, 4, 9, 7], metric, 4, 8);
  });

  test(`trainer reads and writes back exported Gemm / MatMul LUT layers (${metric}: transA, rank-3 MatMul input)`, async () => {
    await roundTrip(mlpModel(), [2, 3, 10], metric, 3, 4);
  });
}

// Tables stored at their precision (src/lutboost/tableStorage.ts): read dequantized, written back in the same form.
for (const [precision, metric] of [['int8', 'l2'], ['int4', 'l1'], ['fp16', 'chebyshev'], ['bf16', 'l2']] as [Precision, Metric][]) {
  test(`trainer reads and writes back ${precision} tables of exported Conv and Gemm / MatMul LUT layers (${metric})`, async () => {
    await roundTrip(convModel(), [2, 4, 9, 7], metric, 4, 8, precision);
    await roundTrip(mlpModel(), [2, 3, 10], metric, 3, 4, precision);
  });
}
