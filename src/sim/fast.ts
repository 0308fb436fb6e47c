import type { LayerPlan } from './plan';

/** Same as plan.ts dmaCyclesFor; a local copy so the hot loop calls no imported binding (a getter under tsx). */
function dmaCycles(bytes: number, bytesPerCycle: number): number {
  return Math.max(1, Math.ceil(bytes / bytesPerCycle - 1e-9));
}
import type { LayerTiming } from './timing';

/**
 * Fast mode: an event-level evaluation of the dataflow in plan.ts, one step at a time, in max-plus form.
 * Every event time is the same integer the reference mode's cycle stepping reaches (test/sim/agreement.test.ts):
 * - one in-order DMA queue: Input(0); per tile: Slice(step 0), Input(next M tile) on a first N tile,
 *   Drain(previous tile), Slice(steps 1..); finally Drain(last). Each transfer waits for the buffer it fills:
 *   a table bank is free when the step two back has ended, an input buffer when the first N tile of the M tile
 *   two back has ended, an accumulator buffer when the drain of the tile two back is done.
 * - a step starts when the previous step has ended and its slice has arrived; the first step of a tile also
 *   waits for its accumulator buffer, and the first step of an M tile for its first index: `ccmReady + c`, where
 *   ccmReady is when the M tile's inputs are in and its index buffer is free. After that first index the CCM
 *   (one index per cycle per channel) never starves the IMM (which takes at most one per cycle), so a step lasts
 *   exactly its lookup cycles. The argument is in docs/hardware-model.md; the property test checks it.
 * Runs of identical steps are skipped in one jump once the state advances by the same period P in every
 * component: the recurrence is max-plus linear, so it then advances by P forever (exact, not an estimate).
 */
