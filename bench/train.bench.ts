/**
 * Training executor speed: samples per second of one training epoch (forward + backward + Adam, batches of 32)
 * over 1,000 MNIST images, for the demo CNN and for the two real models in ../shared/models loaded into the
 * executor. Target (issue 6): one epoch of mnist-12 over 1,000 images in under 20 s on 2 cores.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Dataset, readLabels } from '../src/data/dataset';
import { buildDemoCnn } from '../src/demo/cnn';
import { readModel } from '../src/onnx/model';
import { Executor } from '../src/train/executor';
import type { TrainGraph } from '../src/train/graph';
import { softmaxCrossEntropy } from '../src/train/loss';
import { relaxBatch } from '../src/train/lutGraph';
import { graphFromOnnx } from '../src/train/onnxGraph';
import { train } from '../src/train/trainer';
import { finetuneLutModel } from '../src/train/finetune';
import { convertModel } from '../src/lutboost/pipeline';
import { createSession, release, runFloat } from '../src/onnx/runtime';
import type { ModelProto } from '../src/onnx/types';
import { reportFigure } from './report';

const SHARED = path.resolve(__dirname, '..', '..', 'shared');
const IMAGES = path.join(SHARED, 'data', 'mnist', 't10k-images-idx3-ubyte.gz');
const LABELS = path.join(SHARED, 'data', 'mnist', 't10k-labels-idx1-ubyte.gz');
const N = 1000;

async function epoch(name: string, graph: TrainGraph, x: Float32Array, sampleShape: number[], labels: ArrayLike<number>): Promise<number> {
  const ex = new Executor(graph);
  const D = x.length / N;
  const input = graph.inputs[0].name;
  const out = graph.outputs[0].name;
  const t0 = performance.now();
  await train(ex, {
    epochs: 1, batchSize: 32, seed: 1, count: N, lr: 1e-3,
    feeds: (idx) => {
      const b = new Float32Array(idx.length * D);
      for (let i = 0; i < idx.length; i++) b.set(x.subarray(idx[i] * D, (idx[i] + 1) * D), i * D);
      return { [input]: { shape: [idx.length, ...sampleShape], data: b } };
    },
    loss: (values, idx) => {
      const r = softmaxCrossEntropy(values.get(out)!, Array.from(idx, (i) => labels[i]));
      return { loss: r.loss, seeds: new Map([[out, r.grad]]) };
    },
  });
  const s = (performance.now() - t0) / 1000;
  reportFigure(`train epoch, ${name}: samples per second`, N / s, 'samples/s', '-', true);
  return s;
}

/**
 * The alternative engine's floor: onnxruntime-node's inference alone (forward only, batch 1 as mnist-12 declares,
 * one sample at a time) on the same 1,000 images. A training step costs about three forwards (forward, and a
 * backward of twice the work), so an onnxruntime-based trainer could not beat a third of this rate.
 */
async function ortReference(model: ModelProto, x: Float32Array): Promise<void> {
  const session = await createSession(model, { label: 'mnist-12' });
  try {
    const input = model.graph!.input[0].name!;
    const out = model.graph!.output[0].name!;
    await runFloat(session, input, x.subarray(0, 784), [1, 1, 28, 28], [out], 'mnist-12');
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await runFloat(session, input, x.subarray(i * 784, (i + 1) * 784), [1, 1, 28, 28], [out], 'mnist-12');
    const s = (performance.now() - t0) / 1000;
    reportFigure('onnxruntime inference only, mnist-12 (reference for an ORT-based trainer): samples per second', N / s, 'samples/s', '-', true);
  } finally {
    await release(session);
  }
}

/**
 * One fine-tuning epoch of a LUT model of mnist-12 (c=16, v=4, l2; k-means codebooks only, which is enough to time
 * it): 1,000 images, 20 % held out, the teacher run on shifted copies each step, the held-out check at the end.
 */
async function lutEpoch(x: Float32Array): Promise<void> {
  const model = readModel(path.join(SHARED, 'models', 'mnist-12-cntk-cnn.onnx'));
  const calibration = Dataset.open(IMAGES, { range: [0, N] });
  const converted = await convertModel({
    model, label: 'mnist-12', calibration,
    settings: {
      lut: { centroids: 16, vector: 4, metric: 'l2', precision: 'int8' },
      lutboost: { stages: ['kmeans'], iterations: 4, samples: 16384, seed: 1, holdout: 0.2 }, keep: [], layers: [],
    },
  });
  const input = converted.input.name;
  const t0 = performance.now();
  await finetuneLutModel(converted.lut, converted.folded, { input, sampleShape: [1, 1, 28, 28], samples: x, count: N }, { epochs: 1, patience: 1 });
  const s = (performance.now() - t0) / 1000;
  reportFigure('fine-tuning epoch of the LUT mnist-12 (1,000 images, teacher on the executor, held-out check)', s, 's', '< 20 s', s < 20);
}

async function main(): Promise<void> {
  if (!existsSync(IMAGES)) {
    console.log('train bench: ../shared is absent; using the mnist package digits for the demo CNN only');
    const { loadMnistDigits } = await import('../src/demo/mnistDigits');
    const d = loadMnistDigits();
    const x = Float32Array.from(d.pixels.subarray(0, N * 784), (p) => p / 255);
    await epoch('demo CNN', buildDemoCnn(7), x, [1, 28, 28], d.labels);
    return;
  }
  const labels = readLabels(LABELS, [0, N]);
  const raw = Dataset.open(IMAGES, { range: [0, N] }).read(0, N);
  const scaled = Float32Array.from(raw, (p) => p / 255);
  await epoch('demo CNN (2 conv + gemm)', buildDemoCnn(7), scaled, [1, 28, 28], labels);
  const cnn = graphFromOnnx(readModel(path.join(SHARED, 'models', 'mnist-12-cntk-cnn.onnx')));
  relaxBatch(cnn);
  const s = await epoch('mnist-12 CNN', cnn, raw, [1, 28, 28], labels);
  reportFigure('train epoch, mnist-12, 1,000 images', s, 's', '< 20 s', s < 20);
  await ortReference(readModel(path.join(SHARED, 'models', 'mnist-12-cntk-cnn.onnx')), raw);
  await lutEpoch(raw);
  const mlp = graphFromOnnx(readModel(path.join(SHARED, 'models', 'mnist-mlp-784-512-512-10.onnx')));
  await epoch('MLP 784-512-512-10', mlp, scaled, [784], labels);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
