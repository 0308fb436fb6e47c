import { attrNum } from '../graph';
import { normAxis, type Tensor } from '../tensor';
import { need, type OpKernel } from './kernel';

/** BatchNormalization in inference mode: y = scale * (x - mean) / sqrt(var + eps) + bias, per channel (axis 1). */
const batchNorm: OpKernel = {
  forward(inputs, ctx) {
    const node = ctx.node;
    const x = need(inputs, 0, node);
    const [scale, bias, mean, vari] = [1, 2, 3, 4].map((i) => need(inputs, i, node));
    const eps = attrNum(node, 'epsilon', 1e-5);
    const N = x.shape[0];
    const C = x.shape[1];
    const S = x.data.length / (N * C);
    const y = new Float32Array(x.data.length);
    for (let c = 0; c < C; c++) {
      const k = scale.data[c] / Math.sqrt(vari.data[c] + eps);
      const off = bias.data[c] - k * mean.data[c];
      for (let n = 0; n < N; n++) {
        const o = (n * C + c) * S;
        for (let s = 0; s < S; s++) y[o + s] = k * x.data[o + s] + off;
      }
    }
    return { outputs: [{ shape: x.shape.slice(), data: y }] };
  },
  backward(inputs, _outputs, gradOut, _saved, needGrad, ctx) {
    const g = gradOut[0];
    if (!g) return [];
    const x = inputs[0] as Tensor;
    const [scale, , mean, vari] = [1, 2, 3, 4].map((i) => inputs[i] as Tensor);
    const eps = attrNum(ctx.node, 'epsilon', 1e-5);
    const N = x.shape[0];
    const C = x.shape[1];
    const S = x.data.length / (N * C);
    const dx = needGrad[0] ? new Float32Array(x.data.length) : undefined;
    const ds = new Float32Array(C);
    const dbias = new Float32Array(C);
    const dm = new Float32Array(C);
    const dv = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const inv = 1 / Math.sqrt(vari.data[c] + eps);
      const k = scale.data[c] * inv;
      let sg = 0;
      let sgx = 0;
      for (let n = 0; n < N; n++) {
        const o = (n * C + c) * S;
        for (let s = 0; s < S; s++) {
          const gv = g.data[o + s];
          sg += gv;
          sgx += gv * (x.data[o + s] - mean.data[c]);
          if (dx) dx[o + s] = k * gv;
        }
      }
      dbias[c] = sg;
      ds[c] = sgx * inv;
      dm[c] = -k * sg;
      dv[c] = -0.5 * scale.data[c] * sgx * inv * inv * inv;
    }
    const t = (d: Float32Array): Tensor => ({ shape: [C], data: d });
    return [dx && { shape: x.shape.slice(), data: dx }, needGrad[1] ? t(ds) : undefined, needGrad[2] ? t(dbias) : undefined,
      needGrad[3] ? t(dm) : undefined, needGrad[4] ? t(dv) : undefined];
  },
};

interface LnSaved {
  mean: Float32Array;
  rstd: Float32Array;
}

