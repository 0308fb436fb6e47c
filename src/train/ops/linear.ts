import { gemm } from '../matmul';
import { attrNum } from '../graph';
import { sizeOf, type Tensor } from '../tensor';
import { broadcastShape, forEachRow } from './elementwise';
import { need, type OpKernel } from './kernel';

/** ONNX Gemm: Y = alpha * op(A) * op(B) + beta * C, A and B 2-D, C broadcast to [M, N]. */
const gemmOp: OpKernel = {
  forward(inputs, ctx) {
    const node = ctx.node;
    const a = need(inputs, 0, node);
    const b = need(inputs, 1, node);
    const c = inputs[2];
    const tA = attrNum(node, 'transA', 0) === 1;
    const tB = attrNum(node, 'transB', 0) === 1;
    const alpha = attrNum(node, 'alpha', 1);
    const beta = attrNum(node, 'beta', 1);
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error(`Gemm node "${node.name}": A and B must be 2-D (got [${a.shape}] and [${b.shape}])`);
    const M = tA ? a.shape[1] : a.shape[0];
    const K = tA ? a.shape[0] : a.shape[1];
    const N = tB ? b.shape[0] : b.shape[1];
    if ((tB ? b.shape[1] : b.shape[0]) !== K) throw new Error(`Gemm node "${node.name}": inner dimensions differ ([${a.shape}] and [${b.shape}])`);
    const y = new Float32Array(M * N);
    gemm(M, N, K, a.data, b.data, y, { transA: tA, transB: tB });
    if (alpha !== 1) for (let i = 0; i < y.length; i++) y[i] *= alpha;
    if (c && beta !== 0) {
      const C = c.data;
      forEachRow(c.shape, [M, N], [M, N], (o, co, cs, _bo, _bs, len) => {
        for (let j = 0; j < len; j++) y[o + j] += beta * C[co + j * cs];
      });
    }
    return { outputs: [{ shape: [M, N], data: y }] };
  },
  backward(inputs, outputs, gradOut, _saved, needGrad, ctx) {
    const g = gradOut[0];
    if (!g) return [];
    const node = ctx.node;
    const a = inputs[0] as Tensor;
    const b = inputs[1] as Tensor;
    const c = inputs[2];
    const tA = attrNum(node, 'transA', 0) === 1;
    const tB = attrNum(node, 'transB', 0) === 1;
    const alpha = attrNum(node, 'alpha', 1);
    const beta = attrNum(node, 'beta', 1);
    const [M, N] = outputs[0].shape;
    const K = tA ? a.shape[0] : a.shape[1];
    const G = g.data;
    let da: Float32Array | undefined;
    let db: Float32Array | undefined;
    let dc: Float32Array | undefined;
    if (needGrad[0]) {
      da = new Float32Array(a.data.length);
      if (!tA) gemm(M, K, N, G, b.data, da, { transB: !tB }); // dA = dY op(B)^T
      else gemm(K, M, N, b.data, G, da, { transA: tB, transB: true }); // dA = op(B) dY^T
      if (alpha !== 1) for (let i = 0; i < da.length; i++) da[i] *= alpha;
    }
    if (needGrad[1]) {
      db = new Float32Array(b.data.length);
      if (!tB) gemm(K, N, M, a.data, G, db, { transA: !tA }); // dB = op(A)^T dY
      else gemm(N, K, M, G, a.data, db, { transA: true, transB: tA }); // dB = dY^T op(A)
      if (alpha !== 1) for (let i = 0; i < db.length; i++) db[i] *= alpha;
    }
    if (c && needGrad[2]) {
      dc = new Float32Array(c.data.length);
      const d = dc;
      forEachRow(c.shape, [M, N], [M, N], (o, co, cs, _bo, _bs, len) => {
        for (let j = 0; j < len; j++) d[co + j * cs] += beta * G[o + j];
      });
    }
    return [da && { shape: a.shape.slice(), data: da }, db && { shape: b.shape.slice(), data: db }, dc && { shape: c!.shape.slice(), data: dc }];
  },
};

interface MatMulPlan {
  aShape: number[]; // promoted to >= 2-D
  bShape: number[];
  batch: number[];
  M: number; K: number; N: number;
  outShape: number[];
}

function planMatMul(a: Tensor, b: Tensor, name: string): MatMulPlan {
  const aShape = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bShape = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const M = aShape[aShape.length - 2];
  const K = aShape[aShape.length - 1];
  const N = bShape[bShape.length - 1];
  if (bShape[bShape.length - 2] !== K) throw new Error(`MatMul node "${name}": inner dimensions differ ([${a.shape}] and [${b.shape}])`);
  const batch = broadcastShape(aShape.slice(0, -2), bShape.slice(0, -2), `MatMul node "${name}"`);
  const outShape = [...batch];
  if (a.shape.length !== 1) outShape.push(M);
  if (b.shape.length !== 1) outShape.push(N);
  return { aShape, bShape, batch, M, K, N, outShape };
}

/** Calls fn(aBatchIndex, bBatchIndex, outBatchIndex) for every broadcast batch position. */
function eachBatch(p: MatMulPlan, fn: (ai: number, bi: number, oi: number) => void): void {
  const aB = p.aShape.slice(0, -2);
  const bB = p.bShape.slice(0, -2);
  if (aB.length === 0 && bB.length === 0) {
    fn(0, 0, 0);
    return;
  }
  // Broadcasting the batch as a 1-wide "row" over an extra trailing dimension reuses forEachRow's index walk.
  forEachRow([...aB, 1], [...bB, 1], [...p.batch, 1], (o, ao, _as, bo) => fn(ao, bo, o));
}

const matMul: OpKernel = {
  forward(inputs, ctx) {
    const a = need(inputs, 0, ctx.node);
    const b = need(inputs, 1, ctx.node);
    const p = planMatMul(a, b, ctx.node.name);
    const { M, K, N } = p;
    const y = new Float32Array(sizeOf(p.outShape));
    eachBatch(p, (ai, bi, oi) => gemm(M, N, K, a.data, b.data, y, { aOff: ai * M * K, bOff: bi * K * N, cOff: oi * M * N }));
    return { outputs: [{ shape: p.outShape, data: y }] };
  },
  backward(inputs, _outputs, gradOut, _saved, needGrad, ctx) {
    const g = gradOut[0];
    if (!g) return [];
    const a = inputs[0] as Tensor;
    const b = inputs[1] as Tensor;
    const p = planMatMul(a, b, ctx.node.name);
    const { M, K, N } = p;
    const da = needGrad[0] ? new Float32Array(a.data.length) : undefined;
    const db = needGrad[1] ? new Float32Array(b.data.length) : undefined;
    eachBatch(p, (ai, bi, oi) => {
      // dA += dY B^T ; dB += A^T dY (accumulating over broadcast batch positions)
      if (da) gemm(M, K, N, g.data, b.data, da, { transB: true, accumulate: true, aOff: oi * M * N, bOff: bi * K * N, cOff: ai * M * K });
      if (db) gemm(K, N, M, a.data, g.data, db, { transA: true, accumulate: true, aOff: ai * M * K, bOff: oi * M * N, cOff: bi * K * N });
    });
    return [da && { shape: a.shape.slice(), data: da }, db && { shape: b.shape.slice(), data: db }];
  },
};

export const linearKernels: Record<string, OpKernel> = { Gemm: gemmOp, MatMul: matMul };
