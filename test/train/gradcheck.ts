// Finite-difference gradient checks for the training executor's operators.
import { Executor } from '../../src/train/executor';
import type { AttrValue, GraphNode, TrainGraph } from '../../src/train/graph';
import { Rng } from '../../src/train/rng';
import type { Tensor } from '../../src/train/tensor';

export interface OpCase {
  op: string;
  domain?: string;
  attrs?: Record<string, AttrValue>;
  /** Differentiable float inputs (random values unless given). */
  inputs: { name: string; shape: number[]; data?: number[]; constant?: boolean }[];
  outputs?: number;
  opset?: number;
  /** Finite-difference step (smaller for ops with kinks near random inputs). */
  h?: number;
}

export function randomTensor(rng: Rng, shape: number[], scale = 1): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal() * scale;
  return { shape, data };
}

/** Max over inputs of ||analytic - numeric|| / max(||analytic||, ||numeric||, tiny). */
export function gradCheck(c: OpCase, seed = 1): { worst: number; detail: string } {
  const rng = new Rng(seed);
  const feeds: Record<string, Tensor> = {};
  const inits = new Map<string, Tensor>();
  const nodeInputs: string[] = [];
  for (const i of c.inputs) {
    if (i.name === '') {
      nodeInputs.push('');
      continue;
    }
    const t = i.data ? { shape: i.shape, data: Float32Array.from(i.data) } : randomTensor(rng, i.shape);
    if (i.constant) inits.set(i.name, t);
    else feeds[i.name] = t;
    nodeInputs.push(i.name);
  }
  const outNames = Array.from({ length: c.outputs ?? 1 }, (_, k) => `y${k}`);
  const node: GraphNode = { name: 'n', op: c.op, domain: c.domain, inputs: nodeInputs, outputs: outNames, attrs: c.attrs ?? {} };
  const graph: TrainGraph = {
    name: 'check', opset: c.opset ?? 17, nodes: [node], inputs: [], initializers: inits, params: new Set(),
    outputs: outNames.map((name) => ({ name, shape: [] })),
  };
  const targets = Object.keys(feeds);
  const ex = new Executor(graph, { gradTargets: targets });
  const first = ex.forward(feeds);
  const weights = new Map<string, Float32Array>();
  for (const o of outNames) weights.set(o, randomTensor(rng, first.get(o)!.shape).data);
  const lossOf = (vals: Map<string, Tensor>): number => {
    let s = 0;
    for (const o of outNames) {
      const y = vals.get(o)!.data;
      const w = weights.get(o)!;
      for (let i = 0; i < y.length; i++) s += y[i] * w[i];
    }
    return s;
  };
  const vals = ex.forward(feeds, { training: true });
  const seeds = new Map<string, Tensor>();
  for (const o of outNames) seeds.set(o, { shape: vals.get(o)!.shape, data: weights.get(o)! });
  const grads = ex.backward(seeds);
  let worst = 0;
  let detail = '';
  for (const name of targets) {
    const x = feeds[name];
    const g = grads.get(name);
    const h = c.h ?? 1e-2;
    let num2 = 0;
    let ana2 = 0;
    let diff2 = 0;
    for (let i = 0; i < x.data.length; i++) {
      const keep = x.data[i];
      x.data[i] = keep + h;
      const lp = lossOf(ex.forward(feeds));
      x.data[i] = keep - h;
      const lm = lossOf(ex.forward(feeds));
      x.data[i] = keep;
      const num = (lp - lm) / (2 * h);
      const ana = g ? g.data[i] : 0;
      num2 += num * num;
      ana2 += ana * ana;
      diff2 += (num - ana) * (num - ana);
    }
    const rel = Math.sqrt(diff2) / Math.max(Math.sqrt(num2), Math.sqrt(ana2), 1e-6);
    if (rel > worst) {
      worst = rel;
      detail = `${name}: rel ${rel.toExponential(2)} (|num| ${Math.sqrt(num2).toFixed(4)}, |ana| ${Math.sqrt(ana2).toFixed(4)})`;
    }
  }
  return { worst, detail };
}
