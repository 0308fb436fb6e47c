import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convGemm, convOut, resnet18Layers } from '../../src/sim/network';
import { workloadFromModel, workloadFromOnnx } from '../../src/sim/onnxWorkload';
import { readModelBytes } from '../../src/onnx/model';
import { formatLutMetadata } from '../../src/onnx/layerInfo';
import { DEFAULT_ACCELERATOR, DEFAULT_LUT } from '../../src/sim/defaults';
import { layerOps, SimInputError } from '../../src/sim/workload';
import { smallCnnBytes } from './fixtures';

test('conv shapes through im2col: padding, stride, groups', () => {
  assert.equal(convOut(224, 7, 2, 3), 112);
  assert.equal(convOut(56, 3, 2, 1), 28);
  assert.equal(convOut(5, 3, 1, 0), 3);
  assert.equal(convOut(7, 3, 1, 1, 1, 2), 5); // dilation 2
  const c = convGemm('c', { cin: 64, cout: 128, kernel: 3, stride: 2, pad: 1, h: 56, w: 56 });
  assert.deepEqual([c.m, c.k, c.n, c.groups], [28 * 28, 64 * 9, 128, 1]);
  const g = convGemm('dw', { cin: 32, cout: 32, kernel: 3, pad: 1, groups: 32, h: 10, w: 10, batch: 2 });
  assert.deepEqual([g.m, g.k, g.n, g.groups], [200, 9, 1, 32]);
  assert.equal(layerOps(g), 2 * 200 * 9 * 1 * 32);
  assert.throws(() => convGemm('bad', { cin: 3, cout: 8, kernel: 3, groups: 2, h: 4, w: 4 }), /divisible/);
});

test('the generated ResNet-18 has 21 GEMM layers of the expected shapes', () => {
  const l = resnet18Layers();
  assert.equal(l.length, 21);
  assert.deepEqual([l[0].m, l[0].k, l[0].n], [112 * 112, 147, 64]);
  const last = l.find((x) => x.name === 'layer4.1.conv2')!;
  assert.deepEqual([last.m, last.k, last.n], [49, 4608, 512]);
  assert.deepEqual(l[l.length - 1], { name: 'fc', op: 'Gemm', m: 1, k: 512, n: 1000, groups: 1 });
});

test('an ONNX model built in code becomes a workload (B\'s analysis, onnxruntime shapes)', async () => {
  const model = readModelBytes(smallCnnBytes());
  const w = await workloadFromModel(model, { lut: DEFAULT_LUT, name: 'small' });
  const byName = Object.fromEntries(w.layers.map((l) => [l.name, l]));
  assert.deepEqual(Object.keys(byName).sort(), ['conv1', 'conv2', 'fc']);
  assert.deepEqual([byName.conv1.m, byName.conv1.k, byName.conv1.n, byName.conv1.groups], [64, 27, 8, 1]);
  assert.deepEqual([byName.conv2.m, byName.conv2.k, byName.conv2.n, byName.conv2.groups], [64, 18, 2, 4]);
  assert.deepEqual([byName.fc.m, byName.fc.k, byName.fc.n], [1, 512, 10]);
  assert.match(w.notes.join(' '), /not converted/);
});

test('--input-shape changes M; keep patterns and layer overrides apply; converted layers keep their metadata', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lutdla-sim-'));
  try {
    const file = path.join(dir, 'small.onnx');
    fs.writeFileSync(file, smallCnnBytes());
    const w = await workloadFromOnnx(file, {
      lut: DEFAULT_LUT, inputShape: [2, 3, 16, 16],
      model: { keep: ['fc'], layers: [{ pattern: 'conv*', vector: 2, metric: 'l1' }] },
    });
    assert.equal(w.name, 'small');
    assert.deepEqual(w.layers.map((l) => [l.name, l.m, l.lut.vector, l.lut.metric]), [['conv1', 128, 2, 'l1'], ['conv2', 128, 2, 'l1']]);
    assert.ok(w.dense.some((d) => d.name === 'fc' && /kept/.test(d.reason)));

    const model = readModelBytes(smallCnnBytes());
    model.metadataProps.push(formatLutMetadata({ name: 'fc', op: 'Gemm', m: 1, k: 512, n: 10, groups: 1, lut: { centroids: 32, vector: 8, metric: 'chebyshev', precision: 'fp16' } }));
    const w2 = await workloadFromModel(model, { lut: DEFAULT_LUT });
    const fc = w2.layers.find((l) => l.name === 'fc')!;
    assert.deepEqual(fc.lut, { centroids: 32, vector: 8, metric: 'chebyshev', precision: 'fp16' });
    assert.equal(w2.layers.filter((l) => l.name === 'fc').length, 1, 'a converted layer is not counted twice');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a model without convertible layers, or with a wrong input shape, is a clear error', async () => {
  const model = readModelBytes(smallCnnBytes());
  await assert.rejects(workloadFromModel(model, { lut: DEFAULT_LUT, inputShape: [1, 5, 16, 16] }), (e: Error) => e instanceof SimInputError && /input shape/.test(e.message));
  assert.ok(DEFAULT_ACCELERATOR.memory.dram > 0);
});
