import * as ort from 'onnxruntime-node';
import { writeModel } from './model';
import { TypedTensor } from './tensor';
import { ModelProto, ValueInfoProto } from './types';

/**
 * onnxruntime-node wrapper: sessions from model bytes, runs with typed tensors, extra outputs for intermediate
 * tensors. Load failures become OrtLoadError with the first line of onnxruntime's message.
 */

export class OrtLoadError extends Error {
  constructor(readonly model: string, readonly detail: string) {
    super(`onnxruntime cannot load ${model}: ${detail}`);
    this.name = 'OrtLoadError';
  }
}

export class OrtRunError extends Error {
  constructor(readonly model: string, readonly detail: string) {
    super(`onnxruntime failed running ${model}: ${detail}`);
    this.name = 'OrtRunError';
  }
}

export interface SessionOptions {
  /** Names the model in errors. */
  label?: string;
  /** Intra-op threads (default 1: the machine is shared; callers running one big model may raise it). */
  threads?: number;
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

export type Session = ort.InferenceSession;

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // onnxruntime prefixes messages with "[ONNXRuntimeError] : 10 : INVALID_GRAPH : Load model from ... failed:"
  const line = m.split('\n').find((l) => l.trim()) ?? m;
  return line
    .replace(/^\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*/, '')
    .replace(/\/onnxruntime_src\/\S+:\d+ [^(]*\(.*?\)(?= [a-zA-Z])/g, '') // C++ source location and signature
    .trim();
}

/**
 * onnxruntime's intra-op threads spin while they wait for work. On a machine whose other core is busy (another
 * job, the editor) a spinning thread steals the time the working one needs: measured on the LUT model of mnist-12
 * with one core busy, 2 threads took 4.7 ms per run with spinning, 2.2 ms without, 2.0 ms on 1 thread; on large
 * matrix products without spinning was never slower. So sessions never spin.
 */
export const NO_SPIN = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };

/** Creates an onnxruntime session from a model or its bytes. */
export async function createSession(model: ModelProto | Uint8Array, opts: SessionOptions = {}): Promise<Session> {
  const label = opts.label ?? 'model';
  const bytes = model instanceof Uint8Array ? model : writeModel(model);
  try {
    return await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: opts.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: opts.optimization ?? 'all',
      // errors come back as exceptions; onnxruntime's own log would only repeat them on stderr
      logSeverityLevel: 4,
      extra: NO_SPIN,
    });
  } catch (e) {
    throw new OrtLoadError(label, firstLine(e));
  }
}

export function toOrtTensor(t: TypedTensor): ort.Tensor {
  return new ort.Tensor(t.type as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.dims);
}

export function fromOrtValue(v: ort.OnnxValue): TypedTensor {
  const t = v as ort.Tensor;
  return { type: t.type as TypedTensor['type'], data: t.data as TypedTensor['data'], dims: Array.from(t.dims) };
}

/** Runs a session. Feeds may be TypedTensors or ort.Tensors; returns the requested (default: all) outputs. */
export async function run(
  session: Session,
  feeds: Record<string, TypedTensor | ort.Tensor>,
  outputs?: readonly string[],
  label = 'model',
): Promise<Record<string, TypedTensor>> {
  // onnxruntime-node 1.30 aborts the whole process (out of memory in its N-API layer) when it returns a 4-bit
  // tensor, so such outputs are refused before running.
  const wanted = new Set(outputs ?? session.outputNames);
  for (const m of session.outputMetadata) {
    if (wanted.has(m.name) && m.isTensor && (m.type === 'int4' || m.type === 'uint4')) {
      throw new OrtRunError(label, `output '${m.name}' is ${m.type}, which onnxruntime-node cannot return`);
    }
  }
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = v instanceof ort.Tensor ? (v as ort.Tensor) : toOrtTensor(v as TypedTensor);
  let res: ort.InferenceSession.ReturnType;
  try {
    const options: ort.InferenceSession.RunOptions = { logSeverityLevel: 4 };
    res = outputs ? await session.run(ortFeeds, outputs as string[], options) : await session.run(ortFeeds, options);
  } catch (e) {
    throw new OrtRunError(label, firstLine(e));
  }
  const out: Record<string, TypedTensor> = {};
  for (const [k, v] of Object.entries(res)) out[k] = fromOrtValue(v);
  return out;
}

/** Runs a float32 model input and returns float32 outputs (the common case for calibration and evaluation). */
export async function runFloat(session: Session, input: string, data: Float32Array, dims: readonly number[], outputs?: readonly string[], label = 'model'): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const res = await run(session, { [input]: new ort.Tensor('float32', data, dims as number[]) }, outputs, label);
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const [k, v] of Object.entries(res)) {
    out[k] = { data: v.data instanceof Float32Array ? v.data : Float32Array.from(v.data as ArrayLike<number>, Number), dims: v.dims };
  }
  return out;
}

/**
 * A copy of the model whose graph also outputs the named intermediate tensors (so their values can be collected,
 * e.g. a layer's input). Type info is taken from value_info when the model has it; onnxruntime infers the rest.
 */
export function withExtraOutputs(model: ModelProto, tensorNames: readonly string[]): ModelProto {
  const g = model.graph!;
  const have = new Set(g.output.map((o) => o.name));
  const known = new Map<string, ValueInfoProto>();
  for (const v of [...g.valueInfo, ...g.input]) if (v.name) known.set(v.name, v);
  const extra: ValueInfoProto[] = [];
  for (const name of tensorNames) {
    if (have.has(name)) continue;
    have.add(name);
    const vi = known.get(name);
    extra.push(vi ? { ...vi, type: vi.type?.tensorType ? { tensorType: { elemType: vi.type.tensorType.elemType } } : vi.type } : { name, metadataProps: [] });
  }
  return { ...model, graph: { ...g, output: [...g.output, ...extra] } };
}

/** Releases a session, ignoring errors (used in finally blocks). */
export async function release(session: Session | undefined): Promise<void> {
  try {
    await session?.release();
  } catch {
    // nothing to do: the session is gone either way
  }
}

/**
 * Calls `fn` on each item with up to `limit` calls in flight (items are drawn lazily, in order). onnxruntime-node
 * runs each session call on its own libuv thread, so single-threaded sessions with several runs in flight use
 * the cores without the spinning of an intra-op thread pool (which costs twice the time when a core is busy).
 * The first error stops drawing new items and is thrown once the calls in flight have settled.
 */
export async function forEachInFlight<T>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const it = items[Symbol.iterator]();
  for (;;) {
    if (failure) {
      it.return?.();
      break;
    }
    const next = it.next();
    if (next.done) break;
    const p: Promise<void> = fn(next.value)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= Math.max(1, limit)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
}
