/** Schema validation of the lowered document with ajv, each error mapped back to its source span. */
import type { ErrorObject } from 'ajv';
import type { RawDiagnostic, SourceRef } from './lower';
import { toSnake, validateDocument } from './schema';
import { closest, didYouMean } from './suggest';
import { formatQuantity } from './units';

/** Validates `doc` in place (ajv fills in schema defaults) and returns one diagnostic per schema error. */
export function validateLowered(doc: Record<string, unknown>, pointers: Map<string, SourceRef>): RawDiagnostic[] {
  const errors = validateDocument(doc);
  const out: RawDiagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const ref = findRef(e.instancePath, pointers);
    const d = describe(e, ref);
    if (!d) continue;
    const span = e.keyword === 'required' ? (ref.keySpan ?? ref.span) : ref.span;
    const key = `${span.start}:${d}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const diag: RawDiagnostic = { severity: 'error', code: 'schema', message: d, start: span.start, end: span.end };
    if (e.keyword === 'enum' && typeof e.data === 'string') {
      const guess = closest(e.data, (e.params as { allowedValues: unknown[] }).allowedValues.map(String));
      if (guess) diag.fixes = [{ title: `Change to '${guess}'`, start: span.start, end: span.end, newText: guess }];
    }
    out.push(diag);
  }
  return out;
}

function findRef(pointer: string, pointers: Map<string, SourceRef>): SourceRef {
  let p = pointer;
  for (;;) {
    const r = pointers.get(p);
    if (r) return r;
    if (!p) return { span: { start: 0, end: 0 }, label: 'file' };
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

function describe(e: ErrorObject, ref: SourceRef): string | undefined {
  const label = `'${ref.label}'`;
  const q = (n: unknown): string => (typeof n === 'number' && ref.unit ? formatQuantity(n, ref.unit) : String(n));
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': {
      const t = String(p.type).split(',').map((x) => (x === 'array' ? 'list' : x)).join(' or ');
      return `${label} must be ${article(t)}`;
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      return `${label} must be one of: ${allowed.join(', ')}${typeof e.data === 'string' ? didYouMean(e.data, allowed) : ''}`;
    }
    case 'minimum':
      return `${label} must be at least ${q(p.limit)}`;
    case 'maximum':
      return `${label} must be at most ${q(p.limit)}`;
    case 'exclusiveMinimum':
      return `${label} must be greater than ${q(p.limit)}`;
    case 'exclusiveMaximum':
      return `${label} must be less than ${q(p.limit)}`;
    case 'required':
      return `${label} needs '${toSnake(String(p.missingProperty))}'`;
    case 'uniqueItems':
      return `${label} lists the same value twice (items ${Math.min(Number(p.i), Number(p.j)) + 1} and ${Math.max(Number(p.i), Number(p.j)) + 1})`;
    case 'minItems':
      return `${label} needs at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `${label} takes at most ${String(p.limit)} items`;
    case 'minLength':
      return `${label} must not be empty`;
    case 'additionalProperties':
      return undefined; // unknown keys are reported by the lowering, with a suggestion
    case 'if':
    case 'anyOf':
    case 'oneOf':
      return undefined;
    default:
      return `${label} ${e.message ?? 'is invalid'}`;
  }
}
