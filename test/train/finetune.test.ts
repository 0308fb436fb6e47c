import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryArray } from '../../src/data/array';
import { Dataset } from '../../src/data/dataset';
import type { Metric } from '../../src/dsl/config';
import { finetuneHook, registerFinetune } from '../../src/lutboost/finetune';
import { convertModel } from '../../src/lutboost/pipeline';
import { LUT_METADATA_PREFIX } from '../../src/onnx/layerInfo';
import { metadataOf, writeModel } from '../../src/onnx/model';
import { Executor } from '../../src/train/executor';
import { defaultEpochs, FinetuneCancelled, finetuneLutModel, finetuneSummary, imageScore, TARGET_STEPS, modelLogits, significantScore, type FinetuneData } from '../../src/train/finetune';
import type { TrainGraph } from '../../src/train/graph';
import { distillationKL } from '../../src/train/loss';
import { fuseLutLayers, relaxBatch } from '../../src/train/lutGraph';
import { graphFromOnnx, graphToOnnx } from '../../src/train/onnxGraph';
import '../../src/train/register';
import { Rng } from '../../src/train/rng';
import type { Tensor } from '../../src/train/tensor';
import type { ModelProto } from '../../src/onnx/types';

const COUNT = 96;
const H = 6;

/** A tiny CNN: conv 1->4 3x3 (pad 1), relu, flatten, gemm -> 5 classes, on 6x6 inputs. */
function tinyCnn(seed: number): TrainGraph {
  const rng = new Rng(seed);
  const t = (shape: number[], s: number): Tensor => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * s) });
  return {
    name: 'tiny', opset: 17,
    inputs: [{ name: 'x', shape: ['N', 1, H, H] }], outputs: [{ name: 'y', shape: ['N', 5] }],
    nodes: [
      { name: 'conv', op: 'Conv', inputs: ['x', 'cw', 'cb'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { name: 'relu', op: 'Relu', inputs: ['c'], outputs: ['r'], attrs: {} },
      { name: 'flat', op: 'Flatten', inputs: ['r'], outputs: ['f'], attrs: { axis: 1 } },
      { name: 'fc', op: 'Gemm', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    initializers: new Map([['cw', t([4, 1, 3, 3], 0.5)], ['cb', t([4], 0.1)], ['fw', t([5, 4 * H * H], 0.2)], ['fb', t([5], 0.1)]]),
    params: new Set(['cw', 'cb', 'fw', 'fb']),
  };
}

function samples(): Float32Array {
  const rng = new Rng(5);
  return Float32Array.from({ length: COUNT * H * H }, () => rng.next());
}

async function converted(metric: Metric, keep: string[] = []): Promise<{ original: ModelProto; lut: ModelProto; data: FinetuneData }> {
  const original = graphToOnnx(tinyCnn(3));
  const x = samples();
  const calibration = new Dataset(memoryArray('calibration', [COUNT, 1, H, H], x));
  const out = await convertModel({
    model: original, label: 'tiny', calibration,
    settings: {
      lut: { centroids: 4, vector: 3, metric, precision: 'int8' },
      lutboost: { stages: ['kmeans', 'quantize'], iterations: 5, samples: 4096, seed: 1, holdout: 0.25 },
      keep, layers: [],
    },
  });
  return { original: out.folded, lut: out.lut, data: { input: 'x', sampleShape: [1, 1, H, H], samples: x, count: COUNT } };
}

/** The fused executor graph of a LUT model, ready to run. */
function lutExecutor(lut: ModelProto): Executor {
  const g = graphFromOnnx(lut, () => false);
  relaxBatch(g);
  fuseLutLayers(g, lut);
  return new Executor(g);
}

function klOf(lut: ModelProto, teacher: Float32Array, data: FinetuneData): number {
  const y = lutExecutor(lut).forward({ x: { shape: [COUNT, 1, H, H], data: data.samples } }).get('y')!;
  return distillationKL(y, { shape: [COUNT, 5], data: teacher }, 1).loss;
}

for (const metric of ['l2', 'l1', 'chebyshev'] as Metric[]) {
  test(`finetune (${metric}): lowers the distillation loss, and onnxruntime computes what the executor computes`, async () => {
    const { original, lut, data } = await converted(metric);
    const teacher = await modelLogits(original, data);
    const given = writeModel(lut);
    const r = await finetuneLutModel(lut, original, data, { epochs: 10, learningRate: 0.02, temperature: 1, holdout: 0.25, patience: 10, seed: 2, significance: 0 });
    assert.ok(r.layers.length === 2, `layers ${r.layers}`);
    // Training works on copies: the model it was given is left as it was (the report evaluates it as "before").
    assert.deepEqual(writeModel(lut), given, 'fine-tuning changed the model it was given');
    assert.ok(r.curve.length >= 2 && r.curve[0].epoch === 0);
    const before = klOf(lut, teacher, data);
    const after = klOf(r.model, teacher, data);
    assert.ok(after < before, `distillation loss ${before} -> ${after}`);
    // Exported = executed: onnxruntime on the written model against the executor on the same parameters.
    const ort = await modelLogits(r.model, data, 'fine-tuned');
    const ex = lutExecutor(r.model).forward({ x: { shape: [COUNT, 1, H, H], data: data.samples } }).get('y')!;
    let maxDiff = 0;
    let maxAbs = 0;
    for (let i = 0; i < ort.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(ort[i] - ex.data[i]));
      maxAbs = Math.max(maxAbs, Math.abs(ort[i]));
    }
    assert.ok(maxDiff <= 1e-4 * Math.max(1, maxAbs), `onnxruntime vs executor: max difference ${maxDiff}`);
  });
}

test('finetune with trainDense also trains the layer kept dense, and onnxruntime computes what the executor computes', async () => {
  const { original, lut, data } = await converted('l2', ['fc']);
  const teacher = await modelLogits(original, data);
  const weightOf = (m: ModelProto): number[] => Array.from(graphFromOnnx(m, () => false).initializers.get('fw')!.data);
  const r = await finetuneLutModel(lut, original, data, { epochs: 4, learningRate: 0.02, temperature: 1, holdout: 0.25, patience: 4, seed: 2, significance: 0, trainDense: true });
  assert.deepEqual(r.layers, ['conv']);
  assert.ok(r.bestEpoch > 0, 'a trained epoch was kept');
  assert.notDeepEqual(weightOf(r.model), weightOf(lut), 'the dense layer\'s weights changed');
  assert.ok(klOf(r.model, teacher, data) < klOf(lut, teacher, data), 'the distillation loss went down');
  const ort = await modelLogits(r.model, data, 'fine-tuned');
  const ex = lutExecutor(r.model).forward({ x: { shape: [COUNT, 1, H, H], data: data.samples } }).get('y')!;
  for (let i = 0; i < ort.length; i++) assert.ok(Math.abs(ort[i] - ex.data[i]) <= 1e-4 * Math.max(1, Math.abs(ort[i])), `output ${i}: ${ort[i]} vs ${ex.data[i]}`);
});

test('finetune is reproducible with a seed, and cancellation throws unless asked to keep the best so far', async () => {
  const { original, lut, data } = await converted('l2');
  const opts = { epochs: 2, learningRate: 0.02, seed: 4 };
  const a = await finetuneLutModel(lut, original, data, opts);
  const b = await finetuneLutModel(lut, original, data, opts);
  assert.deepEqual(Buffer.from(writeModel(a.model)), Buffer.from(writeModel(b.model)));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(finetuneLutModel(lut, original, data, { ...opts, signal: ac.signal }), FinetuneCancelled);
  const kept = await finetuneLutModel(lut, original, data, { ...opts, signal: ac.signal, keepOnCancel: true });
  assert.equal(kept.cancelled, true);
  assert.deepEqual(Buffer.from(writeModel(kept.model)), Buffer.from(writeModel(kept.model)));
});

test('finetune rejects labels outside the model\'s classes before it trains, naming the sample', async () => {
  const { original, lut, data } = await converted('l2');
  const labels = Int32Array.from({ length: COUNT }, (_, i) => (i === 17 ? 7 : i % 5));
  let epochs = 0;
  await assert.rejects(
    finetuneLutModel(lut, original, { ...data, labels }, { epochs: 2, onEpoch: () => epochs++ }),
    /calibration sample 17 has label 7, but the model has 5 classes \(0\.\.4\)/,
  );
  assert.equal(epochs, 0, 'no epoch ran');
  await assert.rejects(finetuneLutModel(lut, original, { ...data, labels: labels.subarray(0, 10) }, { epochs: 2 }), /10 labels for 96 calibration samples/);
  const good = Int32Array.from({ length: COUNT }, (_, i) => i % 5);
  assert.equal((await finetuneLutModel(lut, original, { ...data, labels: good }, { epochs: 1 })).scoredWithLabels, true);
  assert.equal((await finetuneLutModel(lut, original, { ...data, labels: good }, { epochs: 1, labelWeight: 0 })).scoredWithLabels, false);
});

test('the conversion pipeline runs the registered finetune stage', async () => {
  assert.ok(finetuneHook(), 'src/train/register registers the hook');
  const original = graphToOnnx(tinyCnn(3));
  const calibration = new Dataset(memoryArray('calibration', [COUNT, 1, H, H], samples()));
  const logged: string[] = [];
  const out = await convertModel({
    model: original, label: 'tiny', calibration,
    settings: {
      lut: { centroids: 4, vector: 3, metric: 'l2', precision: 'int8' },
      lutboost: { stages: ['kmeans', 'quantize', 'finetune'], iterations: 5, samples: 4096, seed: 1, holdout: 0.25, epochs: 2 },
      keep: [], layers: [],
    },
    log: (m) => logged.push(m),
  });
  assert.ok(out.training && out.training.length >= 2, 'the training curve is returned');
  // The log says what the stage kept and on how many held-out samples it judged.
  assert.ok(logged.some((m) => /^fine-tuning kept .* held-out calibration samples/.test(m)), logged.join('\n'));
  // The model before fine-tuning comes back too (the report measures what the stage bought), and is another model.
  assert.ok(out.beforeFinetune && out.beforeFinetune !== out.lut, 'the LUT model before fine-tuning is returned');
  assert.ok(out.beforeFinetune.metadataProps.some((e) => e.key?.startsWith('lutdla.layer.')), 'it is a LUT model');
});

test('the conversion hands the calibration labels to the finetune stage', async () => {
  const real = finetuneHook()!;
  let seen: Int32Array | undefined;
  registerFinetune(async (ctx) => {
    seen = ctx.labels;
    return real(ctx);
  });
  try {
    const calibration = new Dataset(memoryArray('calibration', [COUNT, 1, H, H], samples()));
    const labels = Int32Array.from({ length: COUNT }, (_, i) => i % 3);
    await convertModel({
      model: graphToOnnx(tinyCnn(3)), label: 'tiny', calibration, calibrationLabels: labels,
      settings: {
        lut: { centroids: 4, vector: 3, metric: 'l2', precision: 'int8' },
        lutboost: { stages: ['kmeans', 'quantize', 'finetune'], iterations: 5, samples: 4096, seed: 1, holdout: 0.25, epochs: 1 },
        keep: [], layers: [],
      },
    });
    assert.equal(seen, labels);
  } finally {
    registerFinetune(real);
  }
});

test('finetune with reconstruction terms: the LUT layers move their outputs towards the original layers\' outputs', async () => {
  const { original, lut, data } = await converted('l2');
  const meta = metadataOf(lut);
  const outputs = Object.entries(meta).filter(([k]) => k.startsWith(LUT_METADATA_PREFIX)).map(([, v]) => (JSON.parse(v) as { output: string }).output);
  assert.ok(outputs.length === 2, `layer outputs ${outputs}`);
  const x = { x: { shape: [COUNT, 1, H, H], data: data.samples } };
  const tg = graphFromOnnx(original, () => false);
  relaxBatch(tg);
  const teacher = new Executor(tg).forward(x, { fetch: outputs });
  const layerError = (m: ModelProto): number => {
    const got = lutExecutor(m).forward(x, { fetch: outputs });
    let e = 0;
    for (const n of outputs) {
      const a = got.get(n)!.data;
      const b = teacher.get(n)!.data;
      let d = 0, s = 0;
      for (let i = 0; i < a.length; i++) {
        d += (a[i] - b[i]) ** 2;
        s += b[i] * b[i];
      }
      e += d / s;
    }
    return e;
  };
  const r = await finetuneLutModel(lut, original, data, { epochs: 6, learningRate: 0.02, temperature: 1, holdout: 0.25, patience: 6, seed: 2, significance: 0, reconstruction: 5 });
  assert.ok(r.bestEpoch > 0, 'some epoch was better than the start on the held-out samples');
  assert.ok(layerError(r.model) < layerError(lut), `summed relative layer-output error ${layerError(lut)} -> ${layerError(r.model)}`);
});

/** A tiny MLP on 8x8 images fed flat (64 values): gemm 64->8, relu, gemm -> 5 classes. */
function tinyMlp(seed: number): TrainGraph {
  const rng = new Rng(seed);
  const t = (shape: number[], s: number): Tensor => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * s) });
  return {
    name: 'mlp', opset: 17,
    inputs: [{ name: 'x', shape: ['N', 64] }], outputs: [{ name: 'y', shape: ['N', 5] }],
    nodes: [
      { name: 'fc1', op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attrs: { transB: 1 } },
      { name: 'relu', op: 'Relu', inputs: ['h'], outputs: ['r'], attrs: {} },
      { name: 'fc2', op: 'Gemm', inputs: ['r', 'w2', 'b2'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    initializers: new Map([['w1', t([8, 64], 0.3)], ['b1', t([8], 0.1)], ['w2', t([5, 8], 0.5)], ['b2', t([5], 0.1)]]),
    params: new Set(['w1', 'b1', 'w2', 'b2']),
  };
}

test('a model fed flattened images is calibrated, fine-tuned and judged on shifted copies when the data file stores images', async () => {
  const original = graphToOnnx(tinyMlp(4));
  const rng = new Rng(6);
  const x = Float32Array.from({ length: COUNT * 64 }, () => rng.next());
  const settings = {
    lut: { centroids: 4, vector: 4, metric: 'l2' as Metric, precision: 'int8' as const },
    lutboost: { stages: ['kmeans' as const, 'tables' as const, 'quantize' as const], iterations: 5, samples: 4096, seed: 1, holdout: 0.25 },
    keep: [], layers: [],
  };
  for (const stored of [[COUNT, 8, 8], [COUNT, 64]]) {
    const calibration = new Dataset(memoryArray('calibration', stored, x));
    const logs: string[] = [];
    const out = await convertModel({ model: original, label: 'mlp', calibration, settings, log: (m) => logs.push(m) });
    const images = stored.length === 3;
    // The conversion calibrates on the shifted copies too (96 images, 64 inputs: too few rows for the tables).
    assert.equal(logs.some((m) => /also calibrating on \d+ one-pixel shifts/.test(m)), images, logs.join('\n'));
    const data: FinetuneData = { input: 'x', sampleShape: [1, 64], storedSampleDims: calibration.storedSampleDims, samples: x, count: COUNT };
    const r = await finetuneLutModel(out.lut, out.folded, data, { epochs: 1, seed: 2 });
    assert.equal(r.heldOutVariants, images ? 9 : 1);
  }
});

test('without an epoch count, fine-tuning runs about TARGET_STEPS optimiser steps, at least 8 epochs and at most 200', async () => {
  assert.equal(defaultEpochs(800, 32), 24); // mnist-12 with 1,000 calibration images: 25 steps per epoch
  assert.equal(defaultEpochs(4000, 32), 8); // a large calibration set still gets 8 whole passes
  assert.equal(defaultEpochs(10, 32), 200); // one step per epoch: capped
  const { original, lut, data } = await converted('l2');
  const r = await finetuneLutModel(lut, original, data, { batchSize: 8, learningRate: 0.02, seed: 2 });
  const trainSamples = data.count - r.heldOutImages;
  const epochs = Math.ceil(TARGET_STEPS / Math.ceil(trainSamples / 8));
  assert.equal(r.curve.length - 1, epochs, 'every default epoch ran (patience defaults to all of them)');
  assert.equal(r.curve[0].epochs, epochs);
});

test('the fine-tuning summary names the kept epoch, or why none was kept', () => {
  const curve = [
    { epoch: 0, epochs: 2, loss: NaN, heldOutAgreement: 0.9, heldOutLoss: 0.1 },
    { epoch: 1, epochs: 2, loss: 0.2, heldOutAgreement: 0.91, heldOutLoss: 0.1, gainZ: 0.8 },
    { epoch: 2, epochs: 2, loss: 0.2, heldOutAgreement: 0.93, heldOutLoss: 0.1, gainZ: 2.4 },
  ];
  const base = { model: {} as ModelProto, layers: [], curve, heldOutAgreementBefore: 0.9, stoppedEarly: false, cancelled: false, seconds: 1, heldOutImages: 200, heldOutVariants: 1, significance: 2, scoredWithLabels: false };
  assert.equal(finetuneSummary({ ...base, bestEpoch: 2, heldOutAgreementAfter: 0.93 }),
    'fine-tuning kept epoch 2 of 2: held-out agreement 90.0 % -> 93.0 % on 200 held-out calibration samples; its class probabilities came 2.40 standard errors closer to the original\'s');
  assert.match(finetuneSummary({ ...base, bestEpoch: 2, heldOutAgreementAfter: 0.93, scoredWithLabels: true }), /2\.40 standard errors closer to the original's mixed with the labels$/);
  assert.match(finetuneSummary({ ...base, bestEpoch: 2, heldOutAgreementAfter: 0.93, heldOutVariants: 9 }), /on 200 held-out calibration samples \(each also shifted by one pixel 8 ways\);/);
  const none = finetuneSummary({ ...base, curve: curve.slice(0, 2), bestEpoch: 0, heldOutAgreementAfter: 0.9 });
  assert.match(none, /kept the model as the earlier stages made it: no epoch's gain on 200 held-out calibration samples beat 2 standard errors \(best: epoch 1, 0.80\)/);
});

test('the held-out image score rewards matching the original model\'s class probabilities, not exceeding its confidence', () => {
  const T = 2;
  const teacher = [2, 0, -1];
  const score = (student: number[]): number => imageScore(student, teacher, 0, 3, T);
  assert.ok(Math.abs(score(teacher) - 1) < 1e-12, 'an exact match scores 1');
  assert.ok(score([4, 0, -1]) < score(teacher), 'more confident than the original in its own class scores lower');
  assert.ok(score([0, 2, -1]) < score([1.5, 0.5, -1]), 'moving towards another class scores lower');
  assert.ok(score([0, 2, -1]) >= 0 && score([-50, 50, 0]) >= 0, 'bounded below by 0');
  // The offset selects the sample's row.
  assert.equal(imageScore([9, 9, 9, ...teacher], [0, 0, 0, ...teacher], 3, 3, T), 1);
});

test('with a label, the held-out image score aims at the training target: the original\'s probabilities mixed with the label', () => {
  const T = 1;
  const teacher = [2, 0, -1];
  const w = 0.5;
  // Logits whose softmax is the mixed target (pt + w onehot) / (1 + w) for label 1.
  const pt = teacher.map((z) => Math.exp(z));
  const sum = pt.reduce((a, b) => a + b, 0);
  const target = pt.map((p, j) => (p / sum + (j === 1 ? w : 0)) / (1 + w));
  const mixed = target.map((q) => Math.log(q));
  assert.ok(Math.abs(imageScore(mixed, teacher, 0, 3, T, 1, w) - 1) < 1e-9, 'the mixed target scores 1');
  assert.ok(imageScore(teacher, teacher, 0, 3, T, 1, w) < 1, 'copying the original scores less when the label disagrees');
  assert.ok(imageScore(mixed, teacher, 0, 3, T, 1, w) > imageScore(teacher, teacher, 0, 3, T, 1, w));
  assert.equal(imageScore(teacher, teacher, 0, 3, T, -1, w), 1, 'no label: the original alone is the target');
  assert.equal(imageScore(teacher, teacher, 0, 3, T, 1, 0), 1, 'label weight 0: the original alone is the target');
});

test('an epoch replaces the starting point only when its held-out score gain is larger than 1.5 standard errors (the default)', () => {
  const held = (soft: Float64Array) => ({ agreement: 0, loss: 0, perImageScore: soft });
  const startSoft = Float64Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? 0.3 : 0.95));
  const start = held(startSoft);
  // A small gain on every image: significant, scored by the mean score.
  const better = startSoft.map((p) => p + 0.01);
  const mean = better.reduce((a, b) => a + b, 0) / better.length;
  assert.ok(Math.abs(significantScore(held(better), start) - mean) < 1e-12);
  // A net gain made of large moves both ways: noise, the start stays.
  const noisy = Float64Array.from(startSoft);
  for (const i of [0, 10, 20, 30]) noisy[i] = 0.9;
  for (const i of [1, 2, 3]) noisy[i] = 0.2;
  assert.equal(significantScore(held(noisy), start), -Infinity);
  // A loss is never accepted; with z = 0 any gain counts.
  assert.equal(significantScore(held(startSoft.map((p) => p - 0.01)), start, 0), -Infinity);
  assert.ok(significantScore(held(noisy), start, 0) > 0);
});
