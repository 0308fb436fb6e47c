import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Metric } from '../../src/dsl/config';
import { analyzeModel } from '../../src/onnx/analysis';
import { readModelBytes } from '../../src/onnx/model';
import { exportLutLayer } from '../../src/lutboost/export';
import { subspaces, type LutGemm } from '../../src/lutboost/lutGemm';
import { workloadFromModel } from '../../src/sim/onnxWorkload';
import { simulateWorkload } from '../../src/sim/simulate';
import { DEFAULT_ACCELERATOR, DEFAULT_LUT } from '../../src/sim/defaults';
import { rng, smallCnnBytes } from './fixtures';

function randomLut(k: number, n: number, v: number, c: number, metric: Metric, seed: number): LutGemm {
  const r = rng(seed);
  const S = subspaces(k, v);
  return { k, n, v, c, S, metric, centroids: Float32Array.from({ length: S * c * v }, () => r() - 0.5), tables: Float32Array.from({ length: S * c * n }, () => r() - 0.5) };
}

test('a model converted by the LUTBoost export simulates with the recorded c, v, metric, and its LUT subgraphs are not counted again', async () => {
  const a = await analyzeModel(readModelBytes(smallCnnBytes()), { inputShapes: { x: [1, 3, 16, 16] } });
  const lut = structuredClone(a.model);
  const settings: Record<string, { v: number; c: number; metric: Metric }> = {
    conv1: { v: 3, c: 8, metric: 'l2' }, conv2: { v: 2, c: 4, metric: 'l1' }, fc: { v: 8, c: 32, metric: 'chebyshev' },
  };
  for (const layer of a.layers) {
    const s = settings[layer.info.name];
    const luts = Array.from({ length: layer.info.groups }, (_, g) => randomLut(layer.info.k, layer.info.n, s.v, s.c, s.metric, 10 + g));
    exportLutLayer(lut, { layer, luts, precision: 'int8', quantized: false, inputRank: layer.info.op === 'Gemm' ? 2 : 4 });
  }
  const w = await workloadFromModel(lut, { lut: DEFAULT_LUT, name: 'small-lut' });
  assert.deepEqual(
    w.layers.map((l) => [l.name, l.m, l.k, l.n, l.groups, l.lut.centroids, l.lut.vector, l.lut.metric]).sort(),
    [['conv1', 64, 27, 8, 1, 8, 3, 'l2'], ['conv2', 64, 18, 2, 4, 4, 2, 'l1'], ['fc', 1, 512, 10, 1, 32, 8, 'chebyshev']],
  );
  const rep = simulateWorkload(w, DEFAULT_ACCELERATOR);
  assert.equal(rep.layers.length, 3);
  assert.deepEqual((rep.config.hardware as { metrics: string[] }).metrics, ['chebyshev', 'l1', 'l2']);
  const ref = simulateWorkload(w, DEFAULT_ACCELERATOR, { mode: 'reference' });
  assert.equal(ref.totals.cycles, rep.totals.cycles);
  assert.equal(ref.totals.energyJ, rep.totals.energyJ);
});
