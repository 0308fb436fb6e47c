import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Dataset, makePreprocessor, planInput, readLabels } from '../../src/data/dataset';
import { encodeNpy } from '../../src/data/npy';
import { graphInputs } from '../../src/onnx/analysis';
import { readModel } from '../../src/onnx/model';
import { createSession, release, runFloat } from '../../src/onnx/runtime';

const SHARED = path.resolve(__dirname, '../../../shared');
const dir = mkdtempSync(path.join(os.tmpdir(), 'lutdla-dataset-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const src = (shape: number[]) => ({ label: 'd.npy', shape, sampleSize: shape.slice(1).reduce((a, b) => a * b, 1) });

test('samples are reshaped to the declared input when element counts match', () => {
  assert.deepEqual(planInput(src([5, 28, 28]), { name: 'x', shape: [1, 1, 28, 28] }), { sampleDims: [1, 28, 28], fixedBatch: 1, noBatchAxis: false });
  assert.deepEqual(planInput(src([5, 28, 28]), { name: 'x', shape: [undefined, 784] }), { sampleDims: [784], fixedBatch: undefined, noBatchAxis: false });
  assert.deepEqual(planInput(src([5, 784]), { name: 'x', shape: [undefined, 1, 28, 28] }).sampleDims, [1, 28, 28]);
  assert.deepEqual(planInput(src([5, 3, 8, 8]), { name: 'x', shape: [undefined, 3, undefined, undefined] }).sampleDims, [3, 8, 8]);
  assert.deepEqual(planInput(src([5, 12]), { name: 'x', shape: [undefined, 3, undefined] }).sampleDims, [3, 4]);
  assert.deepEqual(planInput(src([5, 784]), { name: 'x', shape: [784] }), { sampleDims: [784], fixedBatch: 1, noBatchAxis: true });
  assert.throws(
    () => planInput(src([5, 28, 28]), { name: 'images', shape: [undefined, 3, 32, 32] }),
    /d\.npy: samples of shape \[28,28\] \(784 values\) fit no shape of model input 'images' \[\?,3,32,32\]/,
  );
});

test('batches: free batch in chunks, fixed batch padded, range honoured, preprocessing per channel', () => {
  const data = Float32Array.from({ length: 7 * 2 * 2 * 2 }, (_, i) => i);
  const file = path.join(dir, 'x.npy');
  writeFileSync(file, encodeNpy(data, [7, 2, 2, 2]));
  const ds = Dataset.open(file, { range: [1, 6] });
  assert.equal(ds.count, 5);
  assert.deepEqual(ds.storedSampleDims, [2, 2, 2]); // as stored, whatever input the samples are fed to
  const free = [...ds.batches({ name: 'x', shape: [undefined, 8] }, 2)];
  assert.deepEqual(free.map((b) => [b.dims, b.start, b.count]), [[[2, 8], 1, 2], [[2, 8], 3, 2], [[1, 8], 5, 1]]);
  assert.deepEqual(Array.from(free[0].data), Array.from(data.subarray(8, 24)));
  const fixed = [...ds.batches({ name: 'x', shape: [3, 2, 2, 2] })];
  assert.deepEqual(fixed.map((b) => [b.dims, b.count]), [[[3, 2, 2, 2], 3], [[3, 2, 2, 2], 2]]);
  assert.deepEqual(Array.from(fixed[1].data.subarray(16)), new Array(8).fill(0)); // padding
  const pre = Dataset.open(file, { range: [0, 1], preprocess: { scale: 0.5, mean: [1, 2], std: [2, 4] } });
  const [b] = [...pre.batches({ name: 'x', shape: [1, 2, 2, 2] })];
  // channel 0 = values 0..3, channel 1 = 4..7: (x*0.5 - mean) / std
  assert.deepEqual(Array.from(b.data), [0, 1, 2, 3].map((v) => (v * 0.5 - 1) / 2).concat([4, 5, 6, 7].map((v) => (v * 0.5 - 2) / 4)));
  assert.throws(() => makePreprocessor('x.npy', [5, 5], { mean: [1, 2, 3] }), /3 per-channel mean\/std values but samples of shape \[5,5\] have no axis of 3 channels/);
  assert.throws(() => Dataset.open(file, { range: [5, 9] }), /x\.npy: range 5:9 goes past the 7 samples/);
  assert.deepEqual(Array.from(pre.read(0, 1).subarray(0, 2)), [-0.5, -0.25]);
});

test('MNIST t10k through the Dataset feeds mnist-12 one image at a time (fixed batch 1)', { skip: !existsSync(SHARED) && 'needs ../shared' }, async () => {
  const model = readModel(path.join(SHARED, 'models', 'mnist-12-cntk-cnn.onnx'));
  const [input] = graphInputs(model);
  const images = Dataset.open(path.join(SHARED, 'data', 'mnist', 't10k-images-idx3-ubyte.gz'), { range: [0, 300] });
  const labels = readLabels(path.join(SHARED, 'data', 'mnist', 't10k-labels-idx1-ubyte.gz'), [0, 300]);
  const s = await createSession(model);
  let correct = 0;
  try {
    for (const b of images.batches(input)) {
      assert.deepEqual(b.dims, [1, 1, 28, 28]);
      const out = (await runFloat(s, input.name, b.data, b.dims)).Plus214_Output_0.data;
      const arg = out.indexOf(Math.max(...out));
      if (arg === labels[b.start]) correct++;
    }
  } finally {
    await release(s);
    images.close();
  }
  assert.ok(correct / 300 > 0.97, `accuracy ${correct / 300}`);
});
