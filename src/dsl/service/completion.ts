/**
 * Completion at a position: keys not yet present in the enclosing block, nested and named block snippets,
 * enum values (also inside lists), units after a number, vary paths, require metrics, block names for
 * references, and file names inside path strings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Token } from '../lexer';
import type { Analysis } from '../load';
import type { Position } from '../positions';
import { deref, enumDescriptions, enumOf, isNumeric, METRIC_SCHEMA, METRIC_UNITS, ROOT, type BlockSpec, type FieldSpec, type JsonSchema } from '../schema';
import { dimensionOf, unitsOfDimension } from '../units';
import { blockChain, tokenIndexBefore, type BlockFrame } from './context';
import { blockMarkdown, fieldMarkdown, sourceValue } from './docs';
import type { CompletionItem } from './types';

export function complete(a: Analysis, pos: Position): CompletionItem[] {
  const offset = a.lines.offset(pos);
  if (a.parse.comments.some((c) => c.start < offset && offset <= c.end)) return [];
  const tokens = a.parse.tokens;
  const chain = blockChain(a.parse, offset);
  const frame = chain[chain.length - 1];
  const spec = frame.spec;
  if (!spec) return [];
  const blockPath = chain.slice(1).map((f) => f.block?.keyword.text ?? '').join('.');

  // The word being typed: a token that the cursor is inside or right after.
  const wi = tokenIndexBefore(tokens, offset);
  const w = wi >= 0 ? tokens[wi] : undefined;
  const word = w && w.end >= offset && ['ident', 'number', 'string'].includes(w.kind) ? w : undefined;
  const pi = word ? wi - 1 : wi;
  const prev = pi >= 0 ? tokens[pi] : undefined;
  const sameLine = (t: Token | undefined): boolean => !!t && !a.text.slice(t.end, word ? word.start : offset).includes('\n');
  const wordRange = word && word.kind === 'ident' ? a.lines.range(word.start, offset) : undefined;

  // Units right after a number: `500|`, `500M|`.
  if (word?.kind === 'number' && offset >= (word.unitStart ?? word.end)) {
    const field = valueField(tokens, pi, spec);
    const canonical = field?.['x-unit'];
    const dim = canonical ? dimensionOf(canonical) : undefined;
    if (!dim || dim === 'none') return [];
    const range = a.lines.range(word.unitStart ?? offset, offset);
    return unitsOfDimension(dim).map((u, i) => ({ label: u.unit, kind: 'unit', detail: `${u.factor} ${canonical}`, insertText: u.unit, range, sortText: String(i).padStart(3, '0') }));
  }

  // Inside a string: file names for paths, block names for references.
  if (word?.kind === 'string' && offset > word.start) {
    const field = valueField(tokens, pi, spec);
    if (field?.['x-reference']) return references(a, field['x-reference'], false, a.lines.range(word.start + 1, offset));
    if (field?.['x-path'] && a.filePath) return files(a.filePath, a.text.slice(word.start + 1, offset), a, offset);
    return [];
  }

  // Directives: `vary |`, `vary accelerator.cc|`, `require |`, `require area |`.
  const d = directiveContext(tokens, pi, word, sameLine);
  if (d === 'vary-path') {
    const start = varyPathStart(tokens, pi, word);
    return varyPaths().map((p) => ({ label: p.path, kind: 'property', detail: p.field.schema['x-unit'] || undefined, documentation: fieldMarkdown(p.field, p.path), range: a.lines.range(start ?? offset, offset) }));
  }
  if (d === 'require-metric') return metricItems(wordRange);
  if (d === 'require-op') return ['<=', '<', '>=', '>'].map((op) => ({ label: op, kind: 'keyword', insertText: `${op} ` }));
  if (d === 'require-value') return [];

  // Values: after `key =` on the same line, or inside a list that follows one.
  if (prev && sameLine(prev) && (prev.kind === 'eq' || prev.kind === 'lbracket' || prev.kind === 'comma' || isListContext(tokens, pi))) {
    const field = valueField(tokens, pi, spec);
    if (!field) return [];
    const items = valueItems(field, a, tokens, pi, wordRange);
    // Completion triggered by typing '=': keep a space between the '=' and the value.
    if (!word && prev.kind === 'eq' && prev.end === offset) for (const it of items) it.insertText = ` ${it.insertText ?? it.label}`;
    return items;
  }
  // After a data path: the optional `range a:b` clause.
  if (prev?.kind === 'string' && sameLine(prev) && pi > 1 && tokens[pi - 1].kind === 'eq' && spec.fields.get(tokens[pi - 2].text)?.schema['x-rangeProperty']) {
    return [{ label: 'range', kind: 'keyword', detail: 'range start:end', documentation: 'Rows [start, end) of the data file.', insertText: 'range ${1:0}:${2:1000}', isSnippet: true, range: wordRange }];
  }
  if (prev && sameLine(prev) && prev.kind !== 'rbrace' && prev.kind !== 'lbrace' && prev.kind !== 'semicolon' && !endsItem(prev, tokens, pi)) return [];
  const wholeWord = word && word.kind === 'ident' ? a.lines.range(word.start, word.end) : undefined;
  return keyItems(frame, spec, blockPath, word, wordRange, chain.length === 1, wholeWord);
}

/** Whether `prev` ends a complete `key = value` so that a new key may follow on the same line. */
function endsItem(prev: Token, tokens: Token[], pi: number): boolean {
  if (prev.kind === 'rbracket') return true;
  if (prev.kind === 'number' || prev.kind === 'string' || prev.kind === 'ident') return pi > 0 && (tokens[pi - 1].kind === 'eq' || tokens[pi - 1].kind === 'colon' || tokens[pi - 1].kind === 'slash' || tokens[pi - 1].kind === 'op');
  return false;
}

