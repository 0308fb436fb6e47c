/**
 * Lowering: syntax tree -> plain JSON document (canonical units), with the semantic checks that need the
 * source (unknown keys, duplicates, units, powers of two, paths, explore axes). Every value written into the
 * document records its source span under its JSON pointer, so schema errors map back to the exact text.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Block, Entry, FileNode, Item, RequireDirective, Span, Value, VaryDirective } from './ast';
import type { Severity } from './diagnostics';
import { ROOT, deref, enumOf, isNumeric, METRIC_SCHEMA, METRIC_UNITS, type BlockSpec, type FieldSpec, type JsonSchema } from './schema';
import { closest, didYouMean, shortName } from './suggest';
import { convert, describeDimension, dimensionOf, formatQuantity, lookupUnit, unitCaseSuggestion, unitsOfDimension } from './units';

export interface RawFix {
  title: string;
  start: number;
  end: number;
  newText: string;
}

export interface RawDiagnostic extends Span {
  severity: Severity;
  message: string;
  code: string;
  fixes?: RawFix[];
}

/** Where a lowered value came from: its span, the span of its key, and the key as the user wrote it. */
export interface SourceRef {
  span: Span;
  keySpan?: Span;
  label: string;
  unit?: string;
}

export interface LowerResult {
  doc: Record<string, unknown>;
  diagnostics: RawDiagnostic[];
  pointers: Map<string, SourceRef>;
}

type Json = number | string | boolean | Json[] | { [k: string]: Json };

export interface LowerOptions {
  /** Absolute path of the config file; paths are checked relative to its folder. Omit for unsaved text. */
  filePath?: string;
  fileExists?: (absPath: string) => boolean;
}

