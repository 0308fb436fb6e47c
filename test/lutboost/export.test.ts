import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Metric, Precision } from '../../src/dsl/config';
import { analyzeModel, type ConvertibleLayer } from '../../src/onnx/analysis';
import { attr, GraphBuilder } from '../../src/onnx/builder';
import { lutLayersOf } from '../../src/onnx/analysis';
import { createSession, release, runFloat, run, withExtraOutputs } from '../../src/onnx/runtime';
import type { ModelProto } from '../../src/onnx/types';
import { exportLutLayer } from '../../src/lutboost/export';
import { batchableModel } from '../../src/onnx/batchable';
import { encode, lookup, subspaces, type LutGemm } from '../../src/lutboost/lutGemm';
import { quantizeTables } from '../../src/lutboost/quantize';
import { Rng } from '../../src/lutboost/prng';
import { inputRows, rowsPerSample } from '../../src/lutboost/rows';
import { int64Tensor } from '../../src/onnx/tensor';

const U = 2 ** -24; // float32 unit roundoff

function rand(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => (r.next() * 2 - 1) * scale);
}

/** A random LUT for one group; centroids drawn from actual rows so assignments are spread out. */
function randomLut(k: number, n: number, v: number, c: number, metric: Metric, rows: Float32Array, M: number, seed: number, bias?: Float32Array, duplicate = false): LutGemm {
  const S = subspaces(k, v);
  const rng = new Rng(seed);
  const centroids = new Float32Array(S * c * v);
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < c; j++) {
      const m = rng.int(M);
      for (let d = 0; d < v; d++) {
        const col = s * v + d;
        centroids[(s * c + j) * v + d] = col < k ? rows[m * k + col] + (rng.next() - 0.5) * 0.1 : 0;
      }
    }
  }
  // Exact ties: the last centroid of each subspace repeats the first, so rows nearest to it must take index 0
  // (the engine and ONNX ArgMin both keep the lowest index among equal distances).
  if (duplicate) for (let s = 0; s < S; s++) centroids.copyWithin((s * c + c - 1) * v, s * c * v, s * c * v + v);
  return { k, n, v, c, S, metric, centroids, tables: rand(S * c * n, seed + 1), bias };
}

/**
 * Exports `layer` with random LUTs, runs the model in onnxruntime exposing the indices, and compares with the
 * engine's encode + lookup on the same rows: indices equal, outputs within the float32 summation bound
 * |ort - engine| <= (S + 2) u (sum_s |T[s][idx]| + |b|) per output value (u = 2^-24: onnxruntime sums the S table
 * rows in float32, the engine in float64 with one final rounding).
 */
