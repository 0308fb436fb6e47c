import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyze, formatText } from '../../src/dsl';
import { complete } from '../../src/dsl/service/completion';
import { hover } from '../../src/dsl/service/hover';
import { documentSymbols } from '../../src/dsl/service/symbols';
import { foldingRanges } from '../../src/dsl/service/folding';
import { EXAMPLES } from './helpers';

/** mulberry32: a small seeded PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = ['{', '}', '[', ']', '=', '"', ',', ':', '/', '.', '<=', '#', '\n', ' ', 'lut', 'accelerator', 'model', 'explore', 'vary', 'require', 'range', 'layer "x"', '16', '0:10', '1/255', '64KiB', '500MHz', '-1e9', 'l2', 'true', '"a.onnx"', '"../x"', '\u00e9', '\t', '\0', '\ud83d\ude00', '99999999999999999999999'];

function mutate(src: string, rnd: () => number): string {
  let s = src;
  const ops = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < ops; k++) {
    const i = Math.floor(rnd() * (s.length + 1));
    const j = Math.min(s.length, i + Math.floor(rnd() * 40));
    switch (Math.floor(rnd() * 6)) {
      case 0: s = s.slice(0, i) + s.slice(j); break; // delete
      case 1: s = s.slice(0, i) + s.slice(i, j) + s.slice(i); break; // duplicate
      case 2: s = s.slice(0, i) + String.fromCharCode(Math.floor(rnd() * 128)) + s.slice(i); break; // random char
      case 3: s = s.slice(0, i) + TOKENS[Math.floor(rnd() * TOKENS.length)] + s.slice(i); break; // token
      case 4: s = s.slice(0, i); break; // truncate
      default: s = s.slice(0, i) + s.slice(j, j + 20) + s.slice(i, j) + s.slice(j + 20); // swap
    }
  }
  return s;
}

test('fuzz: 10,000 mutated examples never throw and every diagnostic lies inside the document', () => {
  const sources = ['edge.lutdla', 'datacenter.lutdla'].map((f) => readFileSync(path.join(EXAMPLES, f), 'utf8'));
  const rnd = prng(20251125);
  const N = 10000;
  for (let n = 0; n < N; n++) {
    const text = mutate(sources[n % sources.length], rnd);
    const lines = text.split('\n');
    const inside = (p: { line: number; character: number }): boolean =>
      p.line >= 0 && p.line < lines.length && p.character >= 0 && p.character <= lines[p.line].length;
    let a;
    try {
      a = analyze(text, path.join(EXAMPLES, 'fuzz.lutdla'));
    } catch (err) {
      assert.fail(`input #${n} threw ${(err as Error).stack}\n---\n${text}`);
    }
    for (const d of a.diagnostics) {
      assert.ok(inside(d.range.start) && inside(d.range.end), `input #${n}: range ${JSON.stringify(d.range)} outside the document`);
      assert.ok(d.range.start.line < d.range.end.line || (d.range.start.line === d.range.end.line && d.range.start.character <= d.range.end.character), `input #${n}: inverted range`);
      assert.ok(d.message.length > 0);
    }
    // The editor features run on the same broken inputs (a sample, to keep the test short).
    if (n % 10 === 0) {
      const pos = { line: Math.floor(rnd() * lines.length), character: Math.floor(rnd() * 30) };
      complete(a, pos);
      hover(a, pos);
      documentSymbols(a);
      foldingRanges(a);
      const f = formatText(text);
      if (f !== undefined) assert.equal(formatText(f), f, `input #${n}: formatting is not idempotent`);
    }
  }
});
