import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { ArraySource, bufferSource, fileSource } from './array';
import { DataError } from './errors';
import { idxArray, isIdxName } from './idx';
import { isNpy, npyArray } from './npy';
import { NpzFile } from './npz';
import { resolveInside } from './safePath';
import { tensorFileArray, testDataArray } from './tensorFiles';

/**
 * Calibration / evaluation data: any supported file opened as samples along its first axis, a range of them,
 * reshaped to a model input's declared shape, preprocessed (scale, then per-channel mean/std) and yielded as
 * float32 batches one at a time (only one batch is materialised; uncompressed files are read per batch).
 */

export interface OpenOptions {
  /** Array name inside a .npz (default: its only array, else x / inputs / images / data / arr_0). */
  key?: string;
  /** For test_data_set folders: which input_K.pb (default 0). */
  inputIndex?: number;
}

const MAX_INFLATED = 2 ** 31 - 1;
const DATA_KEYS = ['x', 'inputs', 'input', 'images', 'data', 'arr_0'];
const LABEL_KEYS = ['y', 'labels', 'label', 'targets', 'arr_1'];

/** Opens a data file or test_data_set folder as an array of samples. */
export function openArray(file: string, opts: OpenOptions = {}, preferredKeys = DATA_KEYS): ArraySource {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new DataError(`${file}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (st.isDirectory()) return testDataArray(file, opts.inputIndex ?? 0);
  const src = fileSource(file);
  try {
    const head = src.read(0, Math.min(8, src.size));
    if (head[0] === 0x1f && head[1] === 0x8b) {
      let raw: Buffer;
      try {
        raw = zlib.gunzipSync(src.read(0, src.size), { maxOutputLength: MAX_INFLATED });
      } catch (e) {
        throw new DataError(`${file}: cannot decompress (${(e as Error).message})`);
      } finally {
        src.close();
      }
      if (isNpy(raw)) return npyArray(bufferSource(raw), raw.length, file);
      if (raw[0] === 0 && raw[1] === 0) return idxArray(bufferSource(raw), raw.length, file);
      throw new DataError(`${file}: gzip data that is neither .npy nor IDX`);
    }
    if (isNpy(head)) return npyArray(src, src.size, file);
    if (head[0] === 0x50 && head[1] === 0x4b) return pickNpz(new NpzFile(src, src.size, file), opts.key, preferredKeys);
    if (/\.pb$/i.test(file)) {
      src.close();
      return tensorFileArray(file);
    }
    if (isIdxName(file) || (head[0] === 0 && head[1] === 0 && head.length >= 4)) return idxArray(src, src.size, file);
    throw new DataError(`${file}: unknown data format (expected .npy, .npz, ONNX TensorProto .pb, or IDX, optionally .gz)`);
  } catch (e) {
    src.close();
    throw e;
  }
}

function pickNpz(npz: NpzFile, key: string | undefined, preferred: string[]): ArraySource {
  const names = npz.names;
  const name = key ?? (names.length === 1 ? names[0] : preferred.find((k) => names.includes(k)));
  if (!name) {
    npz.close();
    throw new DataError(`${npz.label}: holds ${names.map((n) => `'${n}'`).join(', ')}; say which array to use`);
  }
  return npz.array(name);
}

/** Resolves a data path written in a config, relative to the config's folder, refusing escapes. */
export function resolveDataPath(configDir: string, relative: string, what = 'data file'): string {
  return resolveInside(configDir, relative, what);
}

/** Checks and normalises a [start, end) range against a count. */
export function checkRange(label: string, count: number, range?: readonly [number, number?]): [number, number] {
  const start = range?.[0] ?? 0;
  const end = range?.[1] ?? count;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
    throw new DataError(`${label}: invalid sample range ${start}:${end}`);
  }
  if (end > count) throw new DataError(`${label}: range ${start}:${end} goes past the ${count} samples the file holds`);
  return [start, end];
}

/** Labels as class indices: integer arrays as they are, one-hot / score rows by argmax. */
export function readLabels(file: string, range?: readonly [number, number?], opts: OpenOptions = {}): Int32Array {
  const src = openArray(file, opts, LABEL_KEYS);
  try {
    const [start, end] = checkRange(src.label, src.count, range);
    const n = end - start;
    const buf = new Float32Array(n * src.sampleSize);
    src.readInto(start, n, buf);
    const out = new Int32Array(n);
    const w = src.sampleSize;
    for (let i = 0; i < n; i++) {
      if (w === 1) {
        const v = buf[i];
        if (!Number.isInteger(v)) throw new DataError(`${src.label}: label ${start + i} is ${v}, not a class index`);
        out[i] = v;
      } else {
        let best = 0;
        for (let j = 1; j < w; j++) if (buf[i * w + j] > buf[i * w + best]) best = j;
        out[i] = best;
      }
    }
    return out;
  } finally {
    src.close();
  }
}

export interface Preprocess {
  scale?: number;
  mean?: number[];
  std?: number[];
}

/** A model input as declared: undefined dims are free (symbolic or unknown); shape undefined = unknown rank. */
export interface ModelInput {
  name: string;
  shape?: readonly (number | undefined)[];
}

export interface InputPlan {
  /** Shape of one sample as fed (without the batch axis, unless noBatchAxis). */
  sampleDims: number[];
  /** Fixed batch the model demands (1 for mnist-12), or undefined when the batch dim is free. */
  fixedBatch?: number;
  /** The model input has no batch axis: one sample is fed with exactly `sampleDims`. */
  noBatchAxis: boolean;
}

function prod(a: readonly number[]): number {
  return a.reduce((x, y) => x * y, 1);
}

/** Decides how samples of `src` feed `input`, or throws a DataError naming the file, its shape and the input's. */
export function planInput(src: Pick<ArraySource, 'label' | 'shape' | 'sampleSize'>, input: ModelInput): InputPlan {
  const S = src.sampleSize;
  const inner = src.shape.slice(1);
  const D = input.shape;
  if (!D) return { sampleDims: inner, noBatchAxis: false };
  const fail = () =>
    new DataError(
      `${src.label}: samples of shape [${inner.join(',')}] (${S} values) fit no shape of model input '${input.name}' ` +
        `[${D.map((d) => d ?? '?').join(',')}]; give data whose samples have the input's element count`,
    );
  if (D.length >= 1) {
    const rest = D.slice(1);
    const unknown = rest.map((d, i) => (d === undefined ? i : -1)).filter((i) => i >= 0);
    let dims: number[] | undefined;
    if (!unknown.length) {
      if (prod(rest as number[]) === S) dims = rest as number[];
    } else if (unknown.length === 1) {
      const known = prod(rest.filter((d): d is number => d !== undefined));
      if (known > 0 && S % known === 0) dims = rest.map((d) => d ?? S / known);
    } else if (rest.length === inner.length && rest.every((d, i) => d === undefined || d === inner[i])) {
      dims = inner;
    }
    if (dims) return { sampleDims: dims, fixedBatch: D[0], noBatchAxis: false };
  }
  if (D.every((d) => d !== undefined) && prod(D as number[]) === S) return { sampleDims: D as number[], fixedBatch: 1, noBatchAxis: true };
  throw fail();
}

