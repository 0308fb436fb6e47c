import { convKernels } from './conv';
import { elementwiseKernels } from './elementwise';
import type { OpKernel } from './kernel';
import { linearKernels } from './linear';
import { lutKernels, TRAIN_DOMAIN } from './lut';
import { normKernels } from './norm';
import { shapeKernels } from './shape';

/** Kernels by op type (default ONNX domain); other domains register theirs with `registerKernel`. */
const registry = new Map<string, OpKernel>(
  Object.entries({ ...elementwiseKernels, ...convKernels, ...linearKernels, ...normKernels, ...shapeKernels }),
);

function key(op: string, domain?: string): string {
  return domain && domain !== 'ai.onnx' ? `${domain}::${op}` : op;
}

for (const [op, k] of Object.entries(lutKernels)) registry.set(key(op, TRAIN_DOMAIN), k);

export function registerKernel(op: string, domain: string | undefined, kernel: OpKernel): void {
  registry.set(key(op, domain), kernel);
}

export function kernelFor(op: string, domain?: string): OpKernel | undefined {
  return registry.get(key(op, domain));
}

export function supportedOps(): string[] {
  return [...registry.keys()].sort();
}
