import * as vscode from 'vscode';
import * as path from 'node:path';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Engine, type JobNotice } from './engine';
import { registerCommands } from './commands';
import { LutdlaTaskProvider, TASK_TYPE } from './jobs/taskProvider';
import { ConfigCodeLensProvider } from './codeLens';
import { registerPanels } from './reportPanels';
import { registerJobStatus } from './statusBar';

/**
 * The extension host stays thin: it starts the language server, registers commands, the task provider and the
 * report panels, and runs every job in an engine child process. Nothing heavy loads here (target < 150 ms).
 */

/** What activate() returns: used by the integration tests and open to other extensions. */
export interface LutdlaApi {
  /** Wall time of activate() itself, ms. */
  activationMs: number;
  onJobNotice: vscode.Event<JobNotice>;
  runningJobs(): number;
  cancelJobs(): number;
  /** Resolves when the language server is up (or rejects if it cannot start). */
  languageServerReady(): Promise<void>;
}

let client: LanguageClient | undefined;

/**
 * The language client (vscode-languageclient and the LSP protocol: most of the extension's code) is a bundle of
 * its own, dist/languageClient.js, loaded right after activate() returns, so activation stays fast.
 */
function loadLanguageClient(): typeof import('./languageClient') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(__dirname, 'languageClient.js')) as typeof import('./languageClient');
}

export function activate(context: vscode.ExtensionContext): LutdlaApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('LUT-DLA', { log: true });
  const engine = new Engine(context.extensionPath, log);
  context.subscriptions.push(log, engine);

  const clientStarted = new Promise<void>((resolve, reject) => setImmediate(() => {
    try {
      const t = performance.now();
      client = loadLanguageClient().startLanguageClient(context, log);
      log.info(`language client loaded in ${(performance.now() - t).toFixed(1)} ms`);
      resolve();
    } catch (e) {
      log.error(`language client failed to load: ${(e as Error).message}`);
      reject(e as Error);
    }
  }));
  clientStarted.catch(() => undefined);
  const panels = registerPanels(context, log);
  registerCommands(context, { engine, panels });
  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(TASK_TYPE, new LutdlaTaskProvider(engine)),
    vscode.languages.registerCodeLensProvider({ language: 'lutdla' }, new ConfigCodeLensProvider()),
    registerJobStatus(engine),
  );

  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms${vscode.workspace.isTrusted ? '' : ' (untrusted workspace: the engine will not run)'}`);
  return {
    activationMs,
    onJobNotice: engine.onNotice,
    runningJobs: () => engine.runningCount,
    cancelJobs: () => engine.cancelAll(),
    async languageServerReady() {
      await clientStarted;
      if (!client) throw new Error('the language server is not available (dist/server.js missing)');
      // start() was already called; a second call resolves with the same startup.
      if (!client.isRunning()) await client.start();
    },
  };
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop().catch(() => undefined);
}
