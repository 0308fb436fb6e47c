import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfigFile, loadConfigText, hasErrors, emptyDocument } from '../../src/dsl';
import { EXAMPLES } from './helpers';

test('units lower to canonical values', () => {
  const { document, diagnostics } = loadConfigText(
    'accelerator "a" {\n technology = 7nm\n clock = 0.5GHz\n memory { lut = 1MiB index = 64KB input = 2KiB output = 1MB dram = 12.8GB/s dram_energy = 4pJ/bit }\n}',
    '',
  );
  assert.deepEqual(diagnostics, []);
  const a = document.accelerators[0];
  assert.equal(a.technology, 7);
  assert.equal(a.clock, 5e8);
  assert.deepEqual(a.memory, { lut: 1048576, index: 64000, input: 2048, output: 1e6, dram: 12.8e9, dramEnergy: 4 });
});

test('defaults come from the schema', () => {
  const d = emptyDocument();
  assert.deepEqual(d.lut, { centroids: 16, vector: 4, metric: 'l2', precision: 'int8' });
  assert.deepEqual(d.accelerators, []);
  const { document } = loadConfigText('accelerator "x" {}\nmodel "m" {}', '');
  assert.equal(document.accelerators[0].clock, 500e6);
  assert.equal(document.accelerators[0].ccm.units, 8);
  assert.equal(document.accelerators[0].fifo.depth, 16);
  assert.deepEqual(document.models[0].lutboost.stages, ['kmeans', 'centroids', 'tables', 'quantize']);
  assert.deepEqual(document.models[0].keep, []);
  assert.deepEqual(document.models[0].layers, []);
});

test('model: ranges, fractions, layer overrides, lut override, lutboost keys in camelCase', () => {
  const { document, diagnostics } = loadConfigText(
    'model "m" {\n calibration = "c.npy" range 0:1000\n evaluation = "c.npy" range 8000:10000\n input_shape = [1, 28, 28]\n preprocess { scale = 1/255 mean = [0.5] std = [0.25] }\n keep = ["fc", conv1]\n layer "conv2*" { vector = 8 keep = false }\n lut { metric = l1 }\n lutboost { learning_rate = 0.01 train_dense = true significance = 1.5 sensitivity = true stages = [kmeans, finetune] }\n}',
    '',
  );
  assert.deepEqual(diagnostics, []);
  const m = document.models[0];
  assert.deepEqual(m.calibrationRange, [0, 1000]);
  assert.deepEqual(m.evaluationRange, [8000, 10000]);
  assert.deepEqual(m.inputShape, [1, 28, 28]);
  assert.equal(m.preprocess.scale, 1 / 255);
  assert.deepEqual(m.keep, ['fc', 'conv1']);
  assert.deepEqual(m.layers, [{ pattern: 'conv2*', vector: 8, keep: false }]);
  assert.deepEqual(m.lut, { metric: 'l1' });
  assert.equal(m.lutboost.learningRate, 0.01);
  assert.equal(m.lutboost.trainDense, true);
  assert.equal(m.lutboost.significance, 1.5);
  assert.equal(m.lutboost.sensitivity, true);
  assert.deepEqual(m.lutboost.stages, ['kmeans', 'finetune']);
});

test('explore: axes with units, constraints in figure units, objectives', () => {
  const { document, diagnostics } = loadConfigText(
    'accelerator "a" {}\nexplore {\n accelerator = "a"\n vary accelerator.memory.lut = [64KiB, 1MiB]\n vary accelerator.memory.dram_energy = [2pJ]\n vary lut.metric = [l1, l2]\n require area <= 2mm2\n require energy < 5uJ\n require latency <= 1ms\n require accuracy_drop <= 0.5%\n minimize = [latency, energy]\n}',
    '',
  );
  assert.deepEqual(diagnostics, []);
  const e = document.explore!;
  assert.deepEqual(e.axes, [
    { path: 'accelerator.memory.lut', values: [65536, 1048576] },
    { path: 'accelerator.memory.dramEnergy', values: [2] },
    { path: 'lut.metric', values: ['l1', 'l2'] },
  ]);
  assert.deepEqual(e.constraints.map((c) => [c.metric, c.op]), [['area', '<='], ['energy', '<'], ['latency', '<='], ['accuracy_drop', '<=']]);
  assert.ok(Math.abs(e.constraints[1].value - 5e-6) < 1e-18);
  assert.ok(Math.abs(e.constraints[2].value - 1e-3) < 1e-15);
  assert.equal(e.constraints[3].value, 0.5);
  assert.deepEqual(e.minimize, ['latency', 'energy']);
});

test('the examples check clean (warnings only for the data files that npm run demo creates)', () => {
  for (const f of ['edge.lutdla', 'datacenter.lutdla']) {
    const { document, diagnostics } = loadConfigFile(path.join(EXAMPLES, f));
    assert.equal(hasErrors(diagnostics), false, JSON.stringify(diagnostics));
    for (const d of diagnostics) assert.equal(d.code, 'missing-file', d.message);
    assert.ok(document.accelerators.length >= 1 && document.models.length === 1 && document.explore);
  }
  const edge = loadConfigFile(path.join(EXAMPLES, 'edge.lutdla')).document;
  const m = edge.models[0];
  assert.equal(m.onnx, 'mnist/mnist-cnn.onnx');
  assert.deepEqual(m.calibrationRange, [0, 1000]);
  assert.deepEqual(m.evaluationRange, [8000, 10000]);
  assert.equal(m.labels, 'mnist/labels.npy');
  assert.deepEqual(edge.lut, { centroids: 16, vector: 4, metric: 'l2', precision: 'int8' });
  assert.deepEqual(m.lutboost.stages, ['kmeans', 'centroids', 'tables', 'quantize']);
});

test('a broken document still lowers what it can', () => {
  const { document, diagnostics } = loadConfigText('lut {\n centroids = 32\n vector = \n}\naccelerator "a" {\n clock = 1GHz\n', '');
  assert.ok(hasErrors(diagnostics));
  assert.equal(document.lut.centroids, 32);
  assert.equal(document.lut.vector, 4);
  assert.equal(document.accelerators[0].clock, 1e9);
});
