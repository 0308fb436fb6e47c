import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyzeModel, ConvertibleLayer, resolvePads } from '../../src/onnx/analysis';
import { attr, GraphBuilder } from '../../src/onnx/builder';
import { formatLutMetadata } from '../../src/onnx/layerInfo';
import { readModel } from '../../src/onnx/model';
import { createSession, OrtLoadError, release, run, withExtraOutputs } from '../../src/onnx/runtime';
import { tensorToFloat32 } from '../../src/onnx/tensor';
import { ModelProto } from '../../src/onnx/types';
import { BACKEND, maxAbsDiff, MODELS, randomFloats } from './helpers';

const skipModels = !existsSync(MODELS) && 'needs ../shared/models';
const skipBackend = !existsSync(BACKEND) && 'needs ../shared/onnx-backend-tests';

/** The layer as a GEMM with the documented weight layout: im2col (K = ((cin*kh)+y)*kw+x) times weight + bias. */
function referenceOutput(l: ConvertibleLayer, x: Float32Array, xDims: number[]): Float32Array {
  const { k: K, n: N, groups: G } = l.info;
  if (l.conv) {
    const c = l.conv;
    const r = c.kernel.length;
    const inSp = xDims.slice(2);
    const pads = resolvePads(c, inSp);
    const outSp = inSp.map((d, i) => Math.floor((d + pads[i] + pads[i + r] - ((c.kernel[i] - 1) * c.dilations[i] + 1)) / c.strides[i]) + 1);
    const B = xDims[0];
    const cinG = c.inChannels / G;
    const kVol = c.kernel.reduce((a, b) => a * b, 1);
    const outVol = outSp.reduce((a, b) => a * b, 1);
    const inVol = inSp.reduce((a, b) => a * b, 1);
    const out = new Float32Array(B * G * N * outVol);
    const col = new Float32Array(K);
    const o = new Array<number>(r);
    const kk = new Array<number>(r);
    for (let b = 0; b < B; b++) {
      for (let g = 0; g < G; g++) {
        for (let p = 0; p < outVol; p++) {
          for (let i = r - 1, q = p; i >= 0; i--) (o[i] = q % outSp[i]), (q = Math.floor(q / outSp[i]));
          for (let cin = 0; cin < cinG; cin++) {
            for (let kf = 0; kf < kVol; kf++) {
              for (let i = r - 1, q = kf; i >= 0; i--) (kk[i] = q % c.kernel[i]), (q = Math.floor(q / c.kernel[i]));
              let off = 0;
              let inside = true;
              for (let i = 0; i < r; i++) {
                const pos = o[i] * c.strides[i] - pads[i] + kk[i] * c.dilations[i];
                if (pos < 0 || pos >= inSp[i]) inside = false;
                off = off * inSp[i] + pos;
              }
              col[cin * kVol + kf] = inside ? x[(b * c.inChannels + g * cinG + cin) * inVol + off] : 0;
            }
          }
          for (let n = 0; n < N; n++) {
            let s = l.bias ? l.bias[g * N + n] : 0;
            for (let k = 0; k < K; k++) s += col[k] * l.weight[g * K * N + k * N + n];
            out[((b * G + g) * N + n) * outVol + p] = s;
          }
        }
      }
    }
    return out;
  }
  const M = l.info.m;
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = l.bias ? l.bias[n] : 0;
      for (let k = 0; k < K; k++) s += (l.transA ? x[k * M + m] : x[m * K + k]) * l.weight[k * N + n];
      out[m * N + n] = s;
    }
  }
  return out;
}

/** Runs the analysed model on random inputs and checks every layer's output against the reference GEMM. */
async function checkLayersAgainstOrt(model: ModelProto, label: string): Promise<number> {
  const a = await analyzeModel(model, { label });
  const names = a.layers.flatMap((l) => [l.input, l.output]);
  const s = await createSession(withExtraOutputs(a.model, names), { label });
  try {
    const feeds: Record<string, { type: 'float32'; data: Float32Array; dims: number[] }> = {};
    for (const [name, dims] of Object.entries(a.inputShapes)) {
      feeds[name] = { type: 'float32', data: randomFloats(dims.reduce((x, y) => x * y, 1), 7), dims };
    }
    const res = await run(s, feeds, names, label);
    for (const l of a.layers) {
      const xin = res[l.input];
      const ref = referenceOutput(l, xin.data as Float32Array, xin.dims);
      const got = res[l.output].data as Float32Array;
      const scale = Math.max(1, ...Array.from(got, Math.abs));
      assert.ok(maxAbsDiff(ref, got) <= 1e-4 * scale, `${label} layer ${l.info.name}: reference GEMM differs by ${maxAbsDiff(ref, got)}`);
    }
    return a.layers.length;
  } finally {
    await release(s);
  }
}

