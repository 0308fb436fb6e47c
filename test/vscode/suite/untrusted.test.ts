/**
 * The extension in an untrusted workspace (restricted mode): it activates and the language features work, and no
 * command runs the engine.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LutdlaApi } from '../../../src/extension/main';
import type { JobResult } from '../../../src/extension/jobs/runJob';
import { BROKEN_LINE } from '../fixtures/constants';

const EXTENSION_ID = 'lutdla.lutdla-vscode';

function file(name: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test run opens the fixture workspace folder');
  return path.join(folder.uri.fsPath, name);
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('LUT-DLA extension in an untrusted workspace', () => {
  it('opens the workspace untrusted and still activates', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the runner opened the folder in restricted mode');
    const ext = vscode.extensions.getExtension<LutdlaApi>(EXTENSION_ID);
    assert.ok(ext);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file('tiny.lutdla')));
    await until('activation', () => ext.isActive);
  });

  it('shows diagnostics (language features work)', async () => {
    const ext = vscode.extensions.getExtension<LutdlaApi>(EXTENSION_ID);
    await ext?.exports.languageServerReady();
    const uri = vscode.Uri.file(file('broken.lutdla'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const errors = await until('an error diagnostic', () => {
      const d = vscode.languages.getDiagnostics(uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error);
      return d.length ? d : undefined;
    });
    assert.ok(errors.some((d) => d.range.start.line === BROKEN_LINE));
  });

  it('runs nothing: convert, simulate and explore refuse with a clear reason', async () => {
    const out = file('out-untrusted');
    const results = [
      await vscode.commands.executeCommand<JobResult>('lutdla.convert', { model: file('tiny.onnx'), calibration: file('tiny.npy'), out }),
      await vscode.commands.executeCommand<JobResult>('lutdla.simulate', { config: file('tiny.lutdla'), out }),
      await vscode.commands.executeCommand<JobResult>('lutdla.explore', { config: file('tiny.lutdla'), out }),
    ];
    for (const r of results) {
      assert.equal(r.status, 'failed');
      assert.equal(r.exitCode, null, 'the engine was not started');
      assert.match(r.error ?? '', /not trusted/);
    }
    assert.equal(fs.existsSync(out), false, 'nothing written');
  });
});
