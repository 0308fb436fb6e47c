import { spawn } from 'node:child_process';
import type { EngineEvent } from '../../cli/events';

/**
 * The one job core shared by the progress notification and the task provider: spawns the engine CLI
 * (`node dist/cli.js ARGS --progress=json`), parses its NDJSON event stream and reports each event.
 * Host-agnostic (no `vscode` import), so it is unit-tested in plain Node.
 */

/** The part of vscode.CancellationToken the runner needs (an AbortSignal adapts easily too). */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/** What a job reports while it runs: the engine's own events, plus stderr lines it did not structure. */
export type JobEvent = EngineEvent | { type: 'stderr'; message: string };

export interface JobOptions {
  /** Path of the engine bundle (dist/cli.js). */
  cliPath: string;
  /** The Node binary that runs it; defaults to the current one (the extension host is plain Node). */
  nodePath?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  report?: (event: JobEvent) => void;
  token?: CancelToken;
  /** Grace period after SIGTERM before SIGKILL, ms. */
  killAfterMs?: number;
}

export interface JobResult {
  /** 'ok' exit 0; 'cancelled' by the token (or exit 130); 'failed' otherwise. */
  status: 'ok' | 'failed' | 'cancelled';
  exitCode: number | null;
  files: string[];
  summary?: Record<string, unknown>;
  /** The engine's error message (or the last stderr lines) when failed. */
  error?: string;
}

export const CANCELLED_EXIT_CODE = 130;

/** Parses one stdout line; non-JSON lines (a stray console.log in the engine) become info logs, never a crash. */
export function parseEventLine(line: string): EngineEvent | undefined {
  const text = line.trim();
  if (!text) return undefined;
  if (text.startsWith('{')) {
    try {
      const value = JSON.parse(text) as { type?: unknown };
      if (value && typeof value === 'object' && typeof value.type === 'string' &&
        ['progress', 'log', 'result', 'error'].includes(value.type)) {
        return value as EngineEvent;
      }
    } catch {
      // Fall through: shown as plain text.
    }
  }
  return { type: 'log', level: 'info', message: text };
}

/** Splits a byte stream into lines, keeping the unfinished tail for the next chunk. */
function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let tail = '';
  return {
    push(chunk) {
      tail += chunk;
      let i: number;
      while ((i = tail.indexOf('\n')) >= 0) {
        onLine(tail.slice(0, i).replace(/\r$/, ''));
        tail = tail.slice(i + 1);
      }
    },
    end() {
      if (tail) onLine(tail);
      tail = '';
    },
  };
}

export function runJob(args: readonly string[], options: JobOptions): Promise<JobResult> {
  const report = options.report ?? (() => undefined);
  if (options.token?.isCancellationRequested) {
    return Promise.resolve({ status: 'cancelled', exitCode: null, files: [] });
  }
  return new Promise<JobResult>((resolve) => {
    const argv = [options.cliPath, ...args];
    if (!args.some((a) => a.startsWith('--progress'))) argv.push('--progress=json');
    const child = spawn(options.nodePath ?? process.execPath, argv, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let files: string[] = [];
    let summary: Record<string, unknown> | undefined;
    let error: string | undefined;
    const stderrTail: string[] = [];
    let cancelled = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;

    const out = lineSplitter((line) => {
      const event = parseEventLine(line);
      if (!event) return;
      if (event.type === 'result') {
        files = event.files;
        summary = event.summary;
      } else if (event.type === 'error') {
        error = event.message;
      }
      report(event);
    });
    const err = lineSplitter((line) => {
      if (!line.trim()) return;
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      report({ type: 'stderr', message: line });
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => err.push(d));

    const cancelSub = options.token?.onCancellationRequested(() => {
      if (settled || cancelled) return;
      cancelled = true;
      // SIGTERM lets the engine abort and remove its temporary outputs; SIGKILL only if it does not exit.
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 5000);
    });

    const finish = (result: JobResult): void => {
      if (settled) return;
      settled = true;
      if (killTimer) clearTimeout(killTimer);
      cancelSub?.dispose();
      resolve(result);
    };

    child.on('error', (e) => {
      finish({ status: 'failed', exitCode: null, files: [], error: `could not start the engine (${options.nodePath ?? process.execPath}): ${e.message}` });
    });
    child.on('close', (code, signal) => {
      out.end();
      err.end();
      if (cancelled || code === CANCELLED_EXIT_CODE) {
        finish({ status: 'cancelled', exitCode: code, files: [] });
      } else if (code === 0) {
        finish({ status: 'ok', exitCode: 0, files, summary });
      } else {
        const detail = error ?? (stderrTail.length ? stderrTail.join('\n') : `the engine exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
        finish({ status: 'failed', exitCode: code, files: [], error: detail });
      }
    });
  });
}
