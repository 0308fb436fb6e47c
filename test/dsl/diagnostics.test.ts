import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigText, loadConfigFile, formatDiagnostic, hasErrors, resolveConfigPath, type ConfigDiagnostic } from '../../src/dsl';
import { tempDir } from '../tempDir';

const diags = (text: string, file = ''): ConfigDiagnostic[] => loadConfigText(text, file).diagnostics;
const one = (text: string, code: string, file = ''): ConfigDiagnostic => {
  const ds = diags(text, file).filter((d) => d.code === code);
  assert.equal(ds.length, 1, `expected one ${code} in ${JSON.stringify(diags(text, file))}`);
  return ds[0];
};
const textAt = (text: string, d: ConfigDiagnostic): string => {
  const lines = text.split('\n');
  assert.equal(d.range.start.line, d.range.end.line);
  return lines[d.range.start.line].slice(d.range.start.character, d.range.end.character);
};

test('syntax error with its range', () => {
  const t = 'lut {\n  centroids = = 16\n}';
  const d = one(t, 'syntax');
  assert.equal(d.severity, 'error');
  assert.equal(textAt(t, d), '=');
});

test('centroids must be a power of two (lut, model lut, layer, vary)', () => {
  const t = 'lut { centroids = 24 }';
  const d = one(t, 'power-of-two');
  assert.equal(textAt(t, d), '24');
  assert.match(d.message, /power of two.*16 or 32/);
  one('model "m" { layer "x" { centroids = 12 } }', 'power-of-two');
  one('model "m" { lut { centroids = 12 } }', 'power-of-two');
  one('explore { vary lut.centroids = [8, 12] }', 'power-of-two');
});

test('unit of the wrong dimension, unknown unit, unit on a plain number', () => {
  const t = 'accelerator "a" { clock = 64KiB }';
  const d = one(t, 'unit');
  assert.equal(textAt(t, d), 'KiB');
  assert.match(d.message, /clock takes a frequency.*not a size in bytes/);
  assert.match(one('accelerator "a" { clock = 5Mhz }', 'unit').message, /unknown unit 'Mhz' \(did you mean 'MHz'\?\)/);
  assert.match(one('lut { vector = 4KiB }', 'unit').message, /plain number/);
  assert.match(one('explore { require area <= 2W }', 'unit').message, /area takes an area/);
});

test('unknown keys and blocks, with did-you-mean and the right block', () => {
  const t = 'lut { centriods = 16 }';
  const d = one(t, 'unknown-key');
  assert.equal(textAt(t, d), 'centriods');
  assert.match(d.message, /did you mean 'centroids'\?/);
  assert.match(one('accelerator "a" { lanes = 4 }', 'unknown-key').message, /'lanes' belongs in the imm block/);
  assert.match(one('acelerator "a" { }', 'unknown-key').message, /did you mean 'accelerator'/);
});

test('duplicate keys and blocks', () => {
  const t = 'lut { vector = 4\n vector = 8 }\nlut { }\naccelerator "a" {}\naccelerator "a" {}';
  const ds = diags(t).filter((d) => d.code === 'duplicate');
  assert.equal(ds.length, 3);
  assert.deepEqual(ds.map((d) => d.range.start.line), [1, 2, 4]);
});

test('schema errors map to the exact value', () => {
  const t = 'lut { metric = l3 }\naccelerator "a" { ccm { units = 0 } }\nmodel "m" { lutboost { holdout = 1 } }';
  const ds = diags(t).filter((d) => d.code === 'schema');
  assert.equal(ds.length, 3);
  assert.equal(textAt(t, ds[0]), 'l3');
  assert.match(ds[0].message, /one of: l2, l1, chebyshev \(did you mean 'l2'\?\)/);
  assert.equal(textAt(t, ds[1]), '0');
  assert.match(ds[1].message, /at least 1/);
  assert.equal(textAt(t, ds[2]), '1');
  assert.match(ds[2].message, /less than 1/);
});

