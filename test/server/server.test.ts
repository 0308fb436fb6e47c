import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type Hover,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';

const ROOT = path.resolve(__dirname, '..', '..');
const SERVER = path.join(ROOT, 'dist', 'server.js');

test('the language server over stdio: diagnostics as you type, completion, hover, symbols', { skip: !existsSync(SERVER) && 'needs the build (dist/server.js)' }, async () => {
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const published: PublishDiagnosticsParams[] = [];
  const waiters: (() => void)[] = [];
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.push(p);
    waiters.splice(0).forEach((w) => w());
  });
  conn.onNotification('window/logMessage', () => undefined);
  conn.listen();
  const nextDiagnostics = (version: number): Promise<Diagnostic[]> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for version ${version}; server stderr: ${stderr}`)), 15000);
      const check = (): void => {
        const hit = published.find((p) => p.version === version);
        if (hit) {
          clearTimeout(timer);
          resolve(hit.diagnostics);
        } else waiters.push(check);
      };
      check();
    });
  try {
    const init = (await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} })) as { capabilities: Record<string, unknown> };
    assert.ok(init.capabilities.completionProvider && init.capabilities.hoverProvider && init.capabilities.documentFormattingProvider);
    await conn.sendNotification('initialized', {});

    const uri = pathToFileURL(path.join(ROOT, 'examples', 'live.lutdla')).toString();
    const text = 'accelerator "a" {\n  clock = 64KiB\n  \n}\n';
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'lutdla', version: 1, text } });
    const d1 = await nextDiagnostics(1);
    assert.equal(d1.length, 1);
    assert.match(d1[0].message, /clock takes a frequency/);
    assert.deepEqual(d1[0].range.start, { line: 1, character: 12 });

    // Fix the unit: the diagnostic goes away after the debounce.
    await conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 1, character: 12 }, end: { line: 1, character: 15 } }, text: 'MHz' }],
    });
    assert.deepEqual(await nextDiagnostics(2), []);

    const completion = (await conn.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 2, character: 2 } })) as CompletionItem[] | CompletionList;
    const items = Array.isArray(completion) ? completion : completion.items;
    const labels = items.map((i) => i.label);
    assert.ok(labels.includes('technology') && labels.includes('memory') && !labels.includes('clock'), labels.join(','));

    const h = (await conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 3 } })) as Hover;
    assert.match((h.contents as { value: string }).value, /Clock frequency/);

    const symbols = (await conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as { name: string }[];
    assert.equal(symbols[0].name, 'accelerator "a"');

    const edits = (await conn.sendRequest('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } })) as { newText: string }[];
    assert.equal(edits.length, 1);
    assert.equal(edits[0].newText, 'accelerator "a" {\n  clock = 64MHz\n}\n');
    const folds = (await conn.sendRequest('textDocument/foldingRange', { textDocument: { uri } })) as { startLine: number }[];
    assert.equal(folds[0].startLine, 0);

    // A watched file changed: the open documents are validated again.
    const before = published.length;
    await conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(path.join(ROOT, 'examples', 'x.onnx')).toString(), type: 1 }] });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no re-validation after a watched file changed')), 15000);
      const check = (): void => (published.length > before ? (clearTimeout(t), resolve()) : void waiters.push(check));
      check();
    });

    // A request for a document the server does not know is answered, not fatal.
    const none = await conn.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///nope.lutdla' }, position: { line: 0, character: 0 } });
    assert.equal(none, null);

    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
  } finally {
    conn.dispose();
    child.kill();
  }
});

test('the language server offers quick fixes for did-you-mean diagnostics', { skip: !existsSync(SERVER) && 'needs the build (dist/server.js)' }, async () => {
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  conn.onNotification('textDocument/publishDiagnostics', () => undefined);
  conn.listen();
  try {
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    await conn.sendNotification('initialized', {});
    const uri = 'untitled:fix.lutdla';
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'lutdla', version: 1, text: 'lut { centroids = 24 }\n' } });
    const range = { start: { line: 0, character: 18 }, end: { line: 0, character: 18 } };
    const actions = (await conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics: [] } })) as { title: string; edit: { changes: Record<string, { newText: string }[]> } }[];
    assert.deepEqual(actions.map((a) => a.title), ["Change to '16'", "Change to '32'"]);
    assert.equal(actions[0].edit.changes[uri][0].newText, '16');
    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
  } finally {
    conn.dispose();
    child.kill();
  }
});

test('the language server over node IPC (the transport the extension uses)', { skip: !existsSync(SERVER) && 'needs the build (dist/server.js)' }, async () => {
  const { fork } = await import('node:child_process');
  const { IPCMessageReader, IPCMessageWriter } = await import('vscode-languageserver/node');
  const child = fork(SERVER, ['--node-ipc'], { silent: true });
  const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  const got = new Promise<PublishDiagnosticsParams>((resolve) => conn.onNotification('textDocument/publishDiagnostics', resolve));
  conn.listen();
  try {
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    await conn.sendNotification('initialized', {});
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: 'untitled:ipc.lutdla', languageId: 'lutdla', version: 1, text: 'lut { vector = 4KiB }' } });
    const p = await got;
    assert.equal(p.diagnostics.length, 1);
    assert.match(p.diagnostics[0].message, /plain number/);
    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
  } finally {
    conn.dispose();
    child.kill();
  }
});