async function checkLayer(model: ModelProto, layer: ConvertibleLayer, input: { name: string; data: Float32Array; dims: number[] }, metric: Metric, v: number, c: number, precision?: Precision, duplicate = false): Promise<void> {
  const { k, n, groups: G } = layer.info;
  const session0 = await createSession(withExtraOutputs(model, [layer.input, layer.output]));
  const base = await runFloat(session0, input.name, input.data, input.dims, [layer.input, layer.output]);
  await release(session0);
  const x = base[layer.input];
  const outDims = base[layer.output].dims;
  const batch = input.dims[0];
  const rps = rowsPerSample(layer, outDims, batch);
  const all = Int32Array.from({ length: rps }, (_, i) => i);
  const luts: LutGemm[] = [];
  const rowsPerGroup: Float32Array[] = [];
  for (let g = 0; g < G; g++) {
    const rows = new Float32Array(batch * rps * k);
    for (let b = 0; b < batch; b++) inputRows(layer, x, outDims, b, all, g, rows, b * rps * k, rps);
    rowsPerGroup.push(rows);
    const lut = randomLut(k, n, v, c, metric, rows, batch * rps, 100 + g, layer.bias?.slice(g * n, (g + 1) * n), duplicate);
    if (precision) lut.tables = quantizeTables(lut, precision).tables;
    luts.push(lut);
  }
  const lutModel = structuredClone(model);
  exportLutLayer(lutModel, { layer, luts, precision: precision ?? 'int8', quantized: !!precision, inputRank: x.dims.length });
  assert.ok(lutModel.graph!.node.every((nd) => nd.name?.startsWith(`lut/${layer.info.name}/`) || nd.output[0] !== layer.output || nd.opType !== layer.info.op));
  assert.equal(lutLayersOf(lutModel)[0]?.lut?.metric, metric);
  const idxName = `lut/${layer.info.name}/indices`;
  const s = await createSession(withExtraOutputs(lutModel, [idxName, layer.output]));
  const res = await run(s, { [input.name]: { type: 'float32', data: input.data, dims: input.dims } }, [idxName, layer.output]);
  await release(s);
  const ortIdx = res[idxName].data as BigInt64Array;
  const ortOut = res[layer.output].data as Float32Array;
  const M = batch * rps;
  const S = luts[0].S;
  let mismatches = 0;
  for (let g = 0; g < G; g++) {
    const lut = luts[g];
    const idx = encode(lut, rowsPerGroup[g], M);
    const want = lookup(lut, idx, M);
    for (let m = 0; m < M; m++) {
      // Indices are channel-major [N, G*S, P]: Conv P = output pixels per sample, Gemm N = 1 and P = M rows.
      const P = layer.info.op === 'Conv' ? rps : M;
      const [b, pix] = [Math.floor(m / P), m % P];
      for (let si = 0; si < S; si++) if (Number(ortIdx[(b * G * S + g * S + si) * P + pix]) !== idx[si * M + m]) mismatches++;
      for (let j = 0; j < n; j++) {
        let mag = Math.abs(lut.bias?.[j] ?? 0);
        for (let si = 0; si < S; si++) mag += Math.abs(lut.tables[(si * c + idx[si * M + m]) * n + j]);
        let got: number;
        if (layer.info.op === 'Conv') {
          const P = outDims.slice(2).reduce((a, d) => a * d, 1);
          const b = Math.floor(m / P);
          got = ortOut[(b * G * n + g * n + j) * P + (m % P)];
        } else got = ortOut[m * G * n + g * n + j];
        const bound = (S + 2) * U * mag;
        assert.ok(Math.abs(got - want[m * n + j]) <= bound, `${layer.info.name} ${metric}: row ${m} col ${j}: ${got} vs ${want[m * n + j]} (bound ${bound})`);
      }
    }
  }
  assert.equal(mismatches, 0, `${layer.info.name} ${metric}: indices differ`);
}

for (const metric of ['l2', 'l1', 'chebyshev'] as Metric[]) {
  test(`exported Conv LUT layer computes the engine's arithmetic (${metric}, groups 2, K not a multiple of v, SAME_UPPER, stride 2)`, async () => {
    const b = new GraphBuilder('conv', 13);
    b.addInput('x', [2, 4, 9, 7]);
    b.addFloat('w', [6, 2, 3, 2], rand(6 * 2 * 6, 1));
    b.addFloat('bias', [6], rand(6, 2));
    b.addNode('Conv', ['x', 'w', 'bias'], ['y'], [attr.string('auto_pad', 'SAME_UPPER'), attr.ints('strides', [2, 1]), attr.int('group', 2)], 'conv<b>1</b>');
    b.addOutput('y');
    const model = b.build();
    const a = await analyzeModel(model, { inputShapes: { x: [2, 4, 9, 7] } });
    await checkLayer(a.model, a.layers[0], { name: 'x', data: rand(2 * 4 * 9 * 7, 3, 2), dims: [2, 4, 9, 7] }, metric, 5, 8, 'int8');
  });
}

for (const [metric, opset] of [['l2', 17], ['l1', 11], ['chebyshev', 18]] as [Metric, number][]) {
  test(`exported Gemm / MatMul LUT layers compute the engine's arithmetic (${metric}, opset ${opset})`, async () => {
    const b = new GraphBuilder('mlp', opset);
    b.addInput('x', [5, 10]);
    b.addFloat('B', [7, 10], rand(70, 4));
    b.addFloat('C', [7], rand(7, 5));
    b.addNode('Gemm', ['x', 'B', 'C'], ['h'], [attr.int('transB', 1), attr.float('alpha', 0.5)], 'fc1');
    b.addFloat('W2', [7, 3], rand(21, 6));
    b.addNode('MatMul', ['h', 'W2'], ['y'], [], 'fc2');
    b.addOutput('y');
    const a = await analyzeModel(b.build(), { inputShapes: { x: [5, 10] } });
    const input = { name: 'x', data: rand(50, 7, 3), dims: [5, 10] };
    await checkLayer(a.model, a.layers[0], input, metric, 4, 16, 'fp16');
    await checkLayer(a.model, a.layers[1], input, metric, 2, 4);
  });
}

