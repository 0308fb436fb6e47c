/**
 * The `.lutdla` language service: pure functions over a cached analysis of each document version. The
 * language server is a thin LSP adapter over this class; tests and benchmarks call it directly.
 */
import { analyze, type Analysis } from '../load';
import type { ConfigDiagnostic } from '../diagnostics';
import type { Position } from '../positions';
import { complete } from './completion';
import { documentSymbols } from './symbols';
import { foldingRanges } from './folding';
import { formatText } from './format';
import { hover } from './hover';
import { documentLinks } from './links';
import { definition, type Definition } from './definition';
import type { CompletionItem, DocumentLink, DocumentSymbol, FoldingRange, FormattingOptions, Hover, TextDocumentLike, TextEdit } from './types';

export class LanguageService {
  private readonly cache = new Map<string, { version: number; text: string; analysis: Analysis }>();
  constructor(private readonly maxCached = 32) {}

  /** The analysis of this version of the document, computed once. */
  analyze(doc: TextDocumentLike): Analysis {
    const hit = this.cache.get(doc.uri);
    if (hit && hit.version === doc.version && hit.text === doc.text) return hit.analysis;
    const analysis = analyze(doc.text, doc.filePath ?? '');
    this.cache.delete(doc.uri);
    this.cache.set(doc.uri, { version: doc.version, text: doc.text, analysis });
    // Evict the least recently analysed documents (a Map iterates in insertion order).
    while (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value as string);
    return analysis;
  }

  forget(uri: string): void {
    this.cache.delete(uri);
  }

  validate(doc: TextDocumentLike): ConfigDiagnostic[] {
    return this.analyze(doc).diagnostics;
  }

  complete(doc: TextDocumentLike, pos: Position): CompletionItem[] {
    return complete(this.analyze(doc), pos);
  }

  hover(doc: TextDocumentLike, pos: Position): Hover | null {
    return hover(this.analyze(doc), pos);
  }

  symbols(doc: TextDocumentLike): DocumentSymbol[] {
    return documentSymbols(this.analyze(doc));
  }

  folding(doc: TextDocumentLike): FoldingRange[] {
    return foldingRanges(this.analyze(doc));
  }

  links(doc: TextDocumentLike): DocumentLink[] {
    return documentLinks(this.analyze(doc));
  }

  definition(doc: TextDocumentLike, pos: Position): Definition | null {
    return definition(this.analyze(doc), pos);
  }

  /** One edit replacing the whole text, or none when the text is already formatted or cannot be lexed. */
  format(doc: TextDocumentLike, options?: FormattingOptions): TextEdit[] {
    const formatted = formatText(doc.text, options);
    if (formatted === undefined || formatted === doc.text) return [];
    const a = this.analyze(doc);
    return [{ range: a.lines.range(0, doc.text.length), newText: formatted }];
  }
}
