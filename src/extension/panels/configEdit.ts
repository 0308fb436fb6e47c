import type { Block, Entry, FileNode, Item } from '../../dsl/ast';
import { parse } from '../../dsl/parser';

/**
 * Writes a design point's settings (axis path -> value, from an exploration report) into the text of a
 * `.lutdla` config, as text edits on the parsed tree, so comments and layout stay as the user wrote them.
 * No `vscode` import: unit-tested directly.
 *
 * Paths: `lut.x` -> the top-level `lut` block; `accelerator.a.b` -> the explored accelerator block (the
 * explore block's `accelerator = "name"`, else the first); `model.a.b` -> the explored model block likewise.
 * Missing blocks and keys are added.
 */
export type SettingValue = number | string;

export interface ApplyResult {
  text: string;
  applied: string[];
  skipped: { path: string; reason: string }[];
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function formatValue(v: SettingValue): string {
  if (typeof v === 'number') return String(v);
  // Enum-like words (l2, int8, kmeans) stay bare identifiers; anything else becomes a quoted string.
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? v : JSON.stringify(v);
}

function blocks(items: Item[], keyword: string): Block[] {
  return items.filter((i): i is Block => i.kind === 'block' && i.keyword.text === keyword);
}

function entry(items: Item[], key: string): Entry | undefined {
  return items.find((i): i is Entry => i.kind === 'entry' && i.key.text === key);
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function indentOf(text: string, offset: number): string {
  const s = lineStart(text, offset);
  return /^[ \t]*/.exec(text.slice(s))![0];
}

/** Text that inserts `body` (lines relative to the block's inner indentation) just before the block's '}'. */
function insertIntoBlock(text: string, block: Block | FileNode, lines: string[]): Edit {
  if (!('keyword' in block)) {
    // Top level: append at the end of the file.
    const sep = text.length === 0 || text.endsWith('\n') ? '' : '\n';
    return { start: text.length, end: text.length, text: `${sep}${lines.join('\n')}\n` };
  }
  const close = block.close;
  if (!close) throw new Error(`the ${block.keyword.text} block has no closing '}'`);
  const open = block.open ?? block.keyword;
  const singleLine = !text.slice(open.end, close.start).includes('\n');
  if (singleLine && lines.length === 1) {
    // `ccm { units = 8 }` -> `ccm { units = 8  lanes = 2 }`
    // A pure insertion (no replaced range), so several inserts into one block compose.
    const spaced = /[ \t]$/.test(text.slice(0, close.start));
    return { start: close.start, end: close.start, text: `${spaced ? ' ' : '  '}${lines[0]} ` };
  }
  const outer = indentOf(text, block.start);
  const inner = outer + '  ';
  const at = lineStart(text, close.start);
  const closeAlone = text.slice(at, close.start).trim() === '';
  const body = lines.map((l) => inner + l).join('\n') + '\n';
  return closeAlone ? { start: at, end: at, text: body } : { start: close.start, end: close.start, text: `\n${body}${outer}` };
}

/** The value of `key = "..."` (or an identifier) in the explore block, naming which accelerator/model is explored. */
function exploreChoice(file: FileNode, key: 'accelerator' | 'model'): string | undefined {
  const ex = blocks(file.items, 'explore')[0];
  const e = ex && entry(ex.items, key);
  const v = e?.value;
  if (v && (v.kind === 'string' || v.kind === 'ident')) return v.value;
  return undefined;
}

function labelOf(b: Block): string | undefined {
  return b.label?.str ?? (b.label ? b.label.text.replace(/^"|"$/g, '') : undefined);
}

export function applyPointToConfig(text: string, settings: Record<string, SettingValue>, header?: string): ApplyResult {
  const { file } = parse(text);
  const edits: Edit[] = [];
  const applied: string[] = [];
  const skipped: { path: string; reason: string }[] = [];

  for (const [path, value] of Object.entries(settings)) {
    const parts = path.split('.');
    if (parts.length < 2 || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) {
      skipped.push({ path, reason: 'not a dotted setting path' });
      continue;
    }
    const [root, ...rest] = parts;
    let container: Block | FileNode;
    let keys = rest;
    if (root === 'accelerator' || root === 'model') {
      const candidates = blocks(file.items, root);
      const wanted = exploreChoice(file, root);
      const found = (wanted && candidates.find((b) => labelOf(b) === wanted)) || candidates[0];
      if (!found) {
        skipped.push({ path, reason: `the config has no ${root} block` });
        continue;
      }
      container = found;
    } else {
      // `lut.centroids` and other top-level blocks: the path's first part is the block.
      container = file;
      keys = parts;
    }
    // Walk (or create) nested blocks down to the last key.
    let missing: string[] | undefined;
    for (let i = 0; i < keys.length - 1; i++) {
      const next: Block | undefined = blocks(container.items, keys[i])[0];
      if (!next) {
        missing = keys.slice(i);
        break;
      }
      container = next;
    }
    const formatted = formatValue(value);
    if (missing) {
      // Build `a { b { key = v } }` inside the deepest existing block.
      const key = missing[missing.length - 1];
      const nest = missing.slice(0, -1);
      const line = nest.reduceRight((inner, b) => `${b} { ${inner} }`, `${key} = ${formatted}`);
      edits.push(insertIntoBlock(text, container, [line]));
      applied.push(path);
      continue;
    }
    const key = keys[keys.length - 1];
    const e = entry(container.items, key);
    if (e?.value && e.value.kind !== 'missing') {
      edits.push({ start: e.value.start, end: e.value.end, text: formatted });
    } else if (e) {
      edits.push({ start: e.start, end: e.end, text: `${key} = ${formatted}` });
    } else {
      edits.push(insertIntoBlock(text, container, [`${key} = ${formatted}`]));
    }
    applied.push(path);
  }

  // Apply from the end so earlier offsets stay valid; edits never overlap (one per key).
  edits.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  if (header) out = header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n') + '\n' + out;
  return { text: out, applied, skipped };
}
