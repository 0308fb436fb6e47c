import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { attr, GraphBuilder } from '../../src/onnx/builder';
import { writeModel } from '../../src/onnx/model';
import { createSession, release, runFloat } from '../../src/onnx/runtime';
import { encodeNpy } from '../../src/data/npy';
import { Rng } from '../../src/lutboost/prng';
import type { ConversionReport } from '../../src/reports/conversion';
import { tempDir } from '../tempDir';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'bin', 'lutdla.js');
const HOSTILE = '<img src=x onerror="alert(1)">&conv2';

function rand(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => (r.next() * 2 - 1) * scale);
}

/** A small CNN: Conv 1->4 (3x3, pad 1) -> Relu -> grouped Conv 4->4 (stride 2, 2 groups) -> Relu -> Flatten -> Gemm 64->5. */
async function fixture(samples = 120): Promise<string> {
  const dir = tempDir('lutdla-convert-');
  const b = new GraphBuilder('cnn', 13);
  b.addInput('x', ['N', 1, 8, 8]);
  b.addFloat('w1', [4, 1, 3, 3], rand(36, 1, 0.5));
  b.addFloat('b1', [4], rand(4, 2, 0.1));
  b.addNode('Conv', ['x', 'w1', 'b1'], ['c1'], [attr.ints('pads', [1, 1, 1, 1])], 'conv1');
  b.addNode('Relu', ['c1'], ['r1'], [], 'relu1');
  b.addFloat('w2', [4, 2, 3, 3], rand(72, 3, 0.5));
  b.addNode('Conv', ['r1', 'w2'], ['c2'], [attr.ints('pads', [1, 1, 1, 1]), attr.ints('strides', [2, 2]), attr.int('group', 2)], HOSTILE);
  b.addNode('Relu', ['c2'], ['r2'], [], 'relu2');
  b.addNode('Flatten', ['r2'], ['f'], [attr.int('axis', 1)], 'flatten');
  b.addFloat('w3', [5, 64], rand(320, 4, 0.5));
  b.addFloat('b3', [5], rand(5, 5, 0.1));
  b.addNode('Gemm', ['f', 'w3', 'b3'], ['y'], [attr.int('transB', 1)], 'fc');
  b.addOutput('y', ['N', 5]);
  const model = b.build();
  fs.writeFileSync(path.join(dir, 'tiny.onnx'), writeModel(model));
  // Inputs with structure (smooth blobs), labels = the original model's own predictions.
  const x = new Float32Array(samples * 64);
  const r = new Rng(7);
  for (let s = 0; s < samples; s++) {
    const cy = r.next() * 8, cx = r.next() * 8, amp = r.next() * 2;
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) x[s * 64 + i * 8 + j] = amp * Math.exp(-((i - cy) ** 2 + (j - cx) ** 2) / 6) + 0.05 * (r.next() - 0.5);
  }
  fs.writeFileSync(path.join(dir, 'data.npy'), encodeNpy(x, [samples, 1, 8, 8]));
  const s = await createSession(model);
  const y = (await runFloat(s, 'x', x, [samples, 1, 8, 8]))['y'].data;
  await release(s);
  const labels = new Int32Array(samples);
  for (let i = 0; i < samples; i++) {
    let best = 0;
    for (let j = 1; j < 5; j++) if (y[i * 5 + j] > y[i * 5 + best]) best = j;
    labels[i] = best;
  }
  fs.writeFileSync(path.join(dir, 'labels.npy'), encodeNpy(labels, [samples]));
  return dir;
}

function convert(dir: string, out: string, extra: string[] = []): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [cli, 'convert', path.join(dir, 'tiny.onnx'), '--out', out,
    '--calibration', path.join(dir, 'data.npy'), '--calibration-range', '0:80',
    '--evaluation', path.join(dir, 'data.npy'), '--evaluation-range', '80:120', '--labels', path.join(dir, 'labels.npy'),
    '--centroids', '8', '--vector', '4', '--iterations', '8', ...extra], { encoding: 'utf8' });
}

