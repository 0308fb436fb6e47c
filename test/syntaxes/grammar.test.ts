import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

test('the TextMate grammar passes the grammar test files (vscode-tmgrammar-test)', () => {
  const bin = path.join(root, 'node_modules', 'vscode-tmgrammar-test', 'dist', 'unit.js');
  const r = spawnSync(process.execPath, [bin, '-g', 'syntaxes/lutdla.tmLanguage.json', 'test/syntaxes/*.lutdla'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /edge\.lutdla run successful/);
  assert.match(r.stdout, /datacenter\.lutdla run successful/);
});

test('the grammar test files track the examples (each example line they copy still exists)', () => {
  const example = readFileSync(path.join(root, 'examples', 'edge.lutdla'), 'utf8');
  for (const line of ['  technology = 28nm', '  onnx        = "mnist/mnist-cnn.onnx"', '  ccm { units = 8 }']) assert.ok(example.includes(line), line);
});

test('package.json contributes the language, grammar and snippets', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.contributes.languages.find((l: { id: string }) => l.id === 'lutdla').extensions[0], '.lutdla');
  assert.equal(pkg.contributes.grammars.find((g: { language: string }) => g.language === 'lutdla').scopeName, 'source.lutdla');
  const snippets = JSON.parse(readFileSync(path.join(root, 'snippets', 'lutdla.json'), 'utf8'));
  assert.ok(Object.keys(snippets).length >= 5);
});

test('every token of the examples gets a lutdla scope (nothing falls through the grammar)', async () => {
  // vscode-textmate and vscode-oniguruma come with vscode-tmgrammar-test.
  const oniguruma = await import('vscode-oniguruma');
  const textmate = await import('vscode-textmate');
  const wasm = readFileSync(path.join(root, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async () => textmate.parseRawGrammar(readFileSync(path.join(root, 'syntaxes', 'lutdla.tmLanguage.json'), 'utf8'), 'lutdla.tmLanguage.json'),
  });
  const grammar = await registry.loadGrammar('source.lutdla');
  assert.ok(grammar);
  for (const f of ['edge.lutdla', 'datacenter.lutdla']) {
    let state = textmate.INITIAL;
    const lines = readFileSync(path.join(root, 'examples', f), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const r = grammar.tokenizeLine(line, state);
      state = r.ruleStack;
      for (const t of r.tokens) {
        const text = line.slice(t.startIndex, t.endIndex);
        if (!text.trim()) continue;
        assert.ok(t.scopes.length > 1, `${f}:${i + 1}: '${text}' has no scope beyond source.lutdla`);
      }
    });
  }
});
