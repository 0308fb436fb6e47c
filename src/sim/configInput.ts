import type { AcceleratorConfig, LutdlaDocument } from '../dsl/config';
import { completeAccelerator, DEFAULT_ACCELERATOR } from './defaults';
import { SimInputError } from './workload';

/** The accelerator named `name` (or the first, or the default when the config has none). */
export function pickAccelerator(doc: LutdlaDocument | undefined, name: string | undefined, file = 'the config'): AcceleratorConfig {
  const accs = doc?.accelerators ?? [];
  if (name !== undefined) {
    const a = accs.find((x) => x.name === name);
    if (!a) {
      throw new SimInputError(accs.length
        ? `${file} has no accelerator named '${name}'; it has: ${accs.map((x) => `'${x.name}'`).join(', ')}`
        : `${file} defines no accelerator, so there is no '${name}'; add accelerator "${name}" { ... } or drop --accelerator`);
    }
    return completeAccelerator(a);
  }
  return accs.length ? completeAccelerator(accs[0]) : { ...DEFAULT_ACCELERATOR, ccm: { ...DEFAULT_ACCELERATOR.ccm }, imm: { ...DEFAULT_ACCELERATOR.imm }, fifo: { ...DEFAULT_ACCELERATOR.fifo }, memory: { ...DEFAULT_ACCELERATOR.memory } };
}