/** Converts the fixture with a config naming model `name` (calibrate 0:80, evaluate 80:120), with --sensitivity. */
function convertWithConfig(dir: string, name: string, lines: string[]): { stdout: string; report: ConversionReport } {
  fs.writeFileSync(path.join(dir, `${name}.lutdla`), [
    'lut { centroids = 8  vector = 4 }',
    `model "${name}" {`,
    '  onnx = "tiny.onnx"',
    '  calibration = "data.npy" range 0:80',
    '  evaluation = "data.npy" range 80:120',
    '  labels = "labels.npy"',
    ...lines.map((l) => `  ${l}`),
    '}',
    '',
  ].join('\n'));
  const r = spawnSync(process.execPath, [cli, 'convert', '--config', path.join(dir, `${name}.lutdla`), '--out', path.join(dir, name), '--sensitivity'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, report: JSON.parse(fs.readFileSync(path.join(dir, name, `${name}.conversion.json`), 'utf8')) as ConversionReport };
}

test('lutdla convert: end to end on a small CNN; report valid against the schema; names stay plain text', async () => {
  const dir = await fixture();
  const out = path.join(dir, 'out');
  const r = convert(dir, out);
  assert.equal(r.status, 0, `stderr: ${r.stderr}`);
  const files = fs.readdirSync(out).sort();
  assert.deepEqual(files, ['tiny.conversion.json', 'tiny.lut.onnx']);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'tiny.conversion.json'), 'utf8')) as ConversionReport;
  const schema = JSON.parse(fs.readFileSync(path.join(root, 'schemas', 'report.conversion.schema.json'), 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  assert.ok(validate(report), JSON.stringify(validate.errors));
  assert.deepEqual(report.layers.map((l) => l.name), ['conv1', HOSTILE, 'fc']);
  assert.equal(report.layers[1].groups, 2);
  assert.equal(report.layers[0].paddedK, 12); // K = 9 padded to 12
  assert.equal(report.accuracy.original, 1);
  assert.ok(report.accuracy.lut! > 0.5 && report.accuracy.agreement > 0.5, JSON.stringify(report.accuracy));
  for (const l of report.layers) for (const s of l.stages) if (s.stage !== 'kmeans' && s.stage !== 'quantize' && s.kept) assert.ok(s.heldOutErrorAfter < s.heldOutErrorBefore);
  assert.ok(r.stdout.includes(HOSTILE), 'the text table shows the name as it is');
  // The LUT model runs in onnxruntime unchanged.
  const s = await createSession(fs.readFileSync(path.join(out, 'tiny.lut.onnx')));
  const y = await runFloat(s, 'x', new Float32Array(2 * 64), [2, 1, 8, 8]);
  await release(s);
  assert.deepEqual(y['y'].dims, [2, 5]);
});

test('lutdla convert: the same seed gives the same bytes', async () => {
  const dir = await fixture();
  const a = convert(dir, path.join(dir, 'a'), ['--metric', 'l1', '--seed', '5']);
  const b = convert(dir, path.join(dir, 'b'), ['--metric', 'l1', '--seed', '5']);
  assert.equal(a.status, 0, a.stderr as string);
  assert.equal(b.status, 0, b.stderr as string);
  assert.ok(fs.readFileSync(path.join(dir, 'a', 'tiny.lut.onnx')).equals(fs.readFileSync(path.join(dir, 'b', 'tiny.lut.onnx'))));
  const strip = (f: string) => {
    const r = JSON.parse(fs.readFileSync(f, 'utf8')) as ConversionReport;
    r.totals.wallTimeS = 0;
    r.totals.peakMemoryBytes = 0;
    for (const l of r.layers) {
      l.timeS = 0;
      for (const s of l.stages) s.timeS = 0;
    }
    return r;
  };
  assert.deepEqual(strip(path.join(dir, 'a', 'tiny.conversion.json')), strip(path.join(dir, 'b', 'tiny.conversion.json')));
});

