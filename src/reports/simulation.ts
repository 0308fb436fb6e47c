/**
 * `<name>.simulation.json` (schema: schemas/report.simulation.schema.json). Written by `lutdla simulate`,
 * rendered by the simulation panel. Fields may be added; existing ones keep their names and units.
 */
export interface SimulationTotals {
  cycles: number;
  latencyS: number;
  energyJ: number;
  powerW: number;
  areaMM2: number;
  areaBreakdownMM2: Record<string, number>; // by block: ccm, imm, fifo, sram, ...
  energyBreakdownJ: Record<string, number>; // by component
  gops: number; // equivalent ops (2*M*K*N) per second / 1e9
  gopsPerW: number;
  gopsPerMM2: number;
}

export interface SimulationLayer {
  name: string;
  op: string;
  m: number;
  k: number;
  n: number;
  centroids: number;
  vector: number;
  cycles: number;
  ccmCycles: number;
  immCycles: number;
  dmaCycles: number;
  stallCycles: number;
  utilization: number; // 0..1, IMM lanes busy
  dramBytes: number;
  energyPJ: Record<string, number>; // by component
  groups?: number; // the layer is `groups` GEMMs of m x k x n
  metric?: string;
  precision?: string;
  ops?: number; // equivalent operations, 2*m*k*n*groups
  /** Lower bounds the cycles respect: IMM lookups over all lanes, and the layer's minimum DRAM traffic at full bandwidth. */
  computeBoundCycles?: number;
  dramBoundCycles?: number;
  /** The tiling the layer ran with. */
  tiling?: { mTile: number; nTile: number; subspacesPerStep: number; channels: number; mTiles: number; nTiles: number; steps: number };
  /** Reference mode only: what the cycle stepping saw inside. */
  detail?: Record<string, number>;
}

export interface SimulationReport {
  kind: 'simulation';
  version: 1;
  model: string;
  accelerator: string;
  mode: 'fast' | 'reference';
  config: Record<string, unknown>; // the accelerator and LUT settings used
  layers: SimulationLayer[];
  dense: { name: string; op: string; reason: string }[];
  totals: SimulationTotals;
  baselines: ({ name: string; description: string } & SimulationTotals)[];
  ratios: { baseline: string; powerEfficiency: number; areaEfficiency: number }[];
  /** Added fields: the technology node used, the hardware sizing, and notes (dense layers not accelerated, extrapolated tables...). */
  technology?: { nm: number; source: string; extrapolated: boolean };
  ops?: number;
  notes?: string[];
  wallTimeS?: number;
}