test('paths: missing file is a warning that says what to do; absolute or .. paths are errors', () => {
  const dir = tempDir('lutdla-');
  const file = path.join(dir, 'c.lutdla');
  writeFileSync(path.join(dir, 'there.onnx'), 'x');
  assert.deepEqual(diags('model "m" { onnx = "there.onnx" }', file), []);
  const w = one('model "m" { onnx = "missing.onnx" }', 'missing-file', file);
  assert.equal(w.severity, 'warning');
  assert.match(w.message, /not found.*create it or fix the path/);
  const e1 = one('model "m" { onnx = "/etc/passwd" }', 'path-escape', file);
  assert.equal(e1.severity, 'error');
  const e2 = one('model "m" { labels = "a/../../x.npy" }', 'path-escape', file);
  assert.match(e2.message, /leaves the config file's folder/);
  // Without a file path (an unsaved buffer) existence is not checked, escapes still are.
  assert.deepEqual(diags('model "m" { onnx = "missing.onnx" }'), []);
  one('model "m" { onnx = "../x" }', 'path-escape');
});

test('resolveConfigPath resolves inside the folder and throws clearly outside it', () => {
  const dir = tempDir('lutdla-');
  const file = path.join(dir, 'c.lutdla');
  mkdirSync(path.join(dir, 'sub'));
  assert.equal(resolveConfigPath(file, 'sub/m.onnx'), path.join(dir, 'sub', 'm.onnx'));
  assert.throws(() => resolveConfigPath(file, '../x'), /leaves the config file's folder/);
  assert.throws(() => resolveConfigPath(file, '/etc/passwd'), /absolute path/);
  symlinkSync(os.tmpdir(), path.join(dir, 'link'));
  assert.throws(() => resolveConfigPath(file, 'link'), /outside the config file's folder/);
});

test('explore axes that name no field, and references to unknown blocks', () => {
  const t = 'accelerator "a" {}\nexplore {\n accelerator = "b"\n vary accelerator.ccm.unit = [1]\n vary accelerator.ccm = [1]\n vary chip.x = [1]\n}';
  const ds = diags(t).filter((d) => d.code === 'explore-axis' && d.severity === 'error');
  assert.equal(ds.length, 3);
  assert.equal(textAt(t, ds[0]), 'unit');
  assert.match(ds[0].message, /did you mean 'units'/);
  assert.match(ds[1].message, /names a block, not a field/);
  assert.match(ds[2].message, /must start with lut, accelerator, model/);
  const r = one(t, 'unknown-reference');
  assert.match(r.message, /no accelerator named "b"; the accelerator blocks are: "a"/);
});

test('values outside sensible hardware ranges are warnings', () => {
  const t = 'accelerator "a" { clock = 50GHz technology = 1nm memory { lut = 1GiB } }';
  const ws = diags(t).filter((d) => d.code === 'out-of-range');
  assert.equal(ws.length, 3);
  for (const w of ws) assert.equal(w.severity, 'warning');
  assert.match(ws[0].message, /clock = 50 GHz is unusual.*between 10 MHz and 5 GHz/);
  assert.equal(hasErrors(diags(t)), false);
});

test('formatDiagnostic prints FILE:LINE:COL: severity: message, 1-based', () => {
  const d = one('lut {\n  vector = 4KiB\n}', 'unit');
  assert.equal(formatDiagnostic('x.lutdla', d), "x.lutdla:2:13: error: vector takes a plain number, without a unit (found a size in bytes in KiB)");
});

test('a binary file gives one clear diagnostic', () => {
  const dir = tempDir('lutdla-');
  const f = path.join(dir, 'model.lutdla');
  writeFileSync(f, Buffer.from([0x08, 0x07, 0x12, 0x00, 0xff, 0xfe, 0x00]));
  const r = loadConfigFile(f);
  assert.equal(r.diagnostics.length, 1);
  assert.equal(r.diagnostics[0].code, 'not-text');
  assert.equal(loadConfigFile(path.join(dir, 'nope.lutdla')).diagnostics[0].code, 'io');
});

test('a table slice that does not fit the LUT memory is a warning', () => {
  const t = 'lut { centroids = 64 precision = fp16 }\naccelerator "a" { imm { lanes = 1024 } memory { lut = 128KiB } }';
  const w = one(t, 'capacity');
  assert.equal(w.severity, 'warning');
  assert.equal(textAt(t, w), '128KiB');
  assert.match(w.message, /c=64 x 1024 lanes x 2 B \(fp16\) x 2 ping-pong banks = 256 KiB/);
  assert.deepEqual(diags('accelerator "a" { imm { lanes = 64 } }'), []);
});

test('evaluation rows that overlap calibration rows of the same file are a warning', () => {
  const t = 'model "m" {\n calibration = "d.npy" range 0:1000\n evaluation = "d.npy" range 500:2000\n}';
  const w = one(t, 'data-overlap');
  assert.equal(textAt(t, w), '500:2000');
  assert.deepEqual(diags('model "m" {\n calibration = "d.npy" range 0:1000\n evaluation = "d.npy" range 1000:2000\n}'), []);
  one('model "m" {\n calibration = "d.npy"\n evaluation = "d.npy"\n}', 'data-overlap');
});

test('fine-tuning settings without the finetune stage are a warning on each setting', () => {
  const t = 'model "m" {\n calibration_labels = "y.npy"\n lutboost { stages = [kmeans, tables]  epochs = 4  learning_rate = 0.01 }\n}';
  const ws = diags(t).filter((d) => d.code === 'unused-setting');
  assert.deepEqual(ws.map((w) => textAt(t, w)), ['"y.npy"', '4', '0.01']);
  assert.match(ws[1].message, /^epochs has no effect: the finetune stage is not in this model's lutboost stages/);
  assert.match(ws[2].message, /^learning_rate has no effect/);
  assert.ok(ws.every((w) => w.severity === 'warning'));
  // With the stage, or with no fine-tuning setting written, nothing is said.
  assert.deepEqual(diags('model "m" {\n calibration_labels = "y.npy"\n lutboost { stages = [kmeans, tables, finetune]  epochs = 4 }\n}'), []);
  assert.deepEqual(diags('model "m" {\n lutboost { stages = [kmeans, tables] }\n}'), []);
});

test('an explore block without an axis is a warning', () => {
  const w = one('explore { minimize = [area] }', 'explore-axis');
  assert.equal(w.severity, 'warning');
});

test('quick fixes: did-you-mean spellings, unit case, nearest powers of two, enum values', () => {
  const fixes = (text: string, code: string): string[] => (one(text, code).fixes ?? []).map((f) => f.newText);
  assert.deepEqual(fixes('lut { centriods = 16 }', 'unknown-key'), ['centroids']);
  assert.deepEqual(fixes('accelerator "a" { clock = 5mhz }', 'unit'), ['MHz']);
  assert.deepEqual(fixes('lut { centroids = 24 }', 'power-of-two'), ['16', '32']);
  assert.deepEqual(fixes('lut { metric = l3 }', 'schema'), ['l2']);
  assert.deepEqual(fixes('explore { vary lut.centroid = [8] }', 'explore-axis'), ['centroids']);
  const d = one('lut { centriods = 16 }', 'unknown-key');
  assert.deepEqual(d.fixes![0].range, d.range);
});

test('a block in the wrong place says where it belongs', () => {
  assert.match(one('layer "conv*" { vector = 8 }', 'unknown-key').message, /a layer block belongs inside a model block/);
  assert.match(one('accelerator "a" { ccm { } units = 3 }', 'unknown-key').message, /'units' belongs in the ccm block/);
});
