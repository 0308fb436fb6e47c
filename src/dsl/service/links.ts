/** Document links: each path a config names links to the file (if it stays inside the config's folder). */
import type { Item } from '../ast';
import { resolveConfigPath } from '../load';
import type { Analysis } from '../load';
import { ROOT, type BlockSpec } from '../schema';
import type { DocumentLink } from './types';

export function documentLinks(a: Analysis): DocumentLink[] {
  if (!a.filePath) return [];
  const out: DocumentLink[] = [];
  const walk = (items: Item[], spec: BlockSpec | undefined): void => {
    if (!spec) return;
    for (const it of items) {
      if (it.kind === 'block') walk(it.items, spec.blocks.get(it.keyword.text));
      else if (it.kind === 'entry' && it.value?.kind === 'string' && spec.fields.get(it.key.text)?.schema['x-path']) {
        try {
          const target = resolveConfigPath(a.filePath, it.value.value);
          // Link the text inside the quotes.
          out.push({ range: a.lines.range(it.value.start + 1, it.value.end - (it.value.token.unterminated ? 0 : 1)), target, tooltip: `Open ${it.value.value}` });
        } catch {
          // A path that leaves the folder gets no link; the diagnostic explains why.
        }
      }
    }
  };
  walk(a.parse.file.items, ROOT);
  return out;
}
