/** Plain shapes of the language-service results; they match LSP's so the server passes them through. */
import type { Range } from '../positions';

export type CompletionKind = 'property' | 'block' | 'value' | 'enum' | 'unit' | 'snippet' | 'keyword' | 'reference' | 'file';

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  detail?: string;
  documentation?: string; // markdown
  insertText?: string;
  isSnippet?: boolean;
  /** Replaces this range (the partly typed word) instead of inserting at the cursor. */
  range?: Range;
  sortText?: string;
  filterText?: string;
}

export interface Hover {
  contents: string; // markdown
  range: Range;
}

export type SymbolKind = 'namespace' | 'object' | 'property' | 'event' | 'array';

export interface DocumentSymbol {
  name: string;
  detail?: string;
  kind: SymbolKind;
  range: Range;
  selectionRange: Range;
  children: DocumentSymbol[];
}

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface FoldingRange {
  startLine: number;
  endLine: number;
  kind?: 'comment' | 'region';
}

export interface DocumentLink {
  range: Range;
  target: string; // absolute file path
  tooltip?: string;
}

export interface FormattingOptions {
  tabSize: number;
  insertSpaces: boolean;
}

/** A document as the service sees it: text plus identity (for the cache) and its file path (for paths). */
export interface TextDocumentLike {
  uri: string;
  version: number;
  text: string;
  filePath?: string;
}
