import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lex } from '../../src/dsl/lexer';

const kinds = (s: string): string[] => lex(s).tokens.map((t) => t.kind);

test('numbers carry their unit in the same token', () => {
  const t = lex('clock = 0.5GHz  dram = 12.8GB/s  e = 4pJ/bit  p = 1%  x = 1e-3 y = -2').tokens;
  const nums = t.filter((x) => x.kind === 'number').map((x) => [x.value, x.unit]);
  assert.deepEqual(nums, [[0.5, 'GHz'], [12.8, 'GB/s'], [4, 'pJ/bit'], [1, '%'], [0.001, ''], [-2, '']]);
});

test('punctuation, ranges, fractions, comparisons', () => {
  assert.deepEqual(kinds('a = 0:1000'), ['ident', 'eq', 'number', 'colon', 'number', 'eof']);
  assert.deepEqual(kinds('s = 1/255'), ['ident', 'eq', 'number', 'slash', 'number', 'eof']);
  assert.deepEqual(kinds('require area <= 2mm2'), ['ident', 'ident', 'op', 'number', 'eof']);
  assert.deepEqual(kinds('vary a.b = [1, 2]'), ['ident', 'ident', 'dot', 'ident', 'eq', 'lbracket', 'number', 'comma', 'number', 'rbracket', 'eof']);
});

test('strings decode escapes; an unterminated string stops at the line end', () => {
  const t = lex('"a\\"b" "open\nx').tokens;
  assert.equal(t[0].str, 'a"b');
  assert.equal(t[1].unterminated, true);
  assert.equal(t[1].str, 'open');
  assert.equal(t[2].text, 'x');
  assert.equal(t[2].newlineBefore, true);
});

test('comments (# and //) are kept apart from the tokens', () => {
  const r = lex('a = 1 # one\n// two\nb = 2');
  assert.deepEqual(r.comments.map((c) => c.text), ['# one', '// two']);
  assert.deepEqual(r.tokens.map((t) => t.text), ['a', '=', '1', 'b', '=', '2', '']);
});

test('unreadable characters become one error token per run', () => {
  const t = lex('a = @@@ $').tokens;
  assert.deepEqual(t.filter((x) => x.kind === 'error').map((x) => x.text), ['@@@', '$']);
});

test('offsets cover the text exactly', () => {
  const s = 'lut {\n  centroids = 16 # c\n}';
  for (const t of lex(s).tokens) assert.equal(s.slice(t.start, t.end), t.text);
});
