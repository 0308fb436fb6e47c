import { gemm } from '../matmul';
import { attrInts, attrNum, attrStr, type GraphNode } from '../graph';
import type { Tensor } from '../tensor';
import { need, type OpKernel } from './kernel';

/** The 2-D window geometry shared by Conv and the pools (1-D inputs are treated as height 1). */
export interface Window {
  kh: number; kw: number;
  sh: number; sw: number;
  dh: number; dw: number;
  pt: number; pl: number;
  H: number; W: number;
  OH: number; OW: number;
}

export function windowOf(node: GraphNode, xShape: readonly number[], kernel: readonly number[], ceilMode = false): Window {
  const what = `${node.op} node "${node.name}"`;
  const sp = xShape.length - 2;
  if (sp !== 1 && sp !== 2) throw new Error(`${what}: only 1-D and 2-D spatial inputs are supported (got rank ${xShape.length})`);
  if (kernel.length !== sp) throw new Error(`${what}: kernel has ${kernel.length} spatial dims, input has ${sp}`);
  const lift = (v: number[] | undefined, d: number): number[] => (v === undefined ? [d, d] : sp === 1 ? [d, v[0]] : v);
  const [kh, kw] = sp === 1 ? [1, kernel[0]] : [kernel[0], kernel[1]];
  const [sh, sw] = lift(attrInts(node, 'strides', undefined), 1);
  const [dh, dw] = lift(attrInts(node, 'dilations', undefined), 1);
  const H = sp === 1 ? 1 : xShape[2];
  const W = xShape[xShape.length - 1];
  const autoPad = attrStr(node, 'auto_pad', 'NOTSET');
  let pt = 0, pl = 0, pb = 0, pr = 0;
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dw + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const oh = Math.ceil(H / sh);
    const ow = Math.ceil(W / sw);
    const th = Math.max(0, (oh - 1) * sh + eh - H);
    const tw = Math.max(0, (ow - 1) * sw + ew - W);
    const lower = autoPad === 'SAME_LOWER';
    pt = lower ? Math.ceil(th / 2) : Math.floor(th / 2);
    pl = lower ? Math.ceil(tw / 2) : Math.floor(tw / 2);
    pb = th - pt;
    pr = tw - pl;
  } else if (autoPad === 'NOTSET') {
    const p = attrInts(node, 'pads', undefined);
    if (p) {
      if (sp === 1) [pl, pr] = p;
      else [pt, pl, pb, pr] = p;
    }
  } else if (autoPad !== 'VALID') {
    throw new Error(`${what}: unknown auto_pad "${autoPad}"`);
  }
  const round = ceilMode ? Math.ceil : Math.floor;
  const OH = round((H + pt + pb - eh) / sh) + 1;
  const OW = round((W + pl + pr - ew) / sw) + 1;
  if (OH <= 0 || OW <= 0) throw new Error(`${what}: the window does not fit the input [${xShape}]`);
  return { kh, kw, sh, sw, dh, dw, pt, pl, H, W, OH, OW };
}

/** col[(c*kh+ky)*kw+kx, oy*OW+ox] = x[c, oy*sh-pt+ky*dh, ox*sw-pl+kx*dw] (0 outside). */
function im2col(X: Float32Array, xOff: number, C: number, g: Window, col: Float32Array): void {
  const { kh, kw, sh, sw, dh, dw, pt, pl, H, W, OH, OW } = g;
  const P = OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row++) {
        const base = row * P;
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * sh - pt + ky * dh;
          const o = base + oy * OW;
          if (iy < 0 || iy >= H) {
            col.fill(0, o, o + OW);
            continue;
          }
          const xr = xc + iy * W;
          const ix0 = kx * dw - pl;
          for (let ox = 0; ox < OW; ox++) {
            const ix = ix0 + ox * sw;
            col[o + ox] = ix >= 0 && ix < W ? X[xr + ix] : 0;
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: accumulates col back into dx. */
function col2im(col: Float32Array, C: number, g: Window, dX: Float32Array, xOff: number): void {
  const { kh, kw, sh, sw, dh, dw, pt, pl, H, W, OH, OW } = g;
  const P = OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row++) {
        const base = row * P;
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= H) continue;
          const o = base + oy * OW;
          const xr = xc + iy * W;
          const ix0 = kx * dw - pl;
          for (let ox = 0; ox < OW; ox++) {
            const ix = ix0 + ox * sw;
            if (ix >= 0 && ix < W) dX[xr + ix] += col[o + ox];
          }
        }
      }
    }
  }
}

let colBuf = new Float32Array(1 << 16);
let colBuf2 = new Float32Array(1 << 16);
function cols(n: number): Float32Array {
  if (colBuf.length < n) colBuf = new Float32Array(n);
  return colBuf;
}
function cols2(n: number): Float32Array {
  if (colBuf2.length < n) colBuf2 = new Float32Array(n);
  return colBuf2;
}

