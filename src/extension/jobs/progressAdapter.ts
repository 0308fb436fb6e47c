import * as vscode from 'vscode';
import type { Engine } from '../engine';
import { formatProgress } from './format';
import { jobTitle, type JobSpec } from './jobSpec';
import type { JobResult } from './runJob';

/**
 * Runs a job under a cancellable progress notification that shows the engine's stage, layer and the stage's
 * percentage. The bar stays indeterminate: the engine's fractions are per stage (they restart at each layer), and
 * a notification bar can only move forward. The Cancel button cancels the job (the engine leaves no output).
 */
export function runWithProgress(engine: Engine, spec: JobSpec): Thenable<JobResult> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `LUT-DLA: ${jobTitle(spec)}`, cancellable: true },
    (progress, token) =>
      engine.run(spec, (event) => {
        if (event.type === 'progress') progress.report({ message: formatProgress(event) });
      }, token),
  );
}
