import type { AcceleratorConfig, Metric, Precision } from '../dsl/config';
import { ACC_BITS, type LayerPlan } from './plan';
import type { Technology } from './technology';
import { activationBits, isFloat, tableBits, type WorkLayer } from './workload';

/**
 * Area and energy of the LUT-DLA from the technology table. Distance hardware follows the metric (L2 squares
 * each difference with a multiplier; L1 takes |d| and adds; Chebyshev takes |d| and keeps the max) and widths
 * follow the activation and table precision. Energy = event counts x per-event energy; leakage is added per
 * second of run time by the caller (leakageW).
 */

/** What the datapaths are built for: the largest c and v, every metric used, the widest precision. */
export interface HardwareShape {
  c: number;
  v: number;
  metrics: Metric[];
  precision: Precision;
}

const PRECISION_ORDER: Precision[] = ['int4', 'int8', 'bf16', 'fp16'];

export function hardwareShapeOf(layers: readonly WorkLayer[]): HardwareShape {
  const metrics = new Set<Metric>();
  let c = 2;
  let v = 1;
  let precision: Precision = 'int4';
  for (const l of layers) {
    c = Math.max(c, l.lut.centroids);
    v = Math.max(v, l.lut.vector);
    metrics.add(l.lut.metric);
    if (PRECISION_ORDER.indexOf(l.lut.precision) > PRECISION_ORDER.indexOf(precision)) precision = l.lut.precision;
  }
  if (!layers.length) {
    metrics.add('l2');
    precision = 'int8';
  }
  return { c, v, metrics: [...metrics].sort(), precision };
}

const log2c = (x: number): number => Math.max(1, Math.ceil(Math.log2(x)));

/** Bits of a distance for `v` elements of `aBits` under `metric`. */
function distanceBits(metric: Metric, aBits: number, v: number): number {
  if (metric === 'l2') return 2 * (aBits + 1) + log2c(v);
  if (metric === 'l1') return aBits + 1 + log2c(v);
  return aBits + 1;
}

/** Energy (pJ) of one distance element comparing one sub-vector with its centroid and passing (min, index) on. */
export function distancePJ(metric: Metric, precision: Precision, v: number, c: number, t: Technology): number {
  const a = activationBits(precision);
  const fp = isFloat(precision);
  const sub = fp ? t.fpAddPJ(16) : t.addPJ(a + 1);
  const absv = fp ? 0 : 0.5 * t.addPJ(a + 1); // conditional negate; a float's sign bit is free
  const db = distanceBits(metric, a, v);
  const cmp = t.addPJ(db);
  const reg = (db + log2c(c)) * t.regBitPJ;
  if (metric === 'l2') {
    const mul = fp ? t.fpMultPJ(16) : t.multPJ(a + 1);
    const add = fp ? t.fpAddPJ(32) : t.addPJ(db);
    return v * (sub + mul) + (v - 1) * add + cmp + reg;
  }
  if (metric === 'l1') return v * (sub + absv) + (v - 1) * (fp ? t.fpAddPJ(16) : t.addPJ(db)) + cmp + reg;
  return v * (sub + absv) + (v - 1) * (fp ? t.addPJ(16) : t.addPJ(a + 1)) + cmp + reg;
}

function distanceUm2(metric: Metric, precision: Precision, v: number, c: number, t: Technology): number {
  const a = activationBits(precision);
  const fp = isFloat(precision);
  const sub = fp ? t.fpAddUm2(16) : t.addUm2(a + 1);
  const absv = fp ? 0 : 0.5 * t.addUm2(a + 1);
  const db = distanceBits(metric, a, v);
  const regs = (v * a + db + log2c(c)) * t.regBitUm2; // the centroid, the running minimum and its index
  const cmp = t.addUm2(db);
  if (metric === 'l2') return v * (sub + (fp ? t.fpMultUm2(16) : t.multUm2(a + 1))) + (v - 1) * (fp ? t.fpAddUm2(32) : t.addUm2(db)) + cmp + regs;
  if (metric === 'l1') return v * (sub + absv) + (v - 1) * (fp ? t.fpAddUm2(16) : t.addUm2(db)) + cmp + regs;
  return v * (sub + absv) + (v - 1) * t.addUm2(fp ? 16 : a + 1) + cmp + regs;
}

/** Control, interconnect and clock tree on top of the datapath logic (a common first-order allowance). */
export const LOGIC_OVERHEAD = 0.1;