/** The token index of the unmatched '[' before pi, if the cursor is inside a list that has not closed. */
function openListIndex(tokens: Token[], pi: number): number {
  let depth = 0;
  for (let i = pi; i >= 0 && pi - i < 2000; i--) {
    const k = tokens[i].kind;
    if (k === 'rbracket') depth++;
    else if (k === 'lbracket') {
      if (depth === 0) return i;
      depth--;
    } else if (k === 'eq' || k === 'lbrace' || k === 'rbrace') return -1;
  }
  return -1;
}

function isListContext(tokens: Token[], pi: number): boolean {
  return openListIndex(tokens, pi) >= 0;
}

/** The schema of the value being written at the cursor: the field of `key =`, a vary path, or a metric. */
function valueField(tokens: Token[], pi: number, spec: BlockSpec): JsonSchema | undefined {
  let i = pi;
  const li = openListIndex(tokens, pi);
  if (li >= 0) i = li - 1;
  // Walk back to the '=' of this value, staying on the entry.
  while (i >= 0 && tokens[i].kind !== 'eq' && tokens[i].kind !== 'op' && tokens[i].kind !== 'lbrace' && tokens[i].kind !== 'rbrace' && !tokens[i].newlineBefore) i--;
  if (i < 0) return undefined;
  if (tokens[i].kind === 'op') {
    const metric = tokens[i - 1];
    return metric ? { type: 'number', 'x-unit': METRIC_UNITS[metric.text] ?? '' } : undefined;
  }
  if (tokens[i].kind !== 'eq') {
    // `range 0:` or a value token that starts a line: not a value of a known key.
    return undefined;
  }
  // `vary a.b.c =`
  let j = i - 1;
  const segs: string[] = [];
  while (j >= 0 && tokens[j].kind === 'ident') {
    segs.unshift(tokens[j].text);
    if (j > 0 && tokens[j - 1].kind === 'dot') j -= 2;
    else break;
  }
  if (j > 0 && tokens[j - 1].kind === 'ident' && tokens[j - 1].text === 'vary') {
    const f = resolvePath(segs);
    return f ? { ...f.schema, type: 'array', items: f.schema } : undefined;
  }
  const key = tokens[i - 1];
  if (!key || key.kind !== 'ident') return undefined;
  return spec.fields.get(key.text)?.schema;
}

function resolvePath(segs: string[]): FieldSpec | undefined {
  let spec = ROOT.blocks.get(segs[0]);
  for (let i = 1; spec && i < segs.length; i++) {
    if (i === segs.length - 1) return spec.fields.get(segs[i]);
    spec = spec.blocks.get(segs[i]);
  }
  return undefined;
}

type DirectiveContext = 'vary-path' | 'require-metric' | 'require-op' | 'require-value' | undefined;

function directiveContext(tokens: Token[], pi: number, word: Token | undefined, sameLine: (t: Token | undefined) => boolean): DirectiveContext {
  if (pi < 0 || !sameLine(tokens[pi])) return undefined;
  // Find the first token of this line.
  let s = pi;
  while (s > 0 && !tokens[s].newlineBefore) s--;
  const head = tokens[s];
  if (head.kind !== 'ident') return undefined;
  const n = pi - s; // tokens after the head, before the word
  if (head.text === 'vary') {
    for (let i = s + 1; i <= pi; i++) if (tokens[i].kind === 'eq') return undefined;
    if (word && word.kind !== 'ident') return undefined;
    return 'vary-path';
  }
  if (head.text === 'require') {
    if (n === 0) return 'require-metric';
    if (n === 1) return 'require-op';
    return 'require-value';
  }
  return undefined;
}

function varyPathStart(tokens: Token[], pi: number, word: Token | undefined): number | undefined {
  let i = pi;
  let start = word?.start;
  while (i >= 0 && (tokens[i].kind === 'dot' || (tokens[i].kind === 'ident' && tokens[i].text !== 'vary'))) {
    start = tokens[i].start;
    i--;
  }
  return start;
}

