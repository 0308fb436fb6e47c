// The .lutdla language on a 5,000-line config: parse + lower + schema validation + semantic checks, then
// completion and hover on the analysed document (the language server caches the analysis per version).
import { analyze, LanguageService } from '../src/dsl';
import { reportFigure, medianMs } from './report';

/** A config of about `lines` lines: many accelerators and one model with many layer overrides. */
function bigConfig(lines: number): string {
  const out: string[] = ['# generated for the benchmark', 'lut {', '  centroids = 16', '  vector = 4', '  metric = l2', '  precision = int8', '}'];
  let i = 0;
  while (out.length < lines * 0.5) {
    out.push(
      `accelerator "acc-${i}" {`,
      `  technology = ${[7, 16, 28][i % 3]}nm`,
      `  clock = ${400 + (i % 10) * 50}MHz`,
      `  ccm { units = ${4 << i % 4} }`,
      `  imm { lanes = ${32 << i % 4} }`,
      '  memory {',
      '    lut = 128KiB',
      '    index = 64KiB  input = 64KiB  output = 64KiB',
      '    dram = 12.8GB/s',
      '  }',
      '}',
    );
    i++;
  }
  out.push('model "big" {', '  onnx = "models/big.onnx"', '  calibration = "data/c.npy" range 0:1000', '  keep = ["stem", "head"]');
  let l = 0;
  while (out.length < lines - 12) {
    out.push(`  layer "block${l}.conv*" {`, `    centroids = ${[8, 16, 32][l % 3]}`, `    vector = ${[2, 4, 8][l % 3]}  # per-layer`, '    metric = l1', '  }');
    l++;
  }
  out.push('  lutboost { stages = [kmeans, centroids, tables, quantize]  iterations = 20 }', '}');
  out.push('explore {', '  accelerator = "acc-0"', '  vary lut.centroids = [8, 16, 32]', '  vary accelerator.ccm.units = [4, 8, 16]', '  require area <= 2mm2', '  minimize = [latency, area]', '}');
  return out.join('\n') + '\n';
}

async function main(): Promise<void> {
  const text = bigConfig(5000);
  const lineCount = text.split('\n').length - 1;
  const file = '/tmp/lutdla-bench/big.lutdla';
  const first = analyze(text, file);
  const errors = first.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`benchmark config has errors: ${errors[0].message}`);

  const analyseMs = await medianMs(() => analyze(text, file), 21, 5);
  reportFigure(`dsl: parse+validate+check ${lineCount}-line config`, analyseMs, 'ms', '< 50 ms', analyseMs < 50);
  // CPU time of the same work: on a shared, busy machine the wall time above also counts waiting for a core.
  const c0 = process.cpuUsage();
  for (let i = 0; i < 20; i++) analyze(text, file);
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / 20;
  reportFigure('dsl: parse+validate+check, CPU time per run (all threads)', cpuMs, 'ms', '< 50 ms', cpuMs < 50);

  const ls = new LanguageService();
  const doc = { uri: 'bench://big', version: 1, text, filePath: file };
  ls.analyze(doc);
  const lines = text.split('\n');
  // Positions near the end of the file (the worst case for any walk from the top).
  const keyLine = lines.length - 14; // inside the last layer block
  const keyPos = { line: keyLine, character: 4 };
  const valueLine = lines.findIndex((x, idx) => idx > lines.length / 2 && x.includes('metric = l1'));
  const completionMs = await medianMs(() => ls.complete(doc, keyPos), 51, 5);
  const valueMs = await medianMs(() => ls.complete(doc, { line: valueLine, character: lines[valueLine].length }), 51, 5);
  const hoverMs = await medianMs(() => ls.hover(doc, { line: valueLine, character: 6 }), 51, 5);
  if (!ls.complete(doc, keyPos).length || !ls.hover(doc, { line: valueLine, character: 6 })) throw new Error('benchmark positions give no result');
  reportFigure('dsl: completion (keys) on the 5,000-line config', completionMs, 'ms', '< 10 ms', completionMs < 10);
  reportFigure('dsl: completion (enum values) on the 5,000-line config', valueMs, 'ms', '< 10 ms', valueMs < 10);
  reportFigure('dsl: hover on the 5,000-line config', hoverMs, 'ms', '< 10 ms', hoverMs < 10);
  // What a keystroke costs when the analysis is not cached yet (new version): analyse + complete.
  let v = 2;
  const typedMs = await medianMs(() => ls.complete({ ...doc, version: v++ }, keyPos), 11, 2);
  reportFigure('dsl: keystroke (re-analyse + completion), 5,000 lines', typedMs, 'ms', '< 50 ms', typedMs < 50);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
