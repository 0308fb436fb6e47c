import {
  dmaCyclesFor, drainBytes, inputBytes, passes, sliceBytes, stepSubspaces, tileRows, tileWidth, type LayerPlan,
} from './plan';
import type { LayerTiming } from './timing';

/** The static program of a layer: its steps and DMA transfers in queue order (no timing in it). */
interface Program {
  // steps
  stepRows: Int32Array;
  stepSub: Int32Array;
  stepPasses: Int32Array;
  stepFifo: Uint8Array; // 1: indices come from the CCM through the FIFO (first N tile)
  stepSlice: Int32Array; // transfer that brings its table slice, -1 when the bank already holds it
  stepAcc: Int32Array; // drain transfer that frees its accumulator buffer, -1 none
  // transfers
  xDur: Int32Array;
  xBytes: Float64Array;
  xDepStep: Int32Array; // step whose end frees the destination buffer, -1 none
  // M tiles (across groups)
  mRows: Int32Array;
  mInput: Int32Array; // transfer bringing its inputs
  mLastStep: Int32Array;
}

function buildProgram(p: LayerPlan): Program {
  const totalM = p.layer.groups * p.mTiles;
  const nSteps = totalM * p.nTiles * p.steps;
  const nX = totalM + totalM * p.nTiles * (p.steps + 1);
  const g: Program = {
    stepRows: new Int32Array(nSteps), stepSub: new Int32Array(nSteps), stepPasses: new Int32Array(nSteps),
    stepFifo: new Uint8Array(nSteps), stepSlice: new Int32Array(nSteps), stepAcc: new Int32Array(nSteps),
    xDur: new Int32Array(nX), xBytes: new Float64Array(nX), xDepStep: new Int32Array(nX),
    mRows: new Int32Array(totalM), mInput: new Int32Array(totalM), mLastStep: new Int32Array(totalM),
  };
  let nx = 0;
  const push = (bytes: number, dep: number): number => {
    g.xBytes[nx] = bytes;
    g.xDur[nx] = dmaCyclesFor(bytes, p.bytesPerCycle);
    g.xDepStep[nx] = dep;
    return nx++;
  };
  for (let gi = 0; gi < totalM; gi++) g.mRows[gi] = tileRows(p, gi % p.mTiles);
  g.mInput[0] = push(inputBytes(p, g.mRows[0]), -1);
  const nt0Last = new Int32Array(totalM);
  const resident = p.nTiles * p.steps <= 2;
  const perGroup = p.mTiles * p.nTiles * p.steps;
  const drainOf: number[] = [];
  let q = 0;
  let t = 0;
  let prev = { rows: 0, width: 0 };
  for (let gi = 0; gi < totalM; gi++) {
    for (let j = 0; j < p.nTiles; j++, t++) {
      const width = tileWidth(p, j);
      for (let s = 0; s < p.steps; s++, q++) {
        const sub = stepSubspaces(p, s);
        g.stepRows[q] = g.mRows[gi];
        g.stepSub[q] = sub;
        g.stepPasses[q] = passes(p, width);
        g.stepFifo[q] = j === 0 ? 1 : 0;
        // With at most two distinct slices per group, bank q % 2 still holds step q-2's slice: no reload.
        g.stepSlice[q] = resident && q % perGroup >= 2 ? -1 : push(sliceBytes(p, width, sub), q - 2);
        g.stepAcc[q] = s === 0 && t >= 2 ? drainOf[t - 2] : -1;
        if (s === 0 && j === 0 && gi + 1 < totalM) g.mInput[gi + 1] = push(inputBytes(p, g.mRows[gi + 1]), gi >= 1 ? nt0Last[gi - 1] : -1);
        if (s === 0 && t > 0) drainOf[t - 1] = push(drainBytes(p, prev.rows, prev.width), q - 1);
      }
      if (j === 0) nt0Last[gi] = q - 1;
      prev = { rows: g.mRows[gi], width };
    }
    g.mLastStep[gi] = q - 1;
  }
  drainOf[t - 1] = push(drainBytes(p, prev.rows, prev.width), q - 1);
  return { ...g, xDur: g.xDur.subarray(0, nx), xBytes: g.xBytes.subarray(0, nx), xDepStep: g.xDepStep.subarray(0, nx) };
}

