import type { ConversionReport } from '../reports/conversion';
import type { ExplorationReport } from '../reports/exploration';
import type { SimulationReport } from '../reports/simulation';
import { arr, attempt, bool, fail, int, num, numOrNull, numRecord, obj, oneOf, str, type Result } from './check';

/**
 * Runtime check of a report JSON (the three kinds of src/reports). The JSON schemas in schemas/ are the
 * full contract; this checks what the renderers rely on, so a broken file gives a message naming the field
 * rather than a blank or crashing panel. Runs in the extension host and in the webview.
 */
export type ReportKind = 'conversion' | 'simulation' | 'exploration';
export type AnyReport = ConversionReport | SimulationReport | ExplorationReport;
export const REPORT_KINDS: readonly ReportKind[] = ['conversion', 'simulation', 'exploration'];

const STAGES = ['kmeans', 'centroids', 'tables', 'finetune', 'quantize'] as const;
const METRICS = ['l2', 'l1', 'chebyshev'] as const;
const PRECISIONS = ['int4', 'int8', 'fp16', 'bf16'] as const;

function checkConversion(r: Record<string, unknown>): void {
  str(r.model, 'model');
  str(r.source, 'source');
  str(r.output, 'output');
  const c = obj(r.config, 'config');
  int(c.centroids, 'config.centroids');
  int(c.vector, 'config.vector');
  oneOf(c.metric, 'config.metric', METRICS);
  oneOf(c.precision, 'config.precision', PRECISIONS);
  arr(c.stages, 'config.stages').forEach((s, i) => oneOf(s, `config.stages[${i}]`, STAGES));
  const a = obj(r.accuracy, 'accuracy');
  numOrNull(a.original, 'accuracy.original');
  numOrNull(a.lut, 'accuracy.lut');
  numOrNull(a.drop, 'accuracy.drop');
  num(a.agreement, 'accuracy.agreement');
  int(a.samples, 'accuracy.samples');
  bool(a.labelled, 'accuracy.labelled');
  arr(r.layers, 'layers').forEach((l, i) => {
    const p = `layers[${i}]`;
    const o = obj(l, p);
    str(o.name, `${p}.name`);
    str(o.op, `${p}.op`);
    for (const k of ['m', 'k', 'n', 'centroids', 'vector', 'tableEntries', 'tableBytes', 'weightBytes', 'relativeError']) num(o[k], `${p}.${k}`);
    oneOf(o.metric, `${p}.metric`, METRICS);
    oneOf(o.precision, `${p}.precision`, PRECISIONS);
    if (o.keptDense !== undefined) {
      const d = obj(o.keptDense, `${p}.keptDense`);
      numOrNull(d.drop, `${p}.keptDense.drop`);
      num(d.agreement, `${p}.keptDense.agreement`);
      if (d.dropSe !== undefined) numOrNull(d.dropSe, `${p}.keptDense.dropSe`);
    }
    arr(o.stages, `${p}.stages`).forEach((s, j) => {
      const q = `${p}.stages[${j}]`;
      const so = obj(s, q);
      oneOf(so.stage, `${q}.stage`, STAGES);
      num(so.heldOutErrorBefore, `${q}.heldOutErrorBefore`);
      num(so.heldOutErrorAfter, `${q}.heldOutErrorAfter`);
      bool(so.kept, `${q}.kept`);
      num(so.timeS, `${q}.timeS`);
    });
  });
  arr(r.kept, 'kept').forEach((k, i) => {
    const o = obj(k, `kept[${i}]`);
    str(o.name, `kept[${i}].name`);
    str(o.op, `kept[${i}].op`);
    str(o.reason, `kept[${i}].reason`);
  });
  const t = obj(r.totals, 'totals');
  for (const k of ['tableBytes', 'weightBytes', 'bitsPerActivation', 'wallTimeS', 'peakMemoryBytes']) num(t[k], `totals.${k}`);
  if (r.training !== undefined) {
    arr(r.training, 'training').forEach((e, i) => {
      const o = obj(e, `training[${i}]`);
      num(o.epoch, `training[${i}].epoch`);
      num(o.loss, `training[${i}].loss`);
      num(o.heldOutAgreement, `training[${i}].heldOutAgreement`);
    });
  }
}

function checkTotals(v: unknown, p: string): void {
  const t = obj(v, p);
  for (const k of ['cycles', 'latencyS', 'energyJ', 'powerW', 'areaMM2', 'gops', 'gopsPerW', 'gopsPerMM2']) num(t[k], `${p}.${k}`);
  numRecord(t.areaBreakdownMM2, `${p}.areaBreakdownMM2`);
  numRecord(t.energyBreakdownJ, `${p}.energyBreakdownJ`);
}

