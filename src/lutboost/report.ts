import type { LutboostStage, Metric, Precision } from '../dsl/config';
import type { ConversionLayer, ConversionReport } from '../reports/conversion';
import type { Accuracy } from './evaluate';
import type { ConvertOutput } from './pipeline';
import type { LayerKeptDense } from './sensitivity';

/** Assembles `<name>.conversion.json` from a conversion and its evaluation. Names are plain text, never markup. */
export function buildReport(args: {
  model: string;
  source: string;
  output: string;
  config: { centroids: number; vector: number; metric: Metric; precision: Precision; stages: LutboostStage[]; seed: number };
  result: ConvertOutput;
  accuracy: Accuracy & { data?: string };
  /** Accuracy of the LUT model before the finetune stage, when it ran. */
  beforeFinetune?: Accuracy;
  /** Per converted layer: the conversion with that layer kept dense as well (when sensitivity was asked for). */
  keptDense?: Map<string, LayerKeptDense>;
  wallTimeS: number;
  peakMemoryBytes: number;
}): ConversionReport {
  const { result } = args;
  const layers = result.layers.map((l) => {
    const keptDense = args.keptDense?.get(l.name);
    return keptDense ? { ...l, keptDense } : l;
  });
  const tableBytes = layers.reduce((a, l) => a + l.tableBytes, 0);
  const weightBytes = layers.reduce((a, l) => a + l.weightBytes, 0);
  // Bits per activation value, weighted by each layer's activation values (m * k * groups).
  let bitsNum = 0;
  let bitsDen = 0;
  for (const l of layers) {
    const w = Math.max(1, l.m) * l.k * (l.groups ?? 1);
    bitsNum += (Math.log2(l.centroids) / l.vector) * w;
    bitsDen += w;
  }
  const report: ConversionReport = {
    kind: 'conversion',
    version: 1,
    model: args.model,
    source: args.source,
    output: args.output,
    config: args.config,
    accuracy: {
      original: args.accuracy.original,
      lut: args.accuracy.lut,
      drop: args.accuracy.drop,
      agreement: args.accuracy.agreement,
      samples: args.accuracy.samples,
      labelled: args.accuracy.labelled,
    },
    layers,
    kept: result.kept,
    totals: {
      tableBytes,
      weightBytes,
      bitsPerActivation: bitsDen ? bitsNum / bitsDen : Math.log2(args.config.centroids) / args.config.vector,
      wallTimeS: args.wallTimeS,
      peakMemoryBytes: args.peakMemoryBytes,
      int8WeightBytes: weightBytes / 4,
      layers: layers.length,
    },
  };
  if (result.training) report.training = result.training;
  if (args.beforeFinetune) {
    const b = args.beforeFinetune;
    report.beforeFinetune = { lut: b.lut, drop: b.drop, agreement: b.agreement };
  }
  return report;
}

/** The per-layer table and accuracy summary printed in text mode. */
export function formatReport(r: ConversionReport): string[] {
  const lines: string[] = [];
  // What keeping each layer dense would buy, when measured: the drop then, or the agreement without labels.
  const denseHead = r.layers.some((l) => l.keptDense) ? [r.accuracy.labelled ? 'drop if dense' : 'agree if dense'] : [];
  const denseText = (l: ConversionLayer): string[] => {
    if (!denseHead.length) return [];
    if (!l.keptDense) return ['-'];
    const d = l.keptDense;
    if (d.drop === null) return [`${(d.agreement * 100).toFixed(2)}%`];
    return [`${d.drop.toFixed(2)}${typeof d.dropSe === 'number' ? ` ±${d.dropSe.toFixed(2)}` : ''}`];
  };
  const head = ['layer', 'op', 'M', 'K', 'N', 'c', 'v', 'metric', 'prec', 'table B', 'weight B', 'rel.err', ...denseHead, 'stages (held-out error after; * = not kept)'];
  const rows = r.layers.map((l) => [
    l.name, l.op, String(l.m), String(l.k), String(l.n), String(l.centroids), String(l.vector), l.metric, l.precision,
    String(l.tableBytes), String(l.weightBytes), l.relativeError.toExponential(2), ...denseText(l),
    l.stages.map((s) => `${s.stage} ${s.heldOutErrorAfter.toExponential(2)}${s.kept ? '' : '*'}`).join(', '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  lines.push(fmt(head));
  for (const row of rows) lines.push(fmt(row));
  for (const k of r.kept) lines.push(`kept dense: ${k.name} (${k.op}): ${k.reason}`);
  if (denseHead.length) {
    lines.push(`${denseHead[0]}: converted again with that layer kept dense as well (without fine-tuning); ± the standard error of its difference from the drop ${r.beforeFinetune ? 'before fine-tuning' : 'below'}`);
  }
  const a = r.accuracy;
  const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
  lines.push(
    a.labelled
      ? `accuracy on ${a.samples} samples: original ${pct(a.original)}, LUT ${pct(a.lut)}, drop ${a.drop!.toFixed(2)} points, agreement ${pct(a.agreement)}`
      : `agreement with the original model on ${a.samples} samples (no labels): ${pct(a.agreement)}`,
  );
  const b = r.beforeFinetune;
  if (b) {
    lines.push(a.labelled
      ? `before fine-tuning: LUT ${pct(b.lut)}, drop ${b.drop!.toFixed(2)} points, agreement ${pct(b.agreement)}`
      : `before fine-tuning: agreement ${pct(b.agreement)}`);
  }
  const t = r.totals;
  lines.push(`tables ${t.tableBytes} B vs weights ${t.weightBytes} B (fp32), ${t.bitsPerActivation.toFixed(3)} bits per activation, ${t.wallTimeS.toFixed(1)} s, peak memory ${(t.peakMemoryBytes / 2 ** 20).toFixed(0)} MiB`);
  return lines;
}