for (const metric of ['l2', 'l1', 'chebyshev'] as Metric[]) {
  test(`exported Conv LUT layer, unfolded depthwise (K a multiple of v), dilation 2, opset 10; exact ties take the lowest index (${metric})`, async () => {
    const b = new GraphBuilder('conv', 10);
    b.addInput('x', [2, 3, 8, 6]);
    b.addFloat('w', [5, 3, 2, 2], rand(5 * 3 * 4, 11));
    b.addNode('Conv', ['x', 'w'], ['y'], [attr.ints('dilations', [2, 1]), attr.ints('pads', [1, 0, 0, 1])], 'conv2');
    b.addOutput('y');
    const a = await analyzeModel(b.build(), { inputShapes: { x: [2, 3, 8, 6] } });
    await checkLayer(a.model, a.layers[0], { name: 'x', data: rand(2 * 3 * 8 * 6, 12, 2), dims: [2, 3, 8, 6] }, metric, 4, 8, undefined, true);
  });

  test(`exported MatMul (rank-3 input) and Gemm (transA, K padded) LUT layers (${metric})`, async () => {
    const b = new GraphBuilder('mlp', 13);
    b.addInput('x', [2, 3, 10]);
    b.addFloat('W', [10, 7], rand(70, 13));
    b.addNode('MatMul', ['x', 'W'], ['h'], [], 'fc1');
    b.addInitializer(int64Tensor('flat', [2], [7, 6]));
    b.addNode('Reshape', ['h', 'flat'], ['ht'], [], 'reshape');
    b.addFloat('B', [7, 3], rand(21, 14));
    b.addFloat('C', [3], rand(3, 15));
    b.addNode('Gemm', ['ht', 'B', 'C'], ['y'], [attr.int('transA', 1)], 'fc2');
    b.addOutput('y');
    const a = await analyzeModel(b.build(), { inputShapes: { x: [2, 3, 10] } });
    const input = { name: 'x', data: rand(60, 16, 3), dims: [2, 3, 10] };
    await checkLayer(a.model, a.layers[0], input, metric, 2, 8, undefined, true);
    await checkLayer(a.model, a.layers[1], input, metric, 4, 4, 'int8');
  });
}

test('a model of batch 1 stays batchable after its Conv and Gemm layers are exported as LUT layers', async () => {
  // mnist-12's shape: fixed batch 1, Conv, then Reshape [1, K] into a MatMul.
  const b = new GraphBuilder('fixed', 13);
  b.addInput('x', [1, 2, 5, 5]);
  b.addFloat('w', [3, 2, 3, 3], rand(54, 21));
  b.addNode('Conv', ['x', 'w'], ['h'], [attr.ints('pads', [1, 1, 1, 1])], 'conv');
  b.addInitializer(int64Tensor('flat', [2], [1, 75]));
  b.addNode('Reshape', ['h', 'flat'], ['f'], [], 'reshape');
  b.addFloat('W', [75, 4], rand(300, 22));
  b.addNode('MatMul', ['f', 'W'], ['y'], [], 'fc');
  b.addOutput('y');
  const a = await analyzeModel(b.build(), { inputShapes: { x: [1, 2, 5, 5] } });
  const lut = structuredClone(a.model);
  for (const layer of a.layers) {
    const { k, n } = layer.info;
    const rows = rand(64 * k, 23);
    exportLutLayer(lut, { layer, luts: [randomLut(k, n, 4, 8, 'l2', rows, 64, 24)], precision: 'int8', quantized: false, inputRank: layer.inputShape!.length });
  }
  const r = await batchableModel(lut, { samples: rand(4 * 50, 25, 2), sampleDims: [2, 5, 5], label: 'lut' });
  assert.ok(r.relaxed, `not batchable: ${r.reason}`);
});
