import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Metric, Precision } from '../../src/dsl/config';
import { analyzeModel, type ConvertibleLayer } from '../../src/onnx/analysis';
import { attr, GraphBuilder } from '../../src/onnx/builder';
import { lutLayersOf } from '../../src/onnx/analysis';
import { createSession, release, runFloat, run, withExtraOutputs } from '../../src/onnx/runtime';
import type { ModelProto } from '../../src/onnx/types';
import { exportLutLayer } from '../../src/lutboost/export';
import { encode, lookup, subspaces, type LutGemm } from '../../src/lutboost/lutGemm';
import { quantizeTables } from '../../src/lutboost/quantize';
import { Rng } from '../../src/lutboost/prng';
import { inputRows, rowsPerSample } from '../../src/lutboost/rows';

const U = 2 ** -24; // float32 unit roundoff

function rand(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => (r.next() * 2 - 1) * scale);
}

/** A random LUT for one group; centroids drawn from actual rows so assignments are spread out. */
function randomLut(k: number, n: number, v: number, c: number, metric: Metric, rows: Float32Array, M: number, seed: number, bias?: Float32Array): LutGemm {
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
  return { k, n, v, c, S, metric, centroids, tables: rand(S * c * n, seed + 1), bias };
}

/**
 * Exports `layer` with random LUTs, runs the model in onnxruntime exposing the indices, and compares with the
 * engine's encode + lookup on the same rows: indices equal, outputs within the float32 summation bound
 * |ort - engine| <= (S + 2) u (sum_s |T[s][idx]| + |b|) per output value (u = 2^-24: onnxruntime sums the S table
 * rows in float32, the engine in float64 with one final rounding).
 */
async function checkLayer(model: ModelProto, layer: ConvertibleLayer, input: { name: string; data: Float32Array; dims: number[] }, metric: Metric, v: number, c: number, precision?: Precision): Promise<void> {
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
    const lut = randomLut(k, n, v, c, metric, rows, batch * rps, 100 + g, layer.bias?.slice(g * n, (g + 1) * n));
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
      for (let si = 0; si < S; si++) if (Number(ortIdx[m * G * S + g * S + si]) !== idx[si * M + m]) mismatches++;
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
