import type { AcceleratorConfig } from '../dsl/config';
import { activationBits, SimInputError, tableBits, type WorkLayer } from './workload';

/** Accumulators are 32 bits wide (int32, or fp32 for float tables). */
export const ACC_BITS = 32;

/**
 * How one layer is tiled onto the accelerator (the static part of the LUT-stationary dataflow, shared by the
 * fast and the reference mode; see docs/hardware-model.md):
 *
 * for each group, for each M tile (mt rows), for each N tile (nt columns), for each step (s subspaces):
 *   the table slice of the step (c x nt entries per subspace) sits in one ping-pong bank while the tile's rows
 *   stream past it; the lanes accumulate the step's s lookups of a row in a register, then add it into the
 *   accumulator tile. Indices come from the CCM (through the FIFO) on the first N tile and from the index
 *   scratchpad afterwards.
 */
export interface LayerPlan {
  layer: WorkLayer;
  c: number;
  v: number;
  nc: number; // subspaces: ceil(K / v)
  aBits: number; // activation element
  tBits: number; // table entry
  idxBits: number; // one index
  lanes: number;
  channels: number; // rows processed side by side (each fed by its own CCU), >1 only when a tile is narrower than the lanes
  lanesPerChannel: number;
  nt: number; // N tile width
  nTiles: number;
  spStep: number; // subspaces per step
  steps: number; // steps per tile: ceil(nc / spStep)
  mt: number; // rows per M tile
  mTiles: number; // per group
  fifoDepth: number;
  bytesPerCycle: number; // DRAM bytes per cycle
}

function need(ok: boolean, msg: string): void {
  if (!ok) throw new SimInputError(msg);
}

export function planLayer(layer: WorkLayer, acc: AcceleratorConfig): LayerPlan {
  const where = `layer '${layer.name}' (M=${layer.m} K=${layer.k} N=${layer.n}${layer.groups > 1 ? ` groups=${layer.groups}` : ''})`;
  for (const [k, v] of [['m', layer.m], ['k', layer.k], ['n', layer.n], ['groups', layer.groups]] as const) {
    need(Number.isInteger(v) && v >= 1, `${where}: ${k} must be a positive integer, got ${v}`);
  }
  const { centroids: c, vector: v } = layer.lut;
  need(Number.isInteger(c) && c >= 2, `${where}: centroids must be an integer >= 2, got ${c}`);
  need(Number.isInteger(v) && v >= 1, `${where}: vector must be a positive integer, got ${v}`);
  need(acc.memory.dram > 0 && Number.isFinite(acc.memory.dram), `accelerator '${acc.name}': DRAM bandwidth must be > 0 (memory { dram = ... })`);
  need(acc.clock > 0 && Number.isFinite(acc.clock), `accelerator '${acc.name}': clock must be > 0`);
  for (const [k, val] of [['ccm.units', acc.ccm.units], ['imm.lanes', acc.imm.lanes], ['fifo.depth', acc.fifo.depth]] as const) {
    need(Number.isInteger(val) && val >= 1, `accelerator '${acc.name}': ${k} must be a positive integer, got ${val}`);
  }
  const nc = Math.ceil(layer.k / v);
  const aBits = activationBits(layer.lut.precision);
  const tBits = tableBits(layer.lut.precision);
  const idxBits = Math.max(1, Math.ceil(Math.log2(c)));
  const lanes = acc.imm.lanes;
  const bankBits = (acc.memory.lut * 8) / 2;
  // Output tile width: one pass of the lanes, narrowed when one subspace's slice would not fit a bank.
  const colsPerBank = Math.floor(bankBits / (c * tBits));
  need(colsPerBank >= 1, `${where}: one table column (${c} entries x ${tBits} bits) does not fit a LUT bank (${acc.memory.lut} B / 2); increase memory.lut or lower centroids/precision`);
  const accCols = Math.floor((acc.memory.output * 8) / (2 * ACC_BITS));
  need(accCols >= 1, `${where}: the output scratchpad (${acc.memory.output} B) cannot double-buffer one ${ACC_BITS}-bit accumulator; increase memory.output`);
  const nt = Math.min(layer.n, lanes, colsPerBank, accCols);
  const nTiles = Math.ceil(layer.n / nt);
  const channels = Math.min(acc.ccm.units, Math.max(1, Math.floor(lanes / nt)));
  const lanesPerChannel = Math.floor(lanes / channels);
  const spStep = Math.min(nc, Math.floor(bankBits / (c * nt * tBits)));
  const steps = Math.ceil(nc / spStep);
  // Rows per M tile: double-buffered accumulators, inputs and (when reused across N tiles) indices.
  const accRows = Math.floor((acc.memory.output * 8) / (2 * nt * ACC_BITS));
  const inRows = Math.floor((acc.memory.input * 8) / (2 * layer.k * aBits));
  need(inRows >= 1, `${where}: two input rows (K=${layer.k} x ${aBits} bits, double-buffered) need ${(2 * layer.k * aBits) / 8} B but the input scratchpad holds ${acc.memory.input} B; increase memory.input`);
  let mt = Math.min(layer.m, accRows, inRows);
  if (nTiles > 1) {
    const idxRows = Math.floor((acc.memory.index * 8) / (2 * nc * idxBits));
    need(idxRows >= 1, `${where}: the indices of two rows (${nc} x ${idxBits} bits, double-buffered) do not fit the index scratchpad (${acc.memory.index} B); increase memory.index`);
    mt = Math.min(mt, idxRows);
  }
  return {
    layer, c, v, nc, aBits, tBits, idxBits, lanes, channels, lanesPerChannel, nt, nTiles, spStep, steps, mt,
    mTiles: Math.ceil(layer.m / mt), fifoDepth: acc.fifo.depth, bytesPerCycle: acc.memory.dram / acc.clock,
  };
}

/** Cycles the DMA needs for `bytes` (at least one). The small epsilon keeps exact multiples exact under rounding. */
export function dmaCyclesFor(bytes: number, bytesPerCycle: number): number {
  return Math.max(1, Math.ceil(bytes / bytesPerCycle - 1e-9));
}

/** Width of N tile j. */
export function tileWidth(p: LayerPlan, j: number): number {
  return j < p.nTiles - 1 ? p.nt : p.layer.n - p.nt * (p.nTiles - 1);
}

/** Rows of M tile i (within a group). */
export function tileRows(p: LayerPlan, i: number): number {
  return i < p.mTiles - 1 ? p.mt : p.layer.m - p.mt * (p.mTiles - 1);
}

/** Subspaces of step s. */
export function stepSubspaces(p: LayerPlan, s: number): number {
  return s < p.steps - 1 ? p.spStep : p.nc - p.spStep * (p.steps - 1);
}

/** Cycles one lookup of a row takes on a channel's lanes (one pass when the tile fits the lanes). */
export function passes(p: LayerPlan, width: number): number {
  return Math.ceil(width / p.lanesPerChannel);
}

/** IMM cycles of one step: the busiest channel's rows x subspaces x passes. */
export function stepCycles(p: LayerPlan, rows: number, width: number, subspaces: number): number {
  return Math.ceil(rows / p.channels) * subspaces * passes(p, width);
}

export const inputBytes = (p: LayerPlan, rows: number): number => (rows * p.layer.k * p.aBits) / 8;
export const sliceBytes = (p: LayerPlan, width: number, subspaces: number): number => Math.ceil((p.c * width * subspaces * p.tBits) / 8);
export const drainBytes = (p: LayerPlan, rows: number, width: number): number => (rows * width * p.aBits) / 8;
