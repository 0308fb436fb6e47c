import type { GraphNode, TrainGraph } from './graph';
import { kernelFor } from './ops/index';
import type { KernelCtx, OpKernel, Saved } from './ops/kernel';
import type { Tensor } from './tensor';

interface TapeEntry {
  node: GraphNode;
  kernel: OpKernel;
  ctx: KernelCtx;
  inputs: (Tensor | undefined)[];
  outputs: Tensor[];
  saved: Saved;
  needGrad: boolean[];
}

export interface ForwardOptions {
  /** Record what backward needs (activations of this mini-batch only). */
  training?: boolean;
  /** Stop once these tensors are computed (default: the graph outputs). */
  fetch?: string[];
}

/**
 * Runs a TrainGraph forward on float32 tensors and, after a training forward, backward to the gradients of
 * its parameters (and of any extra tensors named in `gradTargets`, e.g. inputs for gradient checks).
 */
export class Executor {
  readonly graph: TrainGraph;
  private kernels: OpKernel[];
  private requires = new Set<string>();
  private tape: TapeEntry[] = [];
  private gradTargets: Set<string>;

  constructor(graph: TrainGraph, opts: { gradTargets?: string[] } = {}) {
    this.graph = graph;
    this.kernels = graph.nodes.map((n) => {
      const k = kernelFor(n.op, n.domain);
      if (!k) {
        throw new Error(`node "${n.name}": operator ${n.domain ? `${n.domain}.` : ''}${n.op} is not supported by the training executor`);
      }
      return k;
    });
    this.gradTargets = new Set(opts.gradTargets ?? []);
    this.refreshRequires();
  }

  /** Recomputes which tensors depend on a parameter (call after changing `graph.params`). */
  refreshRequires(): void {
    const req = new Set<string>([...this.graph.params, ...this.gradTargets]);
    this.graph.nodes.forEach((n, i) => {
      const k = this.kernels[i];
      if (n.inputs.some((name, j) => name !== '' && req.has(name) && !k.constInputs?.includes(j))) {
        for (const o of n.outputs) if (o !== '') req.add(o);
      }
    });
    this.requires = req;
  }

  /** Computes the graph; returns every tensor computed (fed, initializer and intermediate). */
  forward(feeds: Record<string, Tensor>, opts: ForwardOptions = {}): Map<string, Tensor> {
    const training = opts.training ?? false;
    const values = new Map<string, Tensor>(this.graph.initializers);
    for (const [k, v] of Object.entries(feeds)) values.set(k, v);
    const wanted = new Set(opts.fetch ?? this.graph.outputs.map((o) => o.name));
    let missing = [...wanted].filter((w) => !values.has(w)).length;
    this.tape = [];
    for (let i = 0; i < this.graph.nodes.length && missing > 0; i++) {
      const node = this.graph.nodes[i];
      const kernel = this.kernels[i];
      const inputs = node.inputs.map((name) => {
        if (name === '') return undefined;
        const t = values.get(name);
        if (!t) throw new Error(`node "${node.name}" (${node.op}): input "${name}" is neither fed, an initializer nor computed before it`);
        return t;
      });
      const ctx: KernelCtx = { node, opset: this.graph.opset, training, isParam: node.inputs.map((n) => this.graph.params.has(n)) };
      const out = kernel.forward(inputs, ctx);
      node.outputs.forEach((name, j) => {
        if (name !== '' && out.outputs[j]) {
          values.set(name, out.outputs[j]);
          if (wanted.has(name)) missing--;
        }
      });
      if (training && node.outputs.some((o) => this.requires.has(o))) {
        const needGrad = node.inputs.map((name, j) => name !== '' && this.requires.has(name) && !kernel.constInputs?.includes(j));
        this.tape.push({ node, kernel, ctx, inputs, outputs: out.outputs, saved: out.saved, needGrad });
      }
    }
    return values;
  }

  /**
   * Back-propagates from the given output gradients through the last training forward; returns gradients of
   * the parameters and grad targets (absent when a parameter does not influence the seeds). Frees the tape.
   */
  backward(seeds: Map<string, Tensor>): Map<string, Tensor> {
    const grads = new Map<string, Tensor>();
    const owned = new Set<string>();
    const add = (name: string, g: Tensor): void => {
      const cur = grads.get(name);
      if (!cur) {
        grads.set(name, g);
        return;
      }
      if (cur.data.length !== g.data.length) {
        throw new Error(`internal: gradient of "${name}" has shape [${g.shape}], expected [${cur.shape}]`);
      }
      let dst = cur;
      if (!owned.has(name)) {
        dst = { shape: cur.shape, data: cur.data.slice() };
        grads.set(name, dst);
        owned.add(name);
      }
      const d = dst.data;
      const s = g.data;
      for (let i = 0; i < d.length; i++) d[i] += s[i];
    };
    for (const [k, v] of seeds) add(k, v);
    for (let t = this.tape.length - 1; t >= 0; t--) {
      const e = this.tape[t];
      const gradOut = e.node.outputs.map((o) => (o === '' ? undefined : grads.get(o)));
      if (gradOut.every((g) => g === undefined)) continue;
      if (!e.kernel.backward) throw new Error(`node "${e.node.name}": operator ${e.node.op} has no gradient`);
      const gin = e.kernel.backward(e.inputs, e.outputs, gradOut, e.saved, e.needGrad, e.ctx);
      e.node.inputs.forEach((name, j) => {
        const g = gin[j];
        if (g && e.needGrad[j]) add(name, g);
      });
      // Intermediate gradients are not needed once consumed; keep parameters and targets only.
      for (const o of e.node.outputs) if (!this.graph.params.has(o) && !this.gradTargets.has(o)) grads.delete(o);
    }
    this.tape = [];
    const out = new Map<string, Tensor>();
    for (const [k, v] of grads) if (this.graph.params.has(k) || this.gradTargets.has(k)) out.set(k, v);
    return out;
  }
}
