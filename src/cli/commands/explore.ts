import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveConfigPath } from '../../dsl';
import { OnnxFormatError } from '../../onnx/types';
import { loadAccuracyIndex } from '../../sim/accuracy';
import { pickAccelerator } from '../../sim/configInput';
import { DEFAULT_LUT } from '../../sim/defaults';
import { DEFAULT_MAX_POINTS, explorationCsv, runExploration } from '../../sim/explore';
import { workloadFromOnnx } from '../../sim/onnxWorkload';
import { SimInputError } from '../../sim/workload';
import { AtomicOutput } from '../../util/atomicOutput';
import { flagInt, flagString, loadCheckedConfig } from '../flags';
import { htmlOption, writeHtmlReport } from '../htmlReport';
import { UserError, type CliCommand } from '../command';

export const exploreCommand: CliCommand = {
  name: 'explore',
  summary: 'sweep the explore block of a .lutdla config: every design point, constraints, Pareto front',
  usage: 'lutdla explore FILE.lutdla --out DIR [--workers N] [--max-points N]',
  options: {
    out: { type: 'string', description: 'folder for <config>.exploration.json and .csv' },
    workers: { type: 'string', description: 'worker threads (default: the available cores, at most 8)' },
    'max-points': { type: 'string', description: `refuse sweeps larger than this (default ${DEFAULT_MAX_POINTS})` },
    html: htmlOption,
  },
  async run(ctx) {
    const file = ctx.positionals[0];
    if (!file || ctx.positionals.length > 1) throw new UserError(`explore takes one config: ${this.usage}`);
    const outDir = flagString(ctx.options, 'out');
    if (!outDir) throw new UserError('explore needs --out DIR (the folder for the reports)');
    const workers = flagInt(ctx.options, 'workers', 1);
    const maxPoints = flagInt(ctx.options, 'max-points', 1) ?? DEFAULT_MAX_POINTS;
    const out = new AtomicOutput(outDir);
    try {
      const doc = loadCheckedConfig(file);
      const explore = doc.explore;
      if (!explore) throw new UserError(`${file} has no explore block; add explore { vary lut.centroids = [8, 16]  minimize = [latency, area] }`);
      if (!explore.axes.length) throw new UserError(`${file}: the explore block varies nothing; add at least one 'vary <path> = [...]'`);
      const acc = pickAccelerator(doc, explore.accelerator, file);
      const model = explore.model !== undefined ? doc.models.find((m) => m.name === explore.model) : doc.models[0];
      if (!model) {
        throw new UserError(explore.model !== undefined
          ? `${file}: explore names model '${explore.model}' but there is no such model block`
          : `${file}: explore needs a workload: add model "name" { onnx = "model.onnx" } (the explorer simulates that model's layers)`);
      }
      if (!model.onnx) throw new UserError(`${file}: model '${model.name}' has no onnx file; the explorer needs one for its workload (onnx = "model.onnx")`);
      let onnxPath: string;
      try {
        onnxPath = resolveConfigPath(file, model.onnx);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (!fs.existsSync(onnxPath)) throw new UserError(`${file}: model '${model.name}': ${model.onnx} does not exist (convert or copy the model there first)`);
      const baseLut = { ...(doc.lut ?? DEFAULT_LUT), ...(model.lut ?? {}) };
      ctx.events.progress('analyze', `reading ${path.basename(onnxPath)}`, 0);
      const workload = await workloadFromOnnx(onnxPath, { name: model.name, inputShape: model.inputShape, lut: baseLut, model: { keep: model.keep, layers: model.layers } });
      const accuracy = loadAccuracyIndex([path.dirname(path.resolve(file)), outDir, path.dirname(onnxPath)], { model: model.name, source: path.basename(onnxPath) });
      const name = path.basename(file).replace(/\.lutdla$/i, '');
      let lastPct = -1;
      const report = await runExploration({
        workload, base: acc, explore, configName: path.basename(file), baseLut, accuracy, workers, maxPoints, signal: ctx.signal,
        onProgress: (done, total) => {
          const pct = Math.floor((100 * done) / total);
          if (pct !== lastPct) {
            lastPct = pct;
            ctx.events.progress('explore', `${done}/${total} points`, done / total);
          }
        },
      });
      if (ctx.signal.aborted) throw ctx.signal.reason;
      out.write(`${name}.exploration.json`, JSON.stringify(report, null, 1) + '\n');
      out.write(`${name}.exploration.csv`, explorationCsv(report));
      if (ctx.options.html === true) writeHtmlReport(out, `${name}.exploration.json`, report);
      const files = out.commit();
      const front = report.points.filter((p) => p.pareto);
      const feasible = report.points.filter((p) => p.feasible).length;
      if (!ctx.events.json) {
        ctx.stdout(`${report.points.length} points, ${feasible} feasible, ${front.length} on the Pareto front of ${report.objectives.join(', ')} (${report.workers} worker(s), ${report.wallTimeS.toFixed(2)} s)`);
        for (const p of front.slice(0, 20)) {
          const s = Object.entries(p.settings).map(([k, v]) => `${k}=${v}`).join(' ');
          const f = report.objectives.map((o) => `${o}=${p.figures[o] === null ? 'n/a' : Number(p.figures[o]).toPrecision(4)}`).join(' ');
          ctx.stdout(`  #${p.id} ${s}  ${f}`);
        }
        if (front.length > 20) ctx.stdout(`  ... ${front.length - 20} more in the report`);
        for (const n of report.notes ?? []) ctx.stdout(`note: ${n}`);
      }
      ctx.events.emit({ type: 'result', files, summary: { points: report.points.length, feasible, pareto: front.length, wallTimeS: report.wallTimeS } });
      return 0;
    } catch (err) {
      out.abort();
      if (err instanceof SimInputError || err instanceof OnnxFormatError) throw new UserError(err.message);
      throw err;
    }
  },
};
