import type { Tensor } from './tensor';

/** Learning rate as a function of the step (0-based) out of `total` steps. */
export type Schedule = (step: number, total: number) => number;

/** Linear warm-up, then cosine decay to `floor` x the peak rate. */
export function warmupCosine(peak: number, warmupSteps: number, floor = 0.02): Schedule {
  return (step, total) => {
    if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
    const t = Math.min(1, (step - warmupSteps) / Math.max(1, total - warmupSteps));
    return peak * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * t)));
  };
}

export function constantRate(lr: number): Schedule {
  return () => lr;
}

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled (AdamW) weight decay. */
  weightDecay?: number;
  /** Per-parameter multiplier of the learning rate (e.g. the parameter's initial RMS, for scale-free rates). */
  lrScale?: Map<string, number>;
}

/** Adam (AdamW with weightDecay > 0); updates parameter tensors in place. */
export class Adam {
  private m = new Map<string, Float32Array>();
  private v = new Map<string, Float32Array>();
  private t = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly wd: number;
  private readonly lrScale: Map<string, number> | undefined;

  constructor(opts: AdamOptions = {}) {
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.wd = opts.weightDecay ?? 0;
    this.lrScale = opts.lrScale;
  }

  step(params: Map<string, Tensor>, grads: Map<string, Tensor>, lr: number): void {
    this.t++;
    const c1 = 1 - Math.pow(this.b1, this.t);
    const c2 = 1 - Math.pow(this.b2, this.t);
    const { b1, b2, eps, wd } = this;
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) continue;
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = new Float32Array(p.data.length);
        v = new Float32Array(p.data.length);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      const P = p.data;
      const G = g.data;
      const plr = lr * (this.lrScale?.get(name) ?? 1);
      const step = plr / c1;
      for (let i = 0; i < P.length; i++) {
        const gi = G[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        P[i] -= step * m[i] / (Math.sqrt(v[i] / c2) + eps) + plr * wd * P[i];
      }
    }
  }
}
