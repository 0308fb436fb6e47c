import type { AcceleratorConfig } from '../dsl/config';
import type { SimulationLayer, SimulationReport, SimulationTotals } from '../reports/simulation';
import { baselineArea, baselineArray, baselineDescription, baselineLayer, baselineName, type BaselineKind } from './baseline';
import { hardwareShapeOf, leakageW, lutArea, lutLayerEnergy, type AreaBreakdown, type HardwareShape } from './cost';
import { fastLayer } from './fast';
import { dmaCyclesFor, planLayer, type LayerPlan } from './plan';
import { referenceLayer } from './reference';
import { technology, type Technology } from './technology';
import type { LayerTiming } from './timing';
import { layerOps, tableBits, type Workload } from './workload';

export type SimMode = 'fast' | 'reference';

export interface SimulateOptions {
  mode?: SimMode;
  onLayer?: (index: number, total: number, name: string) => void;
  signal?: AbortSignal;
}

/** Cycle lower bounds of a layer: all lookups over all lanes, and its minimum DRAM traffic at full bandwidth. */
export function layerBounds(p: LayerPlan): { compute: number; dram: number } {
  const L = p.layer;
  const lookups = L.groups * L.m * p.nc * L.n;
  const minBytes = L.groups * ((L.m * L.k * p.aBits) / 8 + (p.c * p.nc * L.n * p.tBits) / 8 + (L.m * L.n * p.aBits) / 8);
  return { compute: Math.ceil(lookups / p.lanes), dram: Math.floor(minBytes / p.bytesPerCycle) };
}

function timeLayer(p: LayerPlan, mode: SimMode, signal?: AbortSignal): LayerTiming {
  return mode === 'reference' ? referenceLayer(p, undefined, signal) : fastLayer(p);
}

interface Costed {
  tech: Technology;
  dramPJPerBit: number;
  shape: HardwareShape;
  area: AreaBreakdown;
  leakW: number;
}

function costBasis(w: Workload, acc: AcceleratorConfig): Costed {
  const tech = technology(acc.technology);
  const shape = hardwareShapeOf(w.layers);
  const area = lutArea(acc, shape, tech);
  return { tech, dramPJPerBit: acc.memory.dramEnergy ?? tech.dramPJPerBit, shape, area, leakW: leakageW(area, tech) };
}

/** The few figures a sweep needs, fast mode only, nothing allocated per layer beyond the plan. */
export interface QuickFigures {
  cycles: number;
  latencyS: number;
  energyJ: number;
  powerW: number;
  areaMM2: number;
  gops: number;
  gopsPerW: number;
  gopsPerMM2: number;
  dramBytes: number;
}

export function evaluate(w: Workload, acc: AcceleratorConfig): QuickFigures {
  const basis = costBasis(w, acc);
  let cycles = 0;
  let pj = 0;
  let ops = 0;
  let dramBytes = 0;
  for (const l of w.layers) {
    const p = planLayer(l, acc);
    const tm = fastLayer(p);
    cycles += tm.cycles;
    dramBytes += tm.dramBytes;
    ops += layerOps(l);
    const e = lutLayerEnergy(p, acc, basis.tech, tm.dramBytes, basis.dramPJPerBit);
    for (const k in e) pj += e[k];
  }
  return finish(cycles, pj, ops, dramBytes, acc, basis.area.totalMM2, basis.leakW);
}

function finish(cycles: number, dynPJ: number, ops: number, dramBytes: number, acc: AcceleratorConfig, areaMM2: number, leakW: number): QuickFigures {
  const latencyS = cycles / acc.clock;
  const energyJ = dynPJ * 1e-12 + leakW * latencyS;
  const powerW = latencyS > 0 ? energyJ / latencyS : 0;
  const gops = latencyS > 0 ? ops / latencyS / 1e9 : 0;
  return { cycles, latencyS, energyJ, powerW, areaMM2, gops, gopsPerW: powerW > 0 ? gops / powerW : 0, gopsPerMM2: areaMM2 > 0 ? gops / areaMM2 : 0, dramBytes };
}

function totalsOf(f: QuickFigures, area: AreaBreakdown, energyJ: Record<string, number>): SimulationTotals {
  return {
    cycles: f.cycles, latencyS: f.latencyS, energyJ: f.energyJ, powerW: f.powerW, areaMM2: f.areaMM2,
    areaBreakdownMM2: { ...area.blocks }, energyBreakdownJ: energyJ, gops: f.gops, gopsPerW: f.gopsPerW, gopsPerMM2: f.gopsPerMM2,
  };
}

