import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LanguageService, formatText, type CompletionItem } from '../../src/dsl';
import { cursor, posOf, EXAMPLES } from './helpers';

const ls = new LanguageService();
let version = 0;
const doc = (text: string, filePath = '') => ({ uri: `mem://${++version}`, version: 1, text, filePath });
const labels = (items: CompletionItem[]): string[] => items.map((i) => i.label);
const completeAt = (src: string, filePath = ''): CompletionItem[] => {
  const { text, pos } = cursor(src);
  return ls.complete(doc(text, filePath), pos);
};

test('completion: keys of the block at the cursor, without those present', () => {
  const items = completeAt('lut {\n  centroids = 16\n  |\n}');
  assert.deepEqual(labels(items), ['vector', 'metric', 'precision']);
  const metric = items.find((i) => i.label === 'metric')!;
  assert.equal(metric.isSnippet, true);
  assert.match(metric.insertText!, /^metric = \$\{1\|l2,l1,chebyshev\|\}$/);
  assert.match(metric.documentation!, /Similarity metric/);
});

test('completion: nested blocks and keys in accelerator, a half-typed key replaces its word', () => {
  const items = completeAt('accelerator "a" {\n  clock = 1GHz\n  mem|\n}');
  const l = labels(items);
  assert.ok(l.includes('technology') && l.includes('memory') && l.includes('ccm') && l.includes('fifo'));
  assert.ok(!l.includes('clock'));
  const mem = items.find((i) => i.label === 'memory')!;
  assert.deepEqual(mem.range, { start: { line: 2, character: 2 }, end: { line: 2, character: 5 } });
});

