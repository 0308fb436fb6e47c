import type { ConversionLayer, ConversionReport } from '../../src/reports/conversion';
import type { ExplorationPoint, ExplorationReport } from '../../src/reports/exploration';
import type { SimulationLayer, SimulationReport, SimulationTotals } from '../../src/reports/simulation';

/**
 * Report fixtures made by code, shaped like what `lutdla convert / simulate / explore` write for a small CNN
 * (MNIST-like) and a ResNet-ish network, plus one whose layer names carry HTML and script.
 */

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Shape {
  name: string;
  op: 'Conv' | 'Gemm' | 'MatMul';
  m: number;
  k: number;
  n: number;
}

const MNIST: Shape[] = [
  { name: 'conv2', op: 'Conv', m: 196, k: 288, n: 64 },
  { name: 'conv3', op: 'Conv', m: 49, k: 576, n: 128 },
  { name: 'fc1', op: 'Gemm', m: 1, k: 6272, n: 256 },
  { name: 'fc2', op: 'Gemm', m: 1, k: 256, n: 128 },
];

function resnetShapes(): Shape[] {
  const out: Shape[] = [];
  let hw = 32;
  let ch = 16;
  for (let stage = 0; stage < 3; stage++) {
    for (let block = 0; block < 3; block++) {
      for (const part of ['a', 'b']) {
        const inCh = stage > 0 && block === 0 && part === 'a' ? ch / 2 : ch;
        out.push({ name: `layer${stage + 1}.${block}.conv_${part}`, op: 'Conv', m: hw * hw, k: inCh * 9, n: ch });
      }
    }
    hw /= 2;
    ch *= 2;
  }
  out.push({ name: 'fc', op: 'Gemm', m: 1, k: 64, n: 10 });
  return out;
}

function conversionLayer(s: Shape, c: number, v: number, r: () => number): ConversionLayer {
  const entries = (c / v) * s.k * s.n;
  const e0 = 0.08 + r() * 0.2;
  const e1 = e0 * (0.6 + r() * 0.2);
  const e2 = e1 * (0.5 + r() * 0.3);
  return {
    name: s.name,
    op: s.op,
    m: s.m,
    k: s.k,
    n: s.n,
    centroids: c,
    vector: v,
    metric: 'l2',
    precision: 'int8',
    tableEntries: entries,
    tableBytes: entries,
    weightBytes: s.k * s.n * 4,
    relativeError: e2,
    stages: [
      { stage: 'kmeans', heldOutErrorBefore: 1, heldOutErrorAfter: e0, kept: true, timeS: 0.2 + r() },
      { stage: 'centroids', heldOutErrorBefore: e0, heldOutErrorAfter: e1, kept: true, timeS: 0.5 + r() * 2 },
      { stage: 'tables', heldOutErrorBefore: e1, heldOutErrorAfter: e2, kept: true, timeS: 0.1 + r() * 0.5 },
    ],
  };
}

export function conversionReport(opts: { model?: string; shapes?: Shape[]; seed?: number } = {}): ConversionReport {
  const r = rng(opts.seed ?? 7);
  // Per-layer overrides as a config would have them (layer "conv3" { vector = 8 }).
  const layers = (opts.shapes ?? MNIST).map((s, i) => conversionLayer(s, 16, i % 3 === 1 ? 8 : 4, r));
  // With sensitivity on: the drop with each layer kept dense (fc1, the third, buys the most).
  layers.forEach((l, i) => {
    l.keptDense = { drop: [0.66, 0.69, 0.31, 0.70][i % 4], agreement: 0.99 - 0.01 * (i % 4), dropSe: 0.07 };
  });
  const tableBytes = layers.reduce((a, l) => a + l.tableBytes, 0);
  const weightBytes = layers.reduce((a, l) => a + l.weightBytes, 0);
  return {
    kind: 'conversion',
    version: 1,
    model: opts.model ?? 'mnist-cnn',
    source: `${opts.model ?? 'mnist-cnn'}.onnx`,
    output: `${opts.model ?? 'mnist-cnn'}.lut.onnx`,
    config: { centroids: 16, vector: 4, metric: 'l2', precision: 'int8', stages: ['kmeans', 'centroids', 'tables'], seed: 1 },
    accuracy: { original: 0.9912, lut: 0.9841, drop: 0.71, agreement: 0.9893, samples: 10000, labelled: true },
    layers,
    kept: [{ name: 'conv1', op: 'Conv', reason: 'kept by the config (keep = ["conv1"]): K = 9 is too short for v = 4' }],
    totals: { tableBytes, weightBytes, bitsPerActivation: 1, wallTimeS: 42.7, peakMemoryBytes: 512 * 1024 * 1024 },
    training: [
      { epoch: 1, loss: 0.82, heldOutAgreement: 0.962 },
      { epoch: 2, loss: 0.51, heldOutAgreement: 0.978 },
      { epoch: 3, loss: 0.42, heldOutAgreement: 0.985 },
    ],
    beforeFinetune: { lut: 0.9779, drop: 1.33, agreement: 0.981 },
  };
}