function convSetup(inputs: (Tensor | undefined)[], node: GraphNode) {
  const x = need(inputs, 0, node);
  const w = need(inputs, 1, node);
  const group = attrNum(node, 'group', 1);
  const N = x.shape[0];
  const C = x.shape[1];
  const M = w.shape[0];
  const Cg = C / group;
  if (!Number.isInteger(Cg) || w.shape[1] !== Cg || M % group !== 0) {
    throw new Error(`Conv node "${node.name}": input channels ${C}, weight [${w.shape}] and group ${group} do not match`);
  }
  const kernel = attrInts(node, 'kernel_shape', undefined) ?? w.shape.slice(2);
  const g = windowOf(node, x.shape, kernel);
  const Mg = M / group;
  const CKK = Cg * g.kh * g.kw;
  const P = g.OH * g.OW;
  const outShape = x.shape.length === 3 ? [N, M, g.OW] : [N, M, g.OH, g.OW];
  return { x, w, group, N, C, M, Cg, Mg, CKK, P, g, outShape };
}

const identityCache = new WeakMap<Float32Array, boolean>();

/**
 * True when each group's weight is the identity [CKK x CKK]: the convolution is then a pure im2col (that is how
 * exported LUT layers unfold their input), done as a copy instead of a product CKK times larger.
 */
function isIdentityKernel(w: Float32Array, M: number, Mg: number, CKK: number): boolean {
  if (Mg !== CKK) return false;
  let r = identityCache.get(w);
  if (r === undefined) {
    r = true;
    for (let m = 0; m < M && r; m++) {
      for (let k = 0; k < CKK; k++) {
        if (w[m * CKK + k] !== (k === m % Mg ? 1 : 0)) {
          r = false;
          break;
        }
      }
    }
    identityCache.set(w, r);
  }
  return r;
}

const conv: OpKernel = {
  forward(inputs, ctx) {
    const s = convSetup(inputs, ctx.node);
    const { x, w, group, N, C, M, Cg, Mg, CKK, P, g } = s;
    const b = inputs[2];
    const y = new Float32Array(N * M * P);
    const identity = !b && !ctx.isParam?.[1] && isIdentityKernel(w.data, M, Mg, CKK);
    const col = cols(CKK * P);
    const HW = g.H * g.W;
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < group; gi++) {
        if (identity) {
          im2col(x.data, n * C * HW + gi * Cg * HW, Cg, g, y.subarray((n * M + gi * Mg) * P, (n * M + gi * Mg + Mg) * P));
          continue;
        }
        im2col(x.data, n * C * HW + gi * Cg * HW, Cg, g, col);
        gemm(Mg, P, CKK, w.data, col, y, { aOff: gi * Mg * CKK, cOff: (n * M + gi * Mg) * P });
      }
      if (b) {
        for (let m = 0; m < M; m++) {
          const bv = b.data[m];
          const o = (n * M + m) * P;
          for (let p = 0; p < P; p++) y[o + p] += bv;
        }
      }
    }
    return { outputs: [{ shape: s.outShape, data: y }] };
  },
  backward(inputs, _outputs, gradOut, _saved, needGrad, ctx) {
    const gy = gradOut[0];
    if (!gy) return [];
    const s = convSetup(inputs, ctx.node);
    const { x, w, group, N, C, M, Cg, Mg, CKK, P, g } = s;
    const G = gy.data;
    const HW = g.H * g.W;
    const dx = needGrad[0] ? new Float32Array(x.data.length) : undefined;
    const dw = needGrad[1] ? new Float32Array(w.data.length) : undefined;
    const db = needGrad[2] && inputs[2] ? new Float32Array(M) : undefined;
    const col = cols(CKK * P);
    const dcol = cols2(CKK * P);
    const identity = !dw && !inputs[2] && !ctx.isParam?.[1] && isIdentityKernel(w.data, M, Mg, CKK);
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < group; gi++) {
        const xOff = n * C * HW + gi * Cg * HW;
        const gOff = (n * M + gi * Mg) * P;
        if (dw) {
          im2col(x.data, xOff, Cg, g, col);
          // dW[Mg, CKK] += dY[Mg, P] * col[CKK, P]^T
          gemm(Mg, CKK, P, G, col, dw, { transB: true, accumulate: true, aOff: gOff, cOff: gi * Mg * CKK });
        }
        if (dx && identity) {
          col2im(G.subarray(gOff, gOff + Mg * P), Cg, g, dx, xOff);
        } else if (dx) {
          // dcol[CKK, P] = W[Mg, CKK]^T * dY[Mg, P]
          gemm(CKK, P, Mg, w.data, G, dcol, { transA: true, aOff: gi * Mg * CKK, bOff: gOff });
          col2im(dcol, Cg, g, dx, xOff);
        }
      }
      if (db) {
        for (let m = 0; m < M; m++) {
          const o = (n * M + m) * P;
          let acc = 0;
          for (let p = 0; p < P; p++) acc += G[o + p];
          db[m] += acc;
        }
      }
    }
    return [
      dx && { shape: x.shape.slice(), data: dx },
      dw && { shape: w.shape.slice(), data: dw },
      db && { shape: [M], data: db },
    ];
  },
};