/** LayerNormalization over the dimensions from `axis` on, with Scale and optional B of that trailing shape. */
const layerNorm: OpKernel = {
  forward(inputs, ctx) {
    const node = ctx.node;
    const x = need(inputs, 0, node);
    const scale = need(inputs, 1, node);
    const bias = inputs[2];
    const axis = normAxis(attrNum(node, 'axis', -1), x.shape.length);
    const eps = attrNum(node, 'epsilon', 1e-5);
    const D = x.shape.slice(axis).reduce((p, d) => p * d, 1);
    const R = x.data.length / D;
    if (scale.data.length !== D) throw new Error(`LayerNormalization node "${node.name}": Scale has ${scale.data.length} values, the normalised shape has ${D}`);
    const y = new Float32Array(x.data.length);
    const mean = new Float32Array(R);
    const rstd = new Float32Array(R);
    for (let r = 0; r < R; r++) {
      const o = r * D;
      let m = 0;
      for (let d = 0; d < D; d++) m += x.data[o + d];
      m /= D;
      let v = 0;
      for (let d = 0; d < D; d++) {
        const t = x.data[o + d] - m;
        v += t * t;
      }
      const rs = 1 / Math.sqrt(v / D + eps);
      mean[r] = m;
      rstd[r] = rs;
      for (let d = 0; d < D; d++) y[o + d] = (x.data[o + d] - m) * rs * scale.data[d] + (bias ? bias.data[d] : 0);
    }
    return { outputs: [{ shape: x.shape.slice(), data: y }], saved: { mean, rstd } satisfies LnSaved };
  },
  backward(inputs, _outputs, gradOut, saved, needGrad, ctx) {
    const g = gradOut[0];
    if (!g) return [];
    const x = inputs[0] as Tensor;
    const scale = inputs[1] as Tensor;
    const bias = inputs[2];
    const { mean, rstd } = saved as LnSaved;
    const axis = normAxis(attrNum(ctx.node, 'axis', -1), x.shape.length);
    const D = x.shape.slice(axis).reduce((p, d) => p * d, 1);
    const R = x.data.length / D;
    const dx = needGrad[0] ? new Float32Array(x.data.length) : undefined;
    const ds = needGrad[1] ? new Float32Array(D) : undefined;
    const db = needGrad[2] && bias ? new Float32Array(D) : undefined;
    for (let r = 0; r < R; r++) {
      const o = r * D;
      const m = mean[r];
      const rs = rstd[r];
      let sdy = 0;
      let sdyx = 0;
      for (let d = 0; d < D; d++) {
        const xh = (x.data[o + d] - m) * rs;
        const gy = g.data[o + d];
        const dxh = gy * scale.data[d];
        sdy += dxh;
        sdyx += dxh * xh;
        if (ds) ds[d] += gy * xh;
        if (db) db[d] += gy;
      }
      if (dx) {
        for (let d = 0; d < D; d++) {
          const xh = (x.data[o + d] - m) * rs;
          const dxh = g.data[o + d] * scale.data[d];
          dx[o + d] = rs * (dxh - sdy / D - (xh * sdyx) / D);
        }
      }
    }
    return [dx && { shape: x.shape.slice(), data: dx }, ds && { shape: scale.shape.slice(), data: ds }, db && { shape: bias!.shape.slice(), data: db }];
  },
};

/** Rows of a softmax: opset >= 13 normalises along `axis` alone; older opsets flatten from `axis` on. */
function softmaxLayout(x: Tensor, axisAttr: number, opset: number): { outer: number; len: number; inner: number } {
  const r = x.shape.length;
  const axis = normAxis(axisAttr, r);
  if (opset < 13) {
    const len = x.shape.slice(axis).reduce((p, d) => p * d, 1);
    return { outer: x.data.length / len, len, inner: 1 };
  }
  const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const len = x.shape[axis];
  return { outer: x.data.length / (len * inner), len, inner };
}

function softmaxKernel(log: boolean): OpKernel {
  return {
    forward(inputs, ctx) {
      const x = need(inputs, 0, ctx.node);
      const { outer, len, inner } = softmaxLayout(x, attrNum(ctx.node, 'axis', ctx.opset < 13 ? 1 : -1), ctx.opset);
      const y = new Float32Array(x.data.length);
      const X = x.data;
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * len * inner + i;
          let mx = -Infinity;
          for (let k = 0; k < len; k++) mx = Math.max(mx, X[base + k * inner]);
          let sum = 0;
          for (let k = 0; k < len; k++) sum += Math.exp(X[base + k * inner] - mx);
          const lse = Math.log(sum) + mx;
          for (let k = 0; k < len; k++) {
            const v = X[base + k * inner] - lse;
            y[base + k * inner] = log ? v : Math.exp(v);
          }
        }
      }
      return { outputs: [{ shape: x.shape.slice(), data: y }] };
    },
    backward(inputs, outputs, gradOut, _saved, _need, ctx) {
      const g = gradOut[0];
      if (!g) return [];
      const x = inputs[0] as Tensor;
      const { outer, len, inner } = softmaxLayout(x, attrNum(ctx.node, 'axis', ctx.opset < 13 ? 1 : -1), ctx.opset);
      const Y = outputs[0].data;
      const G = g.data;
      const dx = new Float32Array(x.data.length);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * len * inner + i;
          let s = 0;
          if (log) {
            for (let k = 0; k < len; k++) s += G[base + k * inner];
            for (let k = 0; k < len; k++) dx[base + k * inner] = G[base + k * inner] - Math.exp(Y[base + k * inner]) * s;
          } else {
            for (let k = 0; k < len; k++) s += G[base + k * inner] * Y[base + k * inner];
            for (let k = 0; k < len; k++) dx[base + k * inner] = Y[base + k * inner] * (G[base + k * inner] - s);
          }
        }
      }
      return [{ shape: x.shape.slice(), data: dx }];
    },
  };
}

export const normKernels: Record<string, OpKernel> = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  Softmax: softmaxKernel(false),
  LogSoftmax: softmaxKernel(true),
};
