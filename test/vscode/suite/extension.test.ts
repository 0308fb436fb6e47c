/**
 * The extension in a real VS Code, on the fixture workspace of test/vscode/fixtures/makeWorkspace.ts:
 * activation, language server diagnostics and completion, the convert command (outputs and report panel),
 * cancellation, a config with errors, and the task provider.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LutdlaApi } from '../../../src/extension/main';
import type { JobResult } from '../../../src/extension/jobs/runJob';
import { BROKEN_LINE, COMPLETION_POSITION } from '../fixtures/constants';
import { record } from './index';

const EXTENSION_ID = 'lutdla.lutdla-vscode';

function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test run opens the fixture workspace folder');
  return folder.uri.fsPath;
}

const file = (name: string): string => path.join(workspaceDir(), name);

/** Polls `probe` until it returns a truthy value; fails with `what` after `timeoutMs`. */
async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function api(): Promise<LutdlaApi> {
  const ext = vscode.extensions.getExtension<LutdlaApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed in the test host`);
  return ext.isActive ? ext.exports : ext.activate();
}

function filesIn(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

function reportTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && /lutdla/i.test(t.input.viewType));
}

describe('LUT-DLA extension', () => {
  it('activates when a .lutdla file opens', async () => {
    const ext = vscode.extensions.getExtension<LutdlaApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed in the test host`);
    const doc = await vscode.workspace.openTextDocument(file('tiny.lutdla'));
    assert.equal(doc.languageId, 'lutdla');
    await vscode.window.showTextDocument(doc);
    await until('activation', () => ext.isActive);
    record({ type: 'log', message: `activation: activate() took ${ext.exports.activationMs.toFixed(1)} ms inside VS Code` });
  });

  it('shows a diagnostic for a config with an error', async () => {
    await (await api()).languageServerReady();
    const uri = vscode.Uri.file(file('broken.lutdla'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const errors = await until('an error diagnostic on broken.lutdla', () => {
      const d = vscode.languages.getDiagnostics(uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error);
      return d.length ? d : undefined;
    });
    assert.ok(errors.some((d) => d.range.start.line === BROKEN_LINE),
      `an error on line ${BROKEN_LINE + 1}; got ${errors.map((d) => `${d.range.start.line + 1}: ${d.message}`).join('; ')}`);
  });

  it('completes a key valid at the cursor', async () => {
    await (await api()).languageServerReady();
    const uri = vscode.Uri.file(file('completion.lutdla'));
    await vscode.workspace.openTextDocument(uri);
    const pos = new vscode.Position(COMPLETION_POSITION.line, COMPLETION_POSITION.character);
    const labels = await until('completion items', async () => {
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, pos);
      const l = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
      return l.length ? l : undefined;
    });
    assert.ok(labels.includes('vector'), `'vector' offered inside lut { }; got ${labels.join(', ')}`);
    assert.ok(!labels.includes('centroids'), 'a key already present is not offered again');
  });

  it('does not run a config with errors, and shows why', async () => {
    const result = await vscode.commands.executeCommand<JobResult>('lutdla.convert', { config: file('broken.lutdla') });
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /error/);
    assert.equal(result.exitCode, null, 'the engine was not started');
  });

  it('converts a model: LUT model and report written, report panel opened', async () => {
    await api();
    const out = file('out-convert');
    const result = await vscode.commands.executeCommand<JobResult>('lutdla.convert', {
      model: file('tiny.onnx'), calibration: file('tiny.npy'), centroids: 4, vector: 2, metric: 'l2', precision: 'int8', out,
    });
    assert.equal(result.status, 'ok', `conversion failed: ${result.error}`);
    assert.ok(fs.existsSync(path.join(out, 'tiny.lut.onnx')), `tiny.lut.onnx written; ${out} holds ${filesIn(out).join(', ')}`);
    const reportPath = path.join(out, 'tiny.conversion.json');
    assert.ok(fs.existsSync(reportPath), 'tiny.conversion.json written');
    const report = JSON.parse(fs.readFileSync(reportPath, 'utf8')) as { kind: string };
    assert.equal(report.kind, 'conversion');
    await until('the conversion report panel', () => reportTabs().length > 0, 20_000);
  });

  it('leaves no output when a conversion is cancelled', async () => {
    const lutdla = await api();
    const out = file('out-cancelled');
    let cancelled = false;
    const sub = lutdla.onJobNotice((n) => {
      // Cancel in the middle of the work: once the engine reports progress on a layer (not before it started).
      if (!cancelled && n.event.type === 'progress' && n.event.layer) {
        cancelled = true;
        void vscode.commands.executeCommand('lutdla.cancelJobs');
      }
    });
    try {
      const result = await vscode.commands.executeCommand<JobResult>('lutdla.convert', {
        model: file('medium.onnx'), calibration: file('medium.npy'), centroids: 16, vector: 2, out, openReport: false,
      });
      assert.ok(cancelled, 'the engine reported progress on a layer before finishing');
      assert.equal(result.status, 'cancelled', `expected a cancelled job, got ${result.status} ${result.error ?? ''}`);
      assert.deepEqual(filesIn(out), [], 'nothing written, not even temporary files');
      assert.equal(lutdla.runningJobs(), 0);
    } finally {
      sub.dispose();
    }
  });

  it('provides lutdla tasks for the workspace configs', async () => {
    await api();
    const tasks = await vscode.tasks.fetchTasks({ type: 'lutdla' });
    const commands = tasks.map((t) => `${t.definition.command} ${t.definition.config ?? ''} ${t.definition.modelName ?? ''}`.trim());
    for (const expected of ['convert tiny.lutdla tiny', 'simulate tiny.lutdla tiny', 'explore tiny.lutdla']) {
      assert.ok(commands.includes(expected), `task '${expected}' listed; got ${commands.join('; ')}`);
    }
    const provided = tasks.filter((t) => t.definition.config === 'tiny.lutdla');
    assert.ok(provided.every((t) => t.source === 'lutdla' && t.execution instanceof vscode.CustomExecution), 'provided tasks run in a pseudoterminal');
  });

  it('runs a lutdla task in the terminal: exit code 0 and the outputs written', async () => {
    await api();
    const tasks = await vscode.tasks.fetchTasks({ type: 'lutdla' });
    const task = tasks.find((t) => t.definition.command === 'convert' && t.definition.config === 'tiny.lutdla');
    assert.ok(task, 'the convert task of tiny.lutdla');
    const exitCode = new Promise<number | undefined>((resolve) => {
      const subs = [
        vscode.tasks.onDidEndTaskProcess((e) => {
          if (e.execution.task.definition.command === 'convert') {
            subs.forEach((s) => s.dispose());
            resolve(e.exitCode);
          }
        }),
      ];
    });
    await vscode.tasks.executeTask(task);
    const code = await Promise.race([exitCode, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 90_000))]);
    assert.equal(code, 0, `the task ended with ${code}`);
    assert.ok(fs.existsSync(file('tiny.lut.onnx')), `tiny.lut.onnx written next to the model; folder holds ${filesIn(workspaceDir()).join(', ')}`);
    assert.ok(fs.existsSync(file('tiny.conversion.json')));
  });

  it('runs a tasks.json task whose engine error becomes a Problems entry', async () => {
    await api();
    const tasks = await vscode.tasks.fetchTasks({ type: 'lutdla' });
    const task = tasks.find((t) => t.name === 'convert garbage');
    assert.ok(task, `the tasks.json task; got ${tasks.map((t) => t.name).join('; ')}`);
    const ended = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name === 'convert garbage') {
          sub.dispose();
          resolve(e.exitCode);
        }
      });
    });
    await vscode.tasks.executeTask(task);
    const code = await Promise.race([ended, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
    assert.equal(code, 1, 'the engine fails on a file that is not a model');
    const uri = vscode.Uri.file(file('garbage.onnx'));
    const problems = await until('a Problems entry on garbage.onnx', () => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.length ? d : undefined;
    }, 15_000);
    assert.equal(problems[0].severity, vscode.DiagnosticSeverity.Error);
  });

  it('converts from the explorer menu, answering the quick picks with their defaults', async () => {
    await api();
    const model = vscode.Uri.file(file(path.join('picked', 'picked.onnx')));
    const running = vscode.commands.executeCommand<JobResult>('lutdla.convertModel', model);
    // Quick picks: [config "tiny", Choose settings...] -> settings; c, v, metric, precision defaults;
    // calibration: the data file next to the model (listed first); evaluation: None. Each step waits for its pick.
    const steps = ['workbench.action.quickOpenSelectNext', 'workbench.action.acceptSelectedQuickOpenItem',
      ...Array<string>(6).fill('workbench.action.acceptSelectedQuickOpenItem')];
    for (const step of steps) {
      await new Promise((r) => setTimeout(r, 800));
      await vscode.commands.executeCommand(step);
    }
    const result = await running;
    assert.equal(result.status, 'ok', `conversion failed: ${result.error}`);
    const out = path.dirname(model.fsPath);
    assert.ok(fs.existsSync(path.join(out, 'picked.lut.onnx')), `written next to the model; folder holds ${filesIn(out).join(', ')}`);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'picked.conversion.json'), 'utf8')) as { config: { centroids: number; vector: number } };
    assert.deepEqual([report.config.centroids, report.config.vector], [16, 4], 'the default c and v');
  });

  it('simulates and explores from a config', async () => {
    await api();
    const config = file('tiny.lutdla');
    const sim = await vscode.commands.executeCommand<JobResult>('lutdla.simulate', { config, modelName: 'tiny', out: file('out-sim'), openReport: false });
    assert.equal(sim.status, 'ok', `simulate failed: ${sim.error}`);
    assert.ok(sim.files.some((f) => f.endsWith('.simulation.json') && fs.existsSync(f)), `a simulation report; got ${sim.files.join(', ')}`);
    const exp = await vscode.commands.executeCommand<JobResult>('lutdla.explore', { config, out: file('out-explore'), openReport: false });
    assert.equal(exp.status, 'ok', `explore failed: ${exp.error}`);
    assert.ok(fs.existsSync(file(path.join('out-explore', 'tiny.exploration.json'))), `an exploration report; got ${exp.files.join(', ')}`);
    // Open Report: each report file in the panel of its kind.
    const simReport = sim.files.find((f) => f.endsWith('.simulation.json')) ?? '';
    const reports: [string, string][] = [[simReport, 'simulationReport'], [file(path.join('out-explore', 'tiny.exploration.json')), 'explorationReport']];
    for (const [report, viewType] of reports) {
      await vscode.commands.executeCommand('lutdla.openReport', vscode.Uri.file(report));
      await until(`the ${viewType} panel`, () => reportTabs().some((t) => (t.input as vscode.TabInputWebview).viewType.includes(viewType)), 20_000);
    }
  });

  it('writes into the lutdla.output.folder setting, relative to the model', async () => {
    const settings = vscode.workspace.getConfiguration('lutdla');
    await settings.update('output.folder', 'lut-out', vscode.ConfigurationTarget.Workspace);
    try {
      const result = await vscode.commands.executeCommand<JobResult>('lutdla.convert', {
        model: file('tiny.onnx'), settings: { calibration: file('tiny.npy'), centroids: 4, vector: 2 }, openReport: false,
      });
      assert.equal(result.status, 'ok', `conversion failed: ${result.error}`);
      assert.deepEqual(result.files.map((f) => path.relative(workspaceDir(), f)).sort(), [path.join('lut-out', 'tiny.conversion.json'), path.join('lut-out', 'tiny.lut.onnx')]);
    } finally {
      await settings.update('output.folder', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('shows Convert / Simulate / Explore CodeLenses over the config blocks', async () => {
    await api();
    const uri = vscode.Uri.file(file('tiny.lutdla'));
    const lenses = await until('code lenses', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      return l.length ? l : undefined;
    });
    const byCommand = lenses.map((l) => `${l.command?.command}@${l.range.start.line}`);
    for (const expected of ['lutdla.convert', 'lutdla.simulate', 'lutdla.explore']) {
      assert.ok(byCommand.some((c) => c.startsWith(`${expected}@`)), `a ${expected} lens; got ${byCommand.join(', ')}`);
    }
    const convert = lenses.find((l) => l.command?.command === 'lutdla.convert');
    assert.deepEqual(convert?.command?.arguments, [{ config: uri.fsPath, modelName: 'tiny' }]);
  });

  it('terminating a running task cancels the job and leaves no output', async () => {
    const lutdla = await api();
    const task = (await vscode.tasks.fetchTasks({ type: 'lutdla' })).find((t) => t.name === 'convert medium');
    assert.ok(task, 'the tasks.json task "convert medium"');
    const ended = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name === 'convert medium') {
          sub.dispose();
          resolve(e.exitCode);
        }
      });
    });
    let execution: vscode.TaskExecution | undefined;
    let terminated = false;
    const sub = lutdla.onJobNotice((n) => {
      if (!terminated && execution && n.event.type === 'progress' && n.event.layer) {
        terminated = true;
        execution.terminate();
      }
    });
    try {
      execution = await vscode.tasks.executeTask(task);
      const code = await Promise.race([ended, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 90_000))]);
      assert.ok(terminated, 'the task was terminated while the engine worked on a layer');
      assert.notEqual(code, 0, `a terminated task does not succeed (exit ${code})`);
      await until('the engine to stop', () => lutdla.runningJobs() === 0, 10_000);
      assert.deepEqual(filesIn(file('out-task-cancel')), [], 'nothing written, not even temporary files');
    } finally {
      sub.dispose();
    }
  });
});
