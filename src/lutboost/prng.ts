/**
 * A small seeded PRNG (mulberry32): every random choice of the conversion goes through one of these, so a seed
 * makes the output byte-for-byte reproducible. Independent streams are derived from (seed, labels...) so the
 * order in which workers finish never changes a result.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A stream derived from a seed and any number of integer labels (layer, group, subspace, ...). */
  static derive(seed: number, ...labels: number[]): Rng {
    let h = (seed >>> 0) ^ 0x9e3779b9;
    for (const l of labels) {
      h = Math.imul(h ^ (l >>> 0), 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
    return new Rng(h);
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A sorted sample of `k` distinct indices from [0, n) (all of them when k >= n). */
  sampleIndices(n: number, k: number): Int32Array {
    if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
    // Floyd's algorithm: k draws, no array of size n.
    const chosen = new Set<number>();
    for (let j = n - k; j < n; j++) {
      const t = this.int(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    return Int32Array.from([...chosen].sort((a, b) => a - b));
  }
}
