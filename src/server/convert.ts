/** Language-service results -> LSP types. */
import {
  CompletionItemKind,
  DiagnosticSeverity,
  InsertTextFormat,
  MarkupKind,
  SymbolKind,
  type CompletionItem as LspCompletionItem,
  type Diagnostic,
  type DocumentSymbol as LspSymbol,
} from 'vscode-languageserver/node';
import type { CompletionItem, ConfigDiagnostic, DocumentSymbol } from '../dsl';

export function toLspDiagnostic(d: ConfigDiagnostic): Diagnostic {
  const severity = d.severity === 'error' ? DiagnosticSeverity.Error : d.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information;
  return { range: d.range, severity, message: d.message, code: d.code, source: 'lutdla' };
}

const COMPLETION_KINDS: Record<CompletionItem['kind'], CompletionItemKind> = {
  property: CompletionItemKind.Property,
  block: CompletionItemKind.Module,
  value: CompletionItemKind.Value,
  enum: CompletionItemKind.EnumMember,
  unit: CompletionItemKind.Unit,
  snippet: CompletionItemKind.Snippet,
  keyword: CompletionItemKind.Keyword,
  reference: CompletionItemKind.Reference,
  file: CompletionItemKind.File,
};

export function toLspCompletion(c: CompletionItem): LspCompletionItem {
  const newText = c.insertText ?? c.label;
  return {
    label: c.label,
    kind: COMPLETION_KINDS[c.kind],
    detail: c.detail,
    documentation: c.documentation ? { kind: MarkupKind.Markdown, value: c.documentation } : undefined,
    insertTextFormat: c.isSnippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
    ...(c.range ? { textEdit: { range: c.range, newText } } : { insertText: newText }),
    sortText: c.sortText,
    filterText: c.filterText,
  };
}

const SYMBOL_KINDS: Record<DocumentSymbol['kind'], SymbolKind> = {
  namespace: SymbolKind.Namespace,
  object: SymbolKind.Object,
  property: SymbolKind.Property,
  event: SymbolKind.Event,
  array: SymbolKind.Array,
};

export function toLspSymbol(s: DocumentSymbol): LspSymbol {
  return { name: s.name || '?', detail: s.detail, kind: SYMBOL_KINDS[s.kind], range: s.range, selectionRange: s.selectionRange, children: s.children.map(toLspSymbol) };
}
