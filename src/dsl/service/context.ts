/** What is at an offset: the chain of enclosing blocks (with their specs) and the tokens around it. */
import type { Block, Item } from '../ast';
import type { Token } from '../lexer';
import type { ParseResult } from '../parser';
import { ROOT, type BlockSpec } from '../schema';

export interface BlockFrame {
  block?: Block; // undefined for the file itself
  spec?: BlockSpec; // undefined inside an unknown block
  items: Item[];
}

/** Enclosing blocks from the file down to the innermost one whose braces contain `offset`. */
export function blockChain(parsed: ParseResult, offset: number): BlockFrame[] {
  const chain: BlockFrame[] = [{ spec: ROOT, items: parsed.file.items }];
  let items = parsed.file.items;
  for (;;) {
    const b = findBlockAt(items, offset);
    if (!b) return chain;
    const parent = chain[chain.length - 1].spec;
    chain.push({ block: b, spec: parent?.blocks.get(b.keyword.text), items: b.items });
    items = b.items;
  }
}

function findBlockAt(items: Item[], offset: number): Block | undefined {
  // Items are in source order: binary search the last one starting before the offset.
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].start < offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  const it = items[found];
  if (it.kind !== 'block' || !it.open) return undefined;
  if (offset < it.open.end) return undefined;
  // An unclosed block runs to the end of the file, so a cursor after its last token is still inside it.
  if (it.close && offset > it.close.start) return undefined;
  return it;
}

/** The item of `items` whose span contains `offset` (end inclusive, so a cursor right after a value counts). */
export function itemAt(items: Item[], offset: number): Item | undefined {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].start <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  const it = items[found];
  return offset <= it.end ? it : undefined;
}

/** Index of the last token that starts before `offset`, or -1. */
export function tokenIndexBefore(tokens: Token[], offset: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].start < offset && tokens[mid].kind !== 'eof') {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The token that covers `offset` (start <= offset <= end), preferring the one that ends at the offset. */
export function tokenAt(tokens: Token[], offset: number): Token | undefined {
  const i = tokenIndexBefore(tokens, offset + 1);
  if (i < 0) return undefined;
  const t = tokens[i];
  if (t.start <= offset && offset <= t.end) {
    // At the boundary "abc|=" prefer the word over the punctuation that follows.
    if (t.start === offset && i > 0 && tokens[i - 1].end === offset && tokens[i - 1].kind !== 'eof') return tokens[i - 1];
    return t;
  }
  return undefined;
}
