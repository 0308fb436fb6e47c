import * as ort from 'onnxruntime-node';
import * as os from 'node:os';
import { makeNode, makeValueInfo } from '../onnx/builder';
import { writeModel } from '../onnx/model';
import { DataType } from '../onnx/types';
import { NO_SPIN } from '../onnx/runtime';

/**
 * Float32 matrix products on onnxruntime's MLAS kernels (SIMD, all cores): the heavy products of the centroids
 * stage (E W^T, Q W) run here instead of in scalar JS loops. One session with symbolic shapes serves every size.
 */
let session: Promise<ort.InferenceSession> | undefined;

function getSession(): Promise<ort.InferenceSession> {
  if (!session) {
    const graph = {
      name: 'lutdla_matmul',
      node: [makeNode('MatMul', ['A', 'B'], ['C'], [], 'mm')],
      initializer: [], sparseInitializer: [],
      input: [makeValueInfo('A', DataType.FLOAT, ['M', 'K']), makeValueInfo('B', DataType.FLOAT, ['K', 'N'])],
      output: [makeValueInfo('C', DataType.FLOAT, ['M', 'N'])],
      valueInfo: [], quantizationAnnotation: [], metadataProps: [],
    };
    const bytes = writeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph, metadataProps: [], trainingInfo: [], functions: [] });
    session = ort.InferenceSession.create(bytes, { intraOpNumThreads: Math.max(1, os.cpus().length), interOpNumThreads: 1, graphOptimizationLevel: 'all', extra: NO_SPIN });
  }
  return session;
}

/** C[M x N] = A[M x K] B[K x N]. */
export async function ortMatmul(A: Float32Array, B: Float32Array, M: number, K: number, N: number): Promise<Float32Array> {
  const s = await getSession();
  const r = await s.run({ A: new ort.Tensor('float32', A, [M, K]), B: new ort.Tensor('float32', B, [K, N]) }, ['C']);
  return r.C.data as Float32Array;
}

export async function closeOrtMatmul(): Promise<void> {
  if (session) {
    const s = session;
    session = undefined;
    await (await s).release();
  }
}
