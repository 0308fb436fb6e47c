import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradCheck, type OpCase } from './gradcheck';

const TOL = 2e-2;

const cases: Record<string, OpCase> = {
  'Conv basic': { op: 'Conv', inputs: [{ name: 'x', shape: [2, 3, 6, 6] }, { name: 'w', shape: [4, 3, 3, 3] }, { name: 'b', shape: [4] }] },
  'Conv stride pads dilation': {
    op: 'Conv', attrs: { strides: [2, 1], pads: [1, 2, 0, 1], dilations: [1, 2] },
    inputs: [{ name: 'x', shape: [1, 2, 7, 7] }, { name: 'w', shape: [3, 2, 3, 2] }],
  },
  'Conv groups': { op: 'Conv', attrs: { group: 2 }, inputs: [{ name: 'x', shape: [2, 4, 5, 5] }, { name: 'w', shape: [6, 2, 3, 3] }, { name: 'b', shape: [6] }] },
  'Conv depthwise SAME_UPPER': { op: 'Conv', attrs: { group: 3, auto_pad: 'SAME_UPPER', strides: [2, 2] }, inputs: [{ name: 'x', shape: [1, 3, 6, 5] }, { name: 'w', shape: [3, 1, 3, 3] }] },
  'Conv 1-D': { op: 'Conv', attrs: { pads: [1, 1] }, inputs: [{ name: 'x', shape: [2, 2, 8] }, { name: 'w', shape: [3, 2, 3] }] },
  Gemm: { op: 'Gemm', inputs: [{ name: 'a', shape: [3, 5] }, { name: 'b', shape: [5, 4] }, { name: 'c', shape: [4] }] },
  'Gemm transA transB alpha beta': {
    op: 'Gemm', attrs: { transA: 1, transB: 1, alpha: 0.7, beta: 1.3 },
    inputs: [{ name: 'a', shape: [5, 3] }, { name: 'b', shape: [4, 5] }, { name: 'c', shape: [3, 1] }],
  },
  'Gemm transA only': { op: 'Gemm', attrs: { transA: 1 }, inputs: [{ name: 'a', shape: [5, 3] }, { name: 'b', shape: [5, 4] }] },
  'Gemm transB only': { op: 'Gemm', attrs: { transB: 1 }, inputs: [{ name: 'a', shape: [6, 5] }, { name: 'b', shape: [4, 5] }, { name: 'c', shape: [6, 4] }] },
  MatMul: { op: 'MatMul', inputs: [{ name: 'a', shape: [5, 6] }, { name: 'b', shape: [6, 3] }] },
  'MatMul batched broadcast': { op: 'MatMul', inputs: [{ name: 'a', shape: [2, 3, 4, 5] }, { name: 'b', shape: [3, 5, 2] }] },
  'MatMul 1-D': { op: 'MatMul', inputs: [{ name: 'a', shape: [5] }, { name: 'b', shape: [2, 5, 3] }] },
  'Add broadcast': { op: 'Add', inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [3, 1] }] },
  'Mul broadcast': { op: 'Mul', inputs: [{ name: 'a', shape: [2, 1, 4] }, { name: 'b', shape: [3, 4] }] },
  Sub: { op: 'Sub', inputs: [{ name: 'a', shape: [4, 3] }, { name: 'b', shape: [3] }] },
  Div: { op: 'Div', inputs: [{ name: 'a', shape: [4, 3] }, { name: 'b', shape: [3], data: [1.5, -2, 3] }] },
  Relu: { op: 'Relu', inputs: [{ name: 'x', shape: [3, 7] }] },
  Gelu: { op: 'Gelu', inputs: [{ name: 'x', shape: [3, 7] }] },
  'Gelu tanh': { op: 'Gelu', attrs: { approximate: 'tanh' }, inputs: [{ name: 'x', shape: [3, 7] }] },
  Sigmoid: { op: 'Sigmoid', inputs: [{ name: 'x', shape: [3, 7] }] },
  Tanh: { op: 'Tanh', inputs: [{ name: 'x', shape: [3, 7] }] },
  MaxPool: { op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [2, 2] }, inputs: [{ name: 'x', shape: [2, 3, 6, 6] }] },
  'MaxPool overlapping pads': { op: 'MaxPool', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, h: 1e-3, inputs: [{ name: 'x', shape: [1, 2, 7, 7] }] },
  AveragePool: { op: 'AveragePool', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, inputs: [{ name: 'x', shape: [2, 2, 6, 6] }] },
  'AveragePool include pad': { op: 'AveragePool', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }, inputs: [{ name: 'x', shape: [1, 2, 5, 5] }] },
  GlobalAveragePool: { op: 'GlobalAveragePool', inputs: [{ name: 'x', shape: [2, 3, 4, 5] }] },
  BatchNormalization: {
    op: 'BatchNormalization', attrs: { epsilon: 1e-3 },
    inputs: [{ name: 'x', shape: [2, 3, 4, 4] }, { name: 's', shape: [3] }, { name: 'b', shape: [3] }, { name: 'm', shape: [3] },
      { name: 'v', shape: [3], data: [0.5, 1.2, 2.0] }],
  },
  Flatten: { op: 'Flatten', attrs: { axis: 2 }, inputs: [{ name: 'x', shape: [2, 3, 4, 5] }] },
  Reshape: { op: 'Reshape', inputs: [{ name: 'x', shape: [2, 3, 4] }, { name: 's', shape: [2], data: [-1, 4], constant: true }] },
  Transpose: { op: 'Transpose', attrs: { perm: [2, 0, 1] }, inputs: [{ name: 'x', shape: [2, 3, 4] }] },
  Concat: { op: 'Concat', attrs: { axis: 1 }, inputs: [{ name: 'a', shape: [2, 3, 2] }, { name: 'b', shape: [2, 1, 2] }, { name: 'c', shape: [2, 2, 2] }] },
  Slice: {
    op: 'Slice',
    inputs: [{ name: 'x', shape: [4, 6] }, { name: 's', shape: [2], data: [1, -1], constant: true }, { name: 'e', shape: [2], data: [3, 0], constant: true },
      { name: 'a', shape: [2], data: [0, 1], constant: true }, { name: 't', shape: [2], data: [1, -2], constant: true }],
  },
  Gather: { op: 'Gather', attrs: { axis: 1 }, inputs: [{ name: 'x', shape: [2, 5, 3] }, { name: 'i', shape: [2, 2], data: [0, 4, 4, -2], constant: true }] },
  Softmax: { op: 'Softmax', attrs: { axis: 1 }, inputs: [{ name: 'x', shape: [2, 4, 3] }] },
  'Softmax opset 11': { op: 'Softmax', opset: 11, attrs: { axis: 1 }, inputs: [{ name: 'x', shape: [2, 4, 3] }] },
  LogSoftmax: { op: 'LogSoftmax', inputs: [{ name: 'x', shape: [3, 5] }] },
  LayerNormalization: { op: 'LayerNormalization', attrs: { axis: -1, epsilon: 1e-5 }, inputs: [{ name: 'x', shape: [3, 6] }, { name: 's', shape: [6] }, { name: 'b', shape: [6] }] },
  'LayerNormalization 2 axes': { op: 'LayerNormalization', attrs: { axis: 1 }, inputs: [{ name: 'x', shape: [2, 3, 4] }, { name: 's', shape: [3, 4] }] },
  Pad: { op: 'Pad', inputs: [{ name: 'x', shape: [2, 3, 4] }, { name: 'p', shape: [6], data: [0, 1, 0, 1, 0, 2], constant: true }] },
  'Pad opset 10': { op: 'Pad', opset: 10, attrs: { pads: [1, 0, 2, 1], mode: 'constant' }, inputs: [{ name: 'x', shape: [3, 2] }] },
  'Conv identity kernel (im2col)': {
    op: 'Conv', attrs: { pads: [1, 1, 1, 1] },
    inputs: [{ name: 'x', shape: [2, 2, 4, 4] }, { name: 'w', shape: [8, 2, 2, 2], constant: true,
      data: Array.from({ length: 64 }, (_, i) => (Math.floor(i / 8) === i % 8 ? 1 : 0)) }],
  },
  Unsqueeze: { op: 'Unsqueeze', inputs: [{ name: 'x', shape: [2, 3] }, { name: 'a', shape: [1], data: [1], constant: true }] },
};

for (const [name, c] of Object.entries(cases)) {
  test(`gradient of ${name} matches finite differences`, () => {
    const r = gradCheck(c);
    assert.ok(r.worst < TOL, r.detail);
  });
}
