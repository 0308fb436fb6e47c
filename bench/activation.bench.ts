/**
 * Extension activation time: a fresh Node process loads dist/extension.js and calls activate() with a stand-in
 * `vscode` module and a minimal extension context, as the extension host would. Cold processes, so the figure
 * includes parsing the bundle. The language client bundle, loaded on the next tick after activate(), is reported
 * apart. The integration suite also prints activate()'s own time inside VS Code.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reportFigure } from './report';

const root = path.resolve(__dirname, '..');
const bundle = path.join(root, 'dist', 'extension.js');

// Runs in the child: a `vscode` stand-in where every unknown member is a callable, constructible no-op, plus the
// few real pieces activation relies on (EventEmitter, Uri, configuration defaults, trust).
const NAMES = ('CancellationError CancellationTokenSource CodeAction CodeActionKind CodeLens CompletionItem CompletionItemKind ' +
  'CompletionList ConfigurationTarget CustomExecution Diagnostic DiagnosticRelatedInformation DiagnosticSeverity DiagnosticTag ' +
  'Disposable DocumentHighlight DocumentLink DocumentSymbol EndOfLine EventEmitter FileSystemError FileType FoldingRange ' +
  'FoldingRangeKind Hover InlayHint Location LogLevel MarkdownString NotebookCellKind NotebookRange ParameterInformation ' +
  'Position ProcessExecution ProgressLocation Range RelativePattern Selection SelectionRange SemanticTokens ' +
  'SemanticTokensLegend ShellExecution SignatureHelp SignatureInformation SnippetString StatusBarAlignment SymbolInformation ' +
  'SymbolKind TabInputCustom TabInputNotebook TabInputText TabInputTextDiff TabInputWebview Task TaskGroup TaskPanelKind ' +
  'TaskRevealKind TaskScope TextEdit ThemeIcon UIKind Uri ViewColumn WorkspaceEdit WorkspaceSymbol authentication commands ' +
  'debug env extensions l10n languages notebooks tasks version window workspace').split(' ');

const child = String.raw`
const Module = require('node:module');
const path = require('node:path');
const root = process.argv[2];
function stub(name) {
  const cache = new Map();
  const fn = function () {};
  return new Proxy(fn, {
    get(_t, prop) {
      if (prop === 'then') return undefined;
      if (prop === Symbol.toPrimitive) return () => name;
      if (prop === Symbol.iterator) return function* () {};
      if (!cache.has(prop)) cache.set(prop, stub(name + '.' + String(prop)));
      return cache.get(prop);
    },
    set(_t, prop, value) { cache.set(prop, value); return true; },
    apply() { return stub(name + '()'); },
    construct() { return stub('new ' + name); },
  });
}
class EventEmitter {
  constructor() { this.listeners = []; this.event = (l) => { this.listeners.push(l); return { dispose() {} }; }; }
  fire(e) { for (const l of this.listeners) l(e); }
  dispose() { this.listeners = []; }
}
const base = stub('vscode');
const real = {
  EventEmitter,
  Disposable: class { constructor(f) { this.f = f; } dispose() { this.f && this.f(); } static from() { return { dispose() {} }; } },
  Uri: { file: (p) => ({ scheme: 'file', fsPath: p, path: p, toString: () => 'file://' + p }), parse: (s) => ({ toString: () => s }) },
  workspace: new Proxy({ isTrusted: true, workspaceFolders: [], getConfiguration: () => ({ get: (_k, d) => d }) }, {
    get: (t, p) => (p in t ? t[p] : base.workspace[p]),
  }),
  version: '1.100.3',
};
// A plain object with every name the bundle (and vscode-languageclient) reads: bundlers copy own keys of a module.
const names = ${JSON.stringify(NAMES)};
const own = {};
for (const n of names) own[n] = n in real ? real[n] : base[n];
const vscode = new Proxy(own, { get: (t, p) => (p in t ? t[p] : base[p]) });
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest); };
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };
const t0 = performance.now();
const ext = require(path.join(root, 'dist', 'extension.js'));
const t1 = performance.now();
const context = { subscriptions: [], extensionPath: root, asAbsolutePath: (p) => path.join(root, p), globalState: stub('globalState'), workspaceState: stub('workspaceState') };
ext.activate(context);
const t2 = performance.now();
// activate() loads the language client bundle on the next turn of the event loop; time that too.
setImmediate(() => {
  const t3 = performance.now();
  process.stdout.write(JSON.stringify({ load: t1 - t0, activate: t2 - t1, client: t3 - t2 }) + '\n');
  process.exit(0);
});
`;

function main(): void {
  if (!fs.existsSync(bundle)) {
    console.error('dist/extension.js missing: run npm run build');
    process.exit(1);
  }
  const runs: { load: number; activate: number; client: number }[] = [];
  // A script file, as the extension host loads a file (`node -e` compiles and times differently).
  const script = path.join(os.tmpdir(), `lutdla-activation-${process.pid}.js`);
  fs.writeFileSync(script, child);
  process.on('exit', () => fs.rmSync(script, { force: true }));
  for (let i = 0; i < 9; i++) {
    const r = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    try {
      runs.push(JSON.parse(line) as { load: number; activate: number; client: number });
    } catch {
      console.error(`activation run failed (exit ${r.status}):\n${r.stderr}`);
      process.exit(1);
    }
  }
  runs.splice(0, 1); // the first run warms the OS file cache
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const load = median(runs.map((r) => r.load));
  const activate = median(runs.map((r) => r.activate));
  const total = median(runs.map((r) => r.load + r.activate));
  const kib = fs.statSync(bundle).size / 1024;
  reportFigure(`extension activation: load bundle (${kib.toFixed(0)} KiB)`, load, 'ms', 'part of < 150 ms', load < 150);
  reportFigure('extension activation: activate()', activate, 'ms', 'part of < 150 ms', activate < 150);
  reportFigure('extension activation: load + activate (cold process)', total, 'ms', '< 150 ms', total < 150);
  const client = median(runs.map((r) => r.client));
  reportFigure('language client load + start, right after activation', client, 'ms', '(not part of activation)', true);
}

main();
