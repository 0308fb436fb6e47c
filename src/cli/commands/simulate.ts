import * as path from 'node:path';
import { resolveConfigPath } from '../../dsl';
import type { LutdlaDocument, ModelConfig } from '../../dsl/config';
import { OnnxFormatError } from '../../onnx/types';
import type { SimulationReport } from '../../reports/simulation';
import { pickAccelerator } from '../../sim/configInput';
import { DEFAULT_LUT } from '../../sim/defaults';
import { workloadFromOnnx } from '../../sim/onnxWorkload';
import { simulateWorkload, type SimMode } from '../../sim/simulate';
import { SimInputError } from '../../sim/workload';
import { AtomicOutput } from '../../util/atomicOutput';
import { flagString as str, flagShape, loadCheckedConfig, lutFlags } from '../flags';
import { htmlOption, writeHtmlReport } from '../htmlReport';
import { UserError, type CliCommand } from '../command';

/** The config's model block whose onnx path is this model, if any (for its keep list and layer overrides). */
function modelBlockFor(doc: LutdlaDocument | undefined, configFile: string | undefined, modelFile: string): ModelConfig | undefined {
  if (!doc || !configFile) return undefined;
  const want = path.resolve(modelFile);
  return doc.models.find((m) => {
    if (!m.onnx) return false;
    try {
      return resolveConfigPath(configFile, m.onnx) === want;
    } catch {
      return false;
    }
  });
}

function fmt(x: number, digits = 3): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e6 || a < 1e-3 ? x.toExponential(digits - 1) : x.toPrecision(digits);
}

export function summaryTable(r: SimulationReport): string[] {
  const head = ['layer', 'M', 'K', 'N', 'c', 'v', 'cycles', 'stall', 'util', 'DRAM B', 'energy uJ'];
  const rows = r.layers.map((l) => [
    l.name, String(l.m), String(l.k), String(l.n) + ((l.groups ?? 1) > 1 ? `x${l.groups}` : ''), String(l.centroids), String(l.vector),
    String(l.cycles), String(l.stallCycles), l.utilization.toFixed(2), fmt(l.dramBytes), fmt(Object.values(l.energyPJ).reduce((a, b) => a + b, 0) / 1e6),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  const t = r.totals;
  const out = [line(head), ...rows.map(line), ''];
  out.push(`total: ${t.cycles} cycles, ${fmt(t.latencyS * 1e3)} ms, ${fmt(t.energyJ * 1e3)} mJ, ${fmt(t.powerW)} W, ${fmt(t.areaMM2)} mm2, ${fmt(t.gops)} GOPS, ${fmt(t.gopsPerW)} GOPS/W, ${fmt(t.gopsPerMM2)} GOPS/mm2`);
  for (const q of r.ratios) out.push(`vs ${q.baseline}: power efficiency x${fmt(q.powerEfficiency)}, area efficiency x${fmt(q.areaEfficiency)}`);
  for (const d of r.dense) out.push(`dense (not accelerated): ${d.name} (${d.op}): ${d.reason}`);
  for (const n of r.notes ?? []) out.push(`note: ${n}`);
  return out;
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'simulate an ONNX (LUT) model on a LUT-DLA accelerator: cycles, energy, area, baselines',
  usage: 'lutdla simulate MODEL.onnx [--config FILE.lutdla [--accelerator NAME]] --out DIR [--mode fast|reference]',
  options: {
    config: { type: 'string', description: '.lutdla file with the accelerator (and lut, model blocks)' },
    accelerator: { type: 'string', description: 'which accelerator block of the config (default: the first)' },
    out: { type: 'string', description: 'folder for <model>.simulation.json' },
    mode: { type: 'string', default: 'fast', description: "'fast' (event-level, default) or 'reference' (cycle by cycle; small models)" },
    centroids: { type: 'string', description: 'c for layers the model does not record as converted' },
    vector: { type: 'string', description: 'v for layers the model does not record as converted' },
    metric: { type: 'string', description: 'l2 | l1 | chebyshev, for layers not recorded as converted' },
    precision: { type: 'string', description: 'int4 | int8 | fp16 | bf16, for layers not recorded as converted' },
    'input-shape': { type: 'string', description: 'shape of the model input, e.g. 1,3,224,224 (default: the declared shape, unknown dims 1)' },
    html: htmlOption,
  },
  async run(ctx) {
    const o = ctx.options;
    const modelFile = ctx.positionals[0];
    if (!modelFile || ctx.positionals.length > 1) throw new UserError(`simulate takes one model: ${this.usage}`);
    const outDir = str(o, 'out');
    if (!outDir) throw new UserError('simulate needs --out DIR (the folder for the report)');
    const mode = str(o, 'mode') ?? 'fast';
    if (mode !== 'fast' && mode !== 'reference') throw new UserError(`--mode takes 'fast' or 'reference', not '${mode}'`);
    const configFile = str(o, 'config');
    if (str(o, 'accelerator') !== undefined && !configFile) throw new UserError('--accelerator names a block of a config: give --config FILE.lutdla too');
    const out = new AtomicOutput(outDir);
    try {
      const doc = configFile ? loadCheckedConfig(configFile) : undefined;
      const acc = pickAccelerator(doc, str(o, 'accelerator'), configFile);
      const flags = lutFlags(o);
      const inputShape = flagShape(o);
      const block = modelBlockFor(doc, configFile, modelFile);
      const name = path.basename(modelFile).replace(/\.onnx$/i, '');
      ctx.events.progress('analyze', `reading ${path.basename(modelFile)}`, 0);
      const workload = await workloadFromOnnx(modelFile, {
        name, inputShape, lut: { ...(doc?.lut ?? DEFAULT_LUT), ...flags }, model: block ? { keep: block.keep, layers: block.layers, lut: block.lut } : undefined,
      });
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const report = simulateWorkload(workload, acc, {
        mode: mode as SimMode,
        signal: ctx.signal,
        onLayer: (i, n, layer) => ctx.events.progress('simulate', `${layer} (${i + 1}/${n})`, i / n, layer),
      });
      out.write(`${name}.simulation.json`, JSON.stringify(report, null, 2) + '\n');
      if (o.html === true) writeHtmlReport(out, `${name}.simulation.json`, report);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const files = out.commit();
      ctx.events.progress('simulate', 'done', 1);
      if (!ctx.events.json) for (const l of summaryTable(report)) ctx.stdout(l);
      const t = report.totals;
      ctx.events.emit({ type: 'result', files, summary: { cycles: t.cycles, latencyS: t.latencyS, energyJ: t.energyJ, powerW: t.powerW, areaMM2: t.areaMM2, gopsPerW: t.gopsPerW, gopsPerMM2: t.gopsPerMM2 } });
      return 0;
    } catch (err) {
      out.abort();
      if (err instanceof SimInputError || err instanceof OnnxFormatError) throw new UserError(err.message);
      if (err instanceof RangeError && /reference mode/.test(err.message)) throw new UserError(err.message);
      throw err;
    }
  },
};
