import { attrInts, attrNum, attrTensor } from '../graph';
import { normAxis, sizeOf, stridesOf, type Tensor } from '../tensor';
import { intsOf, need, type KernelCtx, type OpKernel } from './kernel';

/** A view with a new shape (shares the data; nothing writes a tensor in place). */
function reshaped(x: Tensor, shape: number[]): Tensor {
  return { shape, data: x.data };
}

const passBack: OpKernel['backward'] = (inputs, _outputs, gradOut) => {
  const g = gradOut[0];
  const x = inputs[0] as Tensor;
  return [g && reshaped(g, x.shape.slice())];
};

function reshapeTarget(x: Tensor, spec: number[], allowZero: boolean, what: string): number[] {
  const out = spec.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
  const known = out.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const neg = out.filter((d) => d === -1).length;
  if (neg > 1) throw new Error(`${what}: more than one -1 in the target shape [${spec}]`);
  if (neg === 1) out[out.indexOf(-1)] = known === 0 ? 0 : x.data.length / known;
  if (sizeOf(out) !== x.data.length || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${what}: cannot reshape [${x.shape}] to [${spec}]`);
  }
  return out;
}

const reshape: OpKernel = {
  constInputs: [1],
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    const spec = inputs[1] ? intsOf(inputs[1]) : attrInts(ctx.node, 'shape', undefined);
    if (!spec) throw new Error(`Reshape node "${ctx.node.name}": no target shape`);
    return { outputs: [reshaped(x, reshapeTarget(x, spec, attrNum(ctx.node, 'allowzero', 0) === 1, `Reshape node "${ctx.node.name}"`))] };
  },
  backward: passBack,
};

const flatten: OpKernel = {
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    const r = x.shape.length;
    const axis = attrNum(ctx.node, 'axis', 1);
    const a = axis < 0 ? axis + r : axis;
    const outer = sizeOf(x.shape.slice(0, a));
    return { outputs: [reshaped(x, [outer, x.data.length / Math.max(outer, 1)])] };
  },
  backward: passBack,
};

function axesOf(inputs: (Tensor | undefined)[], ctx: KernelCtx): number[] | undefined {
  return inputs[1] ? intsOf(inputs[1]) : attrInts(ctx.node, 'axes', undefined);
}

const squeeze: OpKernel = {
  constInputs: [1],
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    const axes = axesOf(inputs, ctx)?.map((a) => normAxis(a, x.shape.length));
    const shape = x.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
    return { outputs: [reshaped(x, shape)] };
  },
  backward: passBack,
};

const unsqueeze: OpKernel = {
  constInputs: [1],
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    const axes = axesOf(inputs, ctx);
    if (!axes) throw new Error(`Unsqueeze node "${ctx.node.name}": no axes`);
    const r = x.shape.length + axes.length;
    const norm = axes.map((a) => normAxis(a, r)).sort((a, b) => a - b);
    const shape = x.shape.slice();
    for (const a of norm) shape.splice(a, 0, 1);
    return { outputs: [reshaped(x, shape)] };
  },
  backward: passBack,
};

/** Copies x permuted by perm into a new array (the general strided walk). */
function permute(x: Tensor, perm: number[]): Tensor {
  const r = x.shape.length;
  const outShape = perm.map((p) => x.shape[p]);
  const xs = stridesOf(x.shape);
  const st = perm.map((p) => xs[p]);
  const y = new Float32Array(x.data.length);
  if (r === 0 || y.length === 0) return { shape: outShape, data: x.data.slice() };
  const idx = new Array<number>(r).fill(0);
  const last = outShape[r - 1];
  const sl = st[r - 1];
  let src = 0;
  for (let o = 0; o < y.length; o += last) {
    for (let j = 0; j < last; j++) y[o + j] = x.data[src + j * sl];
    for (let d = r - 2; d >= 0; d--) {
      idx[d]++;
      src += st[d];
      if (idx[d] < outShape[d]) break;
      src -= st[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return { shape: outShape, data: y };
}

function permOf(ctx: KernelCtx, rank: number): number[] {
  return attrInts(ctx.node, 'perm', undefined) ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

const transpose: OpKernel = {
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    return { outputs: [permute(x, permOf(ctx, x.shape.length))] };
  },
  backward(inputs, _outputs, gradOut, _saved, _need, ctx) {
    const g = gradOut[0];
    if (!g) return [];
    const perm = permOf(ctx, (inputs[0] as Tensor).shape.length);
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [permute(g, inv)];
  },
};

const concat: OpKernel = {
  forward(inputs, ctx) {
    const xs = inputs.filter((t): t is Tensor => t !== undefined && t.data.length >= 0);
    if (xs.length === 0) throw new Error(`Concat node "${ctx.node.name}": no inputs`);
    const r = xs[0].shape.length;
    const axis = normAxis(attrNum(ctx.node, 'axis', 0), r);
    const outer = sizeOf(xs[0].shape.slice(0, axis));
    const inner = sizeOf(xs[0].shape.slice(axis + 1));
    const total = xs.reduce((s, t) => s + t.shape[axis], 0);
    const shape = xs[0].shape.slice();
    shape[axis] = total;
    const y = new Float32Array(outer * total * inner);
    let off = 0;
    for (const t of xs) {
      const w = t.shape[axis] * inner;
      for (let o = 0; o < outer; o++) y.set(t.data.subarray(o * w, (o + 1) * w), o * total * inner + off);
      off += w;
    }
    return { outputs: [{ shape, data: y }] };
  },
  backward(inputs, outputs, gradOut, _saved, needGrad, ctx) {
    const g = gradOut[0];
    if (!g) return [];
    const shape = outputs[0].shape;
    const axis = normAxis(attrNum(ctx.node, 'axis', 0), shape.length);
    const outer = sizeOf(shape.slice(0, axis));
    const inner = sizeOf(shape.slice(axis + 1));
    const total = shape[axis];
    let off = 0;
    return inputs.map((t, i) => {
      if (!t) return undefined;
      const w = t.shape[axis] * inner;
      const start = off;
      off += w;
      if (!needGrad[i]) return undefined;
      const d = new Float32Array(t.data.length);
      for (let o = 0; o < outer; o++) d.set(g.data.subarray(o * total * inner + start, o * total * inner + start + w), o * w);
      return { shape: t.shape.slice(), data: d };
    });
  },
};

interface SlicePlan {
  outShape: number[];
  starts: number[];
  steps: number[];
}

function planSlice(inputs: (Tensor | undefined)[], ctx: KernelCtx): SlicePlan {
  const x = need(inputs, 0, ctx.node);
  const r = x.shape.length;
  const fromInputs = ctx.opset >= 10;
  const st = fromInputs ? intsOf(need(inputs, 1, ctx.node)) : attrInts(ctx.node, 'starts', [])!;
  const en = fromInputs ? intsOf(need(inputs, 2, ctx.node)) : attrInts(ctx.node, 'ends', [])!;
  const ax = (fromInputs ? inputs[3] && intsOf(inputs[3]) : attrInts(ctx.node, 'axes', undefined)) ?? st.map((_, i) => i);
  const sp = (fromInputs && inputs[4] ? intsOf(inputs[4]) : undefined) ?? st.map(() => 1);
  const starts = new Array<number>(r).fill(0);
  const steps = new Array<number>(r).fill(1);
  const outShape = x.shape.slice();
  ax.forEach((a0, i) => {
    const a = normAxis(a0, r);
    const dim = x.shape[a];
    const step = sp[i];
    if (step === 0) throw new Error(`Slice node "${ctx.node.name}": step 0`);
    const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
    let s = st[i] < 0 ? st[i] + dim : st[i];
    let e = en[i] < 0 ? en[i] + dim : en[i];
    if (step > 0) {
      s = clamp(s, 0, dim);
      e = clamp(e, 0, dim);
      outShape[a] = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = clamp(s, 0, dim - 1);
      e = clamp(e, -1, dim - 1);
      outShape[a] = Math.max(0, Math.ceil((s - e) / -step));
    }
    starts[a] = s;
    steps[a] = step;
  });
  return { outShape, starts, steps };
}

/** Walks every output element of a slice with its input offset. */
function sliceWalk(xShape: number[], p: SlicePlan, fn: (o: number, i: number) => void): void {
  const xs = stridesOf(xShape);
  const r = xShape.length;
  const n = sizeOf(p.outShape);
  const idx = new Array<number>(r).fill(0);
  let src = p.starts.reduce((s, v, d) => s + v * xs[d], 0);
  for (let o = 0; o < n; o++) {
    fn(o, src);
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      src += p.steps[d] * xs[d];
      if (idx[d] < p.outShape[d]) break;
      src -= p.steps[d] * xs[d] * p.outShape[d];
      idx[d] = 0;
    }
  }
}

const slice: OpKernel = {
  constInputs: [1, 2, 3, 4],
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    const p = planSlice(inputs, ctx);
    const y = new Float32Array(sizeOf(p.outShape));
    sliceWalk(x.shape, p, (o, i) => (y[o] = x.data[i]));
    return { outputs: [{ shape: p.outShape, data: y }] };
  },
  backward(inputs, _outputs, gradOut, _saved, _need, ctx) {
    const g = gradOut[0];
    if (!g) return [];
    const x = inputs[0] as Tensor;
    const p = planSlice(inputs, ctx);
    const dx = new Float32Array(x.data.length);
    sliceWalk(x.shape, p, (o, i) => (dx[i] += g.data[o]));
    return [{ shape: x.shape.slice(), data: dx }];
  },
};

const gather: OpKernel = {
  constInputs: [1],
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    const ind = need(inputs, 1, ctx.node);
    const axis = normAxis(attrNum(ctx.node, 'axis', 0), x.shape.length);
    const outer = sizeOf(x.shape.slice(0, axis));
    const dim = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const idx = intsOf(ind).map((v) => {
      const k = v < 0 ? v + dim : v;
      if (k < 0 || k >= dim) throw new Error(`Gather node "${ctx.node.name}": index ${v} out of range for axis of size ${dim}`);
      return k;
    });
    const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
    const y = new Float32Array(outer * idx.length * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idx.length; j++) {
        const src = (o * dim + idx[j]) * inner;
        y.set(x.data.subarray(src, src + inner), (o * idx.length + j) * inner);
      }
    }
    return { outputs: [{ shape, data: y }], saved: idx };
  },
  backward(inputs, _outputs, gradOut, saved, _need, ctx) {
    const g = gradOut[0];
    if (!g) return [];
    const x = inputs[0] as Tensor;
    const idx = saved as number[];
    const axis = normAxis(attrNum(ctx.node, 'axis', 0), x.shape.length);
    const outer = sizeOf(x.shape.slice(0, axis));
    const dim = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const dx = new Float32Array(x.data.length);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idx.length; j++) {
        const dst = (o * dim + idx[j]) * inner;
        const src = (o * idx.length + j) * inner;
        for (let k = 0; k < inner; k++) dx[dst + k] += g.data[src + k];
      }
    }
    return [{ shape: x.shape.slice(), data: dx }];
  },
};

const shapeOp: OpKernel = {
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    return { outputs: [{ shape: [x.shape.length], data: Float32Array.from(x.shape) }] };
  },
};

const constant: OpKernel = {
  forward(_inputs, ctx) {
    const t = attrTensor(ctx.node, 'value');
    if (t) return { outputs: [t] };
    const a = ctx.node.attrs;
    if (typeof a.value_float === 'number' || typeof a.value_int === 'number') {
      return { outputs: [{ shape: [], data: Float32Array.of((a.value_float ?? a.value_int) as number) }] };
    }
    const list = a.value_floats ?? a.value_ints;
    if (Array.isArray(list)) return { outputs: [{ shape: [list.length], data: Float32Array.from(list as number[]) }] };
    throw new Error(`Constant node "${ctx.node.name}": unsupported value attribute`);
  },
};

interface PadPlan {
  outShape: number[];
  begin: number[];
}

function planPad(inputs: (Tensor | undefined)[], ctx: KernelCtx): PadPlan {
  const x = need(inputs, 0, ctx.node);
  const r = x.shape.length;
  const mode = typeof ctx.node.attrs.mode === 'string' ? ctx.node.attrs.mode : 'constant';
  if (mode !== 'constant') throw new Error(`Pad node "${ctx.node.name}": only constant padding is supported (mode ${mode})`);
  const pads = ctx.opset >= 11 ? intsOf(need(inputs, 1, ctx.node)) : attrInts(ctx.node, 'pads', undefined);
  if (!pads) throw new Error(`Pad node "${ctx.node.name}": no pads`);
  const axes = ctx.opset >= 18 && inputs[3] ? intsOf(inputs[3]).map((a) => normAxis(a, r)) : Array.from({ length: r }, (_, i) => i);
  const begin = new Array<number>(r).fill(0);
  const end = new Array<number>(r).fill(0);
  axes.forEach((a, i) => {
    begin[a] = pads[i];
    end[a] = pads[i + axes.length];
  });
  if ([...begin, ...end].some((p) => p < 0)) throw new Error(`Pad node "${ctx.node.name}": negative pads are not supported`);
  return { outShape: x.shape.map((d, i) => d + begin[i] + end[i]), begin };
}

/** Visits every input element with its offset in the padded output. */
function padWalk(xShape: number[], p: PadPlan, fn: (xi: number, oi: number, len: number) => void): void {
  const r = xShape.length;
  const os = stridesOf(p.outShape);
  const last = r === 0 ? 1 : xShape[r - 1];
  const rows = sizeOf(xShape) / Math.max(last, 1);
  const idx = new Array<number>(Math.max(r - 1, 0)).fill(0);
  for (let row = 0; row < rows; row++) {
    let o = r === 0 ? 0 : p.begin[r - 1];
    for (let d = 0; d < r - 1; d++) o += (idx[d] + p.begin[d]) * os[d];
    fn(row * last, o, last);
    for (let d = r - 2; d >= 0; d--) {
      if (++idx[d] < xShape[d]) break;
      idx[d] = 0;
    }
  }
}

const pad: OpKernel = {
  constInputs: [1, 2, 3],
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    const p = planPad(inputs, ctx);
    const value = ctx.opset >= 11 ? (inputs[2]?.data[0] ?? 0) : typeof ctx.node.attrs.value === 'number' ? ctx.node.attrs.value : 0;
    const y = new Float32Array(sizeOf(p.outShape));
    if (value !== 0) y.fill(value);
    padWalk(x.shape, p, (xi, oi, len) => y.set(x.data.subarray(xi, xi + len), oi));
    return { outputs: [{ shape: p.outShape, data: y }] };
  },
  backward(inputs, _outputs, gradOut, _saved, _need, ctx) {
    const g = gradOut[0];
    if (!g) return [];
    const x = inputs[0] as Tensor;
    const p = planPad(inputs, ctx);
    const dx = new Float32Array(x.data.length);
    padWalk(x.shape, p, (xi, oi, len) => dx.set(g.data.subarray(oi, oi + len), xi));
    return [{ shape: x.shape.slice(), data: dx }];
  },
};

export const shapeKernels: Record<string, OpKernel> = {
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Concat: concat,
  Slice: slice,
  Gather: gather,
  Shape: shapeOp,
  Constant: constant,
  Pad: pad,
};
