import { shiftSample } from '../lutboost/augment';
import type { Rng } from './rng';
import type { Tensor } from './tensor';

/**
 * Training-time augmentation of image batches [B, C, H, W] for distillation. The teacher labels whatever it is
 * shown, so an augmented image is as good a training sample as a real one; with only a thousand calibration
 * images, the variety is what keeps the student from learning the images by heart.
 */
export interface ImageAugmentation {
  /** Largest translation, in pixels. */
  shift: number;
  /** Largest rotation, in degrees. */
  rotate: number;
  /** Largest relative change of scale (0.1: 90 %..110 %). */
  scale: number;
  /** Fraction of the batch replaced by mixtures of two images (mixup), with a uniform mixing weight. */
  mixup: number;
}

export const NO_AUGMENTATION: ImageAugmentation = { shift: 0, rotate: 0, scale: 0, mixup: 0 };

/** Augments a batch in place. Coordinates outside the image read the nearest edge pixel (the background). */
export function augmentImages(x: Tensor, rowShape: readonly number[], rng: Rng, a: ImageAugmentation): void {
  const [C, H, W] = rowShape;
  const per = C * H * W;
  const B = x.data.length / per;
  const src = new Float32Array(per);
  const cy = (H - 1) / 2;
  const cx = (W - 1) / 2;
  for (let b = 0; b < B; b++) {
    // Whole-pixel shifts: a fractional one would blur every stroke, which real digits never are.
    const dy = Math.round((rng.next() * 2 - 1) * a.shift);
    const dx = Math.round((rng.next() * 2 - 1) * a.shift);
    const angle = ((rng.next() * 2 - 1) * a.rotate * Math.PI) / 180;
    const zoom = 1 + (rng.next() * 2 - 1) * a.scale;
    if (dx === 0 && dy === 0 && angle === 0 && zoom === 1) continue;
    const img = x.data.subarray(b * per, (b + 1) * per);
    src.set(img);
    if (angle === 0 && zoom === 1) {
      shiftSample(src, img, rowShape, dy, dx);
      continue;
    }
    // Inverse map: output pixel (y, x) reads the source at R^-1 (p - centre - d) / zoom + centre.
    const cos = Math.cos(angle) / zoom;
    const sin = Math.sin(angle) / zoom;
    for (let yy = 0; yy < H; yy++) {
      for (let xx = 0; xx < W; xx++) {
        const py = yy - cy - dy;
        const px = xx - cx - dx;
        const sy = Math.min(H - 1, Math.max(0, cos * py - sin * px + cy));
        const sx = Math.min(W - 1, Math.max(0, sin * py + cos * px + cx));
        const y0 = Math.floor(sy);
        const x0 = Math.floor(sx);
        const y1 = Math.min(H - 1, y0 + 1);
        const x1 = Math.min(W - 1, x0 + 1);
        const fy = sy - y0;
        const fx = sx - x0;
        for (let c = 0; c < C; c++) {
          const o = c * H * W;
          const top = src[o + y0 * W + x0] * (1 - fx) + src[o + y0 * W + x1] * fx;
          const bottom = src[o + y1 * W + x0] * (1 - fx) + src[o + y1 * W + x1] * fx;
          img[o + yy * W + xx] = top * (1 - fy) + bottom * fy;
        }
      }
    }
  }
  if (a.mixup > 0 && B > 1) {
    const copy = x.data.slice();
    for (let b = 0; b < B; b++) {
      if (rng.next() >= a.mixup) continue;
      const other = (b + 1 + rng.int(B - 1)) % B;
      const w = rng.next();
      const o = b * per;
      const p = other * per;
      for (let i = 0; i < per; i++) x.data[o + i] = w * copy[o + i] + (1 - w) * copy[p + i];
    }
  }
}
