import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExploreConfig } from '../../src/dsl/config';
import { checkPlan, explorationCsv, runExploration } from '../../src/sim/explore';
import { resnet18Workload } from '../../src/sim/network';
import { DEFAULT_ACCELERATOR, DEFAULT_LUT } from '../../src/sim/defaults';
import { SimInputError } from '../../src/sim/workload';
import type { AccuracyIndex } from '../../src/sim/accuracy';

const small = { ...resnet18Workload(DEFAULT_LUT, 32), name: 'r18-32' };
const explore: ExploreConfig = {
  axes: [
    { path: 'lut.centroids', values: [8, 16, 32] },
    { path: 'accelerator.imm.lanes', values: [32, 64] },
    { path: 'accelerator.memory.lut', values: [65536, 131072] },
  ],
  constraints: [{ metric: 'area', op: '<=', value: 0.7 }],
  minimize: ['latency', 'energy'],
};

test('a sweep over worker threads equals the same sweep in one thread', async () => {
  const progress: number[] = [];
  const a = await runExploration({ workload: small, base: DEFAULT_ACCELERATOR, explore, configName: 'x.lutdla', baseLut: DEFAULT_LUT, workers: 2, onProgress: (d) => progress.push(d) });
  const b = await runExploration({ workload: small, base: DEFAULT_ACCELERATOR, explore, configName: 'x.lutdla', baseLut: DEFAULT_LUT, workers: 1 });
  assert.equal(a.workers, 2);
  assert.equal(a.points.length, 12);
  assert.deepEqual(a.points.map((p) => p.figures), b.points.map((p) => p.figures));
  assert.equal(progress[progress.length - 1], 12);
  assert.deepEqual(a.points[5].settings, { 'lut.centroids': 16, 'accelerator.imm.lanes': 32, 'accelerator.memory.lut': 131072 });
  for (const p of a.points) {
    assert.equal(p.feasible, (p.figures.area as number) <= 0.7);
    if (p.pareto) assert.ok(p.feasible);
    assert.equal(p.figures.accuracy_drop, null);
  }
  assert.ok(a.points.some((p) => p.pareto));
  // No point on the front is dominated by a feasible point.
  for (const p of a.points.filter((x) => x.pareto)) {
    const dom = a.points.some((q) => q.feasible && (q.figures.latency as number) <= (p.figures.latency as number) && (q.figures.energy as number) <= (p.figures.energy as number)
      && ((q.figures.latency as number) < (p.figures.latency as number) || (q.figures.energy as number) < (p.figures.energy as number)));
    assert.equal(dom, false);
  }
  const csv = explorationCsv(a).trim().split('\n');
  assert.equal(csv.length, 13);
  assert.match(csv[0], /^id,lut\.centroids,accelerator\.imm\.lanes,accelerator\.memory\.lut,latency \(s\),/);
});

test('accuracy comes from conversion reports matching (c, v, metric, precision); points without one say so', async () => {
  const accuracy: AccuracyIndex = { files: ['m.conversion.json'], lookup: (l) => (l.centroids === 16 ? { drop: 0.3, file: 'm.conversion.json' } : undefined) };
  const r = await runExploration({
    workload: small, base: DEFAULT_ACCELERATOR, configName: 'x.lutdla', baseLut: DEFAULT_LUT, accuracy, workers: 1,
    explore: { axes: [{ path: 'lut.centroids', values: [8, 16] }], constraints: [{ metric: 'accuracy_drop', op: '<=', value: 1 }], minimize: ['latency', 'accuracy_drop'] },
  });
  assert.equal(r.points[1].figures.accuracy_drop, 0.3);
  assert.equal(r.points[1].feasible, true);
  assert.equal(r.points[0].figures.accuracy_drop, null);
  assert.equal(r.points[0].feasible, false);
  assert.match(r.points[0].note ?? '', /no conversion report for c=8 v=4 l2 int8/);
  assert.match((r.notes ?? []).join(' '), /1 LUT setting\(s\) have no conversion report/);
});

test('a million-point sweep is refused with a plan; bad axes and points are clear', async () => {
  const big: ExploreConfig = { ...explore, axes: Array.from({ length: 6 }, (_, i) => ({ path: 'accelerator.ccm.units', values: Array.from({ length: 10 }, (_, j) => j + 1 + i) })) };
  assert.throws(() => checkPlan(big), (e: Error) => e instanceof SimInputError && /1,000,000 points.*above the cap of 100,000.*Narrow it/.test(e.message));
  await assert.rejects(runExploration({ workload: small, base: DEFAULT_ACCELERATOR, explore: big, configName: 'x', baseLut: DEFAULT_LUT }), /1,000,000 points/);
  await assert.rejects(
    runExploration({ workload: small, base: DEFAULT_ACCELERATOR, configName: 'x', baseLut: DEFAULT_LUT, explore: { ...explore, axes: [{ path: 'accelerator.warp.drive', values: [1] }] } }),
    /cannot vary this field/,
  );
  // A point whose buffers cannot hold a layer is reported infeasible with the reason, the sweep goes on.
  const r = await runExploration({
    workload: small, base: DEFAULT_ACCELERATOR, configName: 'x', baseLut: DEFAULT_LUT, workers: 1,
    explore: { axes: [{ path: 'accelerator.memory.input', values: [64, 65536] }], constraints: [], minimize: ['latency'] },
  });
  assert.equal(r.points[0].feasible, false);
  assert.equal(r.points[0].figures.latency, null);
  assert.match(r.points[0].note ?? '', /input scratchpad/);
  assert.equal(r.points[1].pareto, true);
});

test('cancel stops a sweep and rejects', async () => {
  const ac = new AbortController();
  const many: ExploreConfig = { ...explore, axes: [{ path: 'accelerator.clock', values: Array.from({ length: 4000 }, (_, i) => 1e8 + i * 1e5) }] };
  const run = runExploration({ workload: small, base: DEFAULT_ACCELERATOR, explore: many, configName: 'x', baseLut: DEFAULT_LUT, workers: 2, signal: ac.signal, onProgress: () => ac.abort(new Error('cancelled')) });
  await assert.rejects(run, /cancelled/);
});
