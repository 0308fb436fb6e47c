import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliArgs, expectedOutputs, outputBaseName, reportFile } from '../../src/extension/jobs/jobSpec';
import { JobRequestError, resolveJob } from '../../src/extension/jobs/resolveJob';
import { scanConfig } from '../../src/extension/configScan';

const CONFIG = `# comment with model "fake" {
lut { centroids = 16 }
accelerator "edge" { clock = 500MHz  ccm { units = 4 } }
model "mnist" {
  onnx = "models/mnist.onnx"   # the model
  calibration = "data/cal.npz"
  layer "conv*" { vector = 8 }
}
model other { onnx = 'b.onnx' }
explore { vary lut.centroids = [8, 16] }
`;

test('scanConfig finds top-level blocks, names, onnx paths and data keys', () => {
  const blocks = scanConfig(CONFIG);
  assert.deepEqual(blocks.map((b) => [b.kind, b.name, b.line]), [
    ['accelerator', 'edge', 2], ['model', 'mnist', 3], ['model', 'other', 8], ['explore', undefined, 9],
  ]);
  assert.equal(blocks[1].onnx, 'models/mnist.onnx');
  assert.equal(blocks[1].calibration, true);
  assert.equal(blocks[1].evaluation, undefined);
  assert.equal(blocks[2].onnx, 'b.onnx');
});

test('scanConfig survives broken text', () => {
  for (const text of ['model "x" {', '}}}} model', 'model "unterminated {\n onnx = "a', '/* open comment model "a" {']) {
    assert.doesNotThrow(() => scanConfig(text));
  }
});

test('convert with settings: arguments and output names', () => {
  const spec = resolveJob({ command: 'convert', model: 'nets/a.onnx', centroids: 8, vector: '4', metric: 'l1' }, '/ws', '');
  assert.deepEqual(cliArgs(spec), ['convert', '/ws/nets/a.onnx', '--out', '/ws/nets', '--centroids', '8', '--vector', '4', '--metric', 'l1']);
  assert.deepEqual(expectedOutputs(spec), ['/ws/nets/a.lut.onnx', '/ws/nets/a.conversion.json']);
  const data = resolveJob({ command: 'convert', model: 'nets/a.onnx', calibration: 'd/train.npy', calibrationLabels: '${workspaceFolder}/d/train-labels.npy', labels: 'd/test-labels.npy' }, '/ws', '');
  assert.deepEqual(cliArgs(data).slice(4), ['--calibration', '/ws/d/train.npy', '--labels', '/ws/d/test-labels.npy', '--calibration-labels', '/ws/d/train-labels.npy']);
});

test('convert from a config takes the model block, its onnx and the output folder setting', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lutdla-spec-'));
  try {
    fs.writeFileSync(path.join(dir, 'c.lutdla'), CONFIG);
    const spec = resolveJob({ command: 'convert', config: 'c.lutdla', modelName: 'mnist' }, dir, 'lut-out');
    assert.equal(spec.command, 'convert');
    assert.equal(spec.command === 'convert' && spec.model, path.join(dir, 'models', 'mnist.onnx'));
    assert.equal(spec.out, path.join(dir, 'models', 'lut-out'));
    assert.equal(outputBaseName(spec), 'mnist');
    assert.deepEqual(cliArgs(spec).slice(0, 6), ['convert', path.join(dir, 'models', 'mnist.onnx'), '--config', path.join(dir, 'c.lutdla'), '--model', 'mnist']);
    assert.throws(() => resolveJob({ command: 'convert', config: 'c.lutdla', modelName: 'nope' }, dir, ''), /no model "nope"/);
    const explore = resolveJob({ command: 'explore', config: '${workspaceFolder}/c.lutdla' }, dir, '');
    assert.deepEqual(cliArgs(explore), ['explore', path.join(dir, 'c.lutdla'), '--out', dir]);
    assert.deepEqual(expectedOutputs(explore), [path.join(dir, 'c.exploration.json'), path.join(dir, 'c.exploration.csv')]);
    const sim = resolveJob({ command: 'simulate', config: 'c.lutdla', model: 'models/mnist.lut.onnx', accelerator: 'edge' }, dir, '');
    assert.deepEqual(cliArgs(sim), ['simulate', path.join(dir, 'models', 'mnist.lut.onnx'), '--config', path.join(dir, 'c.lutdla'), '--accelerator', 'edge', '--out', path.join(dir, 'models')]);
    assert.deepEqual(expectedOutputs(sim), [path.join(dir, 'models', 'mnist.lut.simulation.json')]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad requests are clear errors', () => {
  assert.throws(() => resolveJob({ command: 'convert' }, '/ws', ''), JobRequestError);
  assert.throws(() => resolveJob({ command: 'convert', model: 'a.onnx', centroids: 'lots' }, '/ws', ''), /centroids must be a positive whole number/);
  assert.throws(() => resolveJob({ command: 'convert', model: 'a.onnx', metric: 'cosine' }, '/ws', ''), /metric must be one of l2, l1, chebyshev/);
  assert.throws(() => resolveJob({ command: 'bogus' as 'convert' }, '/ws', ''), /command must be one of/);
  assert.throws(() => resolveJob({ command: 'explore' }, '/ws', ''), /explore needs a config/);
});

test('reportFile picks the report among result files', () => {
  assert.equal(reportFile(['/a/x.lut.onnx', '/a/x.conversion.json']), '/a/x.conversion.json');
  assert.equal(reportFile(['/a/x.lut.onnx']), undefined);
});

test('progress lines and located errors', async () => {
  const { formatProgress, locateError } = await import('../../src/extension/jobs/format');
  assert.equal(formatProgress({ stage: 'collect', message: 'inputs of fc1: 64/256', fraction: 0.25, layer: 'fc1' }), 'collect: inputs of fc1: 64/256 (25%)');
  assert.equal(formatProgress({ stage: 'fit', message: 'working', layer: 'conv2' }), 'fit: working [conv2]');
  assert.equal(locateError('/a/b.lutdla:3:7: error: bad key', '/a/c.onnx'), '/a/b.lutdla:3:7: error: bad key');
  assert.equal(locateError('not an ONNX model', '/a/c.onnx'), '/a/c.onnx:1:1: error: not an ONNX model');
  assert.equal(locateError('no file', undefined), 'error: no file');
  // The $lutdla problem matcher's pattern (package.json) reads what locateError prints.
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { problemMatchers: { name: string; pattern: { regexp: string } }[] } };
  const re = new RegExp(pkg.contributes.problemMatchers.find((m) => m.name === 'lutdla')!.pattern.regexp);
  const m = re.exec(locateError('not an ONNX model', '/a/c.onnx'));
  assert.deepEqual(m?.slice(1), ['/a/c.onnx', '1', '1', 'error', 'not an ONNX model']);
});
