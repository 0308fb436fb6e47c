import { sizeOf, stridesOf, type Tensor } from '../tensor';
import { attrStr } from '../graph';
import { need, type OpKernel } from './kernel';

/** Numpy-style broadcast of two shapes. */
export function broadcastShape(a: readonly number[], b: readonly number[], what: string): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`${what}: shapes [${a}] and [${b}] do not broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` seen from the broadcast output shape (0 along broadcast dimensions). */
function bstrides(shape: readonly number[], out: readonly number[]): number[] {
  const s = stridesOf(shape);
  const r = out.length;
  const res = new Array<number>(r).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const oi = r - shape.length + i;
    res[oi] = shape[i] === 1 && out[oi] !== 1 ? 0 : s[i];
  }
  return res;
}

/**
 * Visits the broadcast output row by row along its last dimension: fn(outOffset, aOffset, aStep, bOffset, bStep, len).
 * Rows keep the inner loop of every elementwise op tight and monomorphic.
 */
export function forEachRow(
  aShape: readonly number[], bShape: readonly number[], out: readonly number[],
  fn: (o: number, ao: number, as: number, bo: number, bs: number, len: number) => void,
): void {
  const r = out.length;
  if (r === 0) {
    fn(0, 0, 0, 0, 0, 1);
    return;
  }
  const sa = bstrides(aShape, out);
  const sb = bstrides(bShape, out);
  const len = out[r - 1];
  const rows = sizeOf(out) / Math.max(len, 1);
  if (len === 0) return;
  const idx = new Array<number>(r - 1).fill(0);
  let ao = 0;
  let bo = 0;
  for (let row = 0; row < rows; row++) {
    fn(row * len, ao, sa[r - 1], bo, sb[r - 1], len);
    for (let d = r - 2; d >= 0; d--) {
      idx[d]++;
      ao += sa[d];
      bo += sb[d];
      if (idx[d] < out[d]) break;
      ao -= sa[d] * out[d];
      bo -= sb[d] * out[d];
      idx[d] = 0;
    }
  }
}

type BinOp = 'Add' | 'Sub' | 'Mul' | 'Div';

function binary(op: BinOp): OpKernel {
  return {
    forward(inputs, ctx) {
      const a = need(inputs, 0, ctx.node);
      const b = need(inputs, 1, ctx.node);
      const shape = broadcastShape(a.shape, b.shape, `${op} node "${ctx.node.name}"`);
      const y = new Float32Array(sizeOf(shape));
      const A = a.data;
      const B = b.data;
      forEachRow(a.shape, b.shape, shape, (o, ao, as, bo, bs, len) => {
        switch (op) {
          case 'Add': for (let j = 0; j < len; j++) y[o + j] = A[ao + j * as] + B[bo + j * bs]; break;
          case 'Sub': for (let j = 0; j < len; j++) y[o + j] = A[ao + j * as] - B[bo + j * bs]; break;
          case 'Mul': for (let j = 0; j < len; j++) y[o + j] = A[ao + j * as] * B[bo + j * bs]; break;
          case 'Div': for (let j = 0; j < len; j++) y[o + j] = A[ao + j * as] / B[bo + j * bs]; break;
        }
      });
      return { outputs: [{ shape, data: y }] };
    },
    backward(inputs, outputs, gradOut, _saved, needGrad) {
      const a = inputs[0] as Tensor;
      const b = inputs[1] as Tensor;
      const g = gradOut[0];
      if (!g) return [];
      const shape = outputs[0].shape;
      const ga = needGrad[0] ? new Float32Array(a.data.length) : undefined;
      const gb = needGrad[1] ? new Float32Array(b.data.length) : undefined;
      const A = a.data;
      const B = b.data;
      const G = g.data;
      const Y = outputs[0].data;
      forEachRow(a.shape, b.shape, shape, (o, ao, as, bo, bs, len) => {
        switch (op) {
          case 'Add':
            if (ga) for (let j = 0; j < len; j++) ga[ao + j * as] += G[o + j];
            if (gb) for (let j = 0; j < len; j++) gb[bo + j * bs] += G[o + j];
            break;
          case 'Sub':
            if (ga) for (let j = 0; j < len; j++) ga[ao + j * as] += G[o + j];
            if (gb) for (let j = 0; j < len; j++) gb[bo + j * bs] -= G[o + j];
            break;
          case 'Mul':
            if (ga) for (let j = 0; j < len; j++) ga[ao + j * as] += G[o + j] * B[bo + j * bs];
            if (gb) for (let j = 0; j < len; j++) gb[bo + j * bs] += G[o + j] * A[ao + j * as];
            break;
          case 'Div':
            if (ga) for (let j = 0; j < len; j++) ga[ao + j * as] += G[o + j] / B[bo + j * bs];
            if (gb) for (let j = 0; j < len; j++) gb[bo + j * bs] -= (G[o + j] * Y[o + j]) / B[bo + j * bs];
            break;
        }
      });
      return [ga && { shape: a.shape.slice(), data: ga }, gb && { shape: b.shape.slice(), data: gb }];
    },
  };
}

