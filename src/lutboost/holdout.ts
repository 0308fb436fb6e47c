import { Rng } from './prng';

/**
 * Which calibration samples are held out (1) and which are fitted (0): each sample independently with
 * probability `holdout`, from the seed, and at least one of each. The conversion's stages and the finetune
 * stage use the same split, so the samples that judge fine-tuning were never fitted by an earlier stage (a
 * start fitted on them would look better there than it is).
 */
export function heldOutMask(seed: number, count: number, holdout: number): Uint8Array {
  const held = new Uint8Array(count);
  let nHeld = 0;
  for (let i = 0; i < count; i++) nHeld += held[i] = Rng.derive(seed, 0x401d, i).next() < holdout ? 1 : 0;
  if (count >= 2 && nHeld === 0) held[count - 1] = 1;
  if (count >= 2 && nHeld === count) held[0] = 0;
  return held;
}