/** Every field a vary path can name, e.g. lut.centroids, accelerator.memory.lut, model.lutboost.seed. */
export function varyPaths(): { path: string; field: FieldSpec }[] {
  const out: { path: string; field: FieldSpec }[] = [];
  const walk = (spec: BlockSpec, prefix: string): void => {
    for (const f of spec.fields.values()) {
      const s = f.schema;
      if (isNumeric(s) || (s.type === 'string' && s.enum)) out.push({ path: `${prefix}.${f.key}`, field: f });
    }
    for (const b of spec.blocks.values()) if (!b.repeated) walk(b, `${prefix}.${b.keyword}`);
  };
  for (const root of ['lut', 'accelerator', 'model']) {
    const spec = ROOT.blocks.get(root);
    if (spec) walk(spec, root);
  }
  return out;
}

function metricItems(range: CompletionItem['range']): CompletionItem[] {
  const d = enumDescriptions(METRIC_SCHEMA);
  return (enumOf(METRIC_SCHEMA) ?? []).map((m) => ({ label: m, kind: 'enum', detail: METRIC_UNITS[m], documentation: d[m], range }));
}

function valueItems(raw: JsonSchema, a: Analysis, tokens: Token[], pi: number, range: CompletionItem['range']): CompletionItem[] {
  const s = deref(raw);
  const inList = isListContext(tokens, pi);
  const itemSchema = s.items ? deref(s.items) : s;
  const values = enumOf(s);
  if (values) {
    // In a list, leave out the values already listed.
    const present = new Set<string>();
    if (inList) for (let i = openListIndex(tokens, pi) + 1; i <= pi; i++) if (tokens[i].kind === 'ident') present.add(tokens[i].text);
    const d = enumDescriptions(s);
    const openList = s.type === 'array' && !inList;
    return values
      .filter((v) => !present.has(v))
      .map((v, i) => ({ label: v, kind: 'enum', documentation: d[v], insertText: openList ? `[${v}]` : v, range, sortText: String(i).padStart(3, '0') }));
  }
  if (s.type === 'boolean') return ['true', 'false'].map((v) => ({ label: v, kind: 'value', range }));
  if (s['x-reference']) return references(a, s['x-reference'], true, range);
  const out: CompletionItem[] = [];
  const seen = new Set<string>();
  const add = (text: string, detail: string): void => {
    if (seen.has(text)) return;
    seen.add(text);
    out.push({ label: text, kind: 'value', detail, range });
  };
  if (s.default !== undefined) add(sourceValue(s.default, s), 'default');
  for (const e of s.examples ?? []) add(typeof e === 'number' ? sourceValue(e, s) : String(e), 'example');
  for (const e of itemSchema.examples ?? []) add(String(e), 'example');
  return out;
}

function references(a: Analysis, kind: string, quote: boolean, range: CompletionItem['range']): CompletionItem[] {
  const names = kind === 'accelerator' ? a.document.accelerators?.map((x) => x.name) : a.document.models?.map((x) => x.name);
  return (names ?? []).filter(Boolean).map((n) => ({ label: quote ? `"${n}"` : n, kind: 'reference', detail: `${kind} block`, insertText: quote ? `"${n}"` : n, range }));
}

/** File names in the folder the typed path names so far (never outside the config's folder). */
function files(configFile: string, typed: string, a: Analysis, offset: number): CompletionItem[] {
  const slash = Math.max(typed.lastIndexOf('/'), typed.lastIndexOf('\\'));
  const dirPart = slash >= 0 ? typed.slice(0, slash + 1) : '';
  const base = path.dirname(configFile);
  const dir = path.resolve(base, dirPart);
  const rel = path.relative(base, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true }).slice(0, 500);
  } catch {
    return [];
  }
  const range = a.lines.range(offset - (typed.length - dirPart.length), offset);
  return entries
    .filter((e) => !e.name.startsWith('.'))
    .map((e) => ({ label: e.isDirectory() ? `${e.name}/` : e.name, kind: 'file' as const, range, sortText: e.isDirectory() ? `0${e.name}` : `1${e.name}` }));
}

const snippetEscape = (s: string): string => s.replace(/[$}\\]/g, (c) => `\\${c}`);

