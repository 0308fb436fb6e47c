import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CaseResult, runConformance, summarize } from './conformance';

// ../shared relative to the repository root
const SHARED = path.resolve(__dirname, '../../../shared/onnx-backend-tests');
const skip = !existsSync(SHARED) && 'needs ../shared/onnx-backend-tests';

/**
 * Every backend-test model: read -> write -> read (byte-identical second write), run original and round trip with
 * onnxruntime on test_data_set_0, outputs identical. Models onnxruntime cannot load must fail with OrtLoadError
 * both ways. The whole node/ set takes ~15 s; LUTDLA_CONFORMANCE_STEP=N runs every N-th model only.
 */
function dirsOf(sub: string): string[] {
  const root = path.join(SHARED, sub);
  if (!existsSync(root)) return [];
  const step = Math.max(1, Number(process.env.LUTDLA_CONFORMANCE_STEP ?? 1));
  return readdirSync(root)
    .sort()
    .filter((_, i) => i % step === 0)
    .map((d) => path.join(root, d))
    .filter((d) => existsSync(path.join(d, 'model.onnx')));
}

function report(kind: string, results: CaseResult[]): void {
  console.log(`conformance ${kind}: ${summarize(results)}`);
  for (const r of results.filter((x) => x.outcome === 'failed')) console.log(`  FAILED ${r.name}: ${r.detail}`);
}

for (const kind of ['node', 'pytorch-converted', 'simple']) {
  test(`ONNX backend tests (${kind}): read/write round trip runs identically in onnxruntime`, { skip }, async () => {
    const results = await runConformance(dirsOf(kind));
    report(kind, results);
    const failed = results.filter((r) => r.outcome === 'failed');
    assert.equal(failed.length, 0, failed.map((r) => `${r.name}: ${r.detail}`).join('\n'));
    assert.ok(results.filter((r) => r.outcome === 'passed').length > 0 || !results.length);
  });
}
