/** Document symbols (the outline): blocks with their labels, keys with their values, explore directives. */
import type { Item } from '../ast';
import type { Analysis } from '../load';
import type { DocumentSymbol } from './types';

export function documentSymbols(a: Analysis): DocumentSymbol[] {
  const text = a.text;
  const r = (s: number, e: number): DocumentSymbol['range'] => a.lines.range(s, e);
  const walk = (items: Item[]): DocumentSymbol[] =>
    items.map((it): DocumentSymbol => {
      switch (it.kind) {
        case 'block':
          return {
            name: it.label ? `${it.keyword.text} "${it.label.str ?? ''}"` : it.keyword.text,
            kind: it.label ? 'object' : 'namespace',
            range: r(it.start, it.end),
            selectionRange: r(it.keyword.start, it.label?.end ?? it.keyword.end),
            children: walk(it.items),
          };
        case 'entry':
          return {
            name: it.key.text,
            detail: it.value ? text.slice(it.value.start, it.range ? it.range.end : it.value.end).replace(/\s+/g, ' ').slice(0, 80) : undefined,
            kind: 'property',
            range: r(it.start, it.end),
            selectionRange: r(it.key.start, it.key.end),
            children: [],
          };
        case 'vary':
          return {
            name: `vary ${it.path.map((t) => t.text).join('.')}`,
            detail: it.value ? text.slice(it.value.start, it.value.end).replace(/\s+/g, ' ').slice(0, 80) : undefined,
            kind: 'array',
            range: r(it.start, it.end),
            selectionRange: r(it.keyword.start, it.pathSpan?.end ?? it.keyword.end),
            children: [],
          };
        case 'require':
          return {
            name: `require ${it.metric?.text ?? ''}`.trim(),
            detail: text.slice(it.op?.start ?? it.end, it.end),
            kind: 'event',
            range: r(it.start, it.end),
            selectionRange: r(it.keyword.start, it.metric?.end ?? it.keyword.end),
            children: [],
          };
      }
    });
  return walk(a.parse.file.items);
}
