/** Markdown for hover and completion, written from the schema (the single source of the documentation). */
import { deref, enumDescriptions, enumOf, type BlockSpec, type FieldSpec, type JsonSchema } from '../schema';
import { dimensionOf, formatQuantity, unitsOfDimension } from '../units';

/** A schema value shown as the user would write it: 131072 with x-unit B -> 128KiB. */
export function sourceValue(v: unknown, s: JsonSchema): string {
  const unit = s['x-unit'];
  if (typeof v === 'number') return unit ? formatQuantity(v, unit).replace(' ', '') : String(v);
  if (Array.isArray(v)) return `[${v.map((x) => sourceValue(x, s.items ? deref(s.items) : s)).join(', ')}]`;
  if (typeof v === 'string') return s['x-path'] ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

export function fieldMarkdown(field: FieldSpec, blockPath: string): string {
  const s = field.schema;
  const lines = [`**${field.key}**${blockPath ? ` (in \`${blockPath}\`)` : ''}`, '', s.description ?? ''];
  const facts: string[] = [];
  const unit = s['x-unit'];
  if (unit) {
    const dim = dimensionOf(unit);
    const units = dim ? unitsOfDimension(dim).map((u) => u.unit).join(', ') : unit;
    facts.push(`Unit: ${unit} (write ${units})`);
  }
  if (s.default !== undefined) facts.push(`Default: \`${sourceValue(s.default, s)}\``);
  else if (s['x-defaultText']) facts.push(`Default: ${s['x-defaultText']}`);
  const lo = s.minimum ?? s.exclusiveMinimum;
  const hi = s.maximum ?? s.exclusiveMaximum;
  if (lo !== undefined || hi !== undefined) {
    const q = (n: number): string => (unit ? formatQuantity(n, unit) : String(n));
    const l = lo === undefined ? '' : `${s.exclusiveMinimum !== undefined ? '> ' : '>= '}${q(lo)}`;
    const h = hi === undefined ? '' : `${s.exclusiveMaximum !== undefined ? '< ' : '<= '}${q(hi)}`;
    facts.push(`Range: ${[l, h].filter(Boolean).join(', ')}`);
  }
  const wlo = s['x-warnMin'];
  const whi = s['x-warnMax'];
  if (wlo !== undefined || whi !== undefined) {
    const q = (n: number): string => (unit ? formatQuantity(n, unit) : String(n));
    facts.push(`Usual: ${wlo !== undefined ? q(wlo) : ''}..${whi !== undefined ? q(whi) : ''}`);
  }
  if (s['x-powerOfTwo']) facts.push('Must be a power of two');
  const values = enumOf(s);
  if (values) {
    const d = enumDescriptions(s);
    facts.push(`Values: ${values.map((v) => (d[v] ? `\`${v}\` (${d[v]})` : `\`${v}\``)).join(', ')}`);
  }
  if (s['x-path']) facts.push('A path relative to this config file, inside its folder');
  if (s['x-rangeProperty']) facts.push('Optional: `range start:end` selects rows [start, end)');
  if (s.examples?.length) facts.push(`Examples: ${s.examples.map((e) => `\`${typeof e === 'number' ? sourceValue(e, s) : String(e)}\``).join(', ')}`);
  if (facts.length) lines.push('', ...facts.map((f) => `- ${f}`));
  return lines.join('\n');
}

export function blockMarkdown(spec: BlockSpec): string {
  const head = spec.repeated ? `${spec.keyword} "${spec.labelProp ?? 'name'}" { ... }` : `${spec.keyword} { ... }`;
  const keys = [...spec.fields.keys(), ...[...spec.blocks.keys()].map((k) => `${k} { }`), ...[...spec.directives.keys()].map((k) => `${k} ...`)];
  return [`**${head}**`, '', spec.description, '', `Contains: ${keys.map((k) => `\`${k}\``).join(', ')}`].join('\n');
}
