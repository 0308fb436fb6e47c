import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AcceleratorConfig } from '../../src/dsl/config';
import { fastLayer } from '../../src/sim/fast';
import { planLayer } from '../../src/sim/plan';
import { layerBounds, simulateWorkload } from '../../src/sim/simulate';
import { resnet18Workload } from '../../src/sim/network';
import { DEFAULT_ACCELERATOR, DEFAULT_LUT, completeAccelerator } from '../../src/sim/defaults';
import { SimInputError, type WorkLayer } from '../../src/sim/workload';
import { randomCase, rng } from './fixtures';

function cycles(layer: WorkLayer, acc: AcceleratorConfig): number | undefined {
  try {
    return fastLayer(planLayer(layer, acc)).cycles;
  } catch (e) {
    if (e instanceof SimInputError) return undefined;
    throw e;
  }
}

test('no layer finishes faster than its compute bound or its DRAM bound', () => {
  const r = rng(7);
  let n = 0;
  for (let i = 0; i < 400; i++) {
    const { layer, acc } = randomCase(r);
    let p;
    try {
      p = planLayer(layer, acc);
    } catch {
      continue;
    }
    const t = fastLayer(p);
    const b = layerBounds(p);
    assert.ok(t.cycles >= b.compute, `compute bound ${b.compute} > ${t.cycles}`);
    assert.ok(t.cycles >= b.dram, `DRAM bound ${b.dram} > ${t.cycles}`);
    assert.ok(t.immCycles >= b.compute);
    n++;
  }
  assert.ok(n > 300);
  const rep = simulateWorkload(resnet18Workload(DEFAULT_LUT), DEFAULT_ACCELERATOR);
  for (const l of rep.layers) {
    assert.ok(l.cycles >= l.computeBoundCycles! && l.cycles >= l.dramBoundCycles!, l.name);
    assert.ok(l.utilization > 0 && l.utilization <= 1, l.name);
  }
});

test('cycles never drop with more rows, fewer CCUs or less DRAM bandwidth', () => {
  const r = rng(11);
  let checked = 0;
  for (let i = 0; i < 300; i++) {
    const { layer, acc } = randomCase(r);
    const base = cycles(layer, acc);
    if (base === undefined) continue;
    checked++;
    const moreRows = cycles({ ...layer, m: layer.m + 1 + Math.floor(r() * 20) }, acc);
    if (moreRows !== undefined) assert.ok(moreRows >= base, `more rows: ${moreRows} < ${base} ${JSON.stringify({ layer, acc })}`);
    const fewerUnits = cycles(layer, { ...acc, ccm: { units: Math.max(1, Math.floor(acc.ccm.units / 2)) } });
    if (fewerUnits !== undefined) assert.ok(fewerUnits >= base, 'fewer CCUs');
    const slower = cycles(layer, { ...acc, memory: { ...acc.memory, dram: acc.memory.dram / 3 } });
    if (slower !== undefined) assert.ok(slower >= base, 'less bandwidth');
  }
  assert.ok(checked > 200);
});

test('bad accelerators and layers too large for the buffers get clear messages', () => {
  const layer: WorkLayer = { name: 'big', op: 'Gemm', m: 4, k: 100000, n: 8, groups: 1, lut: DEFAULT_LUT };
  assert.throws(() => planLayer(layer, DEFAULT_ACCELERATOR), (e: Error) => e instanceof SimInputError && /big.*input scratchpad.*memory\.input/.test(e.message));
  assert.throws(() => planLayer({ ...layer, k: 16 }, completeAccelerator({ memory: { dram: 0 } })), /DRAM bandwidth must be > 0/);
  assert.throws(() => planLayer({ ...layer, k: 16 }, completeAccelerator({ memory: { lut: 16 } })), /does not fit a LUT bank/);
  assert.throws(() => planLayer({ ...layer, k: 16, m: 0 }, DEFAULT_ACCELERATOR), /m must be a positive integer/);
  // A huge but well-formed layer is tiled, not refused.
  const huge = planLayer({ name: 'huge', op: 'Gemm', m: 100000, k: 4096, n: 4096, groups: 1, lut: DEFAULT_LUT }, DEFAULT_ACCELERATOR);
  assert.ok(huge.mTiles > 1 && huge.nTiles > 1 && huge.steps > 1);
  assert.ok(fastLayer(huge).cycles > 0);
});
