/** Number formatting for tables and tooltips (CSV exports keep the raw numbers). */
const SI = ['', 'k', 'M', 'G', 'T', 'P'];

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

/** A value with an SI prefix and unit: 1.2e-3 s -> "1.20 ms". */
export function fmtSI(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return `0 ${unit}`;
  const small = ['', 'm', 'µ', 'n', 'p', 'f'];
  const a = Math.abs(v);
  if (a >= 1) {
    let i = 0;
    let x = v;
    while (Math.abs(x) >= 1000 && i < SI.length - 1) {
      x /= 1000;
      i++;
    }
    return `${x.toPrecision(3)} ${SI[i]}${unit}`;
  }
  let i = 0;
  let x = v;
  while (Math.abs(x) < 1 && i < small.length - 1) {
    x *= 1000;
    i++;
  }
  return `${x.toPrecision(3)} ${small[i]}${unit}`;
}

export function fmtShape(m: number, k: number, n: number): string {
  return `${m}×${k}×${n}`;
}
