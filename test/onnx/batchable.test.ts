import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchableModel, relaxBatchDim, relaxedReshapeTarget } from '../../src/onnx/batchable';
import { attr, GraphBuilder } from '../../src/onnx/builder';
import { createSession, release, runFloat } from '../../src/onnx/runtime';
import { int64Tensor, tensorToNumbers } from '../../src/onnx/tensor';
import type { ModelProto } from '../../src/onnx/types';
import { randomFloats } from './helpers';

/** mnist-12's pattern: a fixed batch of 1, a Reshape to [1, K] (from an initializer), one through a Constant node. */
function fixedBatchModel(): ModelProto {
  const b = new GraphBuilder('fixed', 13);
  b.addInput('x', [1, 2, 3, 2]);
  b.addFloat('w', [12, 5], randomFloats(60, 3));
  b.addInitializer(int64Tensor('flat', [2], [1, 12]));
  b.addNode('Reshape', ['x', 'flat'], ['x2'], [], 'flatten');
  b.addNode('MatMul', ['x2', 'w'], ['h'], [], 'fc');
  b.addNode('Relu', ['h'], ['r'], [], 'relu');
  b.addNode('Constant', [], ['s3'], [attr.tensor('value', int64Tensor('v', [3], [1, 5, -1]))], 'c');
  b.addNode('Reshape', ['r', 's3'], ['y3'], [], 'to3d');
  b.addInitializer(int64Tensor('back', [2], [1, 5]));
  b.addNode('Reshape', ['y3', 'back'], ['y'], [], 'to2d');
  // A reshape of a weight keeps its shape: it has no batch.
  b.addInitializer(int64Tensor('wshape', [2], [1, 60]));
  b.addNode('Reshape', ['w', 'wshape'], ['wflat'], [], 'wflat');
  b.addNode('ReduceSum', ['wflat'], ['wsum'], [attr.int('keepdims', 0)], 'wsum');
  b.addOutput('y', [1, 5]);
  b.addValueInfo('h', [1, 5]);
  return b.build();
}

async function runAll(model: ModelProto, x: Float32Array, dims: number[]): Promise<{ data: Float32Array; dims: number[] }> {
  const s = await createSession(model);
  try {
    return (await runFloat(s, 'x', x, dims))['y'];
  } finally {
    await release(s);
  }
}

test('relaxedReshapeTarget frees a leading 1 (-1, or 0 when -1 is taken) and leaves other targets alone', () => {
  assert.deepEqual(relaxedReshapeTarget([1, 256]), [-1, 256]);
  assert.deepEqual(relaxedReshapeTarget([1, 5, -1]), [0, 5, -1]);
  assert.equal(relaxedReshapeTarget([4, 1]), undefined);
  assert.equal(relaxedReshapeTarget([]), undefined);
});

test('relaxBatchDim frees the input, output and batch reshapes, not a weight reshape, and leaves the original alone', () => {
  const m = fixedBatchModel();
  const before = JSON.stringify(tensorToNumbers(m.graph!.initializer.find((t) => t.name === 'flat')!));
  const r = relaxBatchDim(m)!;
  assert.ok(r);
  const g = r.graph!;
  assert.equal(g.input[0].type?.tensorType?.shape?.dim?.[0]?.dimParam, 'batch');
  assert.equal(g.output[0].type?.tensorType?.shape?.dim?.[0]?.dimParam, 'batch');
  assert.equal(g.valueInfo.length, 0);
  const target = (node: string): number[] => {
    const n = g.node.find((x) => x.name === node)!;
    return tensorToNumbers(g.initializer.find((t) => t.name === n.input[1])!);
  };
  assert.deepEqual(target('flatten'), [-1, 12]);
  assert.deepEqual(target('to3d'), [0, 5, -1]);
  assert.deepEqual(target('to2d'), [-1, 5]);
  assert.deepEqual(target('wflat'), [1, 60]);
  assert.equal(JSON.stringify(tensorToNumbers(m.graph!.initializer.find((t) => t.name === 'flat')!)), before);
  assert.equal(m.graph!.input[0].type?.tensorType?.shape?.dim?.[0]?.dimValue, 1);
  // Nothing to relax: a free batch already, or a first dimension other than 1.
  const free = new GraphBuilder('free', 13);
  free.addInput('x', ['N', 3]);
  free.addNode('Relu', ['x'], ['y'], [], 'r');
  free.addOutput('y', ['N', 3]);
  assert.equal(relaxBatchDim(free.build()), undefined);
});

test('batchableModel: the relaxed model at batch N gives the batch-1 outputs of the original', async () => {
  const m = fixedBatchModel();
  const N = 5;
  const x = randomFloats(N * 12, 7);
  const r = await batchableModel(m, { samples: x.subarray(0, 3 * 12), sampleDims: [2, 3, 2] });
  assert.equal(r.relaxed, true, r.reason);
  const batched = await runAll(r.model, x, [N, 2, 3, 2]);
  assert.deepEqual(batched.dims, [N, 5]);
  for (let b = 0; b < N; b++) {
    const one = await runAll(m, x.subarray(b * 12, (b + 1) * 12), [1, 2, 3, 2]);
    const got = batched.data.subarray(b * 5, (b + 1) * 5);
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(got[i] - one.data[i]) <= 1e-5 * Math.max(1, Math.abs(one.data[i])), `sample ${b}`);
  }
});

test('batchableModel keeps the original when a batched run mixes samples or does not run', async () => {
  // ReduceSum over every axis sums the whole batch: it runs at batch 3 but gives other values.
  const mixing = new GraphBuilder('mixing', 13);
  mixing.addInput('x', [1, 4]);
  mixing.addNode('ReduceSum', ['x'], ['t'], [attr.int('keepdims', 1)], 'total');
  mixing.addNode('Add', ['x', 't'], ['y'], [], 'add');
  mixing.addOutput('y', [1, 4]);
  const a = await batchableModel(mixing.build(), { samples: randomFloats(12, 2), sampleDims: [4] });
  assert.equal(a.relaxed, false);
  assert.match(a.reason ?? '', /differs/);
  // A reshape whose first entry is not the batch: fails to run at batch 3.
  const fixed = new GraphBuilder('fixed4', 13);
  fixed.addInput('x', [1, 4]);
  fixed.addInitializer(int64Tensor('s', [2], [4, 1]));
  fixed.addNode('Reshape', ['x', 's'], ['y'], [], 'col');
  fixed.addOutput('y', [4, 1]);
  const b = await batchableModel(fixed.build(), { samples: randomFloats(12, 2), sampleDims: [4] });
  assert.equal(b.relaxed, false);
  assert.ok(b.reason);
  // One sample proves nothing.
  const c = await batchableModel(fixedBatchModel(), { samples: randomFloats(12, 2), sampleDims: [2, 3, 2] });
  assert.equal(c.relaxed, false);
});
