import * as os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../lutboost/pool';
import type { AcceleratorConfig, ExploreConfig, ExploreValue } from '../dsl/config';
import type { ExplorationPoint, ExplorationReport } from '../reports/exploration';
import { lutKey, type AccuracyIndex } from './accuracy';
import type { FromWorker, ToWorker } from './exploreWorker';
import { paretoFront } from './pareto';
import { axisSetters, decodePoint, evaluateRange, FIGURES, pointCount, pointSetting, type Axis, type RangeResult } from './sweep';
import { SimInputError, type LutParams, type Workload } from './workload';

/** Sweeps above this many points are refused with a message saying how to narrow them (a plan, never a hang). */
export const DEFAULT_MAX_POINTS = 100_000;

export const FIGURE_UNITS: Record<string, string> = {
  latency: 's', energy: 'J', power: 'W', area: 'mm2', accuracy_drop: 'pp', cycles: 'cycles', gops: 'GOPS',
  gops_per_w: 'GOPS/W', gops_per_mm2: 'GOPS/mm2', dram_bytes: 'B',
};
const OBJECTIVES = ['latency', 'area', 'energy', 'power', 'accuracy_drop', 'cycles', 'dram_bytes'];

export interface ExploreRunOptions {
  workload: Workload;
  base: AcceleratorConfig;
  explore: ExploreConfig;
  configName: string;
  /** The LUT setting of a point before its lut.* axes (for the accuracy lookup when the sweep has no lut axes). */
  baseLut: LutParams;
  accuracy?: AccuracyIndex;
  workers?: number; // default: available cores (at most 8); 1 runs in this thread
  maxPoints?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

function describeAxes(axes: readonly Axis[]): string {
  return axes.map((a) => `${a.path}: ${a.values.length}`).join(' x ');
}

/** Checks the sweep's size and names before any work; the message says how to narrow a sweep that is too big. */
export function checkPlan(explore: ExploreConfig, maxPoints = DEFAULT_MAX_POINTS): number {
  const n = pointCount(explore.axes);
  if (!(n <= maxPoints)) {
    throw new SimInputError(
      `the sweep has ${Number.isFinite(n) ? n.toLocaleString('en-US') : 'too many'} points (${describeAxes(explore.axes)}), above the cap of ${maxPoints.toLocaleString('en-US')}. ` +
      'Narrow it: fewer values per axis, fewer axes, or split it into several explore runs (each point takes about a millisecond per core); ' +
      'raise the cap with --max-points if you mean it.',
    );
  }
  for (const o of explore.minimize) if (!OBJECTIVES.includes(o)) throw new SimInputError(`minimize: unknown objective '${o}'; objectives: ${OBJECTIVES.join(', ')}`);
  for (const c of explore.constraints) if (!(c.metric in FIGURE_UNITS)) throw new SimInputError(`require ${c.metric}: unknown figure; figures: ${Object.keys(FIGURE_UNITS).join(', ')}`);
  return n;
}


/** Evaluates all points over worker threads; resolves with one RangeResult per batch. Cancel terminates the workers. */
async function runPool(o: ExploreRunOptions, total: number, workers: number): Promise<RangeResult[]> {
  const batch = Math.max(16, Math.min(2000, Math.ceil(total / (workers * 8))));
  const ranges: [number, number][] = [];
  for (let f = 0; f < total; f += batch) ranges.push([f, Math.min(total, f + batch)]);
  const results: RangeResult[] = [];
  const pool: Worker[] = [];
  let done = 0;
  return new Promise<RangeResult[]>((resolve, reject) => {
    let next = 0;
    let settled = false;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', onAbort);
      for (const w of pool) void w.terminate();
      if (err) reject(err);
      else resolve(results);
    };
    const onAbort = (): void => finish(o.signal?.reason ?? new Error('cancelled'));
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort);
    const feed = (w: Worker): void => {
      if (next >= ranges.length) return;
      const [from, to] = ranges[next++];
      w.postMessage({ type: 'range', from, to } satisfies ToWorker);
    };
    for (let i = 0; i < Math.min(workers, ranges.length); i++) {
      const w = startWorker('exploreWorker.js', '../sim/exploreWorker.ts'); // dist bundle, or the .ts source under tsx (path relative to src/lutboost)
      pool.push(w);
      w.on('message', (m: FromWorker) => {
        if (m.type === 'error') return finish(new Error(`explore worker: ${m.message}`));
        results.push({ from: m.from, figures: m.figures, errors: m.errors });
        done += m.figures.length / FIGURES.length;
        o.onProgress?.(done, total);
        if (results.length === ranges.length) finish();
        else feed(w);
      });
      w.on('error', (e) => finish(e));
      w.on('exit', (code) => {
        if (code !== 0 && !settled) finish(new Error(`explore worker exited with code ${code}`));
      });
      w.postMessage({ type: 'init', workload: o.workload, base: o.base, axes: o.explore.axes } satisfies ToWorker);
      feed(w);
    }
  });
}

