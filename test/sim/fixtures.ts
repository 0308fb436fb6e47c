import { attr, GraphBuilder } from '../../src/onnx/builder';
import { writeModel } from '../../src/onnx/model';
import type { AcceleratorConfig } from '../../src/dsl/config';
import { completeAccelerator } from '../../src/sim/defaults';
import type { WorkLayer } from '../../src/sim/workload';

/** Deterministic generator for property tests. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomCase(r: () => number): { layer: WorkLayer; acc: AcceleratorConfig } {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const layer: WorkLayer = {
    name: 'rand', op: 'Gemm', m: 1 + Math.floor(r() * 40), k: 1 + Math.floor(r() * 64), n: 1 + Math.floor(r() * 80), groups: pick([1, 1, 2, 3]),
    lut: { centroids: pick([2, 4, 8, 16, 32]), vector: pick([1, 2, 3, 4, 8]), metric: pick(['l2', 'l1', 'chebyshev'] as const), precision: pick(['int4', 'int8', 'fp16', 'bf16'] as const) },
  };
  const acc = completeAccelerator({
    name: 'rand', clock: 1e9, ccm: { units: pick([1, 2, 4, 8]) }, imm: { lanes: pick([1, 4, 8, 16, 32, 64]) }, fifo: { depth: pick([1, 2, 4, 16]) },
    memory: { lut: pick([256, 512, 1024, 4096, 65536]), index: pick([64, 256, 4096]), input: pick([256, 1024, 8192]), output: pick([256, 1024, 4096]), dram: pick([5e8, 1e9, 4e9, 16e9, 64e9]) },
  });
  return { layer, acc };
}

function weights(n: number, seed = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() - 0.5);
}

/**
 * A small CNN built in code: Conv 3->8 3x3 pad 1 stride 2 on 1x3x16x16, a grouped Conv 8->8 3x3 groups 4 pad 1,
 * then Flatten and a Gemm 512 -> 10. Layer shapes: conv1 M=64 K=27 N=8; conv2 M=64 K=18 N=2 groups=4; fc M=1 K=512 N=10.
 */
export function smallCnnBytes(): Uint8Array {
  const b = new GraphBuilder('small', 13);
  const x = b.addInput('x', ['N', 3, 16, 16]);
  const w1 = b.addFloat('w1', [8, 3, 3, 3], weights(8 * 27, 1));
  b.addNode('Conv', [x, w1], ['c1'], [attr.ints('pads', [1, 1, 1, 1]), attr.ints('strides', [2, 2])], 'conv1');
  b.addNode('Relu', ['c1'], ['r1'], [], 'relu1');
  const w2 = b.addFloat('w2', [8, 2, 3, 3], weights(8 * 18, 2));
  b.addNode('Conv', ['r1', w2], ['c2'], [attr.ints('pads', [1, 1, 1, 1]), attr.int('group', 4)], 'conv2');
  b.addNode('Flatten', ['c2'], ['f'], [attr.int('axis', 1)], 'flatten');
  const w3 = b.addFloat('w3', [512, 10], weights(5120, 3));
  b.addNode('Gemm', ['f', w3], ['y'], [], 'fc');
  b.addOutput('y', ['N', 10]);
  return writeModel(b.build());
}
