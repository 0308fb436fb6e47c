import { test } from 'node:test';
import assert from 'node:assert/strict';
import { technology, TECH_NODES } from '../../src/sim/technology';
import { distancePJ, hardwareShapeOf, lutArea } from '../../src/sim/cost';
import { DEFAULT_ACCELERATOR } from '../../src/sim/defaults';

test('45 nm figures are the published ones (Horowitz ISSCC 2014)', () => {
  const t = technology(45);
  assert.equal(t.extrapolated, false);
  assert.equal(t.addPJ(8), 0.03);
  assert.equal(t.addPJ(32), 0.1);
  assert.equal(t.fpAddPJ(16), 0.4);
  assert.equal(t.fpMultPJ(32), 3.7);
  assert.ok(Math.abs(t.multPJ(8) - 0.2) < 1e-12);
  assert.ok(Math.abs(t.multPJ(32) - 3.1) < 1e-9);
  assert.equal(t.addUm2(8), 36);
  assert.equal(t.fpMultUm2(16), 1640);
  assert.ok(Math.abs(t.sramPJ(8 * 1024, 64) - 10) < 1e-9);
  assert.ok(Math.abs(t.sramPJ(32 * 1024, 64) - 20) < 1e-9);
  assert.ok(Math.abs(t.sramPJ(1024 * 1024, 64) - 100) < 1e-6);
  assert.equal(t.dramPJPerBit, 20);
});

test('SRAM energy grows with size and width; smaller nodes cost less energy and area', () => {
  const t = technology(28);
  assert.ok(t.sramPJ(64 * 1024, 64) > t.sramPJ(16 * 1024, 64));
  assert.ok(t.sramPJ(16 * 1024, 128) > t.sramPJ(16 * 1024, 32));
  const [a, b, c] = [technology(45), technology(28), technology(7)];
  assert.ok(a.multPJ(8) > b.multPJ(8) && b.multPJ(8) > c.multPJ(8));
  assert.ok(a.sramUm2PerBit > b.sramUm2PerBit && b.sramUm2PerBit > c.sramUm2PerBit);
  assert.deepEqual(TECH_NODES.map((n) => n.nm).sort((x, y) => x - y), [7, 28, 45]);
});

test('nodes between entries interpolate; nodes outside are extrapolated and flagged; nonsense is refused', () => {
  const t16 = technology(16);
  assert.equal(t16.extrapolated, false);
  assert.ok(t16.addPJ(8) < technology(28).addPJ(8) && t16.addPJ(8) > technology(7).addPJ(8));
  const t65 = technology(65);
  assert.equal(t65.extrapolated, true);
  assert.ok(t65.addPJ(8) > technology(45).addPJ(8));
  assert.throws(() => technology(0), /positive/);
});

test('the metric decides the distance hardware: L2 multiplies, L1 and Chebyshev do not', () => {
  const t = technology(28);
  const l2 = distancePJ('l2', 'int8', 4, 16, t);
  const l1 = distancePJ('l1', 'int8', 4, 16, t);
  const ch = distancePJ('chebyshev', 'int8', 4, 16, t);
  assert.ok(l2 > l1 + 4 * t.multPJ(9) * 0.9, 'L2 pays v multipliers');
  assert.ok(ch <= l1);
  const lut = (metric: 'l2' | 'l1') => ({ name: 'x', op: 'Gemm', m: 1, k: 4, n: 1, groups: 1, lut: { centroids: 16, vector: 4, metric, precision: 'int8' as const } });
  const a2 = lutArea(DEFAULT_ACCELERATOR, hardwareShapeOf([lut('l2')]), t);
  const a1 = lutArea(DEFAULT_ACCELERATOR, hardwareShapeOf([lut('l1')]), t);
  assert.ok(a2.blocks.ccm > a1.blocks.ccm);
  // Table precision decides widths: fp16 tables need float accumulators in the lanes.
  const f16 = lutArea(DEFAULT_ACCELERATOR, hardwareShapeOf([{ ...lut('l1'), lut: { ...lut('l1').lut, precision: 'fp16' } }]), t);
  assert.ok(f16.blocks.imm > a1.blocks.imm);
});
