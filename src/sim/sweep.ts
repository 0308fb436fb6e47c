import type { AcceleratorConfig, ExploreValue, Metric, Precision } from '../dsl/config';
import { METRICS, PRECISIONS } from '../dsl/config';
import { evaluate, type QuickFigures } from './simulate';
import { SimInputError, type LutParams, type Workload } from './workload';

/**
 * A design-space sweep: the cartesian product of the explore block's axes, each point one accelerator and LUT
 * setting evaluated in fast mode. Points are numbered in mixed radix (last axis fastest), so a worker can
 * evaluate any range of ids from the axes alone.
 */
export interface Axis {
  path: string;
  values: ExploreValue[];
}

type Setter = (acc: AcceleratorConfig, lut: Partial<LutParams>, v: ExploreValue) => void;

function num(path: string, v: ExploreValue, integer: boolean, min: number): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new SimInputError(`vary ${path}: '${v}' is not ${integer ? 'an integer' : 'a number'} >= ${min}`);
  }
  return n;
}

const ACC_FIELDS: Record<string, { integer: boolean; min: number; set: (a: AcceleratorConfig, n: number) => void }> = {
  'accelerator.technology': { integer: false, min: 1, set: (a, n) => (a.technology = n) },
  'accelerator.clock': { integer: false, min: 1, set: (a, n) => (a.clock = n) },
  'accelerator.ccm.units': { integer: true, min: 1, set: (a, n) => (a.ccm.units = n) },
  'accelerator.imm.lanes': { integer: true, min: 1, set: (a, n) => (a.imm.lanes = n) },
  'accelerator.fifo.depth': { integer: true, min: 1, set: (a, n) => (a.fifo.depth = n) },
  'accelerator.memory.lut': { integer: false, min: 1, set: (a, n) => (a.memory.lut = n) },
  'accelerator.memory.index': { integer: false, min: 1, set: (a, n) => (a.memory.index = n) },
  'accelerator.memory.input': { integer: false, min: 1, set: (a, n) => (a.memory.input = n) },
  'accelerator.memory.output': { integer: false, min: 1, set: (a, n) => (a.memory.output = n) },
  'accelerator.memory.dram': { integer: false, min: 0, set: (a, n) => (a.memory.dram = n) },
  'accelerator.memory.dramEnergy': { integer: false, min: 0, set: (a, n) => (a.memory.dramEnergy = n) },
};

export const SUPPORTED_AXES = [...Object.keys(ACC_FIELDS), 'lut.centroids', 'lut.vector', 'lut.metric', 'lut.precision'];

/** A setter per axis; `model.lut.*` is the same as `lut.*`; axes the hardware model does not read give a note. */
export function axisSetters(axes: readonly Axis[], notes: string[]): Setter[] {
  return axes.map((ax) => {
    const p = ax.path.replace(/^model\.lut\./, 'lut.');
    if (!ax.values.length) throw new SimInputError(`vary ${ax.path}: no values`);
    const f = ACC_FIELDS[p];
    if (f) return (a, _l, v) => f.set(a, num(p, v, f.integer, f.min));
    switch (p) {
      case 'lut.centroids':
        return (_a, l, v) => {
          const c = num(p, v, true, 2);
          if ((c & (c - 1)) !== 0) throw new SimInputError(`vary lut.centroids: ${c} is not a power of two`);
          l.centroids = c;
        };
      case 'lut.vector':
        return (_a, l, v) => (l.vector = num(p, v, true, 1));
      case 'lut.metric':
        return (_a, l, v) => {
          if (!(METRICS as readonly ExploreValue[]).includes(v)) throw new SimInputError(`vary lut.metric: '${v}' is not one of ${METRICS.join(', ')}`);
          l.metric = v as Metric;
        };
      case 'lut.precision':
        return (_a, l, v) => {
          if (!(PRECISIONS as readonly ExploreValue[]).includes(v)) throw new SimInputError(`vary lut.precision: '${v}' is not one of ${PRECISIONS.join(', ')}`);
          l.precision = v as Precision;
        };
      default:
        if (p.startsWith('model.') || p.startsWith('accelerator.name')) {
          notes.push(`vary ${ax.path}: the hardware model does not read this field; it changes only the accuracy lookup (if reports differ) and multiplies the points`);
          return () => undefined;
        }
        throw new SimInputError(`vary ${ax.path}: the explorer cannot vary this field; it varies ${SUPPORTED_AXES.join(', ')}`);
    }
  });
}

/** Number of points of the product (a float: may exceed 2^53 for absurd sweeps, which the cap refuses). */
export function pointCount(axes: readonly Axis[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1);
}

/** The value index of each axis for point `id` (last axis fastest). */
export function decodePoint(axes: readonly Axis[], id: number): number[] {
  const idx = new Array<number>(axes.length);
  let r = id;
  for (let i = axes.length - 1; i >= 0; i--) {
    const n = axes[i].values.length;
    idx[i] = r % n;
    r = Math.floor(r / n);
  }
  return idx;
}

function cloneAcc(a: AcceleratorConfig): AcceleratorConfig {
  return { ...a, ccm: { ...a.ccm }, imm: { ...a.imm }, fifo: { ...a.fifo }, memory: { ...a.memory } };
}

export interface PointSetting {
  acc: AcceleratorConfig;
  lut: Partial<LutParams>;
}

export function pointSetting(base: AcceleratorConfig, axes: readonly Axis[], setters: readonly Setter[], id: number): PointSetting {
  const acc = cloneAcc(base);
  const lut: Partial<LutParams> = {};
  decodePoint(axes, id).forEach((vi, i) => setters[i](acc, lut, axes[i].values[vi]));
  return { acc, lut };
}

/** The workload with the point's LUT axes applied to every layer (a sweep is a what-if study over all layers). */
export function applyLut(w: Workload, lut: Partial<LutParams>): Workload {
  if (lut.centroids === undefined && lut.vector === undefined && lut.metric === undefined && lut.precision === undefined) return w;
  return { ...w, layers: w.layers.map((l) => ({ ...l, lut: { ...l.lut, ...lut } })) };
}

/** Figure names, in the order of the numbers a worker returns per point. */
export const FIGURES = ['latency', 'energy', 'power', 'area', 'cycles', 'gops', 'gops_per_w', 'gops_per_mm2', 'dram_bytes'] as const;

export function figuresVector(f: QuickFigures): number[] {
  return [f.latencyS, f.energyJ, f.powerW, f.areaMM2, f.cycles, f.gops, f.gopsPerW, f.gopsPerMM2, f.dramBytes];
}

export interface RangeResult {
  from: number;
  figures: Float64Array; // FIGURES.length per point, NaN where the point failed
  errors: { id: number; message: string }[];
}

/** Evaluates points [from, to). A point the model refuses (a buffer too small...) gets NaN figures and its message. */
export function evaluateRange(w: Workload, base: AcceleratorConfig, axes: readonly Axis[], from: number, to: number): RangeResult {
  const setters = axisSetters(axes, []);
  const k = FIGURES.length;
  const figures = new Float64Array((to - from) * k).fill(NaN);
  const errors: { id: number; message: string }[] = [];
  for (let id = from; id < to; id++) {
    try {
      const s = pointSetting(base, axes, setters, id);
      figures.set(figuresVector(evaluate(applyLut(w, s.lut), s.acc)), (id - from) * k);
    } catch (err) {
      if (!(err instanceof SimInputError)) throw err;
      errors.push({ id, message: err.message });
    }
  }
  return { from, figures, errors };
}