export interface Batch {
  /** Preprocessed values, `dims` shaped (padded with zeros up to a fixed batch). */
  data: Float32Array;
  dims: number[];
  /** Index (in the file) of the first sample and how many real samples the batch holds. */
  start: number;
  count: number;
}

/** Per-value transform x -> (x * scale - mean[c]) / std[c], with the channel found from the sample shape. */
export function makePreprocessor(label: string, sampleDims: readonly number[], p: Preprocess = {}): ((buf: Float32Array, samples: number) => void) | undefined {
  const scale = p.scale ?? 1;
  const mean = p.mean ?? [0];
  const std = p.std ?? [1];
  if (scale === 1 && mean.every((m) => m === 0) && std.every((s) => s === 1)) return undefined;
  if (std.some((s) => s === 0 || !Number.isFinite(s))) throw new DataError(`${label}: std values must be non-zero numbers`);
  const C = Math.max(mean.length, std.length);
  if (mean.length !== 1 && std.length !== 1 && mean.length !== std.length) throw new DataError(`${label}: ${mean.length} mean values but ${std.length} std values`);
  const S = prod(sampleDims);
  let channelOf: (i: number) => number = () => 0;
  if (C > 1) {
    if (sampleDims.length >= 2 && sampleDims[0] === C) {
      const per = S / C;
      channelOf = (i) => Math.floor(i / per);
    } else if (sampleDims.length >= 2 && sampleDims[sampleDims.length - 1] === C) {
      channelOf = (i) => i % C;
    } else {
      throw new DataError(`${label}: ${C} per-channel mean/std values but samples of shape [${sampleDims.join(',')}] have no axis of ${C} channels`);
    }
  }
  const m = Float32Array.from({ length: C }, (_, c) => mean[mean.length === 1 ? 0 : c]);
  const s = Float32Array.from({ length: C }, (_, c) => 1 / std[std.length === 1 ? 0 : c]);
  const chan = new Uint16Array(S);
  for (let i = 0; i < S; i++) chan[i] = channelOf(i);
  return (buf, samples) => {
    for (let k = 0; k < samples; k++) {
      const o = k * S;
      for (let i = 0; i < S; i++) buf[o + i] = (buf[o + i] * scale - m[chan[i]]) * s[chan[i]];
    }
  };
}

