import type { Tensor } from './tensor';

export interface LossResult {
  /** Mean loss over the rows. */
  loss: number;
  /** d(mean loss)/d(logits). */
  grad: Tensor;
}

function rows(logits: Tensor): { R: number; C: number } {
  const C = logits.shape[logits.shape.length - 1];
  return { R: logits.data.length / C, C };
}

/** Softmax cross-entropy of logits [R, C] against integer labels; mean over rows. */
export function softmaxCrossEntropy(logits: Tensor, labels: ArrayLike<number>): LossResult {
  const { R, C } = rows(logits);
  if (labels.length !== R) throw new Error(`cross-entropy: ${labels.length} labels for ${R} rows`);
  const L = logits.data;
  const grad = new Float32Array(L.length);
  let loss = 0;
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, L[o + c]);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(L[o + c] - mx);
    const lse = Math.log(sum) + mx;
    const y = labels[r];
    if (!(y >= 0 && y < C)) throw new Error(`cross-entropy: label ${y} outside 0..${C - 1}`);
    loss += lse - L[o + y];
    for (let c = 0; c < C; c++) grad[o + c] = Math.exp(L[o + c] - lse) / R;
    grad[o + y] -= 1 / R;
  }
  return { loss: loss / R, grad: { shape: logits.shape.slice(), data: grad } };
}

/**
 * Distillation loss: KL(softmax(teacher/T) || softmax(student/T)) * T^2, mean over rows (the T^2 keeps the
 * gradient scale independent of the temperature, as in Hinton et al.).
 */
export function distillationKL(student: Tensor, teacher: Tensor, temperature: number): LossResult {
  const { R, C } = rows(student);
  if (teacher.data.length !== student.data.length) throw new Error('distillation: teacher and student logits differ in size');
  const S = student.data;
  const Tl = teacher.data;
  const T = temperature;
  const grad = new Float32Array(S.length);
  const p = new Float64Array(C);
  const lq = new Float64Array(C);
  let loss = 0;
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let mt = -Infinity;
    let ms = -Infinity;
    for (let c = 0; c < C; c++) {
      mt = Math.max(mt, Tl[o + c] / T);
      ms = Math.max(ms, S[o + c] / T);
    }
    let st = 0;
    let ss = 0;
    for (let c = 0; c < C; c++) {
      st += Math.exp(Tl[o + c] / T - mt);
      ss += Math.exp(S[o + c] / T - ms);
    }
    const lt = Math.log(st) + mt;
    const ls = Math.log(ss) + ms;
    for (let c = 0; c < C; c++) {
      const lp = Tl[o + c] / T - lt;
      p[c] = Math.exp(lp);
      lq[c] = S[o + c] / T - ls;
      loss += p[c] * (lp - lq[c]);
    }
    for (let c = 0; c < C; c++) grad[o + c] = (T * (Math.exp(lq[c]) - p[c])) / R;
  }
  return { loss: (loss * T * T) / R, grad: { shape: student.shape.slice(), data: grad } };
}

/** softmax(x / T) of the `C` values of one row, starting at `at`. */
export function temperedSoftmax(x: ArrayLike<number>, at: number, C: number, T: number, out: Float64Array = new Float64Array(C)): Float64Array {
  let mx = -Infinity;
  for (let c = 0; c < C; c++) mx = Math.max(mx, x[at + c] / T);
  let sum = 0;
  for (let c = 0; c < C; c++) sum += out[c] = Math.exp(x[at + c] / T - mx);
  for (let c = 0; c < C; c++) out[c] /= sum;
  return out;
}

/** Index of the largest value of each row. */
export function argmaxRows(logits: Tensor): Int32Array {
  const { R, C } = rows(logits);
  const out = new Int32Array(R);
  for (let r = 0; r < R; r++) {
    let b = 0;
    for (let c = 1; c < C; c++) if (logits.data[r * C + c] > logits.data[r * C + b]) b = c;
    out[r] = b;
  }
  return out;
}
