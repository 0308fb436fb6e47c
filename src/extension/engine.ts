import * as vscode from 'vscode';
import * as path from 'node:path';
import { runJob, type CancelToken, type JobEvent, type JobResult } from './jobs/runJob';
import { cliArgs, jobTitle, primaryFile, type JobSpec } from './jobs/jobSpec';
import { settings } from './settings';
import { formatProgress } from './jobs/format';

export { formatProgress };

/** Something that started a job and what it reported, for the log and for tests (through the extension's API). */
export interface JobNotice {
  id: number;
  title: string;
  event: JobEvent | { type: 'start'; args: string[] } | { type: 'end'; result: JobResult };
}

/**
 * The engine as the extension sees it: one place that turns a JobSpec into a CLI child process, with the user's
 * settings applied, every event mirrored to the output channel, and a registry of running jobs so they can be
 * cancelled together. The progress notification and the task provider are thin adapters over `run`.
 */
export class Engine implements vscode.Disposable {
  private nextId = 1;
  private readonly running = new Map<number, vscode.CancellationTokenSource>();
  private readonly notices = new vscode.EventEmitter<JobNotice>();
  readonly onNotice = this.notices.event;

  constructor(private readonly extensionPath: string, readonly log: vscode.LogOutputChannel) {}

  get cliPath(): string {
    return path.join(this.extensionPath, 'dist', 'cli.js');
  }

  /** Runs one job; `report` sees every event; `token` cancels (SIGTERM to the engine, which removes its outputs). */
  async run(spec: JobSpec, report?: (event: JobEvent) => void, token?: vscode.CancellationToken): Promise<JobResult> {
    const id = this.nextId++;
    const title = jobTitle(spec);
    const source = new vscode.CancellationTokenSource();
    const sub = token?.onCancellationRequested(() => source.cancel());
    if (token?.isCancellationRequested) source.cancel();
    this.running.set(id, source);
    const cfg = settings();
    const args = cliArgs(spec);
    // explore takes its worker count as an option; every engine also sees LUTDLA_WORKERS.
    if (spec.command === 'explore' && cfg.workers > 0) args.push('--workers', String(cfg.workers));
    this.log.info(`[${title}] lutdla ${args.map(quoteArg).join(' ')}`);
    this.notices.fire({ id, title, event: { type: 'start', args } });
    try {
      const result = await runJob(args, {
        cliPath: this.cliPath,
        nodePath: cfg.nodePath || undefined,
        cwd: path.dirname(primaryFile(spec) ?? spec.out),
        env: cfg.workers > 0 ? { LUTDLA_WORKERS: String(cfg.workers) } : {},
        token: source.token as CancelToken,
        report: (event) => {
          this.logEvent(title, event);
          this.notices.fire({ id, title, event });
          report?.(event);
        },
      });
      if (result.status === 'ok') this.log.info(`[${title}] done: ${result.files.join(', ')}`);
      else if (result.status === 'cancelled') this.log.info(`[${title}] cancelled`);
      else this.log.error(`[${title}] failed: ${result.error ?? `exit ${result.exitCode}`}`);
      this.notices.fire({ id, title, event: { type: 'end', result } });
      return result;
    } finally {
      sub?.dispose();
      source.dispose();
      this.running.delete(id);
    }
  }

  /** Cancels every running job; returns how many there were. */
  cancelAll(): number {
    const n = this.running.size;
    for (const s of this.running.values()) s.cancel();
    return n;
  }

  get runningCount(): number {
    return this.running.size;
  }

  private logEvent(title: string, event: JobEvent): void {
    switch (event.type) {
      case 'progress':
        this.log.info(`[${title}] ${formatProgress(event)}`);
        break;
      case 'log':
        if (event.level === 'error') this.log.error(`[${title}] ${event.message}`);
        else if (event.level === 'warning') this.log.warn(`[${title}] ${event.message}`);
        else this.log.info(`[${title}] ${event.message}`);
        break;
      case 'error':
        this.log.error(`[${title}] ${event.message}`);
        break;
      case 'stderr':
        this.log.info(`[${title}] ${event.message}`);
        break;
      case 'result':
        break;
    }
  }

  dispose(): void {
    this.cancelAll();
    this.notices.dispose();
  }
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a);
}
