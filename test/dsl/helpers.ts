import path from 'node:path';
import type { Position } from '../../src/dsl';

export const ROOT = path.resolve(__dirname, '..', '..');
export const EXAMPLES = path.join(ROOT, 'examples');

/** Removes the `|` cursor marker from `src` and returns the text and the marker's position. */
export function cursor(src: string): { text: string; pos: Position } {
  const i = src.indexOf('|');
  if (i < 0) throw new Error('no | marker');
  const text = src.slice(0, i) + src.slice(i + 1);
  const before = text.slice(0, i).split('\n');
  return { text, pos: { line: before.length - 1, character: before[before.length - 1].length } };
}

/** Position of the first occurrence of `needle` (+ delta characters) in `text`. */
export function posOf(text: string, needle: string, delta = 0): Position {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`not found: ${needle}`);
  const before = text.slice(0, i + delta).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}
