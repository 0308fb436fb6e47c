/** Go to definition: a path string -> the file it names; `accelerator = "x"` in explore -> that block. */
import type { Analysis } from '../load';
import { resolveConfigPath } from '../load';
import type { Position, Range } from '../positions';
import { blockChain, itemAt, tokenAt } from './context';

export interface Definition {
  /** Absolute path of the target file; undefined for a place in the same document. */
  file?: string;
  range: Range;
}

export function definition(a: Analysis, pos: Position): Definition | null {
  const offset = a.lines.offset(pos);
  const tok = tokenAt(a.parse.tokens, offset);
  if (!tok || tok.kind !== 'string') return null;
  const chain = blockChain(a.parse, offset);
  const frame = chain[chain.length - 1];
  const item = itemAt(frame.items, offset);
  if (!item || item.kind !== 'entry' || item.value?.kind !== 'string' || item.value.token !== tok) return null;
  const field = frame.spec?.fields.get(item.key.text);
  if (!field) return null;
  if (field.schema['x-path'] && a.filePath) {
    try {
      return { file: resolveConfigPath(a.filePath, tok.str ?? ''), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
    } catch {
      return null;
    }
  }
  const kind = field.schema['x-reference'];
  if (kind) {
    for (const it of a.parse.file.items) {
      if (it.kind === 'block' && it.keyword.text === kind && it.label && it.label.str === tok.str) {
        return { range: a.lines.range(it.keyword.start, it.label.end) };
      }
    }
  }
  return null;
}
