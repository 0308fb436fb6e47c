import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFromWebview, parsePanelState, parseToWebview } from '../../src/protocol/messages';
import { reportKindOfFile, validateReport } from '../../src/protocol/reportShape';
import { conversionReport, explorationReport, simulationReport } from '../webview/fixtures';

test('the fixture reports validate', () => {
  for (const r of [conversionReport(), simulationReport(), explorationReport()]) assert.deepEqual(validateReport(r), { ok: true, value: r });
});

test('a broken report is refused with the path of the first wrong field', () => {
  const r = simulationReport() as unknown as { layers: Record<string, unknown>[] };
  r.layers[1].ccmCycles = 'x';
  const res = validateReport(r);
  assert.equal(res.ok, false);
  assert.match(!res.ok ? res.error : '', /^layers\[1\]\.ccmCycles: expected a finite number$/);
  assert.match(JSON.stringify(validateReport({ kind: 'conversion', version: 2 })), /version: expected 1/);
  assert.match(JSON.stringify(validateReport({ kind: 'other' })), /kind: expected one of conversion, simulation, exploration/);
  const e = explorationReport();
  e.points[1].id = e.points[0].id;
  assert.match(JSON.stringify(validateReport(e)), /duplicate point id/);
});

test('messages from the webview are checked', () => {
  assert.deepEqual(parseFromWebview({ messageId: 1, body: { type: 'ready' } }), { ok: true, value: { messageId: 1, body: { type: 'ready' } } });
  assert.equal(parseFromWebview({ messageId: 2, body: { type: 'applyPoint', pointId: 3 } }).ok, true);
  assert.equal(parseFromWebview({ messageId: 2, body: { type: 'applyPoint', pointId: '3' } }).ok, false);
  assert.equal(parseFromWebview({ messageId: 3, body: { type: 'export', format: 'png', name: 'a.png', data: 'javascript:alert(1)' } }).ok, false);
  assert.equal(parseFromWebview({ messageId: 3, body: { type: 'export', format: 'exe', name: 'a', data: '' } }).ok, false);
  assert.equal(parseFromWebview({ body: { type: 'ready' } }).ok, false);
  assert.equal(parseFromWebview(null).ok, false);
  assert.equal(parseFromWebview({ messageId: 4, body: { type: 'runShell', cmd: 'rm' } }).ok, false);
});

test('messages to the webview are checked, including the report', () => {
  const ok = parseToWebview({ messageId: 1, inReplyTo: 1, body: { type: 'load', report: conversionReport(), theme: 'dark' } });
  assert.equal(ok.ok, true);
  const bad = parseToWebview({ messageId: 1, body: { type: 'load', report: { kind: 'conversion', version: 1 } } });
  assert.match(!bad.ok ? bad.error : '', /^body\.report: model: expected a string$/);
});

test('saved panel state is checked before it is used', () => {
  const report = explorationReport();
  assert.equal(parsePanelState({ version: 1, report, ui: { selectedPoint: 4, xObjective: 'area' } })?.ui.selectedPoint, 4);
  assert.equal(parsePanelState({ version: 1, report: { kind: 'exploration' } }), undefined);
  assert.equal(parsePanelState('garbage'), undefined);
});

test('report kind from a file name', () => {
  assert.equal(reportKindOfFile('out/mnist.conversion.json'), 'conversion');
  assert.equal(reportKindOfFile('edge.Exploration.JSON'), 'exploration');
  assert.equal(reportKindOfFile('mnist.json'), undefined);
});
