import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../src/dsl/parser';
import type { Block, Entry } from '../../src/dsl/ast';

test('blocks, named blocks, nested blocks, entries', () => {
  const r = parse('lut { centroids = 16 }\naccelerator "a" {\n  ccm { units = 8 }\n  clock = 1GHz\n}');
  assert.deepEqual(r.errors, []);
  const [lut, acc] = r.file.items as Block[];
  assert.equal(lut.keyword.text, 'lut');
  assert.equal(acc.label?.str, 'a');
  assert.equal((acc.items[0] as Block).keyword.text, 'ccm');
  const clock = acc.items[1] as Entry;
  assert.equal(clock.value?.kind, 'number');
});

test('values: list, range clause, fraction, string, ident', () => {
  const r = parse('model "m" {\n calibration = "d.npy" range 0:100\n preprocess { scale = 1/255 }\n keep = ["a", b,]\n}');
  assert.deepEqual(r.errors, []);
  const m = r.file.items[0] as Block;
  const cal = m.items[0] as Entry;
  assert.equal(cal.range?.kind, 'range');
  const scale = (m.items[1] as Block).items[0] as Entry;
  assert.equal(scale.value?.kind, 'fraction');
  assert.equal(scale.value?.kind === 'fraction' && scale.value.value, 1 / 255);
  const keep = m.items[2] as Entry;
  assert.equal(keep.value?.kind === 'list' && keep.value.items.length, 2);
});

test('directives vary and require', () => {
  const r = parse('explore {\n vary accelerator.ccm.units = [4, 8]\n require area <= 2mm2\n}');
  assert.deepEqual(r.errors, []);
  const [vary, req] = (r.file.items[0] as Block).items;
  assert.equal(vary.kind === 'vary' && vary.path.map((t) => t.text).join('.'), 'accelerator.ccm.units');
  assert.equal(req.kind === 'require' && req.op?.text, '<=');
});

test('recovery: a missing value does not swallow the next line', () => {
  const r = parse('lut {\n  centroids =\n  vector = 4\n}');
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].message, /expected a value/);
  const lut = r.file.items[0] as Block;
  assert.deepEqual(lut.items.map((i) => (i as Entry).key.text), ['centroids', 'vector']);
  assert.equal((lut.items[1] as Entry).value?.kind, 'number');
});

test('recovery: a half-typed key, garbage, an unclosed list and an unclosed block keep the tree', () => {
  const src = 'lut {\n  cent\n  vector = 4 ) )\n  metric = l2\n}\nmodel "m" {\n  keep = ["a", "b"\n  onnx = "x.onnx"\n  lutboost {\n';
  const r = parse(src);
  const msgs = r.errors.map((e) => e.message).join(' | ');
  assert.match(msgs, /expected '=' after 'cent'/);
  assert.match(msgs, /unexpected/);
  assert.match(msgs, /expected '\]'/);
  assert.match(msgs, /not closed/);
  const lut = r.file.items[0] as Block;
  assert.deepEqual(lut.items.map((i) => (i as Entry).key.text), ['cent', 'vector', 'metric']);
  const model = r.file.items[1] as Block;
  assert.deepEqual(model.items.map((i) => (i.kind === 'entry' ? i.key.text : i.kind === 'block' ? i.keyword.text : '?')), ['keep', 'onnx', 'lutboost']);
  for (const e of r.errors) assert.ok(e.start >= 0 && e.end <= src.length && e.start <= e.end);
});

test('recovery: a stray closing brace and unterminated string are errors, parsing goes on', () => {
  const r = parse('}\nlut { metric = "l2\n precision = int8 }');
  assert.ok(r.errors.some((e) => /unmatched '\}'/.test(e.message)));
  assert.ok(r.errors.some((e) => /unterminated string/.test(e.message)));
  const lut = r.file.items[0] as Block;
  assert.equal(lut.items.length, 2);
  assert.ok(lut.close);
});

test('empty and whitespace-only input', () => {
  assert.deepEqual(parse('').errors, []);
  assert.deepEqual(parse('  \n# only a comment\n').file.items, []);
});

test('deep nesting is an error, not a stack overflow', () => {
  const n = 100000;
  const blocks = parse('a {'.repeat(n) + '}'.repeat(n));
  assert.ok(blocks.errors.some((e) => /nested more than/.test(e.message)));
  const lists = parse('keep = ' + '['.repeat(n) + ']'.repeat(n) + '\nb = 1');
  assert.ok(lists.errors.some((e) => /nested more than/.test(e.message)));
  assert.equal(lists.file.items.length, 2);
  const unclosed = parse('a {'.repeat(n));
  assert.ok(unclosed.errors.length >= 1);
});