function checkSimulation(r: Record<string, unknown>): void {
  str(r.model, 'model');
  str(r.accelerator, 'accelerator');
  oneOf(r.mode, 'mode', ['fast', 'reference'] as const);
  obj(r.config, 'config');
  arr(r.layers, 'layers').forEach((l, i) => {
    const p = `layers[${i}]`;
    const o = obj(l, p);
    str(o.name, `${p}.name`);
    str(o.op, `${p}.op`);
    for (const k of ['m', 'k', 'n', 'centroids', 'vector', 'cycles', 'ccmCycles', 'immCycles', 'dmaCycles', 'stallCycles', 'utilization', 'dramBytes']) num(o[k], `${p}.${k}`);
    numRecord(o.energyPJ, `${p}.energyPJ`);
  });
  arr(r.dense, 'dense').forEach((d, i) => {
    const o = obj(d, `dense[${i}]`);
    str(o.name, `dense[${i}].name`);
    str(o.op, `dense[${i}].op`);
    str(o.reason, `dense[${i}].reason`);
  });
  checkTotals(r.totals, 'totals');
  arr(r.baselines, 'baselines').forEach((b, i) => {
    const o = obj(b, `baselines[${i}]`);
    str(o.name, `baselines[${i}].name`);
    str(o.description, `baselines[${i}].description`);
    checkTotals(o, `baselines[${i}]`);
  });
  arr(r.ratios, 'ratios').forEach((x, i) => {
    const o = obj(x, `ratios[${i}]`);
    str(o.baseline, `ratios[${i}].baseline`);
    num(o.powerEfficiency, `ratios[${i}].powerEfficiency`);
    num(o.areaEfficiency, `ratios[${i}].areaEfficiency`);
  });
}

function exploreValue(v: unknown, p: string): void {
  if (typeof v === 'string') str(v, p);
  else num(v, p);
}

function checkExploration(r: Record<string, unknown>): void {
  str(r.config, 'config');
  arr(r.objectives, 'objectives').forEach((o, i) => str(o, `objectives[${i}]`));
  arr(r.constraints, 'constraints').forEach((c, i) => {
    const o = obj(c, `constraints[${i}]`);
    str(o.metric, `constraints[${i}].metric`);
    str(o.op, `constraints[${i}].op`);
    num(o.value, `constraints[${i}].value`);
  });
  arr(r.axes, 'axes').forEach((a, i) => {
    const o = obj(a, `axes[${i}]`);
    str(o.path, `axes[${i}].path`);
    arr(o.values, `axes[${i}].values`).forEach((v, j) => exploreValue(v, `axes[${i}].values[${j}]`));
  });
  const ids = new Set<number>();
  arr(r.points, 'points').forEach((pt, i) => {
    const p = `points[${i}]`;
    const o = obj(pt, p);
    const id = int(o.id, `${p}.id`);
    if (ids.has(id)) fail(`${p}.id`, `duplicate point id ${id}`);
    ids.add(id);
    const s = obj(o.settings, `${p}.settings`);
    for (const [k, v] of Object.entries(s)) exploreValue(v, `${p}.settings.${k}`);
    numRecord(o.figures, `${p}.figures`, true);
    bool(o.feasible, `${p}.feasible`);
    bool(o.pareto, `${p}.pareto`);
    if (o.note !== undefined) str(o.note, `${p}.note`);
  });
  num(r.wallTimeS, 'wallTimeS');
}

/** Checks a parsed report JSON; the error names the first wrong field. */
export function validateReport(value: unknown): Result<AnyReport> {
  return attempt(() => {
    const r = obj(value, '');
    const kind = oneOf(r.kind, 'kind', REPORT_KINDS);
    if (r.version !== 1) fail('version', `expected 1 (this extension reads version 1 ${kind} reports)`);
    if (kind === 'conversion') checkConversion(r);
    else if (kind === 'simulation') checkSimulation(r);
    else checkExploration(r);
    return value as AnyReport;
  });
}

/** Report kind from a file name such as `mnist.conversion.json`, or undefined. */
export function reportKindOfFile(fileName: string): ReportKind | undefined {
  const m = /\.(conversion|simulation|exploration)\.json$/i.exec(fileName);
  return m ? (m[1].toLowerCase() as ReportKind) : undefined;
}
