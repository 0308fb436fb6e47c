/** Folding ranges: multi-line blocks and lists, and runs of comment lines. */
import type { Item, Value } from '../ast';
import type { Analysis } from '../load';
import type { FoldingRange } from './types';

export function foldingRanges(a: Analysis): FoldingRange[] {
  const out: FoldingRange[] = [];
  const line = (o: number): number => a.lines.position(o).line;
  const addSpan = (start: number, end: number): void => {
    const s = line(start);
    const e = line(end) - 1; // keep the closing '}' or ']' visible
    if (e > s) out.push({ startLine: s, endLine: e });
  };
  const value = (v: Value | undefined): void => {
    if (v?.kind === 'list') {
      if (v.closed) addSpan(v.start, v.end);
      v.items.forEach(value);
    }
  };
  const walk = (items: Item[]): void => {
    for (const it of items) {
      if (it.kind === 'block') {
        if (it.open) addSpan(it.open.start, it.close ? it.close.start : it.end + 1);
        walk(it.items);
      } else if (it.kind === 'entry' || it.kind === 'vary') value(it.value);
    }
  };
  walk(a.parse.file.items);
  // Two or more consecutive whole-line comments fold together.
  let runStart = -1;
  let runEnd = -1;
  for (const c of a.parse.comments) {
    const l = line(c.start);
    const whole = a.text.slice(a.lines.lineStart(l), c.start).trim() === '';
    if (!whole) continue;
    if (runStart >= 0 && l === runEnd + 1) runEnd = l;
    else {
      if (runEnd > runStart) out.push({ startLine: runStart, endLine: runEnd, kind: 'comment' });
      runStart = runEnd = l;
    }
  }
  if (runStart >= 0 && runEnd > runStart) out.push({ startLine: runStart, endLine: runEnd, kind: 'comment' });
  return out.sort((x, y) => x.startLine - y.startLine);
}
