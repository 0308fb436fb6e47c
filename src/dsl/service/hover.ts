/** Hover: the schema's description, unit, default and range of the key, block, value or path at a position. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Item } from '../ast';
import type { Analysis } from '../load';
import type { Position } from '../positions';
import { enumDescriptions, enumOf, METRIC_SCHEMA, METRIC_UNITS, ROOT, type BlockSpec, type FieldSpec } from '../schema';
import { convert, formatQuantity, lookupUnit } from '../units';
import { blockChain, itemAt, tokenAt } from './context';
import { blockMarkdown, fieldMarkdown } from './docs';
import type { Hover } from './types';

export function hover(a: Analysis, pos: Position): Hover | null {
  const offset = a.lines.offset(pos);
  const tok = tokenAt(a.parse.tokens, offset);
  if (!tok || tok.kind === 'eof') return null;
  const chain = blockChain(a.parse, offset);
  const frame = chain[chain.length - 1];
  const spec = frame.spec;
  if (!spec) return null;
  const blockPath = chain.slice(1).map((f) => f.block?.keyword.text ?? '').join('.');
  const item = itemAt(frame.items, offset);
  if (!item) return null;
  const range = a.lines.range(tok.start, tok.end);
  const md = (contents: string): Hover => ({ contents, range });

  if (item.kind === 'block') {
    const sub = spec.blocks.get(item.keyword.text);
    if (sub && (tok === item.keyword || tok === item.label)) return md(blockMarkdown(sub));
    return null;
  }
  if (item.kind === 'vary') {
    if (tok === item.keyword) return md(`**vary** <path> = [values]\n\n${spec.directives.get('vary')?.schema.description ?? ''}`);
    const idx = item.path.indexOf(tok);
    if (idx >= 0) return pathHover(item.path.slice(0, idx + 1).map((t) => t.text), md);
    const f = resolve(item.path.map((t) => t.text));
    if (f && typeof f !== 'string') return valueHover(f, tok, blockPath, md);
    return null;
  }
  if (item.kind === 'require') {
    if (tok === item.keyword) return md(`**require** <metric> <op> <value>\n\n${spec.directives.get('require')?.schema.description ?? ''}`);
    const metric = item.metric?.text ?? '';
    const d = enumDescriptions(METRIC_SCHEMA)[metric];
    if (tok === item.metric && d) return md(`**${metric}**: ${d}`);
    if (tok.kind === 'number' && tok.unit) {
      const u = lookupUnit(tok.unit);
      const unit = METRIC_UNITS[metric];
      if (u && unit) return md(`\`${tok.text}\` = ${formatNum(convert(tok.value ?? NaN, u, unit))} ${unit}`);
    }
    return null;
  }
  return entryHover(item, tok, spec, blockPath, a, md);
}

function entryHover(item: Item & { kind: 'entry' }, tok: ReturnType<typeof tokenAt>, spec: BlockSpec, blockPath: string, a: Analysis, md: (s: string) => Hover): Hover | null {
  const field = spec.fields.get(item.key.text);
  if (!tok) return null;
  if (!field) {
    if (tok === item.key) return md(`unknown key \`${item.key.text}\` in ${spec.keyword || 'the file'}; allowed: ${[...spec.fields.keys()].join(', ')}`);
    return null;
  }
  if (tok === item.key) return md(fieldMarkdown(field, blockPath));
  if (tok === item.rangeKeyword) return md('**range** start:end: rows [start, end) of the data file (0-based, end excluded).');
  if (tok.kind === 'string' && field.schema['x-path'] && a.filePath) {
    const abs = path.resolve(path.dirname(a.filePath), tok.str ?? '');
    const exists = fs.existsSync(abs);
    return md(`${fieldMarkdown(field, blockPath)}\n\n\`${abs.replace(/`/g, "'")}\`${exists ? '' : ' (does not exist yet)'}`);
  }
  return valueHover(field, tok, blockPath, md);
}

function valueHover(field: FieldSpec, tok: NonNullable<ReturnType<typeof tokenAt>>, blockPath: string, md: (s: string) => Hover): Hover | null {
  if (tok.kind === 'number') {
    const unit = field.schema['x-unit'];
    const u = tok.unit ? lookupUnit(tok.unit) : undefined;
    if (unit && u) {
      const v = convert(tok.value ?? NaN, u, unit);
      return md(`\`${tok.text}\` = ${formatNum(v)} ${unit}${formatQuantity(v, unit) !== `${formatNum(v)} ${unit}` ? ` (${formatQuantity(v, unit)})` : ''}\n\n${fieldMarkdown(field, blockPath)}`);
    }
    return md(fieldMarkdown(field, blockPath));
  }
  if (tok.kind === 'ident') {
    const d = enumDescriptions(field.schema)[tok.text];
    if (d) return md(`**${tok.text}**: ${d}`);
    if (enumOf(field.schema)?.includes(tok.text)) return md(`**${tok.text}**`);
  }
  return null;
}

function pathHover(segs: string[], md: (s: string) => Hover): Hover | null {
  const r = resolve(segs);
  if (!r) return null;
  if (typeof r === 'string') {
    const spec = blockAt(segs);
    return spec ? md(blockMarkdown(spec)) : null;
  }
  return md(fieldMarkdown(r, segs.slice(0, -1).join('.')));
}

function blockAt(segs: string[]): BlockSpec | undefined {
  let spec = ROOT.blocks.get(segs[0]);
  for (let i = 1; spec && i < segs.length; i++) spec = spec.blocks.get(segs[i]);
  return spec;
}

/** A dotted path -> its field, 'block' when it names a block, or undefined. */
function resolve(segs: string[]): FieldSpec | 'block' | undefined {
  let spec = ROOT.blocks.get(segs[0]);
  if (!spec) return undefined;
  for (let i = 1; i < segs.length; i++) {
    const f = spec.fields.get(segs[i]);
    if (f && i === segs.length - 1) return f;
    spec = spec.blocks.get(segs[i]);
    if (!spec) return undefined;
  }
  return 'block';
}

function formatNum(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(8)));
}
