/**
 * Calibration augmentation for layers that see few rows per table entry (a classifier sees one row per image):
 * shifted copies of the calibration images (one pixel in each direction, edges replicated) give such a layer's
 * k-means, centroid refinement and table fit more rows drawn from the same distribution. Targets are always the
 * original model's outputs on the same shifted inputs, and only training images are shifted: held-out rows stay
 * the unmodified held-out images, so held-out judging is not fooled by near-copies of training rows.
 */

/** Shifts (dy, dx) in order of use: the identity first, then the four neighbours, then the diagonals. */
export const SHIFTS: readonly (readonly [number, number])[] = [
  [0, 0], [0, 1], [0, -1], [1, 0], [-1, 0], [1, 1], [-1, -1], [1, -1], [-1, 1],
];

/** Image-shaped samples ([C, H, W] with H, W >= 8) can be shifted; anything else is left alone. */
export function canShift(sampleDims: readonly number[]): boolean {
  return sampleDims.length === 3 && sampleDims[1] >= 8 && sampleDims[2] >= 8;
}

/**
 * The [C, H, W] geometry to shift a model's samples by: the model input's own when it is image-shaped; else, for a
 * model that takes each sample as one flat vector (an MLP fed 28x28 digits as 784 values), the data file's when
 * its samples are images ([H, W] or [C, H, W], flattened row-major as IDX and .npy store them). Undefined when
 * neither is an image: such samples are never shifted.
 */
export function shiftGeometry(sampleDims: readonly number[], storedSampleDims: readonly number[]): number[] | undefined {
  if (canShift(sampleDims)) return sampleDims.slice();
  if (sampleDims.length !== 1) return undefined;
  const stored = storedSampleDims.length === 2 ? [1, ...storedSampleDims] : storedSampleDims.slice();
  return canShift(stored) && stored[0] * stored[1] * stored[2] === sampleDims[0] ? stored : undefined;
}

/** Writes sample `src` ([C, H, W] at offset 0) shifted by (dy, dx) into dst (edges replicated). */
export function shiftSample(src: Float32Array, dst: Float32Array, dims: readonly number[], dy: number, dx: number): void {
  const [C, H, W] = dims;
  for (let ch = 0; ch < C; ch++) {
    const base = ch * H * W;
    for (let y = 0; y < H; y++) {
      const sy = Math.min(H - 1, Math.max(0, y - dy));
      const so = base + sy * W;
      const o = base + y * W;
      for (let x = 0; x < W; x++) dst[o + x] = src[so + Math.min(W - 1, Math.max(0, x - dx))];
    }
  }
}

/**
 * How many variants (identity included) a layer's calibration wants: enough that its training rows reach `want`
 * rows per table entry (S * c entries), at most `max`; 1 when it has enough rows already.
 */
export function variantsFor(trainRows: number, S: number, c: number, want: number, max: number): number {
  const need = want * S * c;
  if (trainRows >= need) return 1;
  return Math.min(max, Math.ceil(need / Math.max(1, trainRows)));
}
