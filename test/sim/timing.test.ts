import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeAccelerator } from '../../src/sim/defaults';
import { fastLayer } from '../../src/sim/fast';
import { planLayer } from '../../src/sim/plan';
import { referenceLayer } from '../../src/sim/reference';
import type { WorkLayer } from '../../src/sim/workload';

const lut = { centroids: 4, vector: 2, metric: 'l2' as const, precision: 'int8' as const };

function both(layer: WorkLayer, acc: ReturnType<typeof completeAccelerator>) {
  const p = planLayer(layer, acc);
  return { p, f: fastLayer(p), r: referenceLayer(p) };
}

test('a 2x4x2 layer matches the hand count (DMA in series, CCM fill hidden under the table load)', () => {
  // 1 byte per cycle. Input 2 rows x 4 = 8 B: cycles 0-8. Table slice c x N x subspaces = 4 x 2 x 2 = 16 B: 8-24.
  // First index visible at 8 + c = 12 (< 24). Step: 2 rows x 2 subspaces x 1 pass = 4 cycles: 24-28.
  // Drain 2 x 2 outputs = 4 B: 28-32.
  const acc = completeAccelerator({ clock: 1e9, imm: { lanes: 2 }, ccm: { units: 1 }, fifo: { depth: 4 }, memory: { dram: 1e9 } });
  const { p, f, r } = both({ name: 'hand', op: 'Gemm', m: 2, k: 4, n: 2, groups: 1, lut }, acc);
  assert.deepEqual([p.nc, p.nt, p.nTiles, p.spStep, p.steps, p.mt, p.mTiles, p.channels], [2, 2, 1, 2, 1, 2, 1, 1]);
  for (const t of [f, r]) {
    assert.equal(t.cycles, 32);
    assert.equal(t.immCycles, 4);
    assert.equal(t.dmaCycles, 8 + 16 + 4);
    assert.equal(t.stallCycles, 28);
    assert.equal(t.dramBytes, 28);
    assert.equal(t.ccmCycles, 2 * 2 + 4 - 1);
  }
});

test('ping-pong banks: one subspace per bank, DMA-bound steps overlap with lookups (hand count)', () => {
  // M=1 K=8 N=1, c=2 v=1: 8 subspaces, slice = 2 B (2 cycles), step = 1 cycle. Input 8 B: 0-8; slice k done at 10 + 2k;
  // step k runs [10 + 2k, 11 + 2k); the last (k=7) ends at 25; drain 1 B: 25-26.
  const acc = completeAccelerator({ clock: 1e9, imm: { lanes: 1 }, ccm: { units: 1 }, fifo: { depth: 4 }, memory: { lut: 4, input: 16, output: 8, index: 64, dram: 1e9 } });
  const { p, f, r } = both({ name: 'pp', op: 'Gemm', m: 1, k: 8, n: 1, groups: 1, lut: { ...lut, centroids: 2, vector: 1 } }, acc);
  assert.equal(p.spStep, 1);
  assert.equal(p.steps, 8);
  for (const t of [f, r]) {
    assert.equal(t.cycles, 26);
    assert.equal(t.immCycles, 8);
    assert.equal(t.dmaCycles, 8 + 8 * 2 + 1);
  }
  assert.equal(r.detail!.immWaitTable > 0, true);
});

test('index FIFO back-pressure: while the IMM waits for tables the CCM fills its FIFO and blocks', () => {
  // Slow DRAM relative to the lookups, a 2-entry FIFO: the CCM (one index per cycle) runs ahead and holds.
  const acc = completeAccelerator({ clock: 1e9, imm: { lanes: 8 }, ccm: { units: 1 }, fifo: { depth: 2 }, memory: { dram: 2e9 } });
  const { f, r } = both({ name: 'bp', op: 'Gemm', m: 16, k: 16, n: 8, groups: 1, lut: { ...lut, vector: 1 } }, acc);
  assert.ok(r.detail!.ccmBlockedCycles > 0);
  assert.ok(r.detail!.maxFifoOccupancy <= 2);
  assert.equal(f.cycles, r.cycles);
});

test('narrow tiles run several rows side by side, one CCU each: more CCUs never cost cycles', () => {
  const layer: WorkLayer = { name: 'narrow', op: 'Gemm', m: 64, k: 32, n: 8, groups: 1, lut };
  let prev = Infinity;
  for (const units of [1, 2, 4, 8, 16]) {
    const acc = completeAccelerator({ clock: 1e9, imm: { lanes: 64 }, ccm: { units }, memory: { dram: 1e12 } });
    const p = planLayer(layer, acc);
    assert.equal(p.channels, Math.min(units, 8));
    const c = fastLayer(p).cycles;
    assert.ok(c <= prev, `units=${units}: ${c} > ${prev}`);
    prev = c;
  }
});

test('grouped layers run their groups one after another', () => {
  const acc = completeAccelerator({ clock: 1e9 });
  const one = fastLayer(planLayer({ name: 'g1', op: 'Conv', m: 49, k: 9, n: 4, groups: 1, lut }, acc));
  const four = both({ name: 'g4', op: 'Conv', m: 49, k: 9, n: 4, groups: 4, lut }, acc);
  assert.equal(four.f.cycles, four.r.cycles);
  assert.equal(four.f.immCycles, 4 * one.immCycles);
  assert.ok(four.f.cycles > one.cycles * 2);
});

test('tables stay in the banks across M tiles when a group has at most two slices (hand count)', () => {
  // M=6 in 3 M tiles of 2 rows (the output scratchpad holds 2 x 2 rows x 2 columns of 32-bit accumulators).
  // Input(0) 0-8; Slice(q0) 8-24; Input(1) 24-32; step 0 at max(24, 8 + c) = 24-28.
  // Slice(q1) 32-48 (bank 1 is still empty); Input(2) 48-56; Drain(0) 56-60; step 1 at max(48, 32 + 4) = 48-52.
  // q2 reuses bank 0 (no load); Drain(1) 60-64; step 2 waits for its accumulators (drain 0: 60) and its first
  // index (input 56 + c = 60): 60-64; Drain(2) 64-68.
  const acc = completeAccelerator({ clock: 1e9, imm: { lanes: 2 }, ccm: { units: 1 }, fifo: { depth: 4 }, memory: { output: 32, input: 64, dram: 1e9 } });
  const { p, f, r } = both({ name: 'res', op: 'Gemm', m: 6, k: 4, n: 2, groups: 1, lut }, acc);
  assert.deepEqual([p.mt, p.mTiles, p.nTiles, p.steps], [2, 3, 1, 1]);
  for (const t of [f, r]) {
    assert.equal(t.cycles, 68);
    assert.equal(t.dramBytes, 24 + 32 + 12);
    assert.equal(t.immCycles, 12);
  }
});