/** Simulates a workload on an accelerator and builds the `<name>.simulation.json` report. */
export function simulateWorkload(w: Workload, acc: AcceleratorConfig, opts: SimulateOptions = {}): SimulationReport {
  const mode = opts.mode ?? 'fast';
  const t0 = performance.now();
  const basis = costBasis(w, acc);
  const notes = [...w.notes];
  if (basis.tech.extrapolated) notes.push(`technology ${acc.technology} nm is outside the table (7-45 nm): figures extrapolated from ${basis.tech.source}`);
  const layers: SimulationLayer[] = [];
  const energyJ: Record<string, number> = {};
  let cycles = 0;
  let pj = 0;
  let ops = 0;
  let dramBytes = 0;
  w.layers.forEach((l, i) => {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
    opts.onLayer?.(i, w.layers.length, l.name);
    const p = planLayer(l, acc);
    const tm = timeLayer(p, mode, opts.signal);
    const dyn = lutLayerEnergy(p, acc, basis.tech, tm.dramBytes, basis.dramPJPerBit);
    const leakPJ = basis.leakW * (tm.cycles / acc.clock) * 1e12;
    const energyPJ: Record<string, number> = { ...dyn, leakage: leakPJ };
    for (const [k, v] of Object.entries(energyPJ)) {
      energyJ[k] = (energyJ[k] ?? 0) + v * 1e-12;
      if (k !== 'leakage') pj += v;
    }
    const lookups = l.groups * l.m * p.nc * l.n;
    const b = layerBounds(p);
    cycles += tm.cycles;
    ops += layerOps(l);
    dramBytes += tm.dramBytes;
    layers.push({
      name: l.name, op: l.op, m: l.m, k: l.k, n: l.n, centroids: l.lut.centroids, vector: l.lut.vector,
      cycles: tm.cycles, ccmCycles: tm.ccmCycles, immCycles: tm.immCycles, dmaCycles: tm.dmaCycles, stallCycles: tm.stallCycles,
      utilization: lookups / (tm.cycles * p.lanes), dramBytes: tm.dramBytes, energyPJ,
      groups: l.groups, metric: l.lut.metric, precision: l.lut.precision, ops: layerOps(l),
      computeBoundCycles: b.compute, dramBoundCycles: b.dram,
      tiling: { mTile: p.mt, nTile: p.nt, subspacesPerStep: p.spStep, channels: p.channels, mTiles: p.mTiles, nTiles: p.nTiles, steps: p.steps },
      ...(tm.detail ? { detail: { ...tm.detail } } : {}),
    });
  });
  const figures = finish(cycles, pj, ops, dramBytes, acc, basis.area.totalMM2, basis.leakW);
  const totals = totalsOf(figures, basis.area, energyJ);
  const baselines: SimulationReport['baselines'] = [];
  const ratios: SimulationReport['ratios'] = [];
  for (const kind of ['int8', 'fp16'] as BaselineKind[]) {
    const arr = baselineArray(kind, acc, basis.shape.v);
    const area = baselineArea(arr, acc, basis.tech);
    const leak = leakageW(area, basis.tech);
    let bc = 0;
    let bpj = 0;
    let bBytes = 0;
    const be: Record<string, number> = {};
    for (const l of w.layers) {
      const r = baselineLayer(arr, l, acc, basis.tech, basis.dramPJPerBit);
      bc += r.cycles;
      bBytes += r.dramBytes;
      for (const [k, v] of Object.entries(r.energyPJ)) {
        be[k] = (be[k] ?? 0) + v * 1e-12;
        bpj += v;
      }
    }
    const f = finish(bc, bpj, ops, bBytes, acc, area.totalMM2, leak);
    be.leakage = leak * f.latencyS;
    baselines.push({ name: baselineName(arr), description: baselineDescription(arr), ...totalsOf(f, area, be) });
    ratios.push({
      baseline: baselineName(arr),
      powerEfficiency: f.gopsPerW > 0 ? totals.gopsPerW / f.gopsPerW : 0,
      areaEfficiency: f.gopsPerMM2 > 0 ? totals.gopsPerMM2 / f.gopsPerMM2 : 0,
    });
  }
  if (w.dense.length) notes.push(`${w.dense.length} dense layer(s) are reported but not accelerated (the LUT-DLA has no dense unit): ${w.dense.map((d) => d.name).slice(0, 5).join(', ')}${w.dense.length > 5 ? ', ...' : ''}`);
  return {
    kind: 'simulation', version: 1, model: w.name, accelerator: acc.name, mode,
    config: {
      accelerator: acc,
      hardware: { centroids: basis.shape.c, vector: basis.shape.v, metrics: basis.shape.metrics, precision: basis.shape.precision, tableBits: tableBits(basis.shape.precision) },
      dramPJPerBit: basis.dramPJPerBit,
    },
    layers, dense: w.dense.map((d) => ({ name: d.name, op: d.op, reason: d.reason })), totals, baselines, ratios,
    technology: { nm: basis.tech.nm, source: basis.tech.source, extrapolated: basis.tech.extrapolated },
    ops, notes, wallTimeS: (performance.now() - t0) / 1000,
  };
}

/** Equivalent cycles the DMA needs for `bytes` on `acc` (exported for tests and docs). */
export function dramCycles(bytes: number, acc: AcceleratorConfig): number {
  return dmaCyclesFor(bytes, acc.memory.dram / acc.clock);
}
