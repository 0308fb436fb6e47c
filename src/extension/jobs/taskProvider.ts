import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Engine } from '../engine';
import { formatProgress, locateError } from './format';
import { settings } from '../settings';
import { scanConfig } from '../configScan';
import { jobTitle, primaryFile, type JobSpec } from './jobSpec';
import { JobRequestError, resolveJob, type JobRequest } from './resolveJob';
import type { JobEvent } from './runJob';

export const TASK_TYPE = 'lutdla';

/** A `lutdla` entry of tasks.json (schema in package.json contributes.taskDefinitions). */
export interface LutdlaTaskDefinition extends vscode.TaskDefinition, JobRequest {
  type: typeof TASK_TYPE;
}

/**
 * Task type `lutdla`: convert, simulate and explore jobs in "Run Task", writable in tasks.json, streaming the
 * engine's log to the terminal panel. The execution is a Pseudoterminal over the shared job runner: closing the
 * terminal (or "Terminate Task") cancels the job. Engine errors are printed as `FILE:LINE:COL: error: MSG`, which
 * the `$lutdla` problem matcher turns into Problems entries.
 */
export class LutdlaTaskProvider implements vscode.TaskProvider {
  constructor(private readonly engine: Engine) {}

  async provideTasks(token: vscode.CancellationToken): Promise<vscode.Task[]> {
    const tasks: vscode.Task[] = [];
    const configs = await vscode.workspace.findFiles('**/*.lutdla', '**/node_modules/**', 50, token);
    configs.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
    for (const uri of configs) {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (!folder) continue;
      let text: string;
      try {
        text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      } catch {
        continue;
      }
      const rel = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
      const blocks = scanConfig(text);
      for (const b of blocks) {
        if (b.kind === 'model') {
          tasks.push(this.makeTask(folder, { type: TASK_TYPE, command: 'convert', config: rel, modelName: b.name }));
          tasks.push(this.makeTask(folder, { type: TASK_TYPE, command: 'simulate', config: rel, modelName: b.name }));
        } else if (b.kind === 'explore') {
          tasks.push(this.makeTask(folder, { type: TASK_TYPE, command: 'explore', config: rel }));
        }
      }
    }
    return tasks;
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as LutdlaTaskDefinition;
    if (def.type !== TASK_TYPE || !def.command) return undefined;
    const folder = task.scope && typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    // The definition must stay the same object so VS Code matches the resolved task to its tasks.json entry.
    return this.makeTask(folder, def, task.name);
  }

  private makeTask(folder: vscode.WorkspaceFolder, def: LutdlaTaskDefinition, name?: string): vscode.Task {
    const label = name ?? taskLabel(def);
    const execution = new vscode.CustomExecution(async (resolved) =>
      new JobTerminal(this.engine, resolved as LutdlaTaskDefinition, folder.uri.fsPath));
    const task = new vscode.Task(def, folder, label, TASK_TYPE, execution, ['$lutdla']);
    task.group = def.command === 'convert' ? vscode.TaskGroup.Build : undefined;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return task;
  }
}

function taskLabel(def: LutdlaTaskDefinition): string {
  const what = def.modelName ? `${def.config} (${def.modelName})` : def.config ?? def.model ?? '';
  return `${def.command} ${what}`.trim();
}

/** Terminal lines need \r\n; a lone \n would leave the cursor in its column. */
function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

class JobTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly cancel = new vscode.CancellationTokenSource();
  private spec: JobSpec | undefined;
  private sawError = false;

  constructor(private readonly engine: Engine, private readonly def: LutdlaTaskDefinition, private readonly baseDir: string) {}

  /**
   * Ends the task a moment after the last write: the terminal parses written text asynchronously, and the problem
   * matcher only sees lines the terminal has processed before the task ends.
   */
  private finish(code: number): void {
    setTimeout(() => this.closeEmitter.fire(code), 250);
  }

  private line(text: string): void {
    this.writeEmitter.fire(crlf(text) + '\r\n');
  }

  /** The job starts only once the terminal is open, so nothing written before is lost. */
  open(): void {
    void this.start();
  }

  close(): void {
    this.cancel.cancel();
  }

  private async start(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      this.line('LUT-DLA runs the engine only in a trusted workspace (Manage Workspace Trust to allow it).');
      this.finish(1);
      return;
    }
    try {
      this.spec = resolveJob(this.def, this.baseDir, settings(vscode.Uri.file(this.baseDir)).outputFolder);
    } catch (e) {
      const msg = e instanceof JobRequestError ? e.message : String(e);
      const where = this.def.config ?? this.def.model;
      this.line(where ? `${path.resolve(this.baseDir, where.replace(/\$\{workspaceFolder\}/g, this.baseDir))}:1:1: error: ${msg}` : `error: ${msg}`);
      this.finish(1);
      return;
    }
    const spec = this.spec;
    this.line(`\x1b[1m${jobTitle(spec)}\x1b[0m`);
    const result = await this.engine.run(spec, (event) => this.show(event), this.cancel.token);
    if (result.status === 'ok') {
      for (const f of result.files) this.line(`wrote ${f}`);
      this.finish(0);
    } else if (result.status === 'cancelled') {
      this.line('cancelled: no output written');
      this.finish(130);
    } else {
      if (result.error && !this.sawError) this.line(this.located(result.error));
      this.finish(result.exitCode ?? 1);
    }
  }

  private show(event: JobEvent): void {
    switch (event.type) {
      case 'progress':
        this.line(formatProgress(event));
        break;
      case 'log':
        this.line(event.level === 'info' ? event.message : event.level === 'error' ? this.located(event.message) : `warning: ${event.message}`);
        break;
      case 'error':
        this.sawError = true;
        this.line(this.located(event.message));
        break;
      case 'stderr':
        this.line(event.message);
        break;
      case 'result':
        break;
    }
  }

  private located(message: string): string {
    return locateError(message, this.spec ? primaryFile(this.spec) : undefined);
  }
}