export function lower(file: FileNode, options: LowerOptions = {}): LowerResult {
  const diagnostics: RawDiagnostic[] = [];
  const pointers = new Map<string, SourceRef>();
  const report = (severity: Severity, code: string, span: Span, message: string, fixes?: string[]): void => {
    const end = Math.max(span.start, span.end);
    const d: RawDiagnostic = { severity, code, message, start: span.start, end };
    // Each fix replaces the diagnostic's own span.
    if (fixes?.length) d.fixes = fixes.map((t) => ({ title: `Change to '${t}'`, start: span.start, end, newText: t }));
    diagnostics.push(d);
  };
  const fileExists = options.fileExists ?? ((p: string) => fs.existsSync(p));
  const configDir = options.filePath ? path.dirname(path.resolve(options.filePath)) : undefined;
  const references: { kind: string; value: string; span: Span }[] = [];

  const doc: Record<string, unknown> = {};
  lowerItems(file.items, ROOT, doc, '');
  pointers.set('', { span: { start: 0, end: 0 }, label: 'file' });

  // References between blocks (explore accelerator = "edge") need the whole file first.
  const names: Record<string, string[]> = {
    accelerator: ((doc.accelerators as { name: string }[] | undefined) ?? []).map((a) => a.name),
    model: ((doc.models as { name: string }[] | undefined) ?? []).map((m) => m.name),
  };
  for (const r of references) {
    const known = names[r.kind] ?? [];
    if (!known.includes(r.value)) {
      const hint = known.length ? `; the ${r.kind} blocks are: ${known.map((n) => `"${n}"`).join(', ')}` : `; add a ${r.kind} "${r.value}" { ... } block`;
      report('error', 'unknown-reference', r.span, `no ${r.kind} named "${r.value}"${hint}`);
    }
  }
  return { doc, diagnostics, pointers };

  function lowerItems(items: Item[], spec: BlockSpec, target: Record<string, unknown>, ptr: string): void {
    const seen = new Map<string, Span>();
    for (const item of items) {
      if (item.kind === 'entry') lowerEntry(item, spec, target, ptr, seen);
      else if (item.kind === 'block') lowerBlock(item, spec, target, ptr, seen);
      else lowerDirective(item, spec, target, ptr);
    }
  }

  function unknownName(fullName: string, span: Span, spec: BlockSpec, what: 'key' | 'block'): void {
    const name = shortName(fullName);
    const where = spec.keyword ? `in ${spec.keyword}` : 'at the top level';
    // A key that belongs one block down (`units` directly in accelerator) gets a pointed hint.
    for (const sub of spec.blocks.values()) {
      if (what === 'key' && sub.fields.has(name)) {
        report('error', 'unknown-key', span, `'${name}' belongs in the ${sub.keyword} block: ${sub.keyword} { ${name} = ... }`);
        return;
      }
      if (what === 'block' && sub.blocks.has(name)) {
        report('error', 'unknown-key', span, `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name} block belongs inside ${/^[aeiou]/.test(sub.keyword) ? 'an' : 'a'} ${sub.keyword} block: ${sub.keyword}${sub.repeated ? ' "name"' : ''} { ${name} ... }`);
        return;
      }
    }
    const candidates = what === 'block' ? [...spec.blocks.keys()] : [...spec.fields.keys(), ...spec.blocks.keys(), ...spec.directives.keys()];
    const allowed = candidates.length ? ` Allowed ${where}: ${candidates.join(', ')}.` : '';
    const guess = closest(fullName, candidates);
    report('error', 'unknown-key', span, `unknown ${what} '${name}' ${where}${didYouMean(fullName, candidates)}.${allowed}`, guess ? [guess] : undefined);
  }

  function lowerEntry(e: Entry, spec: BlockSpec, target: Record<string, unknown>, ptr: string, seen: Map<string, Span>): void {
    const name = e.key.text;
    const field = spec.fields.get(name);
    if (!field) {
      const sub = spec.blocks.get(name);
      if (sub) report('error', 'syntax', e.key, `'${name}' is a block: write ${name}${sub.repeated ? ' "name"' : ''} { ... }`);
      else if (spec.directives.has(name)) report('error', 'syntax', e.key, `write ${name === 'vary' ? 'vary <path> = [values]' : 'require <metric> <= <value>'}`);
      else unknownName(name, e.key, spec, 'key');
      return;
    }
    const first = seen.get(name);
    if (first) {
      report('error', 'duplicate', e.key, `duplicate key '${name}': it is already set in this block`);
      return;
    }
    seen.set(name, e.key);
    const p = `${ptr}/${field.prop}`;
    if (!e.value || e.value.kind === 'missing') return;
    const v = lowerValue(e.value, field.schema, p, name, e.key);
    if (v !== undefined) target[field.prop] = v;
    if (e.rangeKeyword) {
      const rangeProp = field.schema['x-rangeProperty'];
      if (!rangeProp) {
        report('error', 'syntax', e.rangeKeyword, `'range' applies only to calibration and evaluation data`);
      } else if (e.range && e.range.kind !== 'missing') {
        if (e.range.kind !== 'range') report('error', 'schema', e.range, `'range' takes rows as start:end, e.g. range 0:1000`);
        else if (e.range.to) {
          const r = lowerValue(e.range, { type: 'array' }, `${ptr}/${rangeProp}`, `${name} range`);
          if (r !== undefined) {
            target[rangeProp] = r;
            pointers.set(`${ptr}/${rangeProp}`, { span: e.range, keySpan: e.rangeKeyword, label: `${name} range` });
          }
        }
      }
    }
  }

  function lowerBlock(b: Block, spec: BlockSpec, target: Record<string, unknown>, ptr: string, seen: Map<string, Span>): void {
    const name = b.keyword.text;
    const sub = spec.blocks.get(name);
    const header: Span = { start: b.keyword.start, end: b.label?.end ?? b.keyword.end };
    if (!sub) {
      if (spec.fields.has(name)) report('error', 'syntax', b.keyword, `'${name}' is a key, not a block: write ${name} = value`);
      else unknownName(name, b.keyword, spec, 'block');
      return;
    }
    if (sub.repeated) {
      const label = b.label?.str;
      if (label === undefined || label === '') {
        report('error', 'schema', header, `${name} needs a ${sub.labelProp ?? 'name'}: ${name} "${sub.labelProp === 'pattern' ? 'conv*' : 'name'}" { ... }`);
      }
      const key = `${name} "${label ?? ''}"`;
      if (label && seen.has(key)) {
        report('error', 'duplicate', header, `duplicate ${name} "${label}": another ${name} block has this ${sub.labelProp ?? 'name'}`);
        return;
      }
      seen.set(key, header);
      const list = (target[sub.prop] as unknown[] | undefined) ?? [];
      target[sub.prop] = list;
      const obj: Record<string, unknown> = { [sub.labelProp ?? 'name']: label ?? '' };
      const p = `${ptr}/${sub.prop}/${list.length}`;
      list.push(obj);
      pointers.set(p, { span: header, keySpan: header, label: key });
      if (b.label) pointers.set(`${p}/${sub.labelProp ?? 'name'}`, { span: b.label, label: `${name} ${sub.labelProp ?? 'name'}` });
      lowerItems(b.items, sub, obj, p);
    } else {
      if (b.label) report('error', 'syntax', b.label, `'${name}' takes no name: write ${name} { ... }`);
      if (seen.has(name)) {
        report('error', 'duplicate', header, `duplicate '${name}' block: merge it into the first one`);
        return;
      }
      seen.set(name, header);
      const obj: Record<string, unknown> = {};
      target[sub.prop] = obj;
      const p = `${ptr}/${sub.prop}`;
      pointers.set(p, { span: header, keySpan: header, label: name });
      lowerItems(b.items, sub, obj, p);
    }
  }

  function lowerDirective(d: VaryDirective | RequireDirective, spec: BlockSpec, target: Record<string, unknown>, ptr: string): void {
    const ds = spec.directives.get(d.kind);
    if (!ds) {
      report('error', 'syntax', d.keyword, `'${d.kind}' is only allowed in the explore block`);
      return;
    }
    const list = (target[ds.prop] as unknown[] | undefined) ?? [];
    target[ds.prop] = list;
    const p = `${ptr}/${ds.prop}/${list.length}`;
    if (d.kind === 'vary') {
      if (!d.path.length || !d.value || d.value.kind === 'missing') return;
      const resolved = resolveFieldPath(d.path.map((t) => t.text));
      if ('error' in resolved) {
        report('error', 'explore-axis', d.path[resolved.at] ?? d.keyword, resolved.error, resolved.fix ? [resolved.fix] : undefined);
        return;
      }
      const field = resolved.field;
      if (d.value.kind !== 'list') {
        report('error', 'schema', d.value, `vary takes a list of values, e.g. vary ${resolved.written} = [8, 16, 32]`);
        return;
      }
      const values: Json[] = [];
      d.value.items.forEach((item, i) => {
        const v = lowerValue(item, field.schema, `${p}/values/${i}`, resolved.written);
        if (v !== undefined) values.push(v);
      });
      list.push({ path: resolved.lowered, values });
      pointers.set(p, { span: d, keySpan: d.keyword, label: `vary ${resolved.written}` });
      pointers.set(`${p}/path`, { span: d.pathSpan ?? d.keyword, label: 'vary path' });
      pointers.set(`${p}/values`, { span: d.value, label: `vary ${resolved.written}` });
    } else {
      if (!d.metric || !d.op || !d.value || d.value.kind === 'missing') return;
      const metric = d.metric.text;
      const metrics = enumOf(METRIC_SCHEMA) ?? [];
      if (!metrics.includes(metric)) {
        const guess = closest(metric, metrics);
        report('error', 'schema', d.metric, `unknown metric '${metric}'${didYouMean(metric, metrics)}; metrics: ${metrics.join(', ')}`, guess ? [guess] : undefined);
        return;
      }
      const unit = METRIC_UNITS[metric] ?? '';
      const value = lowerValue(d.value, { type: 'number', 'x-unit': unit }, `${p}/value`, metric);
      if (value === undefined) return;
      list.push({ metric, op: d.op.text, value });
      pointers.set(p, { span: d, keySpan: d.keyword, label: `require ${metric}` });
      pointers.set(`${p}/value`, { span: d.value, keySpan: d.metric, label: metric, unit });
    }
  }

  /** A vary path like accelerator.ccm.units -> the field it names, or where and why it names none. */
  function resolveFieldPath(segs: string[]): { field: FieldSpec; lowered: string; written: string } | { error: string; at: number; fix?: string } {
    const written = segs.join('.');
    const roots = [...ROOT.blocks.keys()].filter((k) => k !== 'explore');
    const rootSpec = ROOT.blocks.get(segs[0]);
    if (!rootSpec || segs[0] === 'explore') {
      return { error: `vary ${written}: the path must start with ${roots.join(', ')}${didYouMean(segs[0], roots)}`, at: 0, fix: closest(segs[0], roots) };
    }
    let spec: BlockSpec = rootSpec;
    const lowered = [segs[0]];
    for (let i = 1; i < segs.length; i++) {
      const s = segs[i];
      const sub: BlockSpec | undefined = spec.blocks.get(s);
      if (sub && !sub.repeated) {
        spec = sub;
        lowered.push(sub.prop);
        continue;
      }
      const field = spec.fields.get(s);
      if (field && i === segs.length - 1) {
        lowered.push(field.prop);
        return { field, lowered: lowered.join('.'), written };
      }
      const options = [...spec.fields.keys(), ...[...spec.blocks.values()].filter((b) => !b.repeated).map((b) => b.keyword)];
      const why = field ? `'${s}' is a value, it has no fields below it` : `'${segs.slice(0, i).join('.')}' has no field '${s}'${didYouMean(s, options)}`;
      return { error: `vary ${written} names no field: ${why}. Fields here: ${options.join(', ')}`, at: i, fix: field ? undefined : closest(s, options) };
    }
    const options = [...spec.fields.keys()];
    return { error: `vary ${written} names a block, not a field: add one of ${options.join(', ')}`, at: segs.length - 1 };
  }

  function checkNumber(n: number, s: JsonSchema, span: Span, label: string): void {
    const unit = s['x-unit'] ?? '';
    if (s['x-powerOfTwo'] && Number.isInteger(n) && n > 0 && !Number.isInteger(Math.log2(n))) {
      const lo = 2 ** Math.floor(Math.log2(n));
      report('error', 'power-of-two', span, `${label} must be a power of two (the index is log2(c) bits): ${n} is not; use ${lo} or ${lo * 2}`, [String(lo), String(lo * 2)]);
    }
    const wmin = s['x-warnMin'];
    const wmax = s['x-warnMax'];
    const outside = (wmin !== undefined && n < wmin) || (wmax !== undefined && n > wmax);
    const hardOk = (s.minimum === undefined || n >= s.minimum) && (s.maximum === undefined || n <= s.maximum) && (s.exclusiveMinimum === undefined || n > s.exclusiveMinimum);
    if (outside && hardOk) {
      const lo = wmin !== undefined ? formatQuantity(wmin, unit) : undefined;
      const hi = wmax !== undefined ? formatQuantity(wmax, unit) : undefined;
      const range = lo && hi ? `between ${lo} and ${hi}` : lo ? `at least ${lo}` : `at most ${hi}`;
      report('warning', 'out-of-range', span, `${label} = ${formatQuantity(n, unit)} is unusual for this hardware (expected ${range}); check the value and its unit`);
    }
  }

  function lowerNumber(v: Value & { kind: 'number' | 'fraction' }, s: JsonSchema, label: string): number | undefined {
    const canonical = s['x-unit'];
    if (v.kind === 'fraction') {
      if (v.num.unit || v.den.unit) {
        report('error', 'unit', v, `${label}: a fraction takes plain numbers, e.g. 1/255`);
        return undefined;
      }
      if (v.den.value === 0) {
        report('error', 'schema', v.den, `${label}: division by zero`);
        return undefined;
      }
      return v.value;
    }
    if (!Number.isFinite(v.value)) {
      report('error', 'syntax', v, `${label}: '${v.token.text}' is not a number`);
      return undefined;
    }
    if (!v.unit) return v.value;
    const unitSpan: Span = { start: v.token.unitStart ?? v.start, end: v.end };
    const def = lookupUnit(v.unit);
    const wantDim = canonical !== undefined ? dimensionOf(canonical) : undefined;
    if (!def) {
      const fix = unitCaseSuggestion(v.unit);
      const known = wantDim && wantDim !== 'none' ? `; ${label} takes ${unitsOfDimension(wantDim).map((u) => u.unit).join(', ')}` : '';
      report('error', 'unit', unitSpan, `unknown unit '${v.unit}'${fix ? ` (did you mean '${fix}'?)` : ''}${known}`, fix ? [fix] : undefined);
      return undefined;
    }
    if (!wantDim || wantDim === 'none') {
      report('error', 'unit', unitSpan, `${label} takes a plain number, without a unit (found ${describeDimension(def.dimension)} in ${v.unit})`);
      return undefined;
    }
    if (def.dimension !== wantDim) {
      const takes = unitsOfDimension(wantDim).map((u) => u.unit).join(', ');
      report('error', 'unit', unitSpan, `${label} takes ${describeDimension(wantDim)} (${takes}), not ${describeDimension(def.dimension)} ('${v.unit}')`);
      return undefined;
    }
    return convert(v.value, def, canonical ?? '');
  }

  function checkPath(p: string, span: Span, label: string): void {
    if (!p) {
      report('error', 'schema', span, `${label}: the path is empty`);
      return;
    }
    if (path.isAbsolute(p) || /^[a-zA-Z]:[\\/]/.test(p)) {
      report('error', 'path-escape', span, `${label}: absolute path '${p}' is not allowed; write it relative to the config file's folder`);
      return;
    }
    const parts = p.split(/[\\/]+/);
    let depth = 0;
    for (const part of parts) {
      if (part === '..') depth--;
      else if (part && part !== '.') depth++;
      if (depth < 0) {
        report('error', 'path-escape', span, `${label}: '${p}' leaves the config file's folder; put the file in or below that folder`);
        return;
      }
    }
    if (!configDir) return;
    const abs = path.join(configDir, p);
    if (!fileExists(abs)) {
      const demo = /^mnist\//.test(p) ? '; `npm run demo` creates the bundled demo files' : '';
      report('warning', 'missing-file', span, `${label}: file '${p}' not found in ${configDir}: create it or fix the path (relative to this config file)${demo}`);
    }
  }

  /** Lowers a value and records where it came from (with its key's span when it is the value of an entry). */
  function lowerValue(v: Value, raw: JsonSchema, ptr: string, label: string, keySpan?: Span): Json | undefined {
    const s = deref(raw);
    switch (v.kind) {
      case 'missing':
        return undefined;
      case 'number':
      case 'fraction': {
        const n = lowerNumber(v, s, label);
        if (n !== undefined && isNumeric(s)) checkNumber(n, s, v, label);
        if (n !== undefined) pointers.set(ptr, { span: v, keySpan, label, unit: s['x-unit'] });
        return n;
      }
      case 'string': {
        if (s['x-path'] && typeof v.value === 'string') checkPath(v.value, v, label);
        if (s['x-reference']) references.push({ kind: s['x-reference'], value: v.value, span: v });
        pointers.set(ptr, { span: v, keySpan, label });
        return v.value;
      }
      case 'ident': {
        pointers.set(ptr, { span: v, keySpan, label });
        if (s.type === 'boolean' && (v.value === 'true' || v.value === 'false')) return v.value === 'true';
        if (s['x-path']) {
          report('error', 'schema', v, `${label}: write the path in quotes, e.g. "${v.value}"`, [`"${v.value}"`]);
          return undefined;
        }
        if (s['x-reference']) references.push({ kind: s['x-reference'], value: v.value, span: v });
        return v.value;
      }
      case 'range': {
        if (!v.to) return undefined;
        if (v.from.unit || v.to.unit) {
          report('error', 'unit', v, `${label}: a range takes plain row numbers, e.g. 0:1000`);
          return undefined;
        }
        if (v.to.value <= v.from.value) report('error', 'schema', v, `${label}: the range ${v.from.value}:${v.to.value} is empty; the end must be greater than the start`);
        pointers.set(ptr, { span: v, keySpan, label });
        return [v.from.value, v.to.value];
      }
      case 'list': {
        const itemSchema = s.items ? deref(s.items) : isNumeric(s) || s.type === 'string' ? s : {};
        const out: Json[] = [];
        pointers.set(ptr, { span: v, keySpan, label, unit: itemSchema['x-unit'] });
        v.items.forEach((item, i) => {
          const x = lowerValue(item, s.prefixItems?.[i] ?? itemSchema, `${ptr}/${out.length}`, label);
          if (x !== undefined) out.push(x);
        });
        return out;
      }
    }
  }
}
