/**
 * Fault-tolerant recursive-descent parser of `.lutdla`:
 *
 *   file      := item*
 *   item      := block | entry | vary | require            (optionally followed by ';')
 *   block     := IDENT STRING? '{' item* '}'
 *   entry     := IDENT '=' value ('range' range)?
 *   vary      := 'vary' IDENT ('.' IDENT)* '=' value
 *   require   := 'require' IDENT OP value
 *   value     := NUMBER ('/' NUMBER)? | NUMBER ':' NUMBER | STRING | IDENT | '[' (value ','?)* ']'
 *
 * A value starts on the line of its '='. On an unexpected token the parser records one error and skips to a
 * synchronising token (a '}' or the first token of a line), keeping the partial node, so a half-typed file
 * still has a tree for completion and hover.
 */
import { lex, type Token } from './lexer';
import type { Block, Entry, FileNode, Item, ListValue, NumberValue, RequireDirective, SyntaxError, Value, VaryDirective } from './ast';

export interface ParseResult {
  file: FileNode;
  errors: SyntaxError[];
  comments: Token[];
  tokens: Token[];
}

/** Deeper nesting than this is an error (and keeps the recursive descent far from the stack limit). */
const MAX_DEPTH = 32;

export function parse(text: string): ParseResult {
  const { tokens, comments } = lex(text);
  const errors: SyntaxError[] = [];
  let pos = 0;
  let depth = 0;
  const peek = (k = 0): Token => tokens[Math.min(pos + k, tokens.length - 1)];
  const next = (): Token => tokens[Math.min(pos++, tokens.length - 1)];
  const error = (message: string, start: number, end: number): void => {
    // One error per place: a second error at the same offset adds nothing for the reader.
    const last = errors[errors.length - 1];
    if (last && last.start === start) return;
    errors.push({ message, start, end: Math.max(end, start) });
  };
  const describe = (t: Token): string => (t.kind === 'eof' ? 'end of file' : `'${t.text.length > 20 ? t.text.slice(0, 20) + '...' : t.text}'`);

  for (const t of tokens) {
    if (t.kind === 'error') error(`unexpected character${t.text.length > 1 ? 's' : ''} '${t.text.slice(0, 20)}'`, t.start, t.end);
    else if (t.kind === 'string' && t.unterminated) error('unterminated string: add the closing "', t.start, t.end);
  }

  /** Skips tokens up to a synchronising point: a '}' (left for the caller) or a token that begins a line. */
  const recover = (): void => {
    const first = pos;
    while (peek().kind !== 'eof') {
      const t = peek();
      if (t.kind === 'rbrace') return;
      if (pos > first && t.newlineBefore) return;
      pos++;
    }
  };

  /** Skips a bracketed group (the opener is the current token) without building nodes; returns its end. */
  const skipGroup = (open: 'lbrace' | 'lbracket', close: 'rbrace' | 'rbracket'): number => {
    let d = 0;
    for (;;) {
      const t = next();
      if (t.kind === 'eof') return t.end;
      if (t.kind === open) d++;
      else if (t.kind === close && --d === 0) return t.end;
    }
  };

  const parseNumber = (): NumberValue => {
    const t = next();
    return { kind: 'number', token: t, value: t.value ?? NaN, unit: t.unit ?? '', start: t.start, end: t.end };
  };

  const parseValue = (lineStart: boolean): Value => {
    const t = peek();
    if (t.kind === 'eof' || (lineStart && t.newlineBefore) || t.kind === 'rbrace') {
      const at = tokens[pos - 1]?.end ?? t.start;
      error('expected a value', at, at);
      return { kind: 'missing', start: at, end: at };
    }
    switch (t.kind) {
      case 'number': {
        const num = parseNumber();
        if (peek().kind === 'colon' && !peek().newlineBefore) {
          next();
          if (peek().kind === 'number' && !peek().newlineBefore) {
            const to = parseNumber();
            return { kind: 'range', from: num, to, start: num.start, end: to.end };
          }
          error('expected the end of the range after \':\', e.g. 0:1000', tokens[pos - 1].start, tokens[pos - 1].end);
          return { kind: 'range', from: num, start: num.start, end: tokens[pos - 1].end };
        }
        if (peek().kind === 'slash' && !peek().newlineBefore) {
          next();
          if (peek().kind === 'number' && !peek().newlineBefore) {
            const den = parseNumber();
            return { kind: 'fraction', num, den, value: num.value / den.value, start: num.start, end: den.end };
          }
          error("expected a number after '/', e.g. 1/255", tokens[pos - 1].start, tokens[pos - 1].end);
        }
        return num;
      }
      case 'string':
        next();
        return { kind: 'string', token: t, value: t.str ?? '', start: t.start, end: t.end };
      case 'ident':
        next();
        return { kind: 'ident', token: t, value: t.text, start: t.start, end: t.end };
      case 'lbracket':
        return parseList();
      default:
        error(`expected a value, found ${describe(t)}`, t.start, t.end);
        return { kind: 'missing', start: t.start, end: t.start };
    }
  };

  const parseList = (): ListValue => {
    if (depth >= MAX_DEPTH) {
      const t = peek();
      error(`lists nested more than ${MAX_DEPTH} deep`, t.start, t.end);
      return { kind: 'list', items: [], closed: true, start: t.start, end: skipGroup('lbracket', 'rbracket') };
    }
    depth++;
    try {
      return parseListBody();
    } finally {
      depth--;
    }
  };

  const parseListBody = (): ListValue => {
    const open = next();
    const list: ListValue = { kind: 'list', items: [], closed: false, start: open.start, end: open.end };
    for (;;) {
      const t = peek();
      if (t.kind === 'rbracket') {
        next();
        list.closed = true;
        list.end = t.end;
        return list;
      }
      if (t.kind === 'comma') {
        next();
        list.end = t.end;
        continue;
      }
      if (t.kind === 'number' || t.kind === 'string' || t.kind === 'ident' || t.kind === 'lbracket') {
        // An identifier followed by '=' or '{' on a new line is the next entry: the ']' is missing.
        const after = peek(1).kind;
        if (t.kind === 'ident' && t.newlineBefore && (after === 'eq' || after === 'lbrace' || after === 'string')) break;
        const v = parseValue(false);
        list.items.push(v);
        list.end = v.end;
        continue;
      }
      break;
    }
    error("expected ']' to close the list", open.start, open.end);
    return list;
  };

  const parseEntry = (key: Token): Entry => {
    const entry: Entry = { kind: 'entry', key, start: key.start, end: key.end };
    const t = peek();
    if (t.kind === 'eq') {
      entry.eq = next();
      if (entry.eq.text === '==') error("use '=' to set a value", entry.eq.start, entry.eq.end);
      entry.end = entry.eq.end;
    } else if (t.newlineBefore || t.kind === 'eof' || t.kind === 'rbrace') {
      error(`expected '=' after '${key.text.length > 40 ? key.text.slice(0, 37) + '...' : key.text}'`, key.start, key.end);
      return entry;
    } else if (t.kind === 'colon') {
      error("use '=' to set a value, not ':'", t.start, t.end);
      entry.eq = next();
    } else {
      error(`expected '=' after '${key.text.length > 40 ? key.text.slice(0, 37) + '...' : key.text}'`, key.end, key.end);
    }
    entry.value = parseValue(true);
    entry.end = Math.max(entry.end, entry.value.end);
    if (peek().kind === 'ident' && peek().text === 'range' && !peek().newlineBefore) {
      entry.rangeKeyword = next();
      entry.range = parseValue(true);
      entry.end = entry.range.end;
    }
    return entry;
  };

  const parseVary = (keyword: Token): VaryDirective => {
    const d: VaryDirective = { kind: 'vary', keyword, path: [], start: keyword.start, end: keyword.end };
    while (peek().kind === 'ident' && !peek().newlineBefore) {
      const id = next();
      d.path.push(id);
      d.end = id.end;
      if (peek().kind === 'dot' && !peek().newlineBefore) {
        d.end = next().end;
        continue;
      }
      break;
    }
    if (d.path.length) d.pathSpan = { start: d.path[0].start, end: d.end };
    else {
      error('expected the path of a field after vary, e.g. vary lut.centroids = [8, 16]', keyword.start, keyword.end);
      return d;
    }
    if (peek().kind !== 'eq') {
      error(`expected '=' after the path`, d.end, d.end);
      if (peek().newlineBefore) return d;
    } else d.eq = next();
    d.value = parseValue(true);
    d.end = Math.max(d.end, d.value.end);
    return d;
  };

  const parseRequire = (keyword: Token): RequireDirective => {
    const d: RequireDirective = { kind: 'require', keyword, start: keyword.start, end: keyword.end };
    if (peek().kind !== 'ident' || peek().newlineBefore) {
      error('expected a metric after require, e.g. require area <= 2mm2', keyword.start, keyword.end);
      return d;
    }
    d.metric = next();
    d.end = d.metric.end;
    if (peek().kind !== 'op' || peek().newlineBefore) {
      error("expected a comparison ('<=', '<', '>=' or '>') after the metric", d.metric.start, d.metric.end);
      return d;
    }
    d.op = next();
    d.end = d.op.end;
    d.value = parseValue(true);
    d.end = Math.max(d.end, d.value.end);
    return d;
  };

  const parseItems = (items: Item[], inBlock: boolean): void => {
    for (;;) {
      const t = peek();
      if (t.kind === 'eof') return;
      if (t.kind === 'rbrace') {
        if (inBlock) return;
        error("unmatched '}'", t.start, t.end);
        next();
        continue;
      }
      if (t.kind === 'semicolon' || t.kind === 'comma') {
        next();
        continue;
      }
      if (t.kind !== 'ident') {
        error(`expected a key or a block name, found ${describe(t)}`, t.start, t.end);
        const before = pos;
        recover();
        if (pos === before) next();
        continue;
      }
      const name = next();
      const k1 = peek();
      let item: Item;
      if ((name.text === 'vary' || name.text === 'require') && k1.kind === 'ident' && !k1.newlineBefore) {
        item = name.text === 'vary' ? parseVary(name) : parseRequire(name);
      } else if (k1.kind === 'lbrace' || (k1.kind === 'string' && !k1.newlineBefore)) {
        item = parseBlock(name);
      } else {
        item = parseEntry(name);
      }
      items.push(item);
      // Anything left on the line after a complete item is an error; skip it.
      const after = peek();
      if (after.kind !== 'eof' && after.kind !== 'rbrace' && !after.newlineBefore && after.kind !== 'semicolon' && after.kind !== 'comma') {
        if (after.kind === 'ident' && (peek(1).kind === 'eq' || peek(1).kind === 'lbrace')) continue; // `lut = 1  index = 2`
        error(`unexpected ${describe(after)}`, after.start, after.end);
        recover();
      }
    }
  };

  const parseBlock = (keyword: Token): Block => {
    const block: Block = { kind: 'block', keyword, items: [], start: keyword.start, end: keyword.end };
    if (peek().kind === 'string') {
      block.label = next();
      block.end = block.label.end;
    }
    if (peek().kind !== 'lbrace') {
      error(`expected '{' after ${block.label ? 'the label' : `'${keyword.text}'`}`, block.end, block.end);
      return block;
    }
    if (depth >= MAX_DEPTH) {
      error(`blocks nested more than ${MAX_DEPTH} deep`, peek().start, peek().end);
      block.end = skipGroup('lbrace', 'rbrace');
      return block;
    }
    block.open = next();
    depth++;
    parseItems(block.items, true);
    depth--;
    if (peek().kind === 'rbrace') {
      block.close = next();
      block.end = block.close.end;
    } else {
      error(`'${keyword.text}' block is not closed: add '}'`, keyword.start, block.open.end);
      const last = tokens[Math.max(0, pos - 1)];
      block.end = Math.max(block.open.end, last.end);
    }
    return block;
  };

  const file: FileNode = { items: [], start: 0, end: text.length };
  parseItems(file.items, false);
  errors.sort((a, b) => a.start - b.start);
  return { file, errors, comments, tokens };
}
