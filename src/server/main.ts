/**
 * The `.lutdla` language server: a thin LSP adapter over the language service in src/dsl. Diagnostics are
 * pushed ~300 ms after the last change; every request handler is guarded so a failure in one is logged and
 * answered with an empty result, never taking the server down.
 */
import { pathToFileURL, fileURLToPath } from 'node:url';
import {
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  MarkupKind,
  CodeActionKind,
  type CodeAction,
  type CancellationToken,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { LanguageService, type TextDocumentLike } from '../dsl';
import { toLspCompletion, toLspDiagnostic, toLspSymbol } from './convert';

const DEBOUNCE_MS = 300;

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const service = new LanguageService();
const timers = new Map<string, NodeJS.Timeout>();

function filePathOf(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

function like(doc: TextDocument): TextDocumentLike {
  return { uri: doc.uri, version: doc.version, text: doc.getText(), filePath: filePathOf(doc.uri) };
}

/** Runs a handler; on an exception or a cancelled request, logs and returns `fallback`. */
function guard<T>(name: string, fallback: T, token: CancellationToken | undefined, fn: () => T): T {
  if (token?.isCancellationRequested) return fallback;
  try {
    return fn();
  } catch (err) {
    connection.console.error(`lutdla ${name} failed: ${(err as Error).stack ?? String(err)}`);
    return fallback;
  }
}

function withDoc<T>(uri: string, fallback: T, name: string, token: CancellationToken | undefined, fn: (d: TextDocumentLike) => T): T {
  const doc = documents.get(uri);
  if (!doc) return fallback;
  return guard(name, fallback, token, () => fn(like(doc)));
}

function validateNow(uri: string): void {
  timers.delete(uri);
  const doc = documents.get(uri);
  if (!doc) return;
  const diagnostics = guard('validation', [], undefined, () => service.validate(like(doc)).map(toLspDiagnostic));
  connection.sendDiagnostics({ uri, version: doc.version, diagnostics }).catch((err: unknown) => connection.console.error(String(err)));
}

function scheduleValidation(uri: string, delay = DEBOUNCE_MS): void {
  const old = timers.get(uri);
  if (old) clearTimeout(old);
  timers.set(uri, setTimeout(() => validateNow(uri), delay));
}

connection.onInitialize((): InitializeResult => ({
  capabilities: {
    textDocumentSync: TextDocumentSyncKind.Incremental,
    completionProvider: { triggerCharacters: ['.', '"', '/', '=', '['], resolveProvider: false },
    hoverProvider: true,
    documentSymbolProvider: true,
    documentFormattingProvider: true,
    foldingRangeProvider: true,
    documentLinkProvider: { resolveProvider: false },
    definitionProvider: true,
    codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
  },
  serverInfo: { name: 'lutdla-language-server', version: '0.1.0' },
}));

documents.onDidOpen((e) => scheduleValidation(e.document.uri, 0));
documents.onDidChangeContent((e) => scheduleValidation(e.document.uri));
documents.onDidClose((e) => {
  const t = timers.get(e.document.uri);
  if (t) clearTimeout(t);
  timers.delete(e.document.uri);
  service.forget(e.document.uri);
  connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }).catch(() => undefined);
});

// A data or model file appeared or vanished (e.g. `npm run demo` created it): paths are re-checked, so the
// analyses cached per version are dropped and every open config is validated again.
connection.onDidChangeWatchedFiles(() => {
  for (const doc of documents.all()) {
    service.forget(doc.uri);
    scheduleValidation(doc.uri);
  }
});

connection.onCompletion((p, token) =>
  withDoc(p.textDocument.uri, [], 'completion', token, (d) => service.complete(d, p.position).map(toLspCompletion)),
);
connection.onHover((p, token) =>
  withDoc(p.textDocument.uri, null, 'hover', token, (d) => {
    const h = service.hover(d, p.position);
    return h ? { contents: { kind: MarkupKind.Markdown, value: h.contents }, range: h.range } : null;
  }),
);
connection.onDocumentSymbol((p, token) => withDoc(p.textDocument.uri, [], 'symbols', token, (d) => service.symbols(d).map(toLspSymbol)));
connection.onDocumentFormatting((p, token) => withDoc(p.textDocument.uri, [], 'formatting', token, (d) => service.format(d, p.options)));
connection.onFoldingRanges((p, token) => withDoc(p.textDocument.uri, [], 'folding', token, (d) => service.folding(d)));
connection.onDefinition((p, token) =>
  withDoc(p.textDocument.uri, null, 'definition', token, (d) => {
    const def = service.definition(d, p.position);
    if (!def) return null;
    return { uri: def.file ? pathToFileURL(def.file).toString() : p.textDocument.uri, range: def.range };
  }),
);
// Quick fixes come from the cached analysis (not from diagnostic data), so they match the current text.
connection.onCodeAction((p, token) =>
  withDoc(p.textDocument.uri, [], 'code actions', token, (d) => {
    const actions: CodeAction[] = [];
    const before = (a: { line: number; character: number }, b: { line: number; character: number }): boolean => a.line < b.line || (a.line === b.line && a.character <= b.character);
    for (const diag of service.validate(d)) {
      if (!diag.fixes || !before(diag.range.start, p.range.end) || !before(p.range.start, diag.range.end)) continue;
      diag.fixes.forEach((f, i) => {
        actions.push({
          title: f.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [toLspDiagnostic(diag)],
          isPreferred: i === 0,
          edit: { changes: { [p.textDocument.uri]: [{ range: f.range, newText: f.newText }] } },
        });
      });
    }
    return actions;
  }),
);
connection.onDocumentLinks((p, token) =>
  withDoc(p.textDocument.uri, [], 'links', token, (d) =>
    service.links(d).map((l) => ({ range: l.range, target: pathToFileURL(l.target).toString(), tooltip: l.tooltip })),
  ),
);

// A bug in one request must not end the process that serves every open config.
process.on('uncaughtException', (err) => connection.console.error(`lutdla server: uncaught ${err.stack ?? String(err)}`));
process.on('unhandledRejection', (err) => connection.console.error(`lutdla server: unhandled ${String(err)}`));

documents.listen(connection);
connection.listen();