function fieldSnippet(f: FieldSpec, stop: { n: number }): string {
  const s = f.schema;
  const values = enumOf(s);
  if (values && s.type === 'array') return `${f.key} = [\${${stop.n++}:${snippetEscape(sourceValue(s.default ?? [values[0]], s).slice(1, -1))}}]`;
  if (values) {
    const first = typeof s.default === 'string' ? s.default : values[0];
    const ordered = [first, ...values.filter((v) => v !== first)];
    return `${f.key} = \${${stop.n++}|${ordered.join(',')}|}`;
  }
  if (s['x-path']) return `${f.key} = "\${${stop.n++}}"`;
  if (s.type === 'boolean') return `${f.key} = \${${stop.n++}|true,false|}`;
  if (s.default !== undefined) return `${f.key} = \${${stop.n++}:${snippetEscape(sourceValue(s.default, s))}}`;
  if (s.type === 'array') return `${f.key} = [\${${stop.n++}}]`;
  return `${f.key} = \${${stop.n++}}`;
}

/** A block snippet; top-level blocks come filled with every field that has a default. */
function blockSnippet(b: BlockSpec, full: boolean, stop = { n: 1 }, depth = 0): string {
  const head = b.repeated ? `${b.keyword} "\${${stop.n++}:${b.labelProp === 'pattern' ? 'conv*' : 'name'}}"` : b.keyword;
  if (!full) return `${head} {\n\t$0\n}`;
  const ind = '\t'.repeat(depth + 1);
  const lines: string[] = [];
  for (const f of b.fields.values()) if (f.schema.default !== undefined || f.schema['x-path']) lines.push(ind + fieldSnippet(f, stop));
  for (const sub of b.blocks.values()) {
    if (sub.repeated) continue;
    const inner = [...sub.fields.values()].filter((f) => f.schema.default !== undefined);
    if (!inner.length) continue;
    if (inner.length === 1) lines.push(`${ind}${sub.keyword} { ${fieldSnippet(inner[0], stop)} }`);
    else lines.push(ind + blockSnippet(sub, true, stop, depth + 1));
  }
  if (b.keyword === 'explore') {
    lines.push(`${ind}vary \${${stop.n++}:lut.centroids} = [\${${stop.n++}:8, 16, 32}]`);
    lines.push(`${ind}require \${${stop.n++}|area,latency,energy,power,accuracy_drop|} <= \${${stop.n++}:2mm2}`);
    lines.push(`${ind}minimize = [\${${stop.n++}:latency, area}]`);
  }
  return `${head} {\n${lines.join('\n')}\n${'\t'.repeat(depth)}}`;
}

/** The kind of the token after `word` when it is on the same line (for `key| = value`). */
function nextTokenAfter(frame: BlockFrame, word: Token): string | undefined {
  for (const it of frame.items) if (it.kind === 'entry' && it.key === word && it.eq) return 'eq';
  return undefined;
}

function keyItems(frame: BlockFrame, spec: BlockSpec, blockPath: string, word: Token | undefined, range: CompletionItem['range'], root: boolean, wordSpan?: CompletionItem['range']): CompletionItem[] {
  // Renaming the key of an existing `key = value`: replace the word, insert the name only.
  const keyOnly = !!word && nextTokenAfter(frame, word) === 'eq';
  const present = new Set<string>();
  for (const it of frame.items) {
    if (word && it.start === word.start) continue; // the key being typed
    if (it.kind === 'entry' || it.kind === 'block') present.add(it.kind === 'entry' ? it.key.text : it.keyword.text);
  }
  const out: CompletionItem[] = [];
  let i = 0;
  const sort = (): string => String(i++).padStart(3, '0');
  for (const f of spec.fields.values()) {
    if (present.has(f.key)) continue;
    const s = f.schema;
    const detail = [s['x-unit'] ? s['x-unit'] : '', s.default !== undefined ? `default ${sourceValue(s.default, s)}` : ''].filter(Boolean).join(', ');
    out.push({ label: f.key, kind: 'property', detail: detail || undefined, documentation: fieldMarkdown(f, blockPath), insertText: keyOnly ? f.key : fieldSnippet(f, { n: 1 }), isSnippet: !keyOnly, range: keyOnly && word ? wordSpan : range, sortText: sort() });
  }
  for (const b of spec.blocks.values()) {
    if (!b.repeated && present.has(b.keyword)) continue;
    out.push({
      label: b.keyword,
      kind: 'block',
      detail: b.repeated ? `${b.keyword} "${b.labelProp ?? 'name'}" { ... }` : `${b.keyword} { ... }`,
      documentation: blockMarkdown(b),
      insertText: blockSnippet(b, root),
      isSnippet: true,
      range,
      sortText: sort(),
    });
  }
  for (const d of spec.directives.values()) {
    const snippet = d.keyword === 'vary' ? 'vary ${1:lut.centroids} = [${2:8, 16, 32}]' : 'require ${1|area,latency,energy,power,accuracy_drop|} ${2|<=,<,>=,>|} ${3:2mm2}';
    out.push({ label: d.keyword, kind: 'keyword', detail: d.keyword === 'vary' ? 'vary <path> = [values]' : 'require <metric> <= <value>', documentation: d.schema.description, insertText: snippet, isSnippet: true, range, sortText: sort() });
  }
  return out;
}