test('completion: top-level blocks, with lut and explore offered once', () => {
  assert.deepEqual(labels(completeAt('|')), ['lut', 'accelerator', 'model', 'explore']);
  assert.deepEqual(labels(completeAt('lut {}\nexplore {}\n|')), ['accelerator', 'model']);
  const acc = completeAt('|').find((i) => i.label === 'accelerator')!;
  assert.match(acc.insertText!, /accelerator "\$\{1:name\}" \{\n\ttechnology = \$\{\d+:28nm\}/);
  assert.match(acc.insertText!, /\tccm \{ units = \$\{\d+:8\} \}/);
});

test('completion: enum values after =, and in a list without those already listed', () => {
  assert.deepEqual(labels(completeAt('lut { metric = | }')), ['l2', 'l1', 'chebyshev']);
  assert.deepEqual(labels(completeAt('lut { precision = in| }')), ['int4', 'int8', 'fp16', 'bf16']);
  assert.deepEqual(labels(completeAt('model "m" { lutboost { stages = [kmeans, tables, |] } }')), ['centroids', 'finetune', 'quantize']);
  assert.deepEqual(labels(completeAt('explore { minimize = [latency, |')), ['area', 'energy', 'power', 'accuracy_drop']);
  assert.deepEqual(labels(completeAt('model "m" { layer "x" { keep = | } }')), ['true', 'false']);
});

test('completion: units after a number, of the field\'s dimension', () => {
  assert.deepEqual(labels(completeAt('accelerator "a" { clock = 500| }')), ['Hz', 'kHz', 'MHz', 'GHz']);
  const mem = completeAt('accelerator "a" { memory { lut = 128K| } }');
  assert.ok(labels(mem).includes('KiB') && labels(mem).includes('KB') && !labels(mem).includes('MHz'));
  assert.deepEqual(mem[0].range, { start: { line: 0, character: 36 }, end: { line: 0, character: 37 } });
  assert.deepEqual(labels(completeAt('lut { centroids = 16| }')), []);
  assert.ok(labels(completeAt('explore { require area <= 2| }')).includes('mm2'));
});

test('completion: vary paths, require metrics and operators, references', () => {
  const paths = labels(completeAt('explore {\n  vary accelerator.c|\n}'));
  assert.ok(paths.includes('accelerator.ccm.units') && paths.includes('lut.centroids') && paths.includes('accelerator.memory.dram'));
  assert.deepEqual(labels(completeAt('explore {\n  require |\n}')), ['latency', 'area', 'energy', 'power', 'accuracy_drop']);
  assert.deepEqual(labels(completeAt('explore {\n  require area |\n}')), ['<=', '<', '>=', '>']);
  assert.deepEqual(labels(completeAt('accelerator "edge" {}\naccelerator "big" {}\nexplore { accelerator = | }')), ['"edge"', '"big"']);
  assert.deepEqual(labels(completeAt('explore {\n  vary lut.metric = [|]\n}')), ['l2', 'l1', 'chebyshev']);
});

test('completion: explore offers vary and require; nothing inside comments', () => {
  const l = labels(completeAt('explore {\n  |\n}'));
  assert.deepEqual(l, ['accelerator', 'model', 'minimize', 'vary', 'require']);
  assert.deepEqual(completeAt('lut { # metr| \n}'), []);
});

test('completion works in a half-typed, broken file', () => {
  // The value of clock is missing and the block is not closed: keys are still offered, clock is not.
  const l = labels(completeAt('accelerator "a" {\n  clock = \n  ccm { units = 8 }\n  |'));
  assert.ok(l.includes('technology') && l.includes('imm') && !l.includes('clock') && !l.includes('ccm'));
  // Inside the unclosed ccm block, its own keys.
  assert.deepEqual(labels(completeAt('accelerator "a" {\n  ccm { |\n')), ['units']);
  const deep = labels(completeAt('model "m" {\n  lutboost {\n    iterations = 20\n    |\n'));
  assert.ok(deep.includes('stages') && deep.includes('seed') && !deep.includes('iterations'));
});

test('completion: file names inside a path string', () => {
  const file = path.join(EXAMPLES, 'x.lutdla');
  const l = labels(completeAt('model "m" { onnx = "|" }', file));
  assert.ok(l.includes('edge.lutdla') && l.includes('README.md'));
  assert.deepEqual(completeAt('model "m" { onnx = "../|" }', file), []);
});

test('hover: key description with unit, default and range; values; block; path segment', () => {
  const text = readFileSync(path.join(EXAMPLES, 'edge.lutdla'), 'utf8');
  const d = doc(text, path.join(EXAMPLES, 'edge.lutdla'));
  const h = ls.hover(d, posOf(text, 'clock      = 500MHz', 1))!;
  assert.match(h.contents, /\*\*clock\*\*/);
  assert.match(h.contents, /Unit: Hz/);
  assert.match(h.contents, /Default: `500MHz`/);
  assert.match(h.contents, /Range: > 0 Hz/);
  assert.match(ls.hover(d, posOf(text, '500MHz', 2))!.contents, /`500MHz` = 500000000 Hz/);
  assert.match(ls.hover(d, posOf(text, '= l2', 3))!.contents, /\*\*l2\*\*: Euclidean/);
  assert.match(ls.hover(d, posOf(text, 'ccm {', 1))!.contents, /Centroid computation module/);
  assert.match(ls.hover(d, posOf(text, 'ccm.units', 5))!.contents, /\*\*units\*\*/);
  assert.match(ls.hover(d, posOf(text, 'area <=', 1))!.contents, /Silicon area/);
  assert.match(ls.hover(d, posOf(text, 'mnist-cnn.onnx', 1))!.contents, /examples\/mnist\/mnist-cnn\.onnx`/);
  const t2 = 'model "m" { onnx = "nothing/here.onnx" }';
  assert.match(ls.hover(doc(t2, path.join(EXAMPLES, 'x.lutdla')), posOf(t2, 'here'))!.contents, /nothing\/here\.onnx` \(does not exist yet\)/);
  assert.equal(ls.hover(d, posOf(text, '# How activations', 3)), null);
});

test('document symbols: the outline of blocks and keys', () => {
  const text = readFileSync(path.join(EXAMPLES, 'edge.lutdla'), 'utf8');
  const s = ls.symbols(doc(text));
  assert.deepEqual(s.map((x) => x.name), ['lut', 'accelerator "edge-28nm"', 'model "mnist"', 'explore']);
  const acc = s[1];
  assert.deepEqual(acc.children.map((c) => c.name), ['technology', 'clock', 'ccm', 'imm', 'fifo', 'memory']);
  assert.equal(acc.children[1].detail, '500MHz');
  assert.ok(s[3].children.some((c) => c.name === 'vary accelerator.ccm.units'));
});

test('formatting: re-indents and spaces tokens; idempotent; the examples are already formatted', () => {
  const messy = 'lut{centroids=16\n      vector   = 4\n}\n\n\n\naccelerator "a"{\nmemory{lut=[1,2 ,3]}   # c\nscale=1 / 255\n  }\n';
  const once = formatText(messy)!;
  assert.equal(once, 'lut { centroids = 16\n  vector   = 4\n}\n\naccelerator "a" {\n  memory { lut = [1, 2, 3] }   # c\n  scale = 1/255\n}\n');
  assert.equal(formatText(once), once);
  for (const f of ['edge.lutdla', 'datacenter.lutdla']) {
    const t = readFileSync(path.join(EXAMPLES, f), 'utf8');
    assert.equal(formatText(t), t, f);
    assert.deepEqual(ls.format(doc(t)), []);
  }
  assert.equal(formatText('a = "open'), undefined);
  const edits = ls.format(doc('lut{ }'));
  assert.equal(edits[0].newText, 'lut { }\n');
});

test('folding: multi-line blocks and lists, and comment runs', () => {
  const text = '# a\n# b\nlut {\n  centroids = 16\n}\nmodel "m" {\n  keep = [\n    "a",\n  ]\n}';
  const f = ls.folding(doc(text));
  assert.deepEqual(f, [
    { startLine: 0, endLine: 1, kind: 'comment' },
    { startLine: 2, endLine: 3 },
    { startLine: 5, endLine: 8 },
    { startLine: 6, endLine: 7 },
  ]);
});

test('document links: paths link to files inside the config folder only', () => {
  const file = path.join(EXAMPLES, 'x.lutdla');
  const text = 'model "m" {\n  onnx = "mnist/m.onnx"\n  labels = "../outside.npy"\n}';
  const links = ls.links(doc(text, file));
  assert.equal(links.length, 1);
  assert.equal(links[0].target, path.join(EXAMPLES, 'mnist', 'm.onnx'));
  assert.deepEqual(links[0].range, { start: { line: 1, character: 10 }, end: { line: 1, character: 22 } });
});

test('the analysis is cached per document version', () => {
  const d = doc('lut { centroids = 16 }');
  const a1 = ls.analyze(d);
  assert.equal(ls.analyze({ ...d }), a1);
  assert.notEqual(ls.analyze({ ...d, version: 2, text: 'lut { }' }), a1);
});

test('completion: renaming the key of an existing entry inserts the name only', () => {
  const items = completeAt('lut { vec| = 4 }');
  const v = items.find((i) => i.label === 'vector')!;
  assert.equal(v.insertText, 'vector');
  assert.equal(v.isSnippet, false);
  assert.deepEqual(v.range, { start: { line: 0, character: 6 }, end: { line: 0, character: 9 } });
});

test('go to definition: a path names its file, an explore reference names its block', () => {
  const file = path.join(EXAMPLES, 'x.lutdla');
  const text = 'accelerator "edge" {}\nmodel "m" { onnx = "mnist/m.onnx" }\nexplore { accelerator = "edge" }';
  const d = doc(text, file);
  assert.equal(ls.definition(d, posOf(text, 'm.onnx'))!.file, path.join(EXAMPLES, 'mnist', 'm.onnx'));
  const ref = ls.definition(d, posOf(text, '"edge" }', 2))!;
  assert.equal(ref.file, undefined);
  assert.deepEqual(ref.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 18 } });
  assert.equal(ls.definition(d, posOf(text, 'model')), null);
});

test('completion right after a typed = inserts a space before the value', () => {
  const items = completeAt('lut { metric =| }');
  assert.deepEqual(items.map((i) => i.insertText), [' l2', ' l1', ' chebyshev']);
  assert.deepEqual(completeAt('lut { metric = | }').map((i) => i.insertText), ['l2', 'l1', 'chebyshev']);
});

test('completion after a data path offers the range clause', () => {
  assert.deepEqual(labels(completeAt('model "m" {\n  calibration = "d.npy" |\n}')), ['range']);
  assert.deepEqual(labels(completeAt('model "m" {\n  calibration = "d.npy" ra|\n}')), ['range']);
});
