// LUTBoost: nearest-centroid assignment throughput per metric on both cores, and a full `lutdla convert` of the
// ONNX Model Zoo MNIST CNN (1,000 calibration images, evaluated on 10,000): wall time and peak memory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import type { Metric } from '../src/dsl/config';
import type { Assigner } from '../src/lutboost/kmeans';
import { WorkerPool, sharedFloat32, sharedInt32 } from '../src/lutboost/pool';
import { OrtL2Assigner } from '../src/lutboost/ortAssign';
import { Rng } from '../src/lutboost/prng';
import type { ConversionReport } from '../src/reports/conversion';
import { reportFigure } from './report';

const root = path.resolve(__dirname, '..');
const SHARED = path.resolve(root, '..', 'shared');

async function assignment(): Promise<void> {
  const S = 16, n = 65536, v = 4, c = 16;
  const points = sharedFloat32(S * n * v);
  const rng = new Rng(1);
  for (let i = 0; i < points.length; i++) points[i] = rng.next();
  const cents = Float32Array.from({ length: S * c * v }, () => rng.next());
  const idx = sharedInt32(S * n);
  const pool = new WorkerPool(os.cpus().length);
  const ortL2 = new OrtL2Assigner(pool, os.cpus().length);
  const rate = async (a: Assigner, metric: Metric): Promise<number> => {
    await a.assign(metric, points, S, n, v, cents, c, idx); // warm-up (JIT, wasm compilation, session creation)
    const runs = 5;
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) await a.assign(metric, points, S, n, v, cents, c, idx);
    return (runs * S * n * c) / ((performance.now() - t0) / 1000);
  };
  try {
    // The worker pool runs the WebAssembly SIMD kernels (bit-identical to the JS reference) for every metric.
    for (const metric of ['l2', 'l1', 'chebyshev'] as Metric[]) {
      const perS = await rate(pool, metric);
      const target = metric === 'l2' ? 1e9 : 2e8;
      reportFigure(`k-means assignment ${metric} (v=4, c=16, ${os.cpus().length} cores)`, perS, 'dist/s', `>= ${target.toExponential(0)}`, perS >= target);
    }
    // For comparison: the float32 onnxruntime MatMul path (not bit-identical on near-ties).
    const ortRate = await rate(ortL2, 'l2');
    reportFigure(`k-means assignment l2 via onnxruntime MatMul (info)`, ortRate, 'dist/s', '>= 1e+9', ortRate >= 1e9);
  } finally {
    await pool.close();
    await ortL2.close();
  }
}

function conversion(): void {
  const model = path.join(SHARED, 'models', 'mnist-12-cntk-cnn.onnx');
  const images = path.join(SHARED, 'data', 'mnist', 't10k-images-idx3-ubyte.gz');
  const labels = path.join(SHARED, 'data', 'mnist', 't10k-labels-idx1-ubyte.gz');
  if (!existsSync(model) || !existsSync(images)) {
    console.log('skip: conversion of mnist-12 needs ../shared/models and ../shared/data');
    return;
  }
  const out = mkdtempSync(path.join(os.tmpdir(), 'lutdla-bench-'));
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'lutdla.js'), 'convert', model, '--out', out,
      '--calibration', images, '--calibration-range', '0:1000', '--evaluation', images, '--evaluation-range', '0:10000', '--labels', labels,
      '--centroids', '16', '--vector', '4', '--metric', 'l2', '--precision', 'int8'], { encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) {
      console.log(`MISS conversion of mnist-12 failed: ${r.stderr.trim().split('\n').pop()}`);
      return;
    }
    const report = JSON.parse(readFileSync(path.join(out, 'mnist-12-cntk-cnn.conversion.json'), 'utf8')) as ConversionReport;
    reportFigure('convert mnist-12 (1,000 calibration, 10,000 evaluated): wall time', wall, 's', '< 30 s', wall < 30);
    const mb = report.totals.peakMemoryBytes / 2 ** 20;
    reportFigure('convert mnist-12: peak memory (max RSS)', mb, 'MiB', '< 1536 MiB', mb < 1536);
    reportFigure('convert mnist-12 c=16 v=4 l2 int8: accuracy drop (info)', report.accuracy.drop ?? NaN, 'points', '<= 0.5 (DESIGN), <= 0.7 (issue)', (report.accuracy.drop ?? 99) <= 0.7);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

(async () => {
  await assignment();
  conversion();
})().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