/** Runs an exploration and builds the report (every point, feasibility, Pareto membership, accuracy where known). */
export async function runExploration(o: ExploreRunOptions): Promise<ExplorationReport> {
  const t0 = performance.now();
  const total = checkPlan(o.explore, o.maxPoints);
  const notes: string[] = [];
  const axes = o.explore.axes;
  const setters = axisSetters(axes, notes); // validates every axis and value type up front
  for (let i = 0; i < axes.length; i++) for (const v of axes[i].values) pointSetting(o.base, [axes[i]], [setters[i]], axes[i].values.indexOf(v));
  const workers = Math.max(1, Math.min(o.workers ?? Math.min(8, os.availableParallelism()), Math.ceil(total / 4)));
  let results: RangeResult[];
  if (workers === 1) {
    results = [];
    const step = 256;
    for (let f = 0; f < total; f += step) {
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('cancelled');
      results.push(evaluateRange(o.workload, o.base, axes, f, Math.min(total, f + step)));
      o.onProgress?.(Math.min(total, f + step), total);
      await new Promise<void>((r) => setImmediate(r)); // let a cancel signal through
    }
  } else {
    results = await runPool(o, total, workers);
  }
  const k = FIGURES.length;
  const figs = new Float64Array(total * k).fill(NaN);
  const errors = new Map<number, string>();
  for (const r of results) {
    figs.set(r.figures, r.from * k);
    for (const e of r.errors) errors.set(e.id, e.message);
  }
  const missingAccuracy = new Set<string>();
  const wantsAccuracy = o.explore.minimize.includes('accuracy_drop') || o.explore.constraints.some((c) => c.metric === 'accuracy_drop');
  const points: ExplorationPoint[] = [];
  for (let id = 0; id < total; id++) {
    const vi = decodePoint(axes, id);
    const settings: Record<string, ExploreValue> = {};
    axes.forEach((a, i) => (settings[a.path] = a.values[vi[i]]));
    const figures: Record<string, number | null> = {};
    const err = errors.get(id);
    FIGURES.forEach((name, j) => {
      const x = figs[id * k + j];
      figures[name] = Number.isFinite(x) ? x : null;
    });
    const lut = { ...o.baseLut, ...pointSetting(o.base, axes, setters, id).lut };
    const acc = o.accuracy?.lookup(lut);
    figures.accuracy_drop = acc?.drop ?? null;
    const pointNotes: string[] = [];
    if (err) pointNotes.push(err);
    if (!acc) {
      pointNotes.push(`no conversion report for ${lutKey(lut)}`);
      missingAccuracy.add(lutKey(lut));
    } else if (acc.drop === null) pointNotes.push(`the conversion report for ${lutKey(lut)} has no labelled accuracy`);
    let feasible = !err;
    for (const c of o.explore.constraints) {
      const x = figures[c.metric];
      if (x === null || x === undefined) {
        feasible = false;
        continue;
      }
      const ok = c.op === '<=' ? x <= c.value : c.op === '<' ? x < c.value : c.op === '>=' ? x >= c.value : x > c.value;
      if (!ok) feasible = false;
    }
    points.push({ id, settings, figures, feasible, pareto: false, ...(pointNotes.length ? { note: pointNotes.join('; ') } : {}) });
  }
  const objValues = points.map((p) => o.explore.minimize.map((m) => p.figures[m] ?? NaN));
  const front = paretoFront(objValues, points.map((p) => p.feasible));
  points.forEach((p, i) => (p.pareto = front[i]));
  if (missingAccuracy.size) {
    notes.push(`${missingAccuracy.size} LUT setting(s) have no conversion report, so their accuracy_drop is null` +
      (wantsAccuracy ? ' and those points are neither feasible under an accuracy constraint nor on the Pareto front' : '') + `: ${[...missingAccuracy].slice(0, 6).join('; ')}${missingAccuracy.size > 6 ? '; ...' : ''}`);
  }
  if (errors.size) notes.push(`${errors.size} point(s) could not run on their accelerator (see each point's note)`);
  return {
    kind: 'exploration', version: 1, config: o.configName, objectives: [...o.explore.minimize],
    constraints: o.explore.constraints.map((c) => ({ ...c })), axes: axes.map((a) => ({ path: a.path, values: [...a.values] })),
    points, wallTimeS: (performance.now() - t0) / 1000,
    model: o.workload.name, accelerator: o.base.name, figures: [...FIGURES, 'accuracy_drop'], figureUnits: { ...FIGURE_UNITS },
    accuracySources: o.accuracy?.files ?? [], workers, notes,
  };
}

function csvCell(x: unknown): string {
  if (x === null || x === undefined) return '';
  const s = String(x);
  return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The report as CSV: one row per point with its settings, figures, feasibility, Pareto membership and note. */
export function explorationCsv(r: ExplorationReport): string {
  const figs = r.figures ?? Object.keys(r.points[0]?.figures ?? {});
  const head = ['id', ...r.axes.map((a) => a.path), ...figs.map((f) => (r.figureUnits?.[f] ? `${f} (${r.figureUnits[f]})` : f)), 'feasible', 'pareto', 'note'];
  const lines = [head.map(csvCell).join(',')];
  for (const p of r.points) {
    lines.push([p.id, ...r.axes.map((a) => p.settings[a.path]), ...figs.map((f) => p.figures[f]), p.feasible, p.pareto, p.note ?? ''].map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}
