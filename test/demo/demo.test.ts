import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { encodeNpy } from '../../src/data/npy';
import { Dataset, readLabels } from '../../src/data/dataset';
import { buildDemoCnn } from '../../src/demo/cnn';
import { digitBatch, executorAccuracy, onnxAccuracy, recipeHash } from '../../src/demo/ensure';
import { loadMnistDigits } from '../../src/demo/mnistDigits';
import { writeModel } from '../../src/onnx/model';
import { Executor } from '../../src/train/executor';
import { argmaxRows } from '../../src/train/loss';
import { graphToOnnx } from '../../src/train/onnxGraph';

const digits = loadMnistDigits();

test('the mnist package digits load in one fixed order with every class in every range', () => {
  assert.equal(digits.count, 10000);
  assert.equal(digits.pixels.length, 10000 * 784);
  const again = loadMnistDigits();
  assert.deepEqual(again.labels, digits.labels);
  for (const [a, b] of [[0, 1000], [8000, 10000]]) {
    const counts = new Array(10).fill(0);
    for (let i = a; i < b; i++) counts[digits.labels[i]]++;
    assert.ok(counts.every((c) => c > (b - a) / 20), `classes in ${a}:${b}: ${counts}`);
  }
  assert.ok(digits.pixels.some((p) => p === 255) || digits.pixels.some((p) => p > 250), 'pixels use the 0..255 range');
});

test('digits and labels written as .npy read back through the project readers', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lutdla-demo-'));
  try {
    fs.writeFileSync(path.join(dir, 'digits.npy'), encodeNpy(digits.pixels.subarray(0, 50 * 784), [50, 28, 28]));
    fs.writeFileSync(path.join(dir, 'labels.npy'), encodeNpy(digits.labels.subarray(0, 50), [50]));
    const ds = Dataset.open(path.join(dir, 'digits.npy'), { range: [10, 20], preprocess: { scale: 1 / 255 } });
    const x = ds.read(0, 10);
    const want = digitBatch(digits, Array.from({ length: 10 }, (_, i) => 10 + i));
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - want.data[i]) < 1e-6);
    assert.deepEqual(Array.from(readLabels(path.join(dir, 'labels.npy'), [10, 20])), Array.from(digits.labels.subarray(10, 20)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the demo CNN exported with the ONNX writer computes in onnxruntime what the executor computes', async () => {
  const graph = buildDemoCnn(7);
  const ex = new Executor(graph);
  const bytes = writeModel(graphToOnnx(graph));
  const idx = Array.from({ length: 64 }, (_, i) => 8000 + i);
  const y = ex.forward({ input: digitBatch(digits, idx) }).get('logits')!;
  const ort = await onnxAccuracy(bytes, digits, 8000, 8064);
  assert.deepEqual(Array.from(ort.predictions), Array.from(argmaxRows(y)));
  assert.equal(ort.accuracy, executorAccuracy(ex, digits, 8000, 8064));
  assert.match(recipeHash(), /^[0-9a-f]{16}$/);
});