test('mnist-12: two SAME_UPPER convs and a Reshape-folded MatMul weight [256 x 10], with M, K, N', { skip: skipModels }, async () => {
  const model = readModel(path.join(MODELS, 'mnist-12-cntk-cnn.onnx'));
  const a = await analyzeModel(model);
  assert.deepEqual(a.layers.map((l) => l.info), [
    { name: 'Convolution28', op: 'Conv', k: 25, n: 8, groups: 1, m: 784 },
    { name: 'Convolution110', op: 'Conv', k: 200, n: 16, groups: 1, m: 196 },
    { name: 'Times212', op: 'MatMul', k: 256, n: 10, groups: 1, m: 1 },
  ]);
  assert.equal(a.layers[0].conv!.autoPad, 'SAME_UPPER');
  assert.deepEqual(resolvePads(a.layers[0].conv!, [28, 28]), [2, 2, 2, 2]);
  const p193 = tensorToFloat32(model.graph!.initializer.find((t) => t.name === 'Parameter193')!);
  assert.deepEqual(Array.from(a.layers[2].weight), Array.from(p193)); // [16,4,4,10] reshaped row-major to [256,10]
  assert.equal(a.layers[2].input, 'Pooling160_Output_0_reshape0');
  assert.equal(a.dense.length, 0);
  assert.equal(await checkLayersAgainstOrt(model, 'mnist-12'), 3);
});

test('mnist MLP: three Gemm transB=1 layers with per-column bias', { skip: skipModels }, async () => {
  const model = readModel(path.join(MODELS, 'mnist-mlp-784-512-512-10.onnx'));
  const a = await analyzeModel(model);
  assert.deepEqual(a.layers.map((l) => [l.info.op, l.info.m, l.info.k, l.info.n]), [['Gemm', 1, 784, 512], ['Gemm', 1, 512, 512], ['Gemm', 1, 512, 10]]);
  assert.ok(a.layers.every((l) => l.bias?.length === l.info.n));
  const b = await analyzeModel(model, { inputShapes: { input: [32, 784] } });
  assert.deepEqual(b.layers.map((l) => l.info.m), [32, 32, 32]);
  await checkLayersAgainstOrt(model, 'mlp');
});

test('pytorch-converted Conv/Linear models: layers found and the [K x N] weights reproduce onnxruntime', { skip: skipBackend }, async () => {
  const root = path.join(BACKEND, 'pytorch-converted');
  let checked = 0;
  const seen: string[] = [];
  for (const d of readdirSync(root).filter((n) => /Conv\dd|Linear/.test(n) && !/Transpose/.test(n)).sort()) {
    const model = readModel(path.join(root, d, 'model.onnx'));
    try {
      checked += await checkLayersAgainstOrt(model, d);
      seen.push(d);
    } catch (e) {
      if (!(e instanceof OrtLoadError)) throw e; // opset-6 models onnxruntime no longer runs
    }
  }
  console.log(`pytorch-converted layers checked: ${checked} in ${seen.length} models`);
  assert.ok(seen.includes('test_Conv2d_groups') && seen.includes('test_Conv2d_depthwise_strided') && seen.includes('test_Conv3d_dilated_strided'), seen.join(','));
});

