import * as vscode from 'vscode';
import * as fs from 'node:fs';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

/**
 * Starts the .lutdla language server (dist/server.js) in its own Node process over IPC. Started, not awaited:
 * activation returns at once and diagnostics arrive when the server is up. Runs in untrusted workspaces too
 * (the server only reads text).
 */
export function startLanguageClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): LanguageClient | undefined {
  const module = context.asAbsolutePath('dist/server.js');
  if (!fs.existsSync(module)) {
    log.error(`language server missing: ${module} (run npm run build)`);
    return undefined;
  }
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'lutdla', scheme: 'file' }, { language: 'lutdla', scheme: 'untitled' }],
    outputChannelName: 'LUT-DLA Language Server',
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{lutdla,onnx,npz,npy}') },
  };
  const client = new LanguageClient('lutdla', 'LUT-DLA Language Server', serverOptions, clientOptions);
  client.start().catch((e: unknown) => log.error(`language server failed to start: ${(e as Error).message}`));
  return client;
}
