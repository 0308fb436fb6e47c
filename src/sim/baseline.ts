import type { AcceleratorConfig } from '../dsl/config';
import { LOGIC_OVERHEAD, type AreaBreakdown } from './cost';
import { ACC_BITS, dmaCyclesFor } from './plan';
import type { Technology } from './technology';
import { SimInputError, type WorkLayer } from './workload';

/**
 * The conventional accelerator every report compares against: a weight-stationary MAC systolic array
 * (INT8, or FP16 with FP32 accumulation) with the same clock, scratchpads (the table memory becomes the
 * weight buffer), DRAM and technology table. It is sized for the same peak equivalent throughput as the
 * LUT-DLA: one lookup-add of a lane stands for v multiply-adds, so the array has about lanes x v PEs
 * (a square of the nearest power-of-two side). Timing is tile-level (no cycle reference for the baseline):
 * each R x C weight tile streams all M rows through the array (M + R + C - 1 cycles with fill and drain),
 * weight loads are double-buffered, and a layer takes max(compute, DRAM transfer) plus the first tile's load.
 */
export type BaselineKind = 'int8' | 'fp16';

export interface BaselineArray {
  kind: BaselineKind;
  rows: number;
  cols: number;
}

export function baselineArray(kind: BaselineKind, acc: AcceleratorConfig, v: number): BaselineArray {
  const side = Math.max(1, 2 ** Math.round(Math.log2(Math.sqrt(acc.imm.lanes * v))));
  return { kind, rows: side, cols: side };
}

export function baselineName(b: BaselineArray): string {
  return `systolic-${b.kind}`;
}

export function baselineDescription(b: BaselineArray): string {
  return `weight-stationary ${b.rows}x${b.cols} MAC systolic array, ${b.kind === 'int8' ? 'INT8 operands, INT32 accumulation' : 'FP16 operands, FP32 accumulation'}, same memory system and technology`;
}

const bitsOf = (b: BaselineArray): number => (b.kind === 'int8' ? 8 : 16);

export interface BaselineLayer {
  cycles: number;
  dramBytes: number;
  energyPJ: Record<string, number>;
}

export function baselineLayer(b: BaselineArray, l: WorkLayer, acc: AcceleratorConfig, t: Technology, dramPJPerBit: number): BaselineLayer {
  const w = bitsOf(b);
  const R = b.rows;
  const C = b.cols;
  const tileBytes = (R * C * w) / 8;
  if (tileBytes > acc.memory.lut / 2) throw new SimInputError(`baseline ${baselineName(b)}: a ${R}x${C} weight tile (${tileBytes} B) does not fit half the weight buffer (memory.lut = ${acc.memory.lut} B)`);
  const G = l.groups;
  const kT = Math.ceil(l.k / R);
  const nT = Math.ceil(l.n / C);
  const inBytes = (l.m * l.k * w) / 8;
  const inputsFit = inBytes <= acc.memory.input / 2;
  const psumFit = l.m * C * ACC_BITS <= (acc.memory.output * 8) / 2;
  const dramBytes = G * ((l.k * l.n * w) / 8 + inBytes * (inputsFit ? 1 : nT) + (l.m * l.n * w) / 8 + (psumFit ? 0 : 2 * l.m * l.n * 4 * (kT - 1)));
  const bpc = acc.memory.dram / acc.clock;
  const compute = G * kT * nT * (l.m + R + C - 1);
  const cycles = Math.max(compute, dmaCyclesFor(dramBytes, bpc)) + dmaCyclesFor(tileBytes, bpc);
  const macs = G * l.m * l.k * l.n;
  const fp = b.kind === 'fp16';
  const macPJ = fp ? t.fpMultPJ(16) + t.fpAddPJ(32) : t.multPJ(8) + t.addPJ(ACC_BITS);
  const pe = macs * (macPJ + (w + ACC_BITS) * t.regBitPJ);
  const weights = ((G * l.k * l.n * w) / 64) * (t.sramPJ(acc.memory.lut / 2, 64) * 2); // written by DMA, read once into the PEs
  const inputs = G * l.m * kT * nT * t.sramPJ(acc.memory.input / 2, R * w) + ((G * inBytes * 8) / 64) * t.sramPJ(acc.memory.input / 2, 64);
  const psums = 2 * G * l.m * kT * nT * t.sramPJ(acc.memory.output / 2, C * ACC_BITS);
  return { cycles, dramBytes, energyPJ: { pe, weights, inputs, accumulators: psums, dram: dramBytes * 8 * dramPJPerBit } };
}

export function baselineArea(b: BaselineArray, acc: AcceleratorConfig, t: Technology): AreaBreakdown {
  const um = 1e-6;
  const w = bitsOf(b);
  const fp = b.kind === 'fp16';
  const peUm2 = (fp ? t.fpMultUm2(16) + t.fpAddUm2(32) : t.multUm2(8) + t.addUm2(ACC_BITS)) + (2 * w + ACC_BITS) * t.regBitUm2;
  const array = b.rows * b.cols * peUm2 * um;
  const sram = (bytes: number): number => bytes * 8 * t.sramUm2PerBit * um;
  const blocks = {
    array, control: array * LOGIC_OVERHEAD,
    weightSram: sram(acc.memory.lut), inputSram: sram(acc.memory.input), outputSram: sram(acc.memory.output),
  };
  return {
    totalMM2: Object.values(blocks).reduce((a, x) => a + x, 0), logicMM2: array * (1 + LOGIC_OVERHEAD),
    sramBits: 8 * (acc.memory.lut + acc.memory.input + acc.memory.output), blocks,
  };
}
