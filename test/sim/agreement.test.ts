import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastLayer } from '../../src/sim/fast';
import { planLayer } from '../../src/sim/plan';
import { referenceLayer } from '../../src/sim/reference';
import { SimInputError } from '../../src/sim/workload';
import { randomCase, rng } from './fixtures';

/**
 * The claim (docs/hardware-model.md): the fast mode's event-level max-plus evaluation reaches exactly the cycle
 * counts of the cycle-stepping reference on every layer, because the only place the CCM/FIFO coupling can delay
 * the IMM is the first index of an M tile (ready + c), which the fast mode models, and all other event times
 * are the same max-plus expressions. So the agreement is exact: every field, every case.
 */
test('fast and reference modes agree exactly on 600 random small layers and accelerators', () => {
  const r = rng(20261125);
  let ran = 0;
  let blocked = 0;
  let multiChannel = 0;
  for (let i = 0; i < 700 && ran < 600; i++) {
    const { layer, acc } = randomCase(r);
    let p;
    try {
      p = planLayer(layer, acc);
    } catch (e) {
      assert.ok(e instanceof SimInputError, String(e)); // a layer too large for a buffer: a clear refusal
      continue;
    }
    ran++;
    const f = fastLayer(p);
    const ref = referenceLayer(p);
    const where = JSON.stringify({ layer, acc });
    for (const k of ['cycles', 'ccmCycles', 'immCycles', 'dmaCycles', 'stallCycles', 'dramBytes'] as const) {
      assert.equal(f[k], ref[k], `${k} differs for ${where}`);
    }
    if (ref.detail!.ccmBlockedCycles > 0) blocked++;
    if (p.channels > 1) multiChannel++;
  }
  assert.equal(ran, 600);
  // The cases exercise the interesting regimes, not just the easy one.
  assert.ok(blocked > 100, `back-pressure in ${blocked} cases`);
  assert.ok(multiChannel > 50, `several channels in ${multiChannel} cases`);
});