function poolSetup(inputs: (Tensor | undefined)[], node: GraphNode) {
  const x = need(inputs, 0, node);
  const kernel = attrInts(node, 'kernel_shape', undefined);
  if (!kernel) throw new Error(`${node.op} node "${node.name}": kernel_shape is required`);
  const g = windowOf(node, x.shape, kernel, attrNum(node, 'ceil_mode', 0) === 1);
  const NC = x.shape[0] * x.shape[1];
  const outShape = x.shape.length === 3 ? [x.shape[0], x.shape[1], g.OW] : [x.shape[0], x.shape[1], g.OH, g.OW];
  return { x, g, NC, outShape };
}

const maxPool: OpKernel = {
  forward(inputs, ctx) {
    const { x, g, NC, outShape } = poolSetup(inputs, ctx.node);
    const { kh, kw, sh, sw, dh, dw, pt, pl, H, W, OH, OW } = g;
    const X = x.data;
    const y = new Float32Array(NC * OH * OW);
    const arg = new Int32Array(y.length);
    for (let nc = 0; nc < NC; nc++) {
      const xo = nc * H * W;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let best = -Infinity;
          let bi = -1;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky * dh;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx * dw;
              if (ix < 0 || ix >= W) continue;
              const v = X[xo + iy * W + ix];
              if (v > best || bi < 0) {
                best = v;
                bi = xo + iy * W + ix;
              }
            }
          }
          const o = (nc * OH + oy) * OW + ox;
          y[o] = best;
          arg[o] = bi;
        }
      }
    }
    return { outputs: [{ shape: outShape, data: y }], saved: arg };
  },
  backward(inputs, _outputs, gradOut, saved) {
    const gy = gradOut[0];
    if (!gy) return [];
    const x = inputs[0] as Tensor;
    const arg = saved as Int32Array;
    const dx = new Float32Array(x.data.length);
    for (let i = 0; i < arg.length; i++) if (arg[i] >= 0) dx[arg[i]] += gy.data[i];
    return [{ shape: x.shape.slice(), data: dx }];
  },
};

/** Visits each output of an average pool with the input offsets it covers and its divisor. */
function avgVisit(node: GraphNode, g: Window, NC: number, fn: (o: number, xi: number, inv: number) => void): void {
  const { kh, kw, sh, sw, dh, dw, pt, pl, H, W, OH, OW } = g;
  const includePad = attrNum(node, 'count_include_pad', 0) === 1;
  const idx: number[] = [];
  for (let nc = 0; nc < NC; nc++) {
    const xo = nc * H * W;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        idx.length = 0;
        let padded = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            // With count_include_pad, explicit padding counts but positions beyond it (ceil_mode) do not.
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
              if (iy < H + pt && ix < W + pl) padded++;
              continue;
            }
            idx.push(xo + iy * W + ix);
          }
        }
        const count = includePad ? idx.length + padded : idx.length;
        const inv = count > 0 ? 1 / count : 0;
        const o = (nc * OH + oy) * OW + ox;
        for (const xi of idx) fn(o, xi, inv);
      }
    }
  }
}

const averagePool: OpKernel = {
  forward(inputs, ctx) {
    const { x, g, NC, outShape } = poolSetup(inputs, ctx.node);
    const y = new Float32Array(NC * g.OH * g.OW);
    const X = x.data;
    avgVisit(ctx.node, g, NC, (o, xi, inv) => {
      y[o] += X[xi] * inv;
    });
    return { outputs: [{ shape: outShape, data: y }] };
  },
  backward(inputs, _outputs, gradOut, _saved, _need, ctx) {
    const gy = gradOut[0];
    if (!gy) return [];
    const { x, g, NC } = poolSetup(inputs, ctx.node);
    const dx = new Float32Array(x.data.length);
    const G = gy.data;
    avgVisit(ctx.node, g, NC, (o, xi, inv) => {
      dx[xi] += G[o] * inv;
    });
    return [{ shape: x.shape.slice(), data: dx }];
  },
};

const globalAveragePool: OpKernel = {
  forward(inputs, ctx) {
    const x = need(inputs, 0, ctx.node);
    const NC = x.shape[0] * x.shape[1];
    const S = x.data.length / NC;
    const y = new Float32Array(NC);
    for (let i = 0; i < NC; i++) {
      let acc = 0;
      for (let j = 0; j < S; j++) acc += x.data[i * S + j];
      y[i] = acc / S;
    }
    return { outputs: [{ shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)], data: y }] };
  },
  backward(inputs, _outputs, gradOut) {
    const gy = gradOut[0];
    if (!gy) return [];
    const x = inputs[0] as Tensor;
    const NC = x.shape[0] * x.shape[1];
    const S = x.data.length / NC;
    const dx = new Float32Array(x.data.length);
    for (let i = 0; i < NC; i++) dx.fill(gy.data[i] / S, i * S, (i + 1) * S);
    return [{ shape: x.shape.slice(), data: dx }];
  },
};

export const convKernels: Record<string, OpKernel> = {
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
};
