/**
 * A tiny structural checker for JSON values from another process or another side of postMessage.
 * Each check returns a readable error naming the path (e.g. `layers[3].tableBytes: expected a number`),
 * so a broken report or message is reported precisely instead of crashing a renderer.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

export class CheckError extends Error {}

export type Obj = Record<string, unknown>;

export function fail(path: string, what: string): never {
  throw new CheckError(`${path || '(root)'}: ${what}`);
}

export function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  return v as Obj;
}

export function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'expected an array');
  return v;
}

export function str(v: unknown, path: string, maxLength = 100_000): string {
  if (typeof v !== 'string') fail(path, 'expected a string');
  if (v.length > maxLength) fail(path, `string longer than ${maxLength} characters`);
  return v;
}

export function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'expected a finite number');
  return v;
}

export function numOrNull(v: unknown, path: string): number | null {
  return v === null ? null : num(v, path);
}

export function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'expected true or false');
  return v;
}

export function oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(path, `expected one of ${allowed.join(', ')}`);
  return v as T;
}

export function int(v: unknown, path: string): number {
  const n = num(v, path);
  if (!Number.isInteger(n)) fail(path, 'expected an integer');
  return n;
}

/** A map of name -> number (energy or area breakdowns, figures). */
export function numRecord(v: unknown, path: string, allowNull = false): Record<string, number | null> {
  const o = obj(v, path);
  for (const [k, x] of Object.entries(o)) {
    if (allowNull) numOrNull(x, `${path}.${k}`);
    else num(x, `${path}.${k}`);
  }
  return o as Record<string, number | null>;
}

/** Runs a throwing checker and turns its first failure into a Result. */
export function attempt<T>(fn: () => T): Result<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof CheckError) return { ok: false, error: e.message };
    throw e;
  }
}