export interface AreaBreakdown {
  totalMM2: number;
  logicMM2: number;
  sramBits: number;
  blocks: Record<string, number>; // mm2
}

export function lutArea(acc: AcceleratorConfig, shape: HardwareShape, t: Technology): AreaBreakdown {
  const um = 1e-6;
  // A CCU supports every metric the workload uses: it carries the datapath of each (they share registers in practice; we charge each).
  const element = shape.metrics.reduce((s, m) => Math.max(s, distanceUm2(m, shape.precision, shape.v, shape.c, t)), 0);
  const ccm = acc.ccm.units * shape.c * element * um;
  const fpAcc = isFloat(shape.precision);
  const lane = (fpAcc ? t.fpAddUm2(32) : t.addUm2(ACC_BITS)) + ACC_BITS * t.regBitUm2;
  const imm = acc.imm.lanes * lane * um;
  const fifo = acc.ccm.units * acc.fifo.depth * log2c(shape.c) * t.regBitUm2 * um;
  const logic = (ccm + imm + fifo) * (1 + LOGIC_OVERHEAD);
  const sram = (bytes: number): number => bytes * 8 * t.sramUm2PerBit * um;
  const blocks = {
    ccm, imm, fifo, control: (ccm + imm + fifo) * LOGIC_OVERHEAD,
    lutSram: sram(acc.memory.lut), indexSram: sram(acc.memory.index), inputSram: sram(acc.memory.input), outputSram: sram(acc.memory.output),
  };
  const sramBits = 8 * (acc.memory.lut + acc.memory.index + acc.memory.input + acc.memory.output);
  return { totalMM2: Object.values(blocks).reduce((a, b) => a + b, 0), logicMM2: logic, sramBits, blocks };
}

/** Static power: SRAM bit leakage plus logic leakage per area. */
export function leakageW(area: AreaBreakdown, t: Technology): number {
  return area.sramBits * t.sramLeakWPerBit + area.logicMM2 * 1e6 * t.logicLeakWPerUm2;
}

/** Dynamic energy of one layer (pJ) by component, from counts that follow from the plan (the same in both modes). */
export function lutLayerEnergy(p: LayerPlan, acc: AcceleratorConfig, t: Technology, dramBytes: number, dramPJPerBit: number): Record<string, number> {
  const L = p.layer;
  const G = L.groups;
  const searches = G * L.m * p.nc;
  const lookups = searches * L.n;
  const fp = isFloat(L.lut.precision);
  const tBits = tableBits(L.lut.precision);
  const bank = acc.memory.lut / 2;
  const lpc = Math.min(p.lanesPerChannel, p.nt);
  const ccm = searches * p.c * distancePJ(L.lut.metric, L.lut.precision, p.v, p.c, t);
  const inputRead = searches * t.sramPJ(acc.memory.input / 2, p.v * p.aBits);
  const inputWrite = ((G * L.m * L.k * p.aBits) / 64) * t.sramPJ(acc.memory.input / 2, 64);
  const fifo = 2 * searches * p.idxBits * t.regBitPJ; // one push and one pop per index
  const indexWrites = p.nTiles > 1 ? searches : 0;
  const indexReads = searches * (p.nTiles - 1);
  const index = (indexWrites + indexReads) * t.sramPJ(acc.memory.index / 2, p.idxBits);
  const lutRead = (lookups / lpc) * t.sramPJ(bank, lpc * tBits);
  // Table bytes loaded = DRAM traffic minus the inputs and outputs (each moved exactly once).
  const tableBytes = Math.max(0, dramBytes - (G * L.m * (L.k + L.n) * p.aBits) / 8);
  const lutWrite = ((tableBytes * 8) / 64) * t.sramPJ(bank, 64);
  const laneAdd = lookups * ((fp ? t.fpAddPJ(32) : t.addPJ(ACC_BITS)) + ACC_BITS * t.regBitPJ);
  const accWidth = p.nt * ACC_BITS;
  const accAccesses = 2 * G * L.m * p.nTiles * p.steps; // read-modify-write of a row of the tile per step
  const accumulators = accAccesses * t.sramPJ(acc.memory.output / 2, accWidth) + ((G * L.m * L.n * ACC_BITS) / 64) * t.sramPJ(acc.memory.output / 2, 64);
  const dram = dramBytes * 8 * dramPJPerBit;
  return { ccm, fifo, index, lutRead, lutWrite, imm: laneAdd, accumulators, input: inputRead + inputWrite, dram };
}
