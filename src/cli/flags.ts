import type { CommandContext } from './command';
import { UserError } from './command';
import { formatDiagnostic, hasErrors, loadConfigFile } from '../dsl';
import type { LutdlaDocument, LutSettings, Metric, Precision } from '../dsl/config';
import { METRICS, PRECISIONS } from '../dsl/config';

/**
 * Reading the sub-commands' flags: each reader returns undefined when the flag is absent and throws a UserError
 * that names the flag and shows a valid value when it is malformed.
 */
type Options = CommandContext['options'];

export function flagString(o: Options, name: string): string | undefined {
  const v = o[name];
  return typeof v === 'string' ? v : undefined;
}

export function flagInt(o: Options, name: string, min: number): number | undefined {
  const s = flagString(o, name);
  if (s === undefined) return undefined;
  const v = Number(s);
  if (!/^\s*\d+\s*$/.test(s) || !Number.isSafeInteger(v) || v < min) throw new UserError(`--${name} takes a whole number >= ${min}, not '${s}'`);
  return v;
}

export function flagNumber(o: Options, name: string): number | undefined {
  const s = flagString(o, name);
  if (s === undefined) return undefined;
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v)) throw new UserError(`--${name} takes a number, not '${s}'`);
  return v;
}

export function flagNumberList(o: Options, name: string): number[] | undefined {
  const s = flagString(o, name);
  if (s === undefined) return undefined;
  const parts = s.split(',').map((p) => Number(p));
  if (!s.trim() || parts.some((p) => !Number.isFinite(p))) throw new UserError(`--${name} takes comma-separated numbers (e.g. 0.5,0.5,0.5), not '${s}'`);
  return parts;
}

export function flagRange(o: Options, name: string): [number, number] | undefined {
  const s = flagString(o, name);
  if (s === undefined) return undefined;
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(s);
  if (!m || Number(m[2]) < Number(m[1])) throw new UserError(`--${name} takes START:END sample indices with START <= END (e.g. 0:1000), not '${s}'`);
  return [Number(m[1]), Number(m[2])];
}

export function flagOneOf<T extends string>(o: Options, name: string, allowed: readonly T[]): T | undefined {
  const s = flagString(o, name);
  if (s === undefined) return undefined;
  if (!allowed.includes(s as T)) throw new UserError(`--${name} takes one of ${allowed.join(', ')}, not '${s}'`);
  return s as T;
}

/** `--input-shape 1,3,224,224` (also `1x3x224x224`). */
export function flagShape(o: Options, name = 'input-shape'): number[] | undefined {
  const s = flagString(o, name);
  if (s === undefined) return undefined;
  const parts = s.trim().split(/\s*[,x]\s*/);
  const dims = parts.map(Number);
  if (!parts.every((p) => /^\d+$/.test(p)) || dims.some((d) => d < 1)) {
    throw new UserError(`--${name} takes positive integers separated by commas, e.g. 1,3,224,224; got '${s}'`);
  }
  return dims;
}

/** `--centroids --vector --metric --precision` as a partial override of the LUT settings. */
export function lutFlags(o: Options): Partial<LutSettings> {
  const out: Partial<LutSettings> = {};
  const c = flagInt(o, 'centroids', 2);
  if (c !== undefined) {
    if ((c & (c - 1)) !== 0) throw new UserError(`--centroids takes a power of two >= 2 (2, 4, 8, 16, ...), not ${c}`);
    out.centroids = c;
  }
  const v = flagInt(o, 'vector', 1);
  if (v !== undefined) out.vector = v;
  const metric = flagOneOf<Metric>(o, 'metric', METRICS);
  if (metric !== undefined) out.metric = metric;
  const precision = flagOneOf<Precision>(o, 'precision', PRECISIONS);
  if (precision !== undefined) out.precision = precision;
  return out;
}

/** Loads a `.lutdla` config a job runs from; a config with errors does not run: one line with the first error. */
export function loadCheckedConfig(file: string): LutdlaDocument {
  const { document, diagnostics } = loadConfigFile(file);
  if (hasErrors(diagnostics)) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const more = errors.length - 1;
    throw new UserError(`${formatDiagnostic(file, errors[0])}${more ? ` (and ${more} more error${more > 1 ? 's' : ''}; run lutdla check ${file})` : ''}`);
  }
  return document;
}
