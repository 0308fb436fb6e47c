import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConversionReport } from '../reports/conversion';
import type { LutParams } from './workload';

/** Accuracy drops known from conversion reports, by (c, v, metric, precision). */
export interface AccuracyIndex {
  lookup(lut: LutParams): { drop: number | null; file: string } | undefined;
  files: string[];
}

export const lutKey = (l: LutParams): string => `c=${l.centroids} v=${l.vector} ${l.metric} ${l.precision}`;

/**
 * Reads every `*.conversion.json` directly inside `dirs` whose model or source matches (when `model` is given),
 * keeping for each LUT setting the newest report. Unreadable or foreign files are skipped, never fatal.
 */
export function loadAccuracyIndex(dirs: readonly string[], match?: { model?: string; source?: string }): AccuracyIndex {
  const best = new Map<string, { drop: number | null; file: string; mtime: number }>();
  const files: string[] = [];
  for (const dir of new Set(dirs.map((d) => path.resolve(d)))) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith('.conversion.json'));
    } catch {
      continue;
    }
    for (const n of names) {
      const file = path.join(dir, n);
      try {
        const r = JSON.parse(fs.readFileSync(file, 'utf8')) as ConversionReport;
        if (r.kind !== 'conversion' || !r.config) continue;
        if (match && (match.model || match.source) && r.model !== match.model && r.source !== match.source) continue;
        const key = lutKey(r.config);
        const mtime = fs.statSync(file).mtimeMs;
        const prev = best.get(key);
        const drop = typeof r.accuracy?.drop === 'number' && Number.isFinite(r.accuracy.drop) ? r.accuracy.drop : null;
        if (!prev || mtime > prev.mtime) best.set(key, { drop, file, mtime });
        files.push(file);
      } catch {
        // not a conversion report we can read: ignore
      }
    }
  }
  return {
    files,
    lookup: (lut) => {
      const b = best.get(lutKey(lut));
      return b ? { drop: b.drop, file: b.file } : undefined;
    },
  };
}
