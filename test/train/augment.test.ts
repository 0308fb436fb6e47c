import assert from 'node:assert/strict';
import { test } from 'node:test';
import { augmentImages, NO_AUGMENTATION } from '../../src/train/augment';
import { Rng } from '../../src/train/rng';

const H = 9, W = 9;

function batch(B: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: B * H * W }, () => rng.next());
}

/** The image shifted by (dy, dx) with edges replicated. */
function shifted(img: Float32Array, dy: number, dx: number): Float32Array {
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    out[y * W + x] = img[Math.min(H - 1, Math.max(0, y - dy)) * W + Math.min(W - 1, Math.max(0, x - dx))];
  }
  return out;
}

test('no augmentation leaves the batch unchanged', () => {
  const data = batch(4, new Rng(1));
  const x = { shape: [4, 1, H, W], data: data.slice() };
  augmentImages(x, [1, H, W], new Rng(2), NO_AUGMENTATION);
  assert.deepEqual(x.data, data);
});

test('shifts are whole pixels (no blur): each image is its original moved by at most the limit', () => {
  const B = 32;
  const data = batch(B, new Rng(3));
  const x = { shape: [B, 1, H, W], data: data.slice() };
  augmentImages(x, [1, H, W], new Rng(4), { ...NO_AUGMENTATION, shift: 2 });
  const seen = new Set<string>();
  for (let b = 0; b < B; b++) {
    const img = data.subarray(b * H * W, (b + 1) * H * W);
    const got = x.data.subarray(b * H * W, (b + 1) * H * W);
    let match: string | undefined;
    for (let dy = -2; dy <= 2 && !match; dy++) for (let dx = -2; dx <= 2 && !match; dx++) {
      if (shifted(img, dy, dx).every((v, i) => Math.abs(v - got[i]) < 1e-6)) match = `${dy},${dx}`;
    }
    assert.ok(match, `image ${b} is not a whole-pixel shift of its original`);
    seen.add(match);
  }
  assert.ok(seen.size > 3, 'the shifts vary from image to image');
});

test('mixup gives convex combinations of two images of the batch; the same seed gives the same batch', () => {
  const B = 6;
  const data = batch(B, new Rng(5));
  const run = (): Float32Array => {
    const x = { shape: [B, 1, H, W], data: data.slice() };
    augmentImages(x, [1, H, W], new Rng(6), { ...NO_AUGMENTATION, mixup: 1 });
    return x.data;
  };
  const a = run();
  assert.deepEqual(a, run());
  for (let b = 0; b < B; b++) {
    const got = a.subarray(b * H * W, (b + 1) * H * W);
    const own = data.subarray(b * H * W, (b + 1) * H * W);
    const ok = Array.from({ length: B }, (_, o) => o).some((o) => {
      if (o === b) return false;
      const other = data.subarray(o * H * W, (o + 1) * H * W);
      // got = w own + (1 - w) other for one w in [0, 1]: solve on the first pixel where they differ, check all.
      const i = own.findIndex((v, k) => Math.abs(v - other[k]) > 1e-3);
      const w = (got[i] - other[i]) / (own[i] - other[i]);
      return w >= -1e-6 && w <= 1 + 1e-6 && own.every((v, k) => Math.abs(w * v + (1 - w) * other[k] - got[k]) < 1e-4);
    });
    assert.ok(ok, `image ${b} is not a mixture of itself and another image`);
  }
});

test('rotation and scaling keep the image inside the value range of its pixels (bilinear, edges replicated)', () => {
  const B = 8;
  const data = batch(B, new Rng(7));
  const x = { shape: [B, 1, H, W], data: data.slice() };
  augmentImages(x, [1, H, W], new Rng(8), { ...NO_AUGMENTATION, rotate: 15, scale: 0.1 });
  for (let b = 0; b < B; b++) {
    const img = Array.from(data.subarray(b * H * W, (b + 1) * H * W));
    const lo = Math.min(...img), hi = Math.max(...img);
    for (const v of x.data.subarray(b * H * W, (b + 1) * H * W)) assert.ok(v >= lo - 1e-6 && v <= hi + 1e-6);
  }
  assert.notDeepEqual(x.data, data);
});
