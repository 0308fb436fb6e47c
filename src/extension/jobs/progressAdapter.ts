import * as vscode from 'vscode';
import { formatProgress, type Engine } from '../engine';
import { jobTitle, type JobSpec } from './jobSpec';
import type { JobResult } from './runJob';

/**
 * Runs a job under a cancellable progress notification that shows the engine's stage and layer.
 * The notification's Cancel button cancels the job (SIGTERM; the engine leaves no partial output).
 */
export function runWithProgress(engine: Engine, spec: JobSpec): Thenable<JobResult> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `LUT-DLA: ${jobTitle(spec)}`, cancellable: true },
    (progress, token) => {
      let shown = 0; // the notification's bar only moves forward: report increments of the engine's fraction
      return engine.run(spec, (event) => {
        if (event.type !== 'progress') return;
        const step: { message: string; increment?: number } = { message: formatProgress(event) };
        if (event.fraction !== undefined && Number.isFinite(event.fraction)) {
          const target = Math.max(0, Math.min(100, event.fraction * 100));
          if (target > shown) {
            step.increment = target - shown;
            shown = target;
          }
        }
        progress.report(step);
      }, token);
    },
  );
}