test('lutdla convert: SIGTERM mid-run stops it and leaves nothing in the output folder', async () => {
  const dir = await fixture(400);
  const out = path.join(dir, 'cancelled');
  const child = spawn(process.execPath, [cli, 'convert', path.join(dir, 'tiny.onnx'), '--out', out, '--calibration', path.join(dir, 'data.npy'),
    '--iterations', '200', '--progress=json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let sent = false;
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!sent && /"type":"progress","stage":"(collect|fit)"/.test(stdout)) {
      sent = true;
      child.kill('SIGTERM');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.ok(sent, `a progress event arrived: ${stdout}`);
  assert.equal(code, 130);
  assert.ok(!fs.existsSync(out) || fs.readdirSync(out).length === 0, 'no file left behind');
  const last = stdout.trim().split('\n').pop()!;
  assert.deepEqual(JSON.parse(last), { type: 'error', message: 'cancelled' });
});

test('lutdla convert with finetune and --sensitivity: the report has what the stage bought and what keeping each layer buys', async () => {
  const dir = await fixture();
  const config = (name: string, stages: string) => convertWithConfig(dir, name, [`lutboost { iterations = 8  stages = [${stages}]  epochs = 2 }`]).report;
  const tuned = config('tuned', 'kmeans, tables, finetune, quantize');
  const plain = config('plain', 'kmeans, tables, quantize');
  // Before fine-tuning the model is the plain conversion's (the original's classes reused, not recomputed).
  assert.deepEqual(tuned.beforeFinetune, { lut: plain.accuracy.lut, drop: plain.accuracy.drop, agreement: plain.accuracy.agreement });
  // The sensitivity conversions leave finetune out, so they are the plain run's, with the same standard errors.
  assert.deepEqual(tuned.layers.map((l) => l.keptDense), plain.layers.map((l) => l.keptDense));
  assert.ok(tuned.training && tuned.training.length > 0);
});

test('lutdla convert: calibration_labels lets fine-tuning learn from labels when calibration and evaluation are different files', async () => {
  const dir = await fixture();
  // Calibration in a file of its own (the first 80 rows), evaluation and its labels in the fixture's files.
  const data = fs.readFileSync(path.join(dir, 'data.npy'));
  fs.writeFileSync(path.join(dir, 'cal.npy'), data);
  fs.copyFileSync(path.join(dir, 'labels.npy'), path.join(dir, 'cal-labels.npy'));
  fs.writeFileSync(path.join(dir, 'short-labels.npy'), encodeNpy(new Int32Array(20), [20]));
  const run = (name: string, line: string) => {
    fs.writeFileSync(path.join(dir, `${name}.lutdla`), [
      'lut { centroids = 8  vector = 4 }',
      `model "${name}" {`,
      '  onnx = "tiny.onnx"',
      '  calibration = "cal.npy" range 0:80',
      '  evaluation = "data.npy" range 80:120',
      '  labels = "labels.npy"',
      `  ${line}`,
      '  lutboost { iterations = 8  stages = [kmeans, tables, finetune, quantize]  epochs = 2 }',
      '}',
      '',
    ].join('\n'));
    return spawnSync(process.execPath, [cli, 'convert', '--config', path.join(dir, `${name}.lutdla`), '--out', path.join(dir, name)], { encoding: 'utf8' });
  };
  const report = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, name, `${name}.conversion.json`), 'utf8')) as ConversionReport;

  const unlabelled = run('unlabelled', '');
  assert.equal(unlabelled.status, 0, unlabelled.stderr);
  assert.match(unlabelled.stderr, /distils from the original model alone.*labels\.npy labels the evaluation file; give calibration_labels/);
  const labelled = run('labelled', 'calibration_labels = "cal-labels.npy"');
  assert.equal(labelled.status, 0, labelled.stderr);
  assert.match(labelled.stderr, /fine-tuning learns from the labels in cal-labels\.npy/);
  // The labels reach training: the loss, and the held-out score's target, change with them.
  assert.notDeepEqual(report('labelled').training, report('unlabelled').training);

  const short = run('short', 'calibration_labels = "short-labels.npy"');
  assert.equal(short.status, 1);
  assert.match(short.stderr, /short-labels\.npy: range 0:80 goes past the 20 samples the file holds/);
  assert.ok(!fs.existsSync(path.join(dir, 'short', 'short.conversion.json')), 'a failed run writes no report');
});

