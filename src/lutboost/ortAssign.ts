import * as ort from 'onnxruntime-node';
import * as os from 'node:os';
import type { Metric } from '../dsl/config';
import { writeModel } from '../onnx/model';
import { DataType } from '../onnx/types';
import { NO_SPIN } from '../onnx/runtime';
import type { Assigner } from './kmeans';
import { attr, makeNode, makeValueInfo } from '../onnx/builder';

/**
 * L2 nearest-centroid assignment as an onnxruntime graph: ArgMin(X . (-2 C^T) + ||c||^2) over a batch of
 * subspaces, [S, n, v] x [S, v, c] -> [S, n] indices. The MatMul runs on onnxruntime's SIMD kernels on all
 * cores, several times faster than a scalar JS loop. Other metrics fall back to `fallback`.
 */
export class OrtL2Assigner implements Assigner {
  private session: Promise<ort.InferenceSession> | undefined;

  constructor(private readonly fallback: Assigner, private readonly threads = Math.max(1, os.cpus().length)) {}

  private getSession(): Promise<ort.InferenceSession> {
    if (!this.session) {
      const graph = {
        name: 'lutdla_assign_l2',
        node: [
          makeNode('MatMul', ['X', 'M'], ['xm'], [], 'dot'),
          makeNode('Add', ['xm', 'CN'], ['d'], [], 'dist'),
          makeNode('ArgMin', ['d'], ['i64'], [attr.int('axis', 2), attr.int('keepdims', 0)], 'argmin'),
          makeNode('Cast', ['i64'], ['idx'], [attr.int('to', DataType.INT32)], 'cast'),
        ],
        initializer: [],
        sparseInitializer: [],
        input: [makeValueInfo('X', DataType.FLOAT, ['S', 'n', 'v']), makeValueInfo('M', DataType.FLOAT, ['S', 'v', 'c']),
          makeValueInfo('CN', DataType.FLOAT, ['S', 1, 'c'])],
        output: [makeValueInfo('idx', DataType.INT32, ['S', 'n'])],
        valueInfo: [],
        quantizationAnnotation: [],
        metadataProps: [],
      };
      const bytes = writeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph, metadataProps: [], trainingInfo: [], functions: [] });
      this.session = ort.InferenceSession.create(bytes, { intraOpNumThreads: this.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', extra: NO_SPIN });
    }
    return this.session;
  }

  async assign(metric: Metric, points: Float32Array, S: number, n: number, v: number, centroids: Float32Array, c: number,
    idx: Int32Array): Promise<Float64Array | undefined> {
    if (metric !== 'l2') return this.fallback.assign(metric, points, S, n, v, centroids, c, idx);
    const session = await this.getSession();
    const m = new Float32Array(S * v * c);
    const cn = new Float32Array(S * c);
    for (let s = 0; s < S; s++) {
      for (let j = 0; j < c; j++) {
        let q = 0;
        for (let d = 0; d < v; d++) {
          const x = centroids[(s * c + j) * v + d];
          m[(s * v + d) * c + j] = -2 * x;
          q += x * x;
        }
        cn[s * c + j] = q;
      }
    }
    // Chunks of subspaces keep the [S, n, c] distance tensor cache-sized (about 4 MB): larger ones make the run memory-bound.
    const shared = points.buffer instanceof SharedArrayBuffer;
    const per = Math.max(1, Math.floor(1_000_000 / Math.max(1, n * c)));
    for (let s0 = 0; s0 < S; s0 += per) {
      const s1 = Math.min(S, s0 + per);
      const k = s1 - s0;
      const out = await session.run({
        // onnxruntime refuses views of a SharedArrayBuffer: those are copied.
        X: new ort.Tensor('float32', shared ? points.slice(s0 * n * v, s1 * n * v) : points.subarray(s0 * n * v, s1 * n * v), [k, n, v]),
        M: new ort.Tensor('float32', m.subarray(s0 * v * c, s1 * v * c), [k, v, c]),
        CN: new ort.Tensor('float32', cn.subarray(s0 * c, s1 * c), [k, 1, c]),
      });
      idx.set(out.idx.data as Int32Array, s0 * n);
      out.idx.dispose();
    }
    return undefined;
  }

  async close(): Promise<void> {
    if (this.session) await (await this.session).release();
    this.session = undefined;
  }
}