export function fastLayer(p: LayerPlan): LayerTiming {
  const G = p.layer.groups;
  const MT = p.mTiles;
  const NT = p.nTiles;
  const NS = p.steps;
  const bpc = p.bytesPerCycle;
  const c = p.c;
  const totalM = G * MT;
  // The plan.ts helpers, inlined: this loop runs for every tile of every configuration of a sweep.
  const L = p.layer;
  const lastRows = L.m - p.mt * (MT - 1);
  const lastWidth = L.n - p.nt * (NT - 1);
  const lastSub = p.nc - p.spStep * (NS - 1);
  const ch = p.channels;
  const lpc = p.lanesPerChannel;
  const inBytesPerRow = (L.k * p.aBits) / 8;
  const sliceBits = p.c * p.tBits;
  // With at most two distinct slices per group, each stays in its bank once loaded (LUT-stationary across M tiles).
  const resident = NT * NS <= 2;
  const outBits = p.aBits;

  let dmaFree = 0;
  let dmaBusy = 0;
  let immBusy = 0;
  let e1 = 0; // end of the previous step
  let e2 = 0; // end of the step before it
  let dramBytes = 0;
  let ccmCycles = 0;
  /** Queues a DRAM transfer of `bytes` that may start at `after`; returns when it is done. */
  const dma = (bytes: number, after: number): number => {
    const d = dmaCycles(bytes, bpc);
    dmaFree = Math.max(dmaFree, after) + d;
    dmaBusy += d;
    dramBytes += bytes;
    return dmaFree;
  };

  let inputDone = dma((MT > 1 ? p.mt : lastRows) * inBytesPerRow, 0); // of the current M tile
  let inputDoneNext = 0;
  let nt0EndPrev = 0; // end of the first N tile of M tile i-1
  let mEndPrev = 0; // end of M tile i-1
  let mEndPrev2 = 0; // end of M tile i-2
  let lastDrain = 0; // done time of the most recently queued drain
  let t = 0; // tile counter
  let prevTileRows = 0;
  let prevTileWidth = 0;

  const bankResident = resident && NS === 2;

  for (let gi = 0; gi < totalM; gi++) {
    const rows = gi % MT < MT - 1 ? p.mt : lastRows;
    ccmCycles += Math.ceil(rows / ch) * p.nc + c - 1;
    const ccmReady = Math.max(inputDone, gi >= 2 ? mEndPrev2 : 0);
    let nt0End = 0;
    for (let j = 0; j < NT; j++, t++) {
      const width = j < NT - 1 ? p.nt : lastWidth;
      // Step 0 and the transfers queued around it.
      const s0 = NS > 1 ? p.spStep : lastSub;
      const q0 = ((gi % MT) * NT + j) * NS; // step index within the group
      let slice0 = 0;
      if (!(resident && q0 >= 2)) slice0 = dma(Math.ceil((sliceBits * width * s0) / 8), e2);
      if (j === 0 && gi + 1 < totalM) {
        inputDoneNext = dma(((gi + 1) % MT < MT - 1 ? p.mt : lastRows) * inBytesPerRow, gi >= 1 ? nt0EndPrev : 0);
      }
      const accFree = t >= 2 ? lastDrain : 0; // drain of tile t-2, queued while tile t-1 ran
      if (t > 0) lastDrain = dma((prevTileRows * prevTileWidth * outBits) / 8, e1);
      let start = Math.max(e1, slice0, accFree);
      if (j === 0) start = Math.max(start, ccmReady + c);
      const rowCycles = Math.ceil(rows / ch) * Math.ceil(width / lpc);
      let d = rowCycles * s0;
      e2 = e1;
      e1 = start + d;
      immBusy += d;
      // Steps 1..NS-1: only slices in the DMA queue; identical steps except possibly the last.
      const lastPartial = NS > 1 && lastSub !== p.spStep;
      const homEnd = lastPartial ? NS - 1 : NS;
      // A separate last step (of lastSub sub-steps) starts once its slices are ready (a plain local, not a
      // closure: a closure would move e1/e2/immBusy into a context object on this hot loop).
      let lastReady = -1;
      if (bankResident) {
        // Step 1 of a layer whose slices stay in the banks: loaded only while the banks are first filled.
        lastReady = q0 + 1 < 2 ? dma(Math.ceil((sliceBits * width * lastSub) / 8), e2) : 0;
      } else if (homEnd > 1) {
        const sb = Math.ceil((sliceBits * width * p.spStep) / 8);
        const sd = dmaCycles(sb, bpc);
        d = rowCycles * p.spStep;
        let pd = -1;
        let p1 = -1;
        let p2 = -1;
        for (let s = 1; s < homEnd; s++) {
          dmaFree = Math.max(dmaFree, e2) + sd;
          const st = Math.max(e1, dmaFree);
          e2 = e1;
          e1 = st + d;
          const period = e1 - p1;
          if (s > 1 && dmaFree - pd === period && e2 - p2 === period) {
            const r = homEnd - 1 - s;
            dmaFree += r * period;
            e1 += r * period;
            e2 += r * period;
            dmaBusy += (r + 1) * sd;
            immBusy += (r + 1) * d;
            dramBytes += (r + 1) * sb;
            break;
          }
          dmaBusy += sd;
          immBusy += d;
          dramBytes += sb;
          pd = dmaFree;
          p1 = e1;
          p2 = e2;
        }
      }
      if (lastPartial && !bankResident) lastReady = dma(Math.ceil((sliceBits * width * lastSub) / 8), e2);
      if (lastReady >= 0) {
        d = rowCycles * lastSub;
        e2 = e1;
        e1 = Math.max(e2, lastReady) + d;
        immBusy += d;
      }
      if (j === 0) nt0End = e1;
      prevTileRows = rows;
      prevTileWidth = width;
    }
    nt0EndPrev = nt0End;
    mEndPrev2 = mEndPrev;
    mEndPrev = e1;
    inputDone = inputDoneNext;
  }
  const cycles = dma((prevTileRows * prevTileWidth * outBits) / 8, e1); // the last tile's drain
  return { cycles, ccmCycles, immCycles: immBusy, dmaCycles: dmaBusy, stallCycles: cycles - immBusy, dramBytes };
}
