import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { embedJson, renderStandaloneHtml, writeHtmlReport } from '../../src/reports/html';
import { evilConversionReport, simulationReport } from '../webview/fixtures';

const ASSETS = { bundleJs: 'console.log("</script><!-- x");\n//# sourceMappingURL=webview.js.map\n', css: 'body { color: red; } /* </style> */' };

test('the standalone page embeds the report so no text of it can end the script element', () => {
  const html = renderStandaloneHtml(evilConversionReport(), ASSETS);
  const json = /<script type="application\/json" id="lutdla-report">([\s\S]*?)<\/script>/.exec(html)![1];
  assert.ok(!json.includes('<'), 'a < survived in the embedded JSON');
  assert.deepEqual(JSON.parse(json), evilConversionReport());
  assert.equal(embedJson({ a: '</script>' }), '{"a":"\\u003c/script>"}');
});

test('the standalone page has a strict CSP: scripts by nonce, the style by hash, no network', async () => {
  const html = renderStandaloneHtml(simulationReport(), ASSETS);
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1];
  assert.match(csp, /^default-src 'none'; /);
  assert.ok(!/unsafe|https?:/.test(csp));
  assert.equal((html.match(new RegExp(`<script nonce="${nonce}">`, 'g')) ?? []).length, 2);
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
  const { createHash } = await import('node:crypto');
  assert.ok(csp.includes(`'sha256-${createHash('sha256').update(style).digest('base64')}'`));
  assert.ok(!html.includes('sourceMappingURL'));
  assert.ok(html.includes('<\\/script><\\!-- x'));
  assert.ok(!/<\/style>[\s\S]*<\/style>/.test(html.replace(/<style>[\s\S]*?<\/style>/, '')));
});

test('writeHtmlReport reads a report file, refuses a broken one naming it, and leaves no partial file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lutdla-html-'));
  try {
    const good = path.join(dir, 'm.simulation.json');
    writeFileSync(good, JSON.stringify(simulationReport()));
    const out = writeHtmlReport(good, path.join(dir, 'm.simulation.html'), ASSETS);
    assert.ok(readFileSync(out, 'utf8').startsWith('<!DOCTYPE html>'));
    const bad = path.join(dir, 'b.conversion.json');
    writeFileSync(bad, JSON.stringify({ kind: 'conversion', version: 1, model: 3 }));
    assert.throws(() => writeHtmlReport(bad, path.join(dir, 'b.html'), ASSETS), (e: Error) => e.message.includes(bad) && e.message.includes('model: expected a string'));
    writeFileSync(bad, '{ not json');
    assert.throws(() => writeHtmlReport(bad, path.join(dir, 'b.html'), ASSETS), /not a readable JSON report/);
    assert.ok(!existsSync(path.join(dir, 'b.html')));
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('partial')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