test('lutdla convert: bad inputs are one clear line and exit 1', async () => {
  const dir = await fixture(20);
  const junk = path.join(dir, 'junk.onnx');
  fs.writeFileSync(junk, Buffer.from('this is not a model at all'));
  const cases: [string[], RegExp][] = [
    [[junk, '--out', path.join(dir, 'o1'), '--calibration', path.join(dir, 'data.npy')], /junk\.onnx/],
    [[path.join(dir, 'tiny.onnx'), '--out', path.join(dir, 'o2'), '--calibration', path.join(dir, 'labels.npy')], /labels\.npy.*fit no shape/],
    [[path.join(dir, 'tiny.onnx'), '--out', path.join(dir, 'o3'), '--calibration', path.join(dir, 'data.npy'), '--metric', 'cosine'], /--metric takes one of l2, l1, chebyshev/],
    [[path.join(dir, 'tiny.onnx'), '--out', path.join(dir, 'o4')], /needs calibration data/],
    [[path.join(dir, 'tiny.onnx'), '--out', path.join(dir, 'o5'), '--calibration', path.join(dir, 'data.npy'), '--centroids', '12'], /power of two/],
  ];
  fs.writeFileSync(path.join(dir, 'cfg.lutdla'), `model "tiny" {\n  onnx = "tiny.onnx"\n  calibration = "data.npy"\n  layer "nosuch*" { vector = 2 }\n}\n`);
  cases.push([['--config', path.join(dir, 'cfg.lutdla'), '--out', path.join(dir, 'o6')], /layer override "nosuch\*" names no layer/]);
  for (const [args, want] of cases) {
    const r = spawnSync(process.execPath, [cli, 'convert', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('[') && !l.startsWith('warning:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], want);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('lutdla convert --config: model block paths, keep list and per-layer overrides', async () => {
  const dir = await fixture(60);
  fs.writeFileSync(path.join(dir, 'tiny.lutdla'), [
    'lut { centroids = 8  vector = 4  metric = l2  precision = int8 }',
    'model "tiny" {',
    '  onnx = "tiny.onnx"',
    '  calibration = "data.npy" range 0:40',
    '  evaluation = "data.npy" range 40:60',
    '  labels = "labels.npy"',
    '  keep = ["fc"]',
    '  layer "conv1" { vector = 2  metric = l1  precision = fp16 }',
    '  lutboost { stages = [kmeans, tables, quantize]  iterations = 5  seed = 3  sensitivity = true }',
    '}',
    '',
  ].join('\n'));
  const out = path.join(dir, 'cfg-out');
  const r = spawnSync(process.execPath, [cli, 'convert', '--config', path.join(dir, 'tiny.lutdla'), '--out', out, '--progress=json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; stage?: string; layer?: string });
  assert.ok(events.some((e) => e.type === 'progress' && e.stage === 'fit' && e.layer === 'conv1'), 'progress events name stage and layer');
  assert.equal(events[events.length - 1].type, 'result');
  const report = JSON.parse(fs.readFileSync(path.join(out, 'tiny.conversion.json'), 'utf8')) as ConversionReport;
  assert.deepEqual(report.config.stages, ['kmeans', 'tables', 'quantize']);
  const conv1 = report.layers.find((l) => l.name === 'conv1')!;
  assert.deepEqual([conv1.vector, conv1.metric, conv1.precision, conv1.centroids], [2, 'l1', 'fp16', 8]);
  assert.ok(!report.layers.some((l) => l.name === 'fc'));
  assert.deepEqual(report.kept.find((k) => k.name === 'fc')?.reason, 'kept dense by the configuration');
  assert.equal(report.accuracy.samples, 20);
  // sensitivity = true: converted and evaluated again with each converted layer kept dense, with progress naming it.
  for (const l of report.layers) {
    const d = l.keptDense;
    assert.ok(d && typeof d.drop === 'number' && d.agreement >= 0 && d.agreement <= 1, `${l.name}: ${JSON.stringify(d)}`);
    assert.ok(events.some((e) => e.type === 'progress' && e.stage === 'sensitivity' && e.layer === l.name), `no sensitivity progress for ${l.name}`);
  }
  const schema = JSON.parse(fs.readFileSync(path.join(root, 'schemas', 'report.conversion.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  assert.ok(validate(report), JSON.stringify(validate.errors));
});

test('lutdla convert --sensitivity: the drop given for keeping a layer is the drop of converting with it kept; the text table shows it', async () => {
  const dir = await fixture();
  const run = (name: string, keep: string) => convertWithConfig(dir, name, [`keep = [${keep}]`, 'lutboost { iterations = 8 }']);
  const all = run('all', '"conv1"');
  assert.deepEqual(all.report.layers.map((l) => l.name), [HOSTILE, 'fc']);
  const kept = run('kept', '"conv1", "fc"');
  const [second, first] = [all.report.layers[1].keptDense!, all.report.layers[0].keptDense!];
  assert.deepEqual([second.drop, second.agreement], [kept.report.accuracy.drop, kept.report.accuracy.agreement]);
  assert.ok(typeof second.dropSe === 'number' && second.dropSe >= 0);
  const keptFirst = run('keptFirst', '"conv1", "*conv2"');
  assert.deepEqual([first.drop, first.agreement], [keptFirst.report.accuracy.drop, keptFirst.report.accuracy.agreement]);
  assert.ok(all.report.accuracy.agreement < 1, 'the conversion changed some answers');
  assert.match(all.stdout, /drop if dense/);
  assert.match(all.stdout, /drop if dense: converted again with that layer kept dense as well/);
});
