import * as fs from 'node:fs';
import * as path from 'node:path';
import { foldForConversion } from '../../src/onnx/fold';
import { readModel, readModelBytes, writeModel } from '../../src/onnx/model';
import { createSession, OrtLoadError, release, run, Session } from '../../src/onnx/runtime';
import { TypedTensor, tensorToTyped } from '../../src/onnx/tensor';
import { readTestDataSet } from '../../src/data/tensorFiles';

/**
 * ONNX backend-test conformance of the reader/writer: read -> write -> read, run original and round-tripped
 * model with onnxruntime on test_data_set_0, compare. Shared by the unit test and the full run.
 */

export type Outcome = 'passed' | 'ort-unsupported' | 'skipped' | 'failed';

export interface CaseResult {
  name: string;
  outcome: Outcome;
  detail?: string;
  /** The original model's outputs did not match the expected ones (onnxruntime's difference, not ours). */
  expectedMismatch?: boolean;
  /** Constant/BN folding changed the graph and the folded model was run too. */
  folded?: boolean;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  return a === b;
}

function equalTensors(a: TypedTensor, b: TypedTensor): string | undefined {
  if (a.type !== b.type) return `type ${a.type} vs ${b.type}`;
  if (a.dims.join(',') !== b.dims.join(',')) return `dims [${a.dims}] vs [${b.dims}]`;
  const x = a.data as ArrayLike<unknown>;
  const y = b.data as ArrayLike<unknown>;
  if (x.length !== y.length) return `length ${x.length} vs ${y.length}`;
  for (let i = 0; i < x.length; i++) if (!sameValue(x[i], y[i])) return `value ${i}: ${String(x[i])} vs ${String(y[i])}`;
  return undefined;
}

function closeTo(actual: TypedTensor, expected: TypedTensor, tol = 1e-3): boolean {
  if (actual.dims.join(',') !== expected.dims.join(',')) return false;
  const x = actual.data as ArrayLike<number | bigint | string>;
  const y = expected.data as ArrayLike<number | bigint | string>;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i];
    const q = y[i];
    if (typeof p === 'number' && typeof q === 'number') {
      if (Number.isNaN(p) && Number.isNaN(q)) continue;
      if (p === q) continue;
      if (!(Math.abs(p - q) <= tol + tol * Math.abs(q))) return false;
    } else if (typeof p === 'bigint' || typeof q === 'bigint') {
      if (BigInt(p as bigint) !== BigInt(q as bigint)) return false;
    } else if (p !== q) return false;
  }
  return true;
}

async function runOnce(session: Session, inputs: TypedTensor[], names: readonly string[], label: string): Promise<Record<string, TypedTensor>> {
  const feeds: Record<string, TypedTensor> = {};
  inputs.forEach((t, i) => (feeds[names[i]] = t));
  return run(session, feeds, undefined, label);
}

export async function conformanceCase(dir: string): Promise<CaseResult> {
  const name = path.basename(dir);
  const file = path.join(dir, 'model.onnx');
  let original: Uint8Array;
  let written: Uint8Array;
  let folded: Uint8Array | undefined;
  try {
    original = fs.readFileSync(file);
    const model = readModel(file);
    written = writeModel(model);
    const f = foldForConversion(model);
    if (f !== model) folded = writeModel(f);
    const again = writeModel(readModelBytes(written, dir, file));
    if (Buffer.compare(Buffer.from(again), Buffer.from(written)) !== 0) return { name, outcome: 'failed', detail: 'write(read(write(m))) differs from write(m)' };
  } catch (e) {
    return { name, outcome: 'failed', detail: `read/write: ${(e as Error).message}` };
  }
  const setDir = path.join(dir, 'test_data_set_0');
  let data: { inputs: TypedTensor[]; expected: TypedTensor[] };
  try {
    const ds = readTestDataSet(setDir);
    data = { inputs: ds.inputs.map((t) => tensorToTyped(t)), expected: ds.outputs.map((t) => tensorToTyped(t)) };
  } catch (e) {
    return { name, outcome: 'skipped', detail: `test data not tensors: ${(e as Error).message}` };
  }
  let a: Session | undefined;
  let b: Session | undefined;
  try {
    try {
      a = await createSession(original, { label: name });
    } catch (e) {
      if (!(e instanceof OrtLoadError)) return { name, outcome: 'failed', detail: `unclear load error: ${String(e)}` };
      // The round-tripped model must fail the same clear way.
      try {
        b = await createSession(written, { label: name });
        return { name, outcome: 'failed', detail: `original fails to load (${e.detail}) but the round trip loads` };
      } catch (e2) {
        if (!(e2 instanceof OrtLoadError)) return { name, outcome: 'failed', detail: `unclear load error: ${String(e2)}` };
        return { name, outcome: 'ort-unsupported', detail: e.detail };
      }
    }
    try {
      b = await createSession(written, { label: name });
    } catch (e) {
      return { name, outcome: 'failed', detail: `round trip does not load: ${(e as Error).message}` };
    }
    const inputNames = a.inputNames;
    let ra: Record<string, TypedTensor>;
    try {
      ra = await runOnce(a, data.inputs, inputNames, name);
    } catch (e) {
      return { name, outcome: 'ort-unsupported', detail: `run: ${(e as Error).message}` };
    }
    const rb = await runOnce(b, data.inputs, b.inputNames, name);
    for (const k of Object.keys(ra)) {
      if (!rb[k]) return { name, outcome: 'failed', detail: `round trip lacks output ${k}` };
      const diff = equalTensors(ra[k], rb[k]);
      if (diff) return { name, outcome: 'failed', detail: `output ${k} differs: ${diff}` };
    }
    const outNames = a.outputNames;
    const expectedMismatch = data.expected.some((t, i) => !ra[outNames[i]] || !closeTo(ra[outNames[i]], t));
    if (folded) {
      const c = await createSession(folded, { label: `${name} (folded)` });
      try {
        const rc = await runOnce(c, data.inputs, c.inputNames, name);
        for (const k of Object.keys(ra)) {
          if (!rc[k] || !closeTo(rc[k], ra[k], 1e-5)) return { name, outcome: 'failed', detail: `folded model: output ${k} differs` };
        }
      } finally {
        await release(c);
      }
    }
    return { name, outcome: 'passed', expectedMismatch, folded: !!folded };
  } catch (e) {
    return { name, outcome: 'failed', detail: (e as Error).message };
  } finally {
    await release(a);
    await release(b);
  }
}

export async function runConformance(dirs: readonly string[], onCase?: (r: CaseResult) => void): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const d of dirs) {
    const r = await conformanceCase(d);
    onCase?.(r);
    out.push(r);
  }
  return out;
}

export function summarize(results: readonly CaseResult[]): string {
  const c = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  const mism = results.filter((r) => r.expectedMismatch).length;
  const folded = results.filter((r) => r.folded).length;
  return `${c('passed')} passed / ${results.length} total (${folded} of them also checked after constant folding), ${c('ort-unsupported')} onnxruntime-unsupported, ${c('skipped')} skipped (test data onnxruntime-node cannot take: float8, 2-bit, sequences; round trip still checked), ${c('failed')} failed; ${mism} passed models where onnxruntime differs from the expected outputs`;
}