/** Layer names with markup: must show up as text, never become elements or run. */
export const EVIL_NAMES = ['<img src=x onerror=alert(1)>', '<script>alert("x")</script>', 'fc"><b>bold</b>', '=HYPERLINK("http://x")'];

export function evilConversionReport(): ConversionReport {
  const rep = conversionReport({ model: '<i>evil</i> model' });
  rep.layers.forEach((l, i) => {
    l.name = EVIL_NAMES[i % EVIL_NAMES.length];
  });
  rep.kept = [{ name: '<svg onload=alert(2)>', op: 'Conv', reason: '<b>not</b> convertible' }];
  return rep;
}

function totalsFrom(layers: SimulationLayer[], clock: number, scale: number): SimulationTotals {
  const cycles = layers.reduce((a, l) => a + l.cycles, 0);
  const ops = layers.reduce((a, l) => a + 2 * l.m * l.k * l.n, 0);
  const latencyS = cycles / clock;
  const energyBreakdownJ: Record<string, number> = {};
  for (const l of layers) for (const [k, v] of Object.entries(l.energyPJ)) energyBreakdownJ[k] = (energyBreakdownJ[k] ?? 0) + v * 1e-12 * scale;
  const energyJ = Object.values(energyBreakdownJ).reduce((a, b) => a + b, 0);
  const areaBreakdownMM2 = { ccm: 0.12 * scale, imm: 0.35 * scale, fifo: 0.02 * scale, sram: 0.9 * scale, control: 0.05 * scale };
  const areaMM2 = Object.values(areaBreakdownMM2).reduce((a, b) => a + b, 0);
  const powerW = energyJ / latencyS;
  const gops = ops / latencyS / 1e9;
  return { cycles, latencyS, energyJ, powerW, areaMM2, areaBreakdownMM2, energyBreakdownJ, gops, gopsPerW: gops / powerW, gopsPerMM2: gops / areaMM2 };
}

export function simulationReport(opts: { model?: string; shapes?: Shape[]; seed?: number; names?: string[] } = {}): SimulationReport {
  const r = rng(opts.seed ?? 11);
  const layers: SimulationLayer[] = (opts.shapes ?? MNIST).map((s, i) => {
    const ccm = Math.round((s.m * s.k) / 4 / 8);
    const imm = Math.round((s.m * (s.k / 4) * s.n) / 64);
    const dma = Math.round(r() * imm * 0.2);
    const stall = Math.round(r() * imm * 0.1);
    const cycles = Math.max(ccm, imm) + dma + stall;
    return {
      name: opts.names?.[i] ?? s.name,
      op: s.op,
      m: s.m,
      k: s.k,
      n: s.n,
      centroids: 16,
      vector: 4,
      cycles,
      ccmCycles: ccm,
      immCycles: imm,
      dmaCycles: dma,
      stallCycles: stall,
      utilization: imm / cycles,
      dramBytes: s.k * s.n * 4 + s.m * s.k,
      energyPJ: { ccm: ccm * 8 * 2.1, imm: imm * 64 * 0.9, sram: imm * 64 * 1.6, dram: (s.k * s.n * 4 + s.m * s.k) * 8 * 3.7, fifo: s.m * 2 },
    };
  });
  const totals = totalsFrom(layers, 500e6, 1);
  const base = (name: string, description: string, f: number): SimulationReport['baselines'][number] => {
    const t = totalsFrom(layers, 500e6, f);
    return { name, description, ...t, gopsPerW: totals.gopsPerW / f, gopsPerMM2: totals.gopsPerMM2 / (f * 0.8), powerW: totals.powerW * f, areaMM2: totals.areaMM2 * f * 0.8 };
  };
  const baselines = [base('systolic-int8', 'INT8 MAC systolic array, 16×16, same memory system', 4.2), base('systolic-fp16', 'FP16 MAC systolic array, 16×16, same memory system', 11.5)];
  return {
    kind: 'simulation',
    version: 1,
    model: opts.model ?? 'mnist-cnn',
    accelerator: 'edge-28nm',
    mode: 'fast',
    config: { technology: 28, clock: 500e6, ccm: { units: 8 }, imm: { lanes: 64 }, lut: { centroids: 16, vector: 4 } },
    layers,
    dense: [{ name: 'conv1', op: 'Conv', reason: 'kept by the config' }],
    totals,
    baselines,
    ratios: baselines.map((b) => ({ baseline: b.name, powerEfficiency: totals.gopsPerW / b.gopsPerW, areaEfficiency: totals.gopsPerMM2 / b.gopsPerMM2 })),
  };
}

