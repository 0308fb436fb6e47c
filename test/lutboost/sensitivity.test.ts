import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryArray } from '../../src/data/array';
import { Dataset } from '../../src/data/dataset';
import { attr, GraphBuilder } from '../../src/onnx/builder';
import type { ModelProto } from '../../src/onnx/types';
import { evaluate } from '../../src/lutboost/evaluate';
import { convertModel, type ConvertInput, type ConvertSettings } from '../../src/lutboost/pipeline';
import '../../src/train/register';
import { Rng } from '../../src/lutboost/prng';
import { measureLayersKeptDense, pairedSe } from '../../src/lutboost/sensitivity';

const K = 12, H = 16, C = 5, COUNT = 160;

function rand(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => (r.next() * 2 - 1) * scale);
}

/** Gemm 12 -> 16, Relu, Gemm 16 -> 5: two convertible layers, fc1 and fc2. */
function mlp(): ModelProto {
  const b = new GraphBuilder('mlp', 13);
  b.addInput('x', ['N', K]);
  b.addFloat('w1', [H, K], rand(H * K, 1, 0.6));
  b.addFloat('b1', [H], rand(H, 2, 0.1));
  b.addNode('Gemm', ['x', 'w1', 'b1'], ['h'], [attr.int('transB', 1)], 'fc1');
  b.addNode('Relu', ['h'], ['r'], [], 'relu');
  b.addFloat('w2', [C, H], rand(C * H, 3, 0.6));
  b.addNode('Gemm', ['r', 'w2'], ['y'], [attr.int('transB', 1)], 'fc2');
  b.addOutput('y', ['N', C]);
  return b.build();
}

const SETTINGS = {
  lut: { centroids: 4, vector: 4, metric: 'l2', precision: 'int8' },
  lutboost: { stages: ['kmeans', 'tables', 'quantize'], iterations: 5, samples: 4096, seed: 1, holdout: 0.25 },
  keep: [], layers: [],
} satisfies ConvertSettings;

function conversionOf(settings: ConvertSettings = SETTINGS): ConvertInput {
  const calibration = new Dataset(memoryArray('calibration', [COUNT, K], rand(COUNT * K, 4, 1.5)));
  return { model: mlp(), label: 'mlp', calibration, settings };
}

async function setup(settings: ConvertSettings = SETTINGS) {
  const conversion = conversionOf(settings);
  const { model, calibration } = conversion;
  const result = await convertModel(conversion);
  // Labels: the original's own classes with every seventh one changed, so top-1 is not trivially 1.
  const first = await evaluate(model, result.lut, calibration, result.input, undefined);
  const labels = Int32Array.from(first.originalClasses, (c, i) => (i % 7 === 0 ? (c + 1) % C : c));
  const reference = await evaluate(model, result.lut, calibration, result.input, labels);
  return { conversion, model, calibration, result, labels, reference };
}

test('evaluate with the original classes known gives the same figures without running the original', async () => {
  const { model, calibration, result, labels, reference } = await setup();
  const again = await evaluate(model, result.lut, calibration, result.input, labels, { originalClasses: reference.originalClasses });
  assert.deepEqual({ ...again, originalClasses: [] }, { ...reference, originalClasses: [] });
  assert.ok(reference.original! < 1 && reference.original! > 0.8, `original top-1 ${reference.original}`);
  await assert.rejects(evaluate(model, result.lut, calibration, result.input, labels, { originalClasses: new Int32Array(3) }), /3 known classes for 160/);
});

test('pairedSe: the standard error of the mean per-sample difference of top-1 hits, in points', () => {
  const labels = Int32Array.from([0, 1, 2, 3]);
  // Hits: a = 1,1,1,0; b = 0,1,0,0; differences 1,0,1,0: mean 0.5, sample variance 1/3, se sqrt(1/12).
  const se = pairedSe(labels, Int32Array.from([0, 1, 2, 9]), Int32Array.from([9, 1, 9, 9]));
  assert.ok(Math.abs(se - Math.sqrt(1 / 12) * 100) < 1e-9, String(se));
  assert.equal(pairedSe(labels, labels, labels), 0);
});