export interface DatasetOptions extends OpenOptions {
  range?: readonly [number, number?];
  preprocess?: Preprocess;
}

/** A range of samples of one data file, ready to feed a model input batch by batch. */
export class Dataset {
  readonly start: number;
  readonly end: number;

  constructor(readonly source: ArraySource, readonly options: DatasetOptions = {}) {
    [this.start, this.end] = checkRange(source.label, source.count, options.range);
  }

  static open(file: string, options: DatasetOptions = {}): Dataset {
    return new Dataset(openArray(file, options), options);
  }

  get label(): string {
    return this.source.label;
  }

  /** The shape of one sample as the file stores it (before any reshaping to a model input). */
  get storedSampleDims(): number[] {
    return this.source.shape.slice(1);
  }

  /** Samples in the range. */
  get count(): number {
    return this.end - this.start;
  }

  plan(input: ModelInput): InputPlan {
    return planInput(this.source, input);
  }

  /**
   * Yields batches for `input`: `batchSize` samples at a time when the model's batch is free, exactly the fixed
   * batch otherwise (the last one zero-padded; `count` says how many are real).
   */
  *batches(input: ModelInput, batchSize = 64): Generator<Batch> {
    const plan = this.plan(input);
    const per = plan.fixedBatch ?? Math.max(1, Math.floor(batchSize));
    const S = this.source.sampleSize;
    const pre = makePreprocessor(this.label, plan.sampleDims, this.options.preprocess);
    for (let i = this.start; i < this.end; i += per) {
      const n = Math.min(per, this.end - i);
      const rows = plan.fixedBatch ?? n;
      const data = new Float32Array(rows * S);
      this.source.readInto(i, n, data, 0);
      pre?.(data, n);
      yield { data, dims: plan.noBatchAxis ? plan.sampleDims.slice() : [rows, ...plan.sampleDims], start: i, count: n };
    }
  }

  /** Reads samples [from, from+n) of the range (relative to its start), preprocessed for `input`'s sample shape. */
  read(from: number, n: number, input?: ModelInput): Float32Array {
    if (from < 0 || from + n > this.count) throw new DataError(`${this.label}: samples ${from}..${from + n} are outside the range of ${this.count}`);
    const data = new Float32Array(n * this.source.sampleSize);
    this.source.readInto(this.start + from, n, data, 0);
    const dims = input ? this.plan(input).sampleDims : this.source.shape.slice(1);
    makePreprocessor(this.label, dims, this.options.preprocess)?.(data, n);
    return data;
  }

  close(): void {
    this.source.close();
  }
}