export function explorationReport(opts: { config?: string } = {}): ExplorationReport {
  const r = rng(5);
  const cs = [8, 16, 32, 64];
  const vs = [2, 4, 8];
  const units = [4, 8, 16];
  const points: ExplorationPoint[] = [];
  let id = 0;
  for (const c of cs) {
    for (const v of vs) {
      for (const u of units) {
        const latency = (2e-3 * (c / 16) * (4 / v) ** 0.3 * (8 / u) ** 0.7) * (0.9 + r() * 0.2);
        const area = (0.4 + (c / v) * 0.08 + u * 0.05) * (0.95 + r() * 0.1);
        const energy = latency * (0.2 + u * 0.02);
        const drop = Math.max(0.05, (8 / c) * v * 0.4 * (0.8 + r() * 0.4));
        const missing = c === 64 && v === 8;
        points.push({
          id: id++,
          settings: { 'lut.centroids': c, 'lut.vector': v, 'accelerator.ccm.units': u },
          figures: { latency, area, energy, power: energy / latency, accuracy_drop: missing ? null : drop },
          feasible: area <= 1.6 && !missing,
          pareto: false,
          note: missing ? `no conversion report for c=${c} v=${v} l2 int8` : undefined,
        });
      }
    }
  }
  // Multi-objective front among feasible points.
  const objs = ['latency', 'area', 'accuracy_drop'];
  for (const p of points) {
    if (!p.feasible) continue;
    p.pareto = !points.some(
      (q) => q !== p && q.feasible && objs.every((o) => (q.figures[o] as number) <= (p.figures[o] as number)) && objs.some((o) => (q.figures[o] as number) < (p.figures[o] as number)),
    );
  }
  for (const p of points) if (p.note === undefined) delete p.note;
  return {
    kind: 'exploration',
    version: 1,
    config: opts.config ?? 'edge.lutdla',
    objectives: objs,
    constraints: [{ metric: 'area', op: '<=', value: 1.6 }],
    axes: [
      { path: 'lut.centroids', values: cs },
      { path: 'lut.vector', values: vs },
      { path: 'accelerator.ccm.units', values: units },
    ],
    points,
    wallTimeS: 3.4,
  };
}

export function resnetConversionReport(): ConversionReport {
  return conversionReport({ model: 'resnet20', shapes: resnetShapes(), seed: 3 });
}

export function resnetSimulationReport(): SimulationReport {
  return simulationReport({ model: 'resnet20', shapes: resnetShapes(), seed: 4 });
}

export function evilSimulationReport(): SimulationReport {
  return simulationReport({ model: '<script>alert(1)</script>', names: EVIL_NAMES });
}

/** A large sweep (n points on a grid of four axes), for the row limit and rendering time. */
export function largeExplorationReport(n: number): ExplorationReport {
  const r = rng(9);
  const points: ExplorationPoint[] = [];
  for (let id = 0; id < n; id++) {
    const c = [8, 16, 32, 64][id % 4];
    const v = [2, 4, 8][Math.floor(id / 4) % 3];
    const u = [2, 4, 8, 16, 32][Math.floor(id / 12) % 5];
    const lanes = 16 * (1 + (Math.floor(id / 60) % 20));
    const latency = 1e-3 * (c / 16) * (8 / u) ** 0.6 * (64 / lanes) ** 0.5 * (0.9 + r() * 0.2);
    const area = (0.3 + (c / v) * 0.05 + u * 0.03 + lanes * 0.004) * (0.95 + r() * 0.1);
    points.push({
      id,
      settings: { 'lut.centroids': c, 'lut.vector': v, 'accelerator.ccm.units': u, 'accelerator.imm.lanes': lanes },
      figures: { latency, area, energy: latency * area * 0.3, accuracy_drop: (8 / c) * v * 0.3 * (0.8 + r() * 0.4) },
      feasible: area < 2.5,
      pareto: false,
    });
  }
  return {
    kind: 'exploration',
    version: 1,
    config: 'large.lutdla',
    objectives: ['latency', 'area'],
    constraints: [{ metric: 'area', op: '<', value: 2.5 }],
    axes: [
      { path: 'lut.centroids', values: [8, 16, 32, 64] },
      { path: 'lut.vector', values: [2, 4, 8] },
      { path: 'accelerator.ccm.units', values: [2, 4, 8, 16, 32] },
      { path: 'accelerator.imm.lanes', values: Array.from({ length: 20 }, (_, i) => 16 * (i + 1)) },
    ],
    points,
    wallTimeS: 12.5,
  };
}
