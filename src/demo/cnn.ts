import type { GraphNode, TrainGraph } from '../train/graph';
import { Rng } from '../train/rng';
import type { Tensor } from '../train/tensor';

/** The demo CNN's layer sizes (part of the training recipe). */
export const CNN_SPEC = { conv1: 8, conv2: 16, kernel: 3, classes: 10 } as const;

function he(rng: Rng, shape: number[], fanIn: number): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float32Array(n);
  const s = Math.sqrt(2 / fanIn);
  for (let i = 0; i < n; i++) data[i] = rng.normal() * s;
  return { shape, data };
}

/**
 * The demo CNN as an ONNX-like graph: conv 1->8 3x3 relu maxpool, conv 8->16 3x3 relu maxpool, flatten,
 * gemm 784->10. Input `input` float32 [N,1,28,28] (pixels 0..1), output `logits` [N,10].
 */
export function buildDemoCnn(seed: number): TrainGraph {
  const rng = new Rng(seed);
  const { conv1, conv2, kernel: k, classes } = CNN_SPEC;
  const flat = conv2 * 7 * 7;
  const inits = new Map<string, Tensor>([
    ['conv1.weight', he(rng, [conv1, 1, k, k], k * k)],
    ['conv1.bias', { shape: [conv1], data: new Float32Array(conv1) }],
    ['conv2.weight', he(rng, [conv2, conv1, k, k], conv1 * k * k)],
    ['conv2.bias', { shape: [conv2], data: new Float32Array(conv2) }],
    ['fc.weight', he(rng, [classes, flat], flat)],
    ['fc.bias', { shape: [classes], data: new Float32Array(classes) }],
  ]);
  const pad = Math.floor(k / 2);
  const convAttrs = { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [1, 1] };
  const poolAttrs = { kernel_shape: [2, 2], strides: [2, 2] };
  const nodes: GraphNode[] = [
    { name: 'conv1', op: 'Conv', inputs: ['input', 'conv1.weight', 'conv1.bias'], outputs: ['conv1.out'], attrs: convAttrs },
    { name: 'relu1', op: 'Relu', inputs: ['conv1.out'], outputs: ['relu1.out'], attrs: {} },
    { name: 'pool1', op: 'MaxPool', inputs: ['relu1.out'], outputs: ['pool1.out'], attrs: poolAttrs },
    { name: 'conv2', op: 'Conv', inputs: ['pool1.out', 'conv2.weight', 'conv2.bias'], outputs: ['conv2.out'], attrs: convAttrs },
    { name: 'relu2', op: 'Relu', inputs: ['conv2.out'], outputs: ['relu2.out'], attrs: {} },
    { name: 'pool2', op: 'MaxPool', inputs: ['relu2.out'], outputs: ['pool2.out'], attrs: poolAttrs },
    { name: 'flatten', op: 'Flatten', inputs: ['pool2.out'], outputs: ['flat'], attrs: { axis: 1 } },
    { name: 'fc', op: 'Gemm', inputs: ['flat', 'fc.weight', 'fc.bias'], outputs: ['logits'], attrs: { transB: 1 } },
  ];
  return {
    name: 'mnist_cnn',
    opset: 17,
    nodes,
    inputs: [{ name: 'input', shape: ['N', 1, 28, 28], elemType: 'float' }],
    outputs: [{ name: 'logits', shape: ['N', classes], elemType: 'float' }],
    initializers: inits,
    params: new Set(inits.keys()),
  };
}
