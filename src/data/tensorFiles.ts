import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeTensorProto } from '../onnx/proto';
import { tensorToFloat32 } from '../onnx/tensor';
import { OnnxFormatError, TensorProto } from '../onnx/types';
import { ArraySource, concatArrays, memoryArray } from './array';
import { DataError } from './errors';

/** ONNX TensorProto files (`input_0.pb`) and the backend-test folder layout (`test_data_set_N/input_K.pb`). */

export const MAX_PB_BYTES = 2 ** 31 - 1;

export function readTensorFile(file: string): TensorProto {
  let bytes: Buffer;
  try {
    if (fs.statSync(file).size > MAX_PB_BYTES) throw new DataError(`${file}: larger than a protobuf can be (2 GiB)`);
    bytes = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const t = decodeTensorProto(bytes, file);
  if (t.dataType === undefined && !t.dims.length && !t.rawData) throw new OnnxFormatError(`${file}: not a serialized ONNX TensorProto (no data type, shape or data)`);
  return t;
}

export function tensorFileArray(file: string): ArraySource {
  const t = readTensorFile(file);
  return memoryArray(file, t.dims.slice(), tensorToFloat32(t, file));
}

/** The test_data_set_N folders under `dir` (sorted by N), or [dir] when dir itself holds input_K.pb files. */
export function testDataSets(dir: string): string[] {
  const names = fs.readdirSync(dir);
  const sets = names.filter((n) => /^test_data_set_\d+$/.test(n)).sort((a, b) => Number(a.split('_').pop()) - Number(b.split('_').pop()));
  if (sets.length) return sets.map((n) => path.join(dir, n));
  if (names.some((n) => /^input_\d+\.pb$/.test(n))) return [dir];
  return [];
}

/** Reads input_K.pb / output_K.pb of one test_data_set folder, in K order. */
export function readTestDataSet(dir: string): { inputs: TensorProto[]; outputs: TensorProto[] } {
  const names = fs.readdirSync(dir);
  const pick = (prefix: string) =>
    names
      .filter((n) => new RegExp(`^${prefix}_\\d+\\.pb$`).test(n))
      .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
      .map((n) => readTensorFile(path.join(dir, n)));
  return { inputs: pick('input'), outputs: pick('output') };
}

/** Input K of every test_data_set folder under dir, concatenated along the first axis. */
export function testDataArray(dir: string, inputIndex = 0): ArraySource {
  const sets = testDataSets(dir);
  if (!sets.length) throw new DataError(`${dir}: no test_data_set_N folders and no input_K.pb files`);
  const parts = sets.map((s) => {
    const f = path.join(s, `input_${inputIndex}.pb`);
    if (!fs.existsSync(f)) throw new DataError(`${s}: has no input_${inputIndex}.pb`);
    return tensorFileArray(f);
  });
  return concatArrays(dir, parts);
}
