/**
 * Units of the `.lutdla` language: each unit belongs to a dimension and converts to that dimension's canonical
 * unit (the `x-unit` of a schema field) by a factor.
 */

export type Dimension = 'bytes' | 'bandwidth' | 'frequency' | 'length' | 'energy' | 'area' | 'power' | 'time' | 'percent' | 'none';

export interface UnitDef {
  unit: string;
  dimension: Dimension;
  factor: number; // value in canonical unit = written value * factor
}

/** Canonical unit of each dimension, as the schema's x-unit spells it. */
export const CANONICAL: Record<Dimension, string> = {
  bytes: 'B',
  bandwidth: 'B/s',
  frequency: 'Hz',
  length: 'nm',
  energy: 'pJ',
  area: 'mm2',
  power: 'W',
  time: 's',
  percent: '%',
  none: '',
};

const defs: UnitDef[] = [];
const add = (dimension: Dimension, table: [string, number][]): void => {
  for (const [unit, factor] of table) defs.push({ unit, dimension, factor });
};
add('bytes', [
  ['B', 1], ['KB', 1e3], ['MB', 1e6], ['GB', 1e9], ['TB', 1e12],
  ['KiB', 1024], ['MiB', 1024 ** 2], ['GiB', 1024 ** 3], ['TiB', 1024 ** 4],
]);
add('bandwidth', [
  ['B/s', 1], ['KB/s', 1e3], ['MB/s', 1e6], ['GB/s', 1e9], ['TB/s', 1e12],
  ['KiB/s', 1024], ['MiB/s', 1024 ** 2], ['GiB/s', 1024 ** 3], ['TiB/s', 1024 ** 4],
]);
add('frequency', [['Hz', 1], ['kHz', 1e3], ['MHz', 1e6], ['GHz', 1e9]]);
add('length', [['nm', 1], ['um', 1e3]]);
add('energy', [['fJ', 1e-3], ['pJ', 1], ['nJ', 1e3], ['uJ', 1e6], ['mJ', 1e9], ['J', 1e12], ['pJ/bit', 1], ['pJ/b', 1], ['fJ/bit', 1e-3]]);
add('area', [['mm2', 1], ['um2', 1e-6], ['cm2', 100]]);
add('power', [['uW', 1e-6], ['mW', 1e-3], ['W', 1], ['kW', 1e3]]);
add('time', [['ns', 1e-9], ['us', 1e-6], ['ms', 1e-3], ['s', 1]]);
add('percent', [['%', 1]]);

export const UNITS: readonly UnitDef[] = defs;
const byName = new Map(defs.map((d) => [d.unit, d]));
const byLower = new Map<string, UnitDef[]>();
for (const d of defs) {
  const k = d.unit.toLowerCase();
  byLower.set(k, [...(byLower.get(k) ?? []), d]);
}

export function lookupUnit(unit: string): UnitDef | undefined {
  return byName.get(unit);
}

/** A unit written with the wrong case (`mhz`, `kib`) -> the spelling meant, for a "did you mean". */
export function unitCaseSuggestion(unit: string): string | undefined {
  const c = byLower.get(unit.toLowerCase());
  return c && c.length === 1 ? c[0].unit : undefined;
}

/** The dimension whose canonical unit is `canonical` (a schema x-unit). */
const DIMENSION_OF = new Map<string, Dimension>(Object.entries(CANONICAL).map(([dim, u]) => [u, dim as Dimension]));
// Exploration figures use J for energy: the energy dimension with its own factor.
DIMENSION_OF.set('J', 'energy');

export function dimensionOf(canonical: string): Dimension | undefined {
  return DIMENSION_OF.get(canonical);
}

/** Converts a value in `unit` to the canonical unit `canonical` (which may be J rather than pJ for figures). */
export function convert(value: number, unit: UnitDef, canonical: string): number {
  const inBase = value * unit.factor;
  const target = byName.get(canonical);
  if (!target || target.dimension !== unit.dimension) return inBase;
  return inBase / target.factor;
}

export function unitsOfDimension(dim: Dimension): UnitDef[] {
  return defs.filter((d) => d.dimension === dim && !d.unit.endsWith('/b'));
}

const DIMENSION_NAMES: Record<Dimension, string> = {
  bytes: 'a size in bytes',
  bandwidth: 'a bandwidth',
  frequency: 'a frequency',
  length: 'a length',
  energy: 'an energy',
  area: 'an area',
  power: 'a power',
  time: 'a time',
  percent: 'a percentage',
  none: 'a plain number',
};

export function describeDimension(dim: Dimension): string {
  return DIMENSION_NAMES[dim];
}

/** Formats a canonical value with the most readable unit of its dimension, e.g. 131072 B -> "128 KiB". */
export function formatQuantity(value: number, canonical: string): string {
  const dim = dimensionOf(canonical);
  if (!dim || dim === 'none' || !Number.isFinite(value) || value === 0) return canonical ? `${fmt(value)} ${canonical}` : fmt(value);
  const base = value * (byName.get(canonical)?.factor ?? 1);
  let candidates = unitsOfDimension(dim).filter((u) => !u.unit.includes('/bit'));
  // Sizes read best in binary units when they are exact multiples of 1024.
  if (dim === 'bytes' || dim === 'bandwidth') {
    const binary = candidates.filter((u) => u.unit.includes('i'));
    const decimal = candidates.filter((u) => !u.unit.includes('i') && u.factor !== 1);
    const exactBinary = binary.filter((u) => base >= u.factor && Number.isInteger(base / u.factor));
    candidates = exactBinary.length && dim === 'bytes' ? exactBinary : decimal;
    if (base < 1000) return `${fmt(base)} ${CANONICAL[dim]}`;
  }
  const sorted = candidates.slice().sort((a, b) => a.factor - b.factor);
  let best = sorted[0];
  for (const u of sorted) if (Math.abs(base) >= u.factor) best = u;
  return `${fmt(base / best.factor)} ${best.unit}`;
}

function fmt(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(6)));
}
