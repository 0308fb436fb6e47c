// ONNX layer figures: read/write throughput, graph analysis of the MNIST models, backend-test conformance time.
// There are no DESIGN.md targets for these; they are reported against the budgets this layer needs inside a
// 30 s conversion (reading and analysing a model must be a small part of it).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeModel } from '../src/onnx/analysis';
import { readModelBytes, writeModel } from '../src/onnx/model';
import { medianMs, reportFigure } from './report';
import { runConformance } from '../test/onnx/conformance';

const SHARED = path.resolve(__dirname, '../../shared');

async function main(): Promise<void> {
  const mlp = path.join(SHARED, 'models', 'mnist-mlp-784-512-512-10.onnx');
  if (!existsSync(mlp)) {
    console.log('onnx bench: needs ../shared (skipped)');
    return;
  }
  const bytes = readFileSync(mlp);
  const readMs = await medianMs(() => readModelBytes(bytes, path.dirname(mlp), mlp), 9, 2);
  reportFigure('ONNX read, MLP 2.7 MB (MB/s)', bytes.length / 1e6 / (readMs / 1000), 'MB/s', '> 50 MB/s', bytes.length / 1e6 / (readMs / 1000) > 50);
  const model = readModelBytes(bytes, path.dirname(mlp), mlp);
  const writeMs = await medianMs(() => writeModel(model), 9, 2);
  reportFigure('ONNX write, MLP 2.7 MB (MB/s)', bytes.length / 1e6 / (writeMs / 1000), 'MB/s', '> 50 MB/s', bytes.length / 1e6 / (writeMs / 1000) > 50);
  const cnn = readModelBytes(readFileSync(path.join(SHARED, 'models', 'mnist-12-cntk-cnn.onnx')));
  const anaMs = await medianMs(() => analyzeModel(cnn), 5, 1);
  reportFigure('graph analysis incl. one onnxruntime run, mnist-12', anaMs, 'ms', '< 500 ms', anaMs < 500);
  const root = path.join(SHARED, 'onnx-backend-tests', 'node');
  const dirs = readdirSync(root).sort().map((d) => path.join(root, d));
  const t0 = performance.now();
  const results = await runConformance(dirs);
  const s = (performance.now() - t0) / 1000;
  const passed = results.filter((r) => r.outcome === 'passed').length;
  const failed = results.filter((r) => r.outcome === 'failed').length;
  reportFigure(`backend-test conformance (${passed}/${dirs.length} pass, ${failed} fail), s`, s, 's', '< 120 s, 0 fail', s < 120 && failed === 0);
}

void main();
