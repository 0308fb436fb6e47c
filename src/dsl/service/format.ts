/**
 * Formatting: re-indents by brace and bracket depth and normalises the spacing between tokens, keeping the
 * author's line structure, comments, and runs of spaces used for alignment (before '=' and before trailing
 * comments). Idempotent. A file the lexer cannot read (an unterminated string, stray characters) is left alone.
 */
import { lex, type Token } from '../lexer';
import type { FormattingOptions } from './types';

export function formatText(text: string, options: FormattingOptions = { tabSize: 2, insertSpaces: true }): string | undefined {
  const { tokens, comments } = lex(text);
  if (tokens.some((t) => t.kind === 'error' || (t.kind === 'string' && t.unterminated))) return undefined;
  const all = [...tokens.filter((t) => t.kind !== 'eof'), ...comments].sort((a, b) => a.start - b.start);
  const unit = options.insertSpaces ? ' '.repeat(Math.max(1, options.tabSize)) : '\t';
  // Group tokens by line.
  const lineOf: number[] = [];
  let line = 0;
  let pos = 0;
  const byLine = new Map<number, Token[]>();
  for (const t of all) {
    for (; pos < t.start; pos++) if (text.charCodeAt(pos) === 10) line++;
    lineOf.push(line);
    const l = byLine.get(line) ?? [];
    l.push(t);
    byLine.set(line, l);
  }
  for (; pos < text.length; pos++) if (text.charCodeAt(pos) === 10) line++;
  const lineCount = line + 1;
  const out: string[] = [];
  let depth = 0;
  let blank = 0;
  for (let l = 0; l < lineCount; l++) {
    const toks = byLine.get(l);
    if (!toks) {
      blank++;
      continue;
    }
    let closers = 0;
    for (const t of toks) {
      if (t.kind === 'rbrace' || t.kind === 'rbracket') closers++;
      else break;
    }
    // At most one blank line in a row, and none just before a closing brace.
    if (out.length && blank && !closers) out.push('');
    blank = 0;
    const indent = unit.repeat(Math.max(0, depth - closers));
    let s = indent;
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i];
      if (i > 0) s += ' '.repeat(gap(toks[i - 1], t, text));
      s += t.text;
      if (t.kind === 'lbrace' || t.kind === 'lbracket') depth++;
      else if (t.kind === 'rbrace' || t.kind === 'rbracket') depth = Math.max(0, depth - 1);
    }
    out.push(s.trimEnd());
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function gap(p: Token, t: Token, text: string): number {
  const between = text.slice(p.end, t.start);
  const original = /^ +$/.test(between) ? between.length : between.length ? 1 : 0;
  if (t.kind === 'comment') return Math.max(1, original);
  if (p.kind === 'lbracket' || t.kind === 'rbracket' || t.kind === 'comma' || t.kind === 'semicolon') return 0;
  if (p.kind === 'colon' || t.kind === 'colon' || p.kind === 'dot' || t.kind === 'dot') return 0;
  if (p.kind === 'slash' || t.kind === 'slash') return 0;
  if (p.kind === 'eq' || p.kind === 'comma' || p.kind === 'op' || t.kind === 'op') return 1;
  if (t.kind === 'lbrace' || p.kind === 'lbrace' || t.kind === 'rbrace') return 1;
  return Math.max(1, original);
}
