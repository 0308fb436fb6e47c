import type { AcceleratorConfig, LutSettings } from '../dsl/config';

/**
 * The accelerator a model is simulated on when no config names one. Must match the defaults of the
 * `accelerator` block in schemas/lutdla.schema.json (test/sim/defaults.test.ts checks that it does).
 */
export const DEFAULT_ACCELERATOR: AcceleratorConfig = {
  name: 'default',
  technology: 28,
  clock: 500e6,
  ccm: { units: 8 },
  imm: { lanes: 64 },
  fifo: { depth: 16 },
  memory: { lut: 131072, index: 65536, input: 65536, output: 65536, dram: 12.8e9 },
};

/** Defaults of the `lut` block (schema defaults). */
export const DEFAULT_LUT: LutSettings = { centroids: 16, vector: 4, metric: 'l2', precision: 'int8' };

/** A deep copy with every missing field filled from DEFAULT_ACCELERATOR (a partial, e.g. hand-written, config). */
export type PartialAccelerator = Partial<Omit<AcceleratorConfig, 'memory'>> & { memory?: Partial<AcceleratorConfig['memory']> };

export function completeAccelerator(partial: PartialAccelerator): AcceleratorConfig {
  const d = DEFAULT_ACCELERATOR;
  return {
    name: partial.name ?? d.name,
    technology: partial.technology ?? d.technology,
    clock: partial.clock ?? d.clock,
    ccm: { units: partial.ccm?.units ?? d.ccm.units },
    imm: { lanes: partial.imm?.lanes ?? d.imm.lanes },
    fifo: { depth: partial.fifo?.depth ?? d.fifo.depth },
    memory: { ...d.memory, ...(partial.memory ?? {}) },
  };
}
