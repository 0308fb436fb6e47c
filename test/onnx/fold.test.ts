import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeModel } from '../../src/onnx/analysis';
import { attr, GraphBuilder } from '../../src/onnx/builder';
import { foldBatchNorm, foldConstants } from '../../src/onnx/fold';
import { readModelBytes, writeModel } from '../../src/onnx/model';
import { createSession, release, runFloat } from '../../src/onnx/runtime';
import { int64Tensor } from '../../src/onnx/tensor';
import { DataType, ModelProto } from '../../src/onnx/types';
import { maxAbsDiff, randomFloats } from './helpers';

async function outputsOf(model: ModelProto, input: string, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await createSession(readModelBytes(writeModel(model)));
  try {
    const r = await runFloat(s, input, x, dims);
    return r[s.outputNames[0]].data;
  } finally {
    await release(s);
  }
}

test('a weight hidden behind Transpose -> Reshape -> Cast -> Unsqueeze -> Squeeze -> Identity of an initializer is folded', async () => {
  const b = new GraphBuilder('hidden', 17);
  b.addInput('x', ['N', 4]);
  const w0 = randomFloats(12, 9);
  b.addInitializer({ ...int64Tensor('w0_shape', [2], [2, 6]) });
  b.addFloat('w0', [2, 6], w0);
  b.addNode('Constant', [], ['shape43'], [attr.tensor('value', int64Tensor('v', [2], [4, 3]))], 'c_shape');
  b.addNode('Constant', [], ['axes0'], [attr.tensor('value', int64Tensor('a', [1], [0]))], 'c_axes');
  b.addNode('Reshape', ['w0', 'shape43'], ['w1'], [], 'r1'); // [2,6] -> [4,3]
  b.addNode('Transpose', ['w1'], ['w2'], [attr.ints('perm', [1, 0])], 't'); // [3,4]
  b.addNode('Transpose', ['w2'], ['w3'], [], 't2'); // default perm reverses: [4,3]
  b.addNode('Cast', ['w3'], ['w4'], [attr.int('to', DataType.FLOAT)], 'cast');
  b.addNode('Unsqueeze', ['w4', 'axes0'], ['w5'], [], 'u'); // [1,4,3]
  b.addNode('Squeeze', ['w5', 'axes0'], ['w6'], [], 's');
  b.addNode('Identity', ['w6'], ['w7'], [], 'id');
  b.addNode('MatMul', ['x', 'w7'], ['y'], [], 'fc');
  b.addOutput('y', ['N', 3]);
  const model = b.build();
  const folded = foldConstants(model);
  assert.deepEqual(folded.graph!.node.map((n) => n.opType), ['MatMul']);
  assert.deepEqual(folded.graph!.initializer.map((t) => [t.name, t.dims]), [['w7', [4, 3]]]);
  const x = randomFloats(8, 4);
  assert.ok(maxAbsDiff(await outputsOf(model, 'x', x, [2, 4]), await outputsOf(folded, 'x', x, [2, 4])) === 0);
  const a = await analyzeModel(model);
  assert.deepEqual([a.layers[0].info.k, a.layers[0].info.n, a.layers[0].info.m], [4, 3, 1]);
  assert.deepEqual(Array.from(a.layers[0].weight), Array.from(w0)); // reshape + double transpose = same row-major data
});

test('a Reshape whose data is an activation is kept; its constant shape stays an initializer', async () => {
  const b = new GraphBuilder('keep', 17);
  b.addInput('x', [1, 2, 3]);
  b.addNode('Constant', [], ['shape'], [attr.tensor('value', int64Tensor('v', [2], [1, 6]))], 'c');
  b.addNode('Reshape', ['x', 'shape'], ['y'], [], 'r');
  b.addOutput('y', [1, 6]);
  const folded = foldConstants(b.build());
  assert.deepEqual(folded.graph!.node.map((n) => n.opType), ['Reshape']);
  assert.equal(folded.graph!.initializer[0].dataType, DataType.INT64);
  const x = randomFloats(6);
  assert.deepEqual(Array.from(await outputsOf(folded, 'x', x, [1, 2, 3])), Array.from(x));
});

function convBn(extraUse: boolean): ModelProto {
  const b = new GraphBuilder('bn', 17);
  b.addInput('x', [2, 3, 8, 8]);
  b.addFloat('w', [5, 3, 3, 3], randomFloats(135, 1));
  b.addFloat('cb', [5], randomFloats(5, 2));
  b.addFloat('scale', [5], Float32Array.from(randomFloats(5, 3), (v) => 1 + v / 2));
  b.addFloat('beta', [5], randomFloats(5, 4));
  b.addFloat('mean', [5], randomFloats(5, 5));
  b.addFloat('var', [5], Float32Array.from(randomFloats(5, 6), (v) => 0.5 + Math.abs(v)));
  b.addNode('Conv', ['x', 'w', 'cb'], ['c'], [attr.ints('pads', [1, 1, 1, 1])], 'conv');
  b.addNode('BatchNormalization', ['c', 'scale', 'beta', 'mean', 'var'], ['bn'], [attr.float('epsilon', 1e-3)], 'bn');
  b.addNode('Relu', ['bn'], ['r'], [], 'relu');
  if (extraUse) {
    b.addNode('Add', ['r', 'c'], ['y'], [], 'add');
    b.addOutput('y');
  } else b.addOutput('r');
  return b.build();
}

test('BatchNormalization folds into the Conv before it and the outputs stay the same', async () => {
  const model = convBn(false);
  const folded = foldBatchNorm(model);
  assert.deepEqual(folded.graph!.node.map((n) => n.opType), ['Conv', 'Relu']);
  assert.equal(folded.graph!.node[0].output[0], 'bn');
  const x = randomFloats(2 * 3 * 64, 8);
  const diff = maxAbsDiff(await outputsOf(model, 'x', x, [2, 3, 8, 8]), await outputsOf(folded, 'x', x, [2, 3, 8, 8]));
  assert.ok(diff < 1e-4, `diff ${diff}`);
  const a = await analyzeModel(model);
  assert.equal(a.layers.length, 1);
  assert.equal(a.layers[0].output, 'bn');
  assert.equal(a.layers[0].bias!.length, 5);
});

test('BatchNormalization is not folded when the Conv output has another reader', () => {
  const folded = foldBatchNorm(convBn(true));
  assert.deepEqual(folded.graph!.node.map((n) => n.opType), ['Conv', 'BatchNormalization', 'Relu', 'Add']);
});
