/** A dense float32 tensor in row-major (C) order: the one value type of the training executor. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor(shape: number[], data?: Float32Array | ArrayLike<number>): Tensor {
  const n = sizeOf(shape);
  if (data === undefined) return { shape: shape.slice(), data: new Float32Array(n) };
  if (data.length !== n) throw new Error(`tensor data has ${data.length} values, shape [${shape}] needs ${n}`);
  return { shape: shape.slice(), data: data instanceof Float32Array ? data : Float32Array.from(data) };
}

export function zerosLike(t: Tensor): Tensor {
  return { shape: t.shape.slice(), data: new Float32Array(t.data.length) };
}

export function cloneTensor(t: Tensor): Tensor {
  return { shape: t.shape.slice(), data: t.data.slice() };
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Resolves a possibly negative axis against a rank (ONNX convention). */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** `dst += src`, element by element (same length). */
export function addInto(dst: Float32Array, src: Float32Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] += src[i];
}