test('synthetic Conv (auto_pad SAME_LOWER / VALID, stride, dilation, group) and Gemm (transA, transB, alpha, beta)', async () => {
  // onnxruntime has no dilation with SAME_*: dilation is exercised with VALID and explicit pads
  for (const [autoPad, group, dil] of [['SAME_LOWER', 2, 1], ['VALID', 1, 2], ['SAME_UPPER', 4, 1], ['NOTSET', 2, 2]] as const) {
    const b = new GraphBuilder('c', 17);
    b.addInput('x', [1, 4, 9, 7]);
    b.addFloat('w', [8, 4 / group, 3, 2], randomFloats(8 * (4 / group) * 6, 11));
    b.addFloat('bias', [8], randomFloats(8, 12));
    b.addNode('Conv', ['x', 'w', 'bias'], ['y'], [attr.string('auto_pad', autoPad), attr.ints('strides', [2, 1]), attr.ints('dilations', [1, dil]), attr.int('group', group), ...(autoPad === 'NOTSET' ? [attr.ints('pads', [1, 0, 2, 3])] : [])], 'conv');
    b.addOutput('y');
    const m = b.build();
    const a = await analyzeModel(m);
    assert.equal(a.layers[0].info.groups, group);
    assert.equal(a.layers[0].info.k, (4 / group) * 6);
    await checkLayersAgainstOrt(m, `conv ${autoPad}`);
  }
  const b = new GraphBuilder('g', 17);
  b.addInput('a', [6, 3]); // transA: A is [K x M] = [6 x 3]
  b.addFloat('B', [5, 6], randomFloats(30, 2)); // transB: [N x K]
  b.addFloat('C', [5], randomFloats(5, 3));
  b.addNode('Gemm', ['a', 'B', 'C'], ['y'], [attr.int('transA', 1), attr.int('transB', 1), attr.float('alpha', 0.5), attr.float('beta', 2)], 'gemm');
  b.addOutput('y');
  const g = b.build();
  const a = await analyzeModel(g);
  assert.deepEqual([a.layers[0].info.m, a.layers[0].info.k, a.layers[0].info.n, a.layers[0].transA], [3, 6, 5, true]);
  await checkLayersAgainstOrt(g, 'gemm');
});

test('a MatMul of two activations is a dense layer with its GEMM shape; LUT layers come from metadata', async () => {
  const b = new GraphBuilder('att', 17);
  b.addInput('q', [2, 3, 4]);
  b.addInput('k', [2, 4, 5]);
  b.addNode('MatMul', ['q', 'k'], ['s'], [], 'scores');
  b.addOutput('s');
  const m = b.build();
  m.metadataProps.push(formatLutMetadata({ name: 'fc1', op: 'Gemm', m: 1, k: 784, n: 512, groups: 1, lut: { centroids: 16, vector: 4, metric: 'l2', precision: 'int8' } }));
  m.metadataProps.push({ key: 'lutdla.layer.broken', value: '{not json' });
  const a = await analyzeModel(m);
  assert.equal(a.layers.length, 0);
  assert.deepEqual(a.dense, [{ name: 'scores', op: 'MatMul', reason: 'a matmul of two activations', m: 6, k: 4, n: 5 }]);
  assert.deepEqual(a.lutLayers, [{ name: 'fc1', op: 'Gemm', m: 1, k: 784, n: 512, groups: 1, lut: { centroids: 16, vector: 4, metric: 'l2', precision: 'int8' } }]);
});

test('nodes inside a converted LUT layer (lut/<layer>/...) are not taken for new layers', async () => {
  const b = new GraphBuilder('lut', 17);
  b.addInput('x', [1, 4]);
  b.addFloat('lut/fc/centroids', [4, 2], randomFloats(8));
  b.addFloat('W2', [2, 3], randomFloats(6));
  b.addNode('MatMul', ['x', 'lut/fc/centroids'], ['lut/fc/dist'], [], 'lut/fc/dist');
  b.addNode('MatMul', ['lut/fc/dist', 'W2'], ['y'], [], 'fc2');
  b.addOutput('y');
  const m = b.build();
  m.metadataProps.push(formatLutMetadata({ name: 'fc', op: 'MatMul', m: 1, k: 4, n: 2, groups: 1, lut: { centroids: 16, vector: 2, metric: 'l1', precision: 'fp16' } }));
  const a = await analyzeModel(m);
  assert.deepEqual(a.layers.map((l) => l.info.name), ['fc2']);
  assert.deepEqual(a.lutLayers.map((l) => l.name), ['fc']);
});
