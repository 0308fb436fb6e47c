/** Cycle figures of one layer, the same fields from both modes. */
export interface LayerTiming {
  cycles: number; // until the last output tile is in DRAM
  ccmCycles: number; // CCM work: per M tile and channel stream, rows x subspaces searches plus the c-cycle fill
  immCycles: number; // cycles the IMM lanes are busy
  dmaCycles: number; // cycles the DMA engine is transferring
  stallCycles: number; // cycles the IMM waits (tables, accumulators, indices): cycles - immCycles
  dramBytes: number;
  /** Reference mode only: what the cycle-stepping saw inside (not reproduced by the fast mode). */
  detail?: { ccmBlockedCycles: number; maxFifoOccupancy: number; immWaitTable: number; immWaitIndex: number; immWaitAccumulator: number };
}