/** Layers above this many steps are refused by the reference mode (it is for validation, not whole networks). */
export const REFERENCE_MAX_STEPS = 5_000_000;

/**
 * Reference mode: steps the microarchitecture one clock cycle at a time.
 * Per cycle, in this order: FIFO pushes of the previous cycle become visible; the DMA engine starts the next
 * queued transfer when its destination buffer is free or counts down the running one; the IMM starts a step
 * when its table bank is filled (and, on a tile's first step, its accumulator buffer drained), then each channel
 * pops one index per lookup (from the FIFO on a first N tile, else from the index scratchpad) and spends
 * `passes` cycles on it; each CCU pushes the index at the head of its c-stage pipeline if its FIFO has room
 * (else the pipeline holds: back-pressure) and admits one new search per cycle when its M tile's inputs are
 * in and the tile's index buffer is free. A transfer or step ending in cycle t is visible from cycle t+1.
 */
export function referenceLayer(p: LayerPlan, maxCycles = Number.MAX_SAFE_INTEGER, signal?: AbortSignal): LayerTiming {
  const totalM = p.layer.groups * p.mTiles;
  const nStepsTotal = totalM * p.nTiles * p.steps;
  if (nStepsTotal > REFERENCE_MAX_STEPS) {
    throw new RangeError(`layer '${p.layer.name}' has ${nStepsTotal} steps; the reference mode stops at ${REFERENCE_MAX_STEPS} (use the fast mode)`);
  }
  const g = buildProgram(p);
  const nSteps = g.stepRows.length;
  const nX = g.xDur.length;
  const K = p.channels;
  const c = p.c;
  const F = p.fifoDepth;
  // Int32 everywhere in the hot loop (cycle counts stay below 2^31, enforced by `limit`).
  const INF = 2 ** 31 - 1;
  const doneAt = new Int32Array(nX).fill(INF);
  const stepEnd = new Int32Array(nSteps).fill(INF);

  // DMA
  let xNext = 0;
  let xActive = -1;
  let xRemain = 0;
  let dmaBusy = 0;
  let dramBytes = 0;
  // IMM
  let q = 0;
  let started = false;
  const itemsLeft = new Int32Array(K);
  const cycLeft = new Int32Array(K);
  let immBusy = 0;
  let waitTable = 0;
  let waitIndex = 0;
  let waitAcc = 0;
  // FIFOs and CCUs
  const occ = new Int32Array(K);
  const pend = new Int32Array(K);
  const ring = new Int32Array(K * c);
  const head = new Int32Array(K);
  const count = new Int32Array(K);
  const lastEntry = new Int32Array(K).fill(-1);
  const stream = new Int32Array(K); // M tile whose searches the CCU is admitting
  const left = new Int32Array(K); // searches of that M tile still to admit
  const rowsOf = (rows: number, ch: number): number => Math.floor(rows / K) + (ch < rows % K ? 1 : 0);
  const advance = (ch: number): void => {
    while (stream[ch] < totalM && (left[ch] = rowsOf(g.mRows[stream[ch]], ch) * p.nc) === 0) stream[ch]++;
  };
  for (let ch = 0; ch < K; ch++) advance(ch);
  let blocked = 0;
  let maxOcc = 0;

  // Hot loop: everything it touches is a local typed array or number, so V8 keeps it in registers.
  const xDepStep = g.xDepStep;
  const xDur = g.xDur;
  const xBytes = g.xBytes;
  const stepSlice = g.stepSlice;
  const stepAcc = g.stepAcc;
  const stepRows = g.stepRows;
  const stepSub = g.stepSub;
  const stepPasses = g.stepPasses;
  const stepFifo = g.stepFifo;
  const mInput = g.mInput;
  const mLastStep = g.mLastStep;
  const gateOpen = new Uint8Array(K); // the current stream's inputs are in and its index buffer is free
  const limit = Math.min(maxCycles, 2 ** 31 - 2);
  let cyc = 0;
  for (; cyc < limit; cyc++) {
    if ((cyc & 0xfffff) === 0 && signal?.aborted) throw signal.reason ?? new Error('cancelled');
    for (let ch = 0; ch < K; ch++) {
      if (pend[ch] !== 0) {
        occ[ch] += pend[ch];
        pend[ch] = 0;
        if (occ[ch] > maxOcc) maxOcc = occ[ch];
      }
    }
    // DMA engine
    if (xActive < 0 && xNext < nX) {
      const dep = xDepStep[xNext];
      if (dep < 0 || stepEnd[dep] <= cyc) {
        xActive = xNext++;
        xRemain = xDur[xActive];
      }
    }
    if (xActive >= 0) {
      dmaBusy++;
      if (--xRemain === 0) {
        doneAt[xActive] = cyc + 1;
        dramBytes += xBytes[xActive];
        xActive = -1;
        if (xNext === nX) {
          cyc++;
          break;
        }
      }
    }
    // IMM
    if (q < nSteps) {
      if (!started) {
        const sl = stepSlice[q];
        if (sl >= 0 && doneAt[sl] > cyc) waitTable++;
        else if (stepAcc[q] >= 0 && doneAt[stepAcc[q]] > cyc) waitAcc++;
        else {
          started = true;
          const rows = stepRows[q];
          for (let ch = 0; ch < K; ch++) {
            itemsLeft[ch] = rowsOf(rows, ch) * stepSub[q];
            cycLeft[ch] = 0;
          }
        }
      }
      if (started) {
        let busy = false;
        let done = true;
        const fifo = stepFifo[q] === 1;
        for (let ch = 0; ch < K; ch++) {
          let cl = cycLeft[ch];
          if (cl === 0 && itemsLeft[ch] > 0) {
            if (!fifo) {
              itemsLeft[ch]--;
              cl = stepPasses[q];
            } else if (occ[ch] > 0) {
              occ[ch]--;
              itemsLeft[ch]--;
              cl = stepPasses[q];
            }
          }
          if (cl > 0) {
            cl--;
            busy = true;
          }
          cycLeft[ch] = cl;
          if (cl > 0 || itemsLeft[ch] > 0) done = false;
        }
        if (busy) immBusy++;
        else waitIndex++;
        if (done) {
          stepEnd[q] = cyc + 1;
          q++;
          started = false;
        }
      }
    }
    // CCM: one c-stage pipeline per channel, feeding its FIFO
    for (let ch = 0; ch < K; ch++) {
      const base = ch * c;
      if (count[ch] > 0 && ring[base + head[ch]] + c - 1 <= cyc) {
        if (occ[ch] < F) {
          pend[ch]++;
          head[ch] = head[ch] + 1 === c ? 0 : head[ch] + 1;
          count[ch]--;
        } else blocked++;
      }
      const m = stream[ch];
      if (m < totalM && count[ch] < c && lastEntry[ch] < cyc) {
        if (gateOpen[ch] === 0 && doneAt[mInput[m]] <= cyc && (m < 2 || stepEnd[mLastStep[m - 2]] <= cyc)) gateOpen[ch] = 1;
        if (gateOpen[ch] === 1) {
          const slot = head[ch] + count[ch];
          ring[base + (slot >= c ? slot - c : slot)] = cyc;
          count[ch]++;
          lastEntry[ch] = cyc;
          if (--left[ch] === 0) {
            stream[ch]++;
            advance(ch);
            gateOpen[ch] = 0;
          }
        }
      }
    }
  }
  if (xNext < nX || xActive >= 0) throw new RangeError(`layer '${p.layer.name}': the reference mode did not finish within ${limit} cycles (use the fast mode)`);
  let ccmCycles = 0;
  for (let gi = 0; gi < totalM; gi++) ccmCycles += Math.ceil(g.mRows[gi] / K) * p.nc + c - 1;
  return {
    cycles: cyc, ccmCycles, immCycles: immBusy, dmaCycles: dmaBusy, stallCycles: cyc - immBusy, dramBytes,
    detail: { ccmBlockedCycles: blocked, maxFifoOccupancy: maxOcc, immWaitTable: waitTable, immWaitIndex: waitIndex, immWaitAccumulator: waitAcc },
  };
}
