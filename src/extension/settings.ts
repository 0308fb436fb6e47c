import * as vscode from 'vscode';

/** The extension's settings (package.json contributes.configuration), read fresh for each job. */
export interface LutdlaSettings {
  /** Engine worker threads, passed as LUTDLA_WORKERS; 0 lets the engine choose. */
  workers: number;
  /** Default output folder, relative to the model's (or config's) folder; empty = next to it. */
  outputFolder: string;
  /** Node binary for the engine; empty = the extension host's own Node. */
  nodePath: string;
}

export function settings(scope?: vscode.Uri): LutdlaSettings {
  const c = vscode.workspace.getConfiguration('lutdla', scope);
  const workers = c.get<number>('engine.workers', 0);
  return {
    workers: Number.isInteger(workers) && workers > 0 ? workers : 0,
    outputFolder: c.get<string>('output.folder', '') ?? '',
    nodePath: c.get<string>('engine.nodePath', '') ?? '',
  };
}