test('denseLayers keeps a layer by its exact name, over the patterns and overrides', async () => {
  const r = await convertModel(conversionOf({ ...SETTINGS, layers: [{ pattern: 'fc*', keep: false }], denseLayers: ['fc1'] }));
  assert.deepEqual(r.layers.map((l) => l.name), ['fc2']);
  assert.deepEqual(r.kept.find((k) => k.name === 'fc1')?.reason, 'kept dense to measure what keeping it buys');
});

test('with every layer kept, the conversion returns the folded original with no training, even with finetune asked', async () => {
  const r = await convertModel(conversionOf({ ...SETTINGS, keep: ['fc*'], lutboost: { ...SETTINGS.lutboost, stages: ['kmeans', 'finetune'] } }));
  assert.deepEqual(r.layers, []);
  assert.deepEqual(r.kept.map((k) => k.name).sort(), ['fc1', 'fc2']);
  assert.equal(r.training, undefined);
  assert.ok(r.lut !== r.folded && r.lut.graph!.node.every((n) => !n.name?.startsWith('lut/')), 'the LUT model is a copy of the original');
  assert.ok(r.lut.metadataProps.some((e) => e.key === 'lutdla.conversion'));
});

test('measureLayersKeptDense: per layer, exactly what converting with that layer in keep gives; finetune is left out', async () => {
  // Asked with the finetune stage (registered here, so it would run): the measurement converts without it.
  const withFinetune: ConvertSettings = { ...SETTINGS, lutboost: { ...SETTINGS.lutboost, stages: ['kmeans', 'tables', 'finetune', 'quantize'] } };
  const { model, calibration, result, labels, reference } = await setup();
  const seen: string[] = [];
  const dense = await measureLayersKeptDense(conversionOf(withFinetune), ['fc1', 'fc2'], model, calibration, labels, reference, { progress: (l) => seen.push(l) });
  assert.deepEqual([...dense.keys()], ['fc1', 'fc2']);
  assert.deepEqual([...new Set(seen)], ['fc1', 'fc2', '']);
  for (const name of ['fc1', 'fc2']) {
    const kept = await convertModel(conversionOf({ ...SETTINGS, keep: [name] }));
    const direct = await evaluate(model, kept.lut, calibration, kept.input, labels);
    assert.deepEqual(dense.get(name), { drop: direct.drop, agreement: direct.agreement, dropSe: pairedSe(labels, reference.lutClasses, direct.lutClasses) }, name);
  }
  assert.ok(['fc1', 'fc2'].some((n) => dense.get(n)!.agreement !== reference.agreement), 'keeping a layer changed nothing: the test shows little');
  assert.equal(result.layers.length, 2);
  // Without labels only the agreement is measured.
  const unlabelled = await measureLayersKeptDense(conversionOf(), ['fc1'], model, calibration, undefined, reference);
  assert.deepEqual(unlabelled.get('fc1'), { drop: null, agreement: dense.get('fc1')!.agreement, dropSe: null });
});

test('with one layer converted, keeping it dense gives the original', async () => {
  const { conversion, model, calibration, result, labels, reference } = await setup({ ...SETTINGS, keep: ['fc1'] });
  assert.deepEqual(result.layers.map((l) => l.name), ['fc2']);
  assert.ok(reference.agreement < 1, 'the conversion changed some answers (otherwise the test shows little)');
  const dense = await measureLayersKeptDense(conversion, ['fc2'], model, calibration, labels, reference);
  assert.deepEqual(dense.get('fc2'), { drop: 0, agreement: 1, dropSe: pairedSe(labels, reference.lutClasses, reference.originalClasses) });
  assert.ok(dense.get('fc2')!.dropSe! > 0);
});

test('measureLayersKeptDense stops when cancelled', async () => {
  const { model, calibration, labels, reference } = await setup();
  const ac = new AbortController();
  ac.abort(new Error('cancelled'));
  await assert.rejects(measureLayersKeptDense({ ...conversionOf(), signal: ac.signal }, ['fc1', 'fc2'], model, calibration, labels, reference), /cancelled/);
});