/** A unary op given by f(x) and f'(x) expressed through x and y = f(x). */
function unary(f: (x: number) => number, df: (x: number, y: number) => number): OpKernel {
  return {
    forward(inputs, ctx) {
      const x = need(inputs, 0, ctx.node);
      const y = new Float32Array(x.data.length);
      const X = x.data;
      for (let i = 0; i < X.length; i++) y[i] = f(X[i]);
      return { outputs: [{ shape: x.shape.slice(), data: y }] };
    },
    backward(inputs, outputs, gradOut) {
      const g = gradOut[0];
      if (!g) return [];
      const X = (inputs[0] as Tensor).data;
      const Y = outputs[0].data;
      const G = g.data;
      const gx = new Float32Array(X.length);
      for (let i = 0; i < X.length; i++) gx[i] = G[i] * df(X[i], Y[i]);
      return [{ shape: outputs[0].shape.slice(), data: gx }];
    },
  };
}

const relu: OpKernel = {
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    const X = x.data;
    const y = new Float32Array(X.length);
    for (let i = 0; i < X.length; i++) y[i] = X[i] > 0 ? X[i] : 0;
    return { outputs: [{ shape: x.shape.slice(), data: y }] };
  },
  backward(_inputs, outputs, gradOut) {
    const g = gradOut[0];
    if (!g) return [];
    const Y = outputs[0].data;
    const G = g.data;
    const gx = new Float32Array(Y.length);
    for (let i = 0; i < Y.length; i++) gx[i] = Y[i] > 0 ? G[i] : 0;
    return [{ shape: outputs[0].shape.slice(), data: gx }];
  },
};

/** erf with |error| < 1.2e-7 (Numerical Recipes erfc), enough for float32 GELU. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const geluExact = unary(
  (x) => 0.5 * x * (1 + erf(x * SQRT1_2)),
  (x) => 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
);
const K_TANH = Math.sqrt(2 / Math.PI);
const geluTanh = unary(
  (x) => 0.5 * x * (1 + Math.tanh(K_TANH * (x + 0.044715 * x * x * x))),
  (x) => {
    const u = K_TANH * (x + 0.044715 * x * x * x);
    const th = Math.tanh(u);
    return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * K_TANH * (1 + 3 * 0.044715 * x * x);
  },
);

/** Gelu (opset 20) with approximate = none | tanh. */
const gelu: OpKernel = {
  forward(inputs, ctx) {
    return (attrStr(ctx.node, 'approximate', 'none') === 'tanh' ? geluTanh : geluExact).forward(inputs, ctx);
  },
  backward(inputs, outputs, gradOut, saved, needGrad, ctx) {
    const k = attrStr(ctx.node, 'approximate', 'none') === 'tanh' ? geluTanh : geluExact;
    return k.backward!(inputs, outputs, gradOut, saved, needGrad, ctx);
  },
};

const identity: OpKernel = {
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    return { outputs: [{ shape: x.shape.slice(), data: x.data }] };
  },
  backward(_inputs, _outputs, gradOut) {
    return [gradOut[0]];
  },
};

export const elementwiseKernels: Record<string, OpKernel> = {
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Div: binary('Div'),
  Relu: relu,
  Sigmoid: unary((x) => 1 / (1 + Math.exp(-x)), (_x, y) => y * (1 - y)),
  Tanh: unary(Math.tanh, (_x, y) => 1 - y * y),
  Gelu: gelu,
  Identity: identity,
  // Inference-mode dropout is the identity (the executor trains without dropout).
  Dropout: identity,
  Cast: identity,
};
