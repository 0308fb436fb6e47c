/** Number formatting for tables and tooltips (CSV exports keep the raw numbers). */
// Formatters are built once: toLocaleString builds one per call, which is slow for tables of thousands of rows.
const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const FRACTION = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

export function fmtNum(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e6) return INT.format(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(2);
  return FRACTION.format(Number(v.toPrecision(digits + 1)));
}

export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = b;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? x.toFixed(0) : x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2)} ${units[i]}`;
}

export function fmtPct(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  return `${(fraction * 100).toFixed(digits)} %`;
}

/** A value with an SI prefix and unit: 1.2e-3 s -> "1.20 ms" (3 significant digits, 999.96 µs -> "1.00 ms"). */
export function fmtSI(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return `0 ${unit}`;
  // Long wall times read better in minutes and hours than in kiloseconds.
  if (unit === 's' && v >= 3600) return `${(v / 3600).toPrecision(3)} h`;
  if (unit === 's' && v >= 60) return `${(v / 60).toPrecision(3)} min`;
  const prefixes = ['f', 'p', 'n', 'µ', 'm', '', 'k', 'M', 'G', 'T', 'P'];
  const zero = 5;
  let g = Math.max(-zero, Math.min(prefixes.length - 1 - zero, Math.floor(Math.log10(Math.abs(v)) / 3)));
  let x = Number((v / 1000 ** g).toPrecision(3));
  if (Math.abs(x) >= 1000 && g < prefixes.length - 1 - zero) {
    g++;
    x = Number((v / 1000 ** g).toPrecision(3));
  }
  return `${x.toPrecision(3)} ${prefixes[g + zero]}${unit}`;
}

export function fmtShape(m: number, k: number, n: number): string {
  return `${m}×${k}×${n}`;
}
