import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfigText } from '../../../src/dsl';
import { applyPointToConfig } from '../../../src/extension/panels/configEdit';

const EDGE = readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'edge.lutdla'), 'utf8');

test('a point is written into a copy of the example config; comments and layout stay', () => {
  const r = applyPointToConfig(EDGE, { 'lut.centroids': 32, 'lut.vector': 8, 'accelerator.ccm.units': 16 }, 'Design point 7 of edge.exploration.json');
  assert.deepEqual(r.applied, ['lut.centroids', 'lut.vector', 'accelerator.ccm.units']);
  assert.deepEqual(r.skipped, []);
  assert.match(r.text, /^# Design point 7 of edge\.exploration\.json\n/);
  assert.match(r.text, /centroids = 32 {10}# c, entries per codebook/);
  assert.match(r.text, /vector {4}= 8 {11}# v, sub-vector length/);
  assert.match(r.text, /ccm \{ units = 16 \}/);
  const { document, diagnostics } = loadConfigText(r.text, '/tmp/edge.point-7.lutdla');
  assert.equal(document.lut.centroids, 32);
  assert.equal(document.lut.vector, 8);
  assert.equal(document.accelerators[0].ccm.units, 16);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error' && !/does not exist|not found/i.test(d.message)), []);
});

test('missing keys and blocks are added, in one-line and multi-line blocks', () => {
  const text = 'lut {\n  centroids = 16\n}\n\naccelerator "a" {\n  ccm { units = 8 }\n}\n';
  const r = applyPointToConfig(text, { 'lut.metric': 'l1', 'accelerator.imm.lanes': 32, 'accelerator.memory.lut': 65536 });
  const { document } = loadConfigText(r.text, '/tmp/x.lutdla');
  assert.equal(document.lut.metric, 'l1');
  assert.equal(document.lut.centroids, 16);
  assert.equal(document.accelerators[0].imm.lanes, 32);
  assert.equal(document.accelerators[0].memory.lut, 65536);
  assert.equal(document.accelerators[0].ccm.units, 8);
});

test('the accelerator the explore block names is the one edited', () => {
  const text = 'accelerator "small" {\n  ccm { units = 2 }\n}\naccelerator "big" {\n  ccm { units = 32 }\n}\nexplore {\n  accelerator = "big"\n}\n';
  const r = applyPointToConfig(text, { 'accelerator.ccm.units': 64 });
  assert.match(r.text, /"small" \{\n {2}ccm \{ units = 2 \}/);
  assert.match(r.text, /"big" \{\n {2}ccm \{ units = 64 \}/);
});

test('settings that cannot be written are reported, not guessed', () => {
  const r = applyPointToConfig('lut { centroids = 16 }\n', { 'model.lutboost.iterations': 5, 'bad path!': 1 });
  assert.deepEqual(r.applied, []);
  assert.deepEqual(r.skipped.map((s) => s.path), ['model.lutboost.iterations', 'bad path!']);
});
