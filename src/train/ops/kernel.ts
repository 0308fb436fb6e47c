import type { GraphNode } from '../graph';
import type { Tensor } from '../tensor';

/** What one forward call hands to its backward call (recomputable state, argmax indices, ...). */
export type Saved = unknown;

export interface ForwardOut {
  outputs: Tensor[];
  saved?: Saved;
}

export interface KernelCtx {
  node: GraphNode;
  opset: number;
  /** True when a backward pass will follow (kernels may then keep what backward needs). */
  training: boolean;
  /** Per input: true when it is a trainable parameter (its values change between steps). */
  isParam?: boolean[];
}

/**
 * One operator: forward on float32 tensors, and backward returning the gradient of each input for which
 * `needGrad[i]` is set (undefined elsewhere). `gradOut[i]` is undefined when output i does not affect the loss.
 */
export interface OpKernel {
  forward(inputs: (Tensor | undefined)[], ctx: KernelCtx): ForwardOut;
  backward?(
    inputs: (Tensor | undefined)[],
    outputs: Tensor[],
    gradOut: (Tensor | undefined)[],
    saved: Saved,
    needGrad: boolean[],
    ctx: KernelCtx,
  ): (Tensor | undefined)[];
  /** Inputs that are never differentiable (shapes, indices): the executor does not ask for their gradient. */
  constInputs?: number[];
}

export function need(inputs: (Tensor | undefined)[], i: number, node: GraphNode): Tensor {
  const t = inputs[i];
  if (!t) throw new Error(`${node.op} node "${node.name}": input ${i} is missing`);
  return t;
}

/** Integer values of a small shape/index tensor (stored as float32 by the executor). */
export function intsOf(t: Tensor): number[] {
  return Array.from(t.data, (v) => Math.round(v));
}
