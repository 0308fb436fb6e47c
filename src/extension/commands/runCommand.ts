import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../engine';
import type { ReportPanels } from '../reportPanels';
import { settings } from '../settings';
import { runWithProgress } from '../jobs/progressAdapter';
import { expectedOutputs, jobTitle, reportFile, type JobSpec } from '../jobs/jobSpec';
import { JobRequestError, resolveJob, type JobRequest } from '../jobs/resolveJob';
import type { JobResult } from '../jobs/runJob';

/** Options a caller (a test, a CodeLens, another extension) can pass next to the job request. */
export interface RunOptions {
  /** Replace existing output files without asking. */
  overwrite?: boolean;
  /** Open the report panel afterwards (default true). */
  openReport?: boolean;
}

export interface Services {
  engine: Engine;
  panels: ReportPanels;
}

/** In an untrusted workspace nothing runs: say so once, clearly, with the way out. */
export function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    'LUT-DLA: this workspace is not trusted, so the engine does not run here (language features still work).',
    'Manage Workspace Trust',
  ).then((pick) => pick && vscode.commands.executeCommand('workbench.trust.manage'));
  return false;
}

/** The result a command returns when it did not run the engine at all. */
export function notRun(error: string): JobResult {
  return { status: 'failed', exitCode: null, files: [], error };
}

/**
 * A config with errors does not run: the user is shown the Problems panel. The file is saved first, since the
 * engine reads it from disk; diagnostics of a file the server has not seen yet are awaited briefly.
 */
export async function configErrors(configUri: vscode.Uri): Promise<number> {
  const wasOpen = vscode.workspace.textDocuments.some((d) => d.uri.toString() === configUri.toString());
  const doc = await vscode.workspace.openTextDocument(configUri);
  const edited = doc.isDirty;
  if (edited) await doc.save();
  // The server publishes (debounced) after it sees a document: wait for that unless it has seen this text already.
  if (!wasOpen || edited) await diagnosticsSettled(configUri, 1500);
  return vscode.languages.getDiagnostics(configUri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error).length;
}

function diagnosticsSettled(uri: vscode.Uri, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) done();
    });
    function done(): void {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    }
  });
}

/** Asks before replacing outputs; returns the spec to run (maybe with another folder) or undefined to stop. */
async function confirmOutputs(spec: JobSpec, overwrite: boolean | undefined): Promise<JobSpec | undefined> {
  let current = spec;
  for (;;) {
    const existing = expectedOutputs(current).filter((f) => fs.existsSync(f));
    if (!existing.length || overwrite) return current;
    const names = existing.map((f) => path.basename(f)).join(' and ');
    const pick = await vscode.window.showWarningMessage(
      `${names} already ${existing.length > 1 ? 'exist' : 'exists'} in ${current.out}. Replace?`,
      { modal: true },
      'Replace',
      'Choose Another Folder...',
    );
    if (pick === 'Replace') return current;
    if (pick !== 'Choose Another Folder...') return undefined;
    const folder = await vscode.window.showOpenDialog({
      canSelectFolders: true, canSelectFiles: false, canSelectMany: false,
      defaultUri: vscode.Uri.file(current.out), openLabel: 'Write Outputs Here',
    });
    if (!folder?.[0]) return undefined;
    current = { ...current, out: folder[0].fsPath };
  }
}

/** The folder request paths are relative to: the workspace folder of the file, else the file's folder. */
export function baseDirFor(file: string | undefined): string {
  if (file && path.isAbsolute(file)) {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    return folder ? folder.uri.fsPath : path.dirname(file);
  }
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
}

/**
 * The common path of every job command: trust, config errors, output check, the job under a progress
 * notification, then the report panel (or the error with a way to the log).
 */
export async function runJobRequest(services: Services, req: JobRequest, options: RunOptions = {}): Promise<JobResult> {
  if (!requireTrust()) return notRun('workspace not trusted');
  const anchor = req.config ?? req.model;
  const baseDir = baseDirFor(anchor);
  if (req.config) {
    const configPath = path.resolve(baseDir, req.config);
    const errors = await configErrors(vscode.Uri.file(configPath));
    if (errors > 0) {
      const msg = `${path.basename(configPath)} has ${errors} error${errors > 1 ? 's' : ''}; fix ${errors > 1 ? 'them' : 'it'} before running ${req.command}.`;
      void vscode.commands.executeCommand('workbench.actions.view.problems');
      void vscode.window.showErrorMessage(`LUT-DLA: ${msg}`);
      return notRun(msg);
    }
  }
  let spec: JobSpec;
  try {
    spec = resolveJob(req, baseDir, settings(anchor ? vscode.Uri.file(path.resolve(baseDir, anchor)) : undefined).outputFolder);
  } catch (e) {
    const msg = e instanceof JobRequestError ? e.message : (e as Error).message;
    void vscode.window.showErrorMessage(`LUT-DLA: ${msg}`);
    return notRun(msg);
  }
  const confirmed = await confirmOutputs(spec, options.overwrite);
  if (!confirmed) return notRun('cancelled: outputs exist');
  const result = await runWithProgress(services.engine, confirmed);
  const title = jobTitle(confirmed);
  if (result.status === 'ok') {
    const report = reportFile(result.files);
    if (report && options.openReport !== false) {
      try {
        await services.panels.open(vscode.Uri.file(report));
      } catch (e) {
        services.engine.log.error(`could not open the report ${report}: ${(e as Error).message}`);
      }
    } else if (!report) {
      void vscode.window.showInformationMessage(`LUT-DLA: ${title} done: ${result.files.map((f) => path.basename(f)).join(', ')}`);
    }
  } else if (result.status === 'cancelled') {
    void vscode.window.showInformationMessage(`LUT-DLA: ${title} cancelled; no output was written.`);
  } else {
    void vscode.window.showErrorMessage(`LUT-DLA: ${title} failed: ${result.error ?? 'see the log'}`, 'Show Log')
      .then((pick) => pick && services.engine.log.show(true));
  }
  return result;
}
