import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canShift, shiftGeometry, shiftSample, SHIFTS, variantsFor } from '../../src/lutboost/augment';

test('shiftSample moves the image by one pixel and replicates the edges', () => {
  const dims = [2, 3, 4];
  const src = Float32Array.from({ length: 24 }, (_, i) => i);
  const dst = new Float32Array(24);
  shiftSample(src, dst, dims, 0, 1); // right by one
  for (let c = 0; c < 2; c++) {
    for (let y = 0; y < 3; y++) {
      const row = Array.from(dst.subarray(c * 12 + y * 4, c * 12 + y * 4 + 4));
      const o = c * 12 + y * 4;
      assert.deepEqual(row, [o, o, o + 1, o + 2]);
    }
  }
  shiftSample(src, dst, dims, -1, 0); // up by one
  assert.deepEqual(Array.from(dst.subarray(0, 12)), [4, 5, 6, 7, 8, 9, 10, 11, 8, 9, 10, 11]);
  shiftSample(src, dst, dims, 0, 0);
  assert.deepEqual(dst, src);
});

test('only image-shaped samples are shifted; the identity comes first', () => {
  assert.equal(canShift([1, 28, 28]), true);
  assert.equal(canShift([784]), false);
  assert.equal(canShift([3, 4, 4]), false);
  assert.deepEqual(SHIFTS[0], [0, 0]);
});

test('shiftGeometry: the model input when it is an image, else the stored image a flat input was made of', () => {
  assert.deepEqual(shiftGeometry([1, 28, 28], [784]), [1, 28, 28]);
  assert.deepEqual(shiftGeometry([784], [28, 28]), [1, 28, 28]); // an MLP fed IDX digits
  assert.deepEqual(shiftGeometry([3072], [3, 32, 32]), [3, 32, 32]);
  assert.equal(shiftGeometry([784], [784]), undefined); // stored flat: nothing says it is an image
  assert.equal(shiftGeometry([28, 28], [28, 28]), undefined); // a 2-D model input (a sequence of vectors) is not shifted
  assert.equal(shiftGeometry([780], [28, 28]), undefined); // element counts differ
  assert.equal(shiftGeometry([16], [4, 4]), undefined); // too small to shift
});

test('variantsFor asks for shifted copies only when rows per table entry are few', () => {
  assert.equal(variantsFor(50_000, 50, 16, 4, 9), 1); // a conv layer: plenty of rows
  assert.equal(variantsFor(800, 64, 16, 4, 9), 6); // a classifier: 4096 wanted
  assert.equal(variantsFor(10, 64, 16, 4, 9), 9); // capped
});
