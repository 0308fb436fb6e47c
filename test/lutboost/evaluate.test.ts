import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryArray } from '../../src/data/array';
import { Dataset } from '../../src/data/dataset';
import { attr, GraphBuilder } from '../../src/onnx/builder';
import { createSession, release, runFloat } from '../../src/onnx/runtime';
import { int64Tensor } from '../../src/onnx/tensor';
import type { ModelProto } from '../../src/onnx/types';
import { evaluate } from '../../src/lutboost/evaluate';
import { Rng } from '../../src/lutboost/prng';

const K = 6, C = 4, COUNT = 37;

/** A fixed-batch-1 classifier [1,K] -> Reshape [1,K] -> MatMul -> [1,C]; `mixing` adds the batch total (unsafe). */
function classifier(seed: number, mixing = false): ModelProto {
  const rng = new Rng(seed);
  const b = new GraphBuilder('cls', 13);
  b.addInput('x', [1, K]);
  b.addInitializer(int64Tensor('shape', [2], [1, K]));
  b.addFloat('w', [K, C], Float32Array.from({ length: K * C }, () => rng.next() * 2 - 1));
  b.addNode('Reshape', ['x', 'shape'], ['x2'], [], 'flat');
  b.addNode('MatMul', ['x2', 'w'], [mixing ? 'y0' : 'y'], [], 'fc');
  if (mixing) {
    b.addNode('ReduceSum', ['y0'], ['t'], [attr.int('keepdims', 1)], 'total');
    b.addNode('Add', ['y0', 't'], ['y'], [], 'add');
  }
  b.addOutput('y', [1, C]);
  return b.build();
}

/** Top-1 per sample, the slow way: one run per sample at batch 1. */
async function predictions(model: ModelProto, data: Float32Array): Promise<number[]> {
  const s = await createSession(model);
  try {
    const out: number[] = [];
    for (let i = 0; i < COUNT; i++) {
      const y = (await runFloat(s, 'x', data.subarray(i * K, (i + 1) * K), [1, K]))['y'].data;
      let best = 0;
      for (let j = 1; j < C; j++) if (y[j] > y[best]) best = j;
      out.push(best);
    }
    return out;
  } finally {
    await release(s);
  }
}

async function expectSame(original: ModelProto, lut: ModelProto, expectLog: boolean): Promise<void> {
  const rng = new Rng(3);
  const data = Float32Array.from({ length: COUNT * K }, () => rng.next() * 2 - 1);
  const labels = Int32Array.from({ length: COUNT }, () => Math.floor(rng.next() * C));
  const ds = new Dataset(memoryArray('x', [COUNT, K], data));
  const logs: string[] = [];
  const acc = await evaluate(original, lut, ds, { name: 'x', shape: [1, K] }, labels, { log: (m) => logs.push(m), batchSize: 8 });
  const po = await predictions(original, data);
  const pl = await predictions(lut, data);
  const frac = (f: (i: number) => boolean): number => Array.from({ length: COUNT }, (_, i) => i).filter(f).length / COUNT;
  assert.equal(acc.samples, COUNT);
  assert.equal(acc.original, frac((i) => po[i] === labels[i]));
  assert.equal(acc.lut, frac((i) => pl[i] === labels[i]));
  assert.equal(acc.agreement, frac((i) => po[i] === pl[i]));
  assert.equal(logs.length, expectLog ? 1 : 0, logs.join('\n'));
  if (expectLog) assert.match(logs[0], /one sample at a time/);
}

test('evaluate runs a fixed-batch-1 model in batches and counts exactly what per-sample runs give', async () => {
  await expectSame(classifier(1), classifier(2), false);
});

test('evaluate falls back to one sample at a time (with a log line) when a batched run is not the same', async () => {
  await expectSame(classifier(1), classifier(2, true), true);
});
