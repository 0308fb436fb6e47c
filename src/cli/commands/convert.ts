import * as path from 'node:path';
import { resolveConfigPath } from '../../dsl';
import { LUTBOOST_STAGES, type LutboostSettings, type LutboostStage, type LutSettings, type ModelConfig } from '../../dsl/config';
import { Dataset, readLabels } from '../../data/dataset';
import { DataError } from '../../data/errors';
import { PathEscapeError } from '../../data/safePath';
import { readModel, writeModel } from '../../onnx/model';
import { OrtLoadError, OrtRunError } from '../../onnx/runtime';
import { OnnxFormatError } from '../../onnx/types';
import { evaluate, type Evaluation } from '../../lutboost/evaluate';
import { ConversionError, convertModel, type ConvertInput } from '../../lutboost/pipeline';
import { buildReport, formatReport } from '../../lutboost/report';
import { measureLayersKeptDense, type LayerKeptDense } from '../../lutboost/sensitivity';
import { AtomicOutput } from '../../util/atomicOutput';
import { flagInt, flagNumber, flagNumberList, flagRange, flagShape, flagString, loadCheckedConfig, lutFlags } from '../flags';
import { htmlOption, writeHtmlReport } from '../htmlReport';
import { UserError, type CliCommand, type CommandContext } from '../command';

const DEFAULT_LUTBOOST: LutboostSettings = { stages: ['kmeans', 'centroids', 'tables', 'quantize'], iterations: 20, samples: 65536, seed: 1, holdout: 0.2 };

/** Maps the engine's input errors to one-line user errors; anything else stays an internal error. */
function asUserError(e: unknown): unknown {
  if (e instanceof UserError) return e;
  if (e instanceof OnnxFormatError || e instanceof DataError || e instanceof ConversionError || e instanceof PathEscapeError) return new UserError(e.message);
  if (e instanceof OrtLoadError) return new UserError(`${e.model}: onnxruntime cannot load it: ${e.detail}`);
  if (e instanceof OrtRunError) return new UserError(`${e.model}: onnxruntime failed to run it: ${e.detail} (does the data fit the model input? see --input-shape)`);
  return e;
}

interface Plan {
  name: string;
  modelPath: string;
  lut: LutSettings;
  lutboost: LutboostSettings;
  keep: string[];
  layers: ModelConfig['layers'];
  calibration: string;
  calibrationRange?: [number, number];
  evaluation?: string;
  evaluationRange?: [number, number];
  labels?: string;
  calibrationLabels?: string;
  preprocess: { scale?: number; mean?: number[]; std?: number[] };
  inputShape?: number[];
}

/** Config (if any) first, flags over it. Paths from the config are relative to its folder, from flags to the cwd. */
function makePlan(ctx: CommandContext): Plan {
  if (ctx.positionals.length > 1) throw new UserError(`convert takes one model, got ${ctx.positionals.length}: ${ctx.positionals.join(' ')}`);
  const configFile = flagString(ctx.options, 'config');
  let model: ModelConfig | undefined;
  let lut: LutSettings = { centroids: 16, vector: 4, metric: 'l2', precision: 'int8' };
  const fromConfig = (rel: string | undefined, what: string): string | undefined => {
    if (rel === undefined || !configFile) return undefined;
    try {
      return resolveConfigPath(configFile, rel);
    } catch (e) {
      throw new UserError(`${what}: ${(e as Error).message}`);
    }
  };
  if (configFile) {
    const document = loadCheckedConfig(configFile);
    lut = { ...document.lut };
    const wanted = flagString(ctx.options, 'model');
    if (wanted !== undefined) {
      model = document.models.find((m) => m.name === wanted);
      if (!model) throw new UserError(`${configFile}: no model "${wanted}" (models: ${document.models.map((m) => m.name).join(', ') || 'none'})`);
    } else if (document.models.length > 1) {
      throw new UserError(`${configFile} describes ${document.models.length} models (${document.models.map((m) => m.name).join(', ')}); choose one with --model NAME`);
    } else model = document.models[0];
    if (model?.lut) lut = { ...lut, ...model.lut };
  } else if (flagString(ctx.options, 'model') !== undefined) {
    throw new UserError('--model NAME picks a model block of a config: give --config FILE.lutdla too');
  }
  const modelPath = ctx.positionals[0] ?? fromConfig(model?.onnx, 'model');
  if (!modelPath) throw new UserError('convert needs a model: lutdla convert MODEL.onnx --out DIR, or a --config whose model block sets onnx = "..."');

  lut = { ...lut, ...lutFlags(ctx.options) };
  const lutboost: LutboostSettings = { ...DEFAULT_LUTBOOST, ...(model?.lutboost ?? {}) };
  const stages = flagString(ctx.options, 'stages');
  if (stages !== undefined) {
    const list = stages.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = list.filter((s) => !LUTBOOST_STAGES.includes(s as LutboostStage));
    if (bad.length || !list.length) throw new UserError(`--stages takes a comma-separated list of ${LUTBOOST_STAGES.join(', ')}; '${bad.join(',') || stages}' is not one`);
    lutboost.stages = LUTBOOST_STAGES.filter((s) => list.includes(s));
  }
  lutboost.seed = flagInt(ctx.options, 'seed', 0) ?? lutboost.seed;
  lutboost.samples = flagInt(ctx.options, 'samples', 1) ?? lutboost.samples;
  lutboost.iterations = flagInt(ctx.options, 'iterations', 1) ?? lutboost.iterations;
  const holdout = flagNumber(ctx.options, 'holdout');
  if (holdout !== undefined && !(holdout > 0 && holdout < 1)) throw new UserError(`--holdout takes a fraction between 0 and 1 (e.g. 0.2), not ${holdout}`);
  lutboost.holdout = holdout ?? lutboost.holdout;
  if (ctx.options.sensitivity === true) lutboost.sensitivity = true;

  const calibration = flagString(ctx.options, 'calibration') ?? fromConfig(model?.calibration, 'calibration');
  if (!calibration) throw new UserError('convert needs calibration data: --calibration FILE (.npy, .npz, .pb, idx), or calibration = "..." in the model block');
  const inputShape = flagShape(ctx.options) ?? model?.inputShape;
  const mp = model?.preprocess ?? {};
  return {
    name: model?.name ?? path.basename(modelPath).replace(/\.onnx$/i, ''),
    modelPath,
    lut,
    lutboost,
    keep: model?.keep ?? [],
    layers: model?.layers ?? [],
    calibration,
    calibrationRange: flagRange(ctx.options, 'calibration-range') ?? model?.calibrationRange,
    evaluation: flagString(ctx.options, 'evaluation') ?? fromConfig(model?.evaluation, 'evaluation'),
    evaluationRange: flagRange(ctx.options, 'evaluation-range') ?? model?.evaluationRange,
    labels: flagString(ctx.options, 'labels') ?? fromConfig(model?.labels, 'labels'),
    calibrationLabels: flagString(ctx.options, 'calibration-labels') ?? fromConfig(model?.calibrationLabels, 'calibration_labels'),
    preprocess: { scale: flagNumber(ctx.options, 'scale') ?? mp.scale, mean: flagNumberList(ctx.options, 'mean') ?? mp.mean, std: flagNumberList(ctx.options, 'std') ?? mp.std },
    inputShape,
  };
}

/**
 * Labels of the calibration samples for fine-tuning, with the file they came from: the calibration labels file if
 * one is named, else the labels file when the calibration samples come from the evaluation file (it labels both).
 */
function readCalibrationLabels(plan: Plan, count: number, evaluationLabels: Int32Array | undefined): { file: string; labels: Int32Array } | undefined {
  if (!plan.calibrationLabels && plan.evaluation && path.resolve(plan.evaluation) !== path.resolve(plan.calibration)) return undefined;
  const file = plan.calibrationLabels ?? plan.labels;
  if (!file) return undefined;
  // Without an evaluation file the evaluation samples are the calibration samples, and their labels are read already.
  if (!plan.calibrationLabels && !plan.evaluation) return evaluationLabels && { file, labels: evaluationLabels };
  const labels = readLabels(file, plan.calibrationRange);
  if (labels.length !== count) throw new UserError(`${file}: ${labels.length} labels for ${count} calibration samples; the calibration labels need the same rows as the calibration data (and its range)`);
  return { file, labels };
}

/** Output file stem: the model name with anything that is not a safe file-name character replaced. */
function fileStem(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.]+/, '');
  return s || 'model';
}

export const convertCommand: CliCommand = {
  name: 'convert',
  summary: 'convert an ONNX model to a lookup-table (LUT) model with LUTBoost and measure the accuracy drop',
  usage: 'lutdla convert [MODEL.onnx] [--config FILE.lutdla [--model NAME]] --out DIR [options]',
  options: {
    out: { type: 'string', description: 'output folder: writes <name>.lut.onnx and <name>.conversion.json' },
    config: { type: 'string', description: 'a .lutdla config (lut settings, model block with data, overrides)' },
    model: { type: 'string', description: 'which model block of the config' },
    centroids: { type: 'string', description: 'c, centroids per codebook (power of two)' },
    vector: { type: 'string', description: 'v, sub-vector length' },
    metric: { type: 'string', description: 'l2 | l1 | chebyshev' },
    precision: { type: 'string', description: 'table entries: int4 | int8 | fp16 | bf16' },
    calibration: { type: 'string', description: 'calibration inputs (.npy, .npz, .pb / test_data_set folder, idx[.gz])' },
    'calibration-range': { type: 'string', description: 'START:END samples of the calibration file' },
    evaluation: { type: 'string', description: 'evaluation inputs (default: the calibration data)' },
    labels: { type: 'string', description: 'labels of the evaluation data (.npy or idx): top-1 accuracy' },
    'evaluation-range': { type: 'string', description: 'START:END samples of the evaluation file (and labels)' },
    'calibration-labels': { type: 'string', description: 'labels of the calibration samples (.npy or idx), for finetune; only needed when --evaluation is another file' },
    scale: { type: 'string', description: 'multiply inputs by X first (e.g. 0.00392 for pixels / 255)' },
    mean: { type: 'string', description: 'per-channel mean to subtract, A[,B,C]' },
    std: { type: 'string', description: 'per-channel std to divide by, A[,B,C]' },
    stages: { type: 'string', description: 'LUTBoost stages, e.g. kmeans,centroids,tables,quantize' },
    seed: { type: 'string', description: 'random seed (same seed, same bytes)' },
    samples: { type: 'string', description: 'calibration rows sampled per layer (default 65536)' },
    iterations: { type: 'string', description: 'k-means iterations (default 20)' },
    holdout: { type: 'string', description: 'fraction of calibration samples held out to judge each stage (default 0.2)' },
    'input-shape': { type: 'string', description: 'model input shape, e.g. 1,1,28,28 (for symbolic dims)' },
    sensitivity: { type: 'boolean', description: 'also convert and evaluate again with each converted layer kept dense in turn (what keeping it buys)' },
    html: htmlOption,
  },
  async run(ctx) {
    const started = performance.now();
    const outDir = flagString(ctx.options, 'out');
    if (!outDir) throw new UserError('convert needs --out DIR (the folder for <name>.lut.onnx and <name>.conversion.json)');
    const plan = makePlan(ctx);
    const out = new AtomicOutput(outDir);
    const datasets: Dataset[] = [];
    try {
      ctx.events.progress('load', `reading ${plan.modelPath}`);
      const model = readModel(plan.modelPath);
      const calibration = Dataset.open(plan.calibration, { range: plan.calibrationRange, preprocess: plan.preprocess });
      datasets.push(calibration);
      const evaluation = plan.evaluation
        ? Dataset.open(plan.evaluation, { range: plan.evaluationRange, preprocess: plan.preprocess })
        : calibration;
      if (evaluation !== calibration) datasets.push(evaluation);
      let labels: Int32Array | undefined;
      if (plan.labels) {
        labels = readLabels(plan.labels, plan.evaluation ? plan.evaluationRange : plan.calibrationRange);
        if (labels.length !== evaluation.count) throw new UserError(`${plan.labels}: ${labels.length} labels for ${evaluation.count} evaluation samples; give matching ranges`);
      }
      // The trainer (src/train) registers itself as the finetune stage; loaded only when that stage is asked for.
      let calibrationLabels: Int32Array | undefined;
      if (plan.lutboost.stages.includes('finetune')) {
        await import('../../train/register');
        const labelled = readCalibrationLabels(plan, calibration.count, labels);
        calibrationLabels = labelled?.labels;
        ctx.events.log(labelled
          ? `fine-tuning learns from the labels in ${path.basename(labelled.file)} as well as from the original model`
          : `fine-tuning distils from the original model alone: the calibration samples have no labels${plan.labels ? ` (${path.basename(plan.labels)} labels the evaluation file; give calibration_labels = "..." or --calibration-labels to learn from labels too)` : ''}`, 'info');
      }
      const conversion: ConvertInput = {
        model, label: path.basename(plan.modelPath), calibration, calibrationLabels, inputShape: plan.inputShape,
        settings: { lut: plan.lut, lutboost: plan.lutboost, keep: plan.keep, layers: plan.layers },
        signal: ctx.signal,
        progress: (e) => ctx.events.progress(e.stage, e.message, e.fraction, e.layer),
        log: (m, level) => ctx.events.log(m, level),
      };
      const result = await convertModel(conversion);
      if (!plan.evaluation) ctx.events.log('no --evaluation data: accuracy is measured on the calibration data', 'warning');
      ctx.events.progress('evaluate', `original and LUT model on ${evaluation.count} samples`, 0);
      let lastShown = 0;
      const accuracy = await evaluate(model, result.lut, evaluation, result.input, labels, {
        label: path.basename(plan.modelPath), signal: ctx.signal, log: (m) => ctx.events.log(m, 'info'),
        progress: (done, total) => {
          if (done - lastShown >= total / 10 || done === total) {
            lastShown = done;
            ctx.events.progress('evaluate', `${done}/${total} samples`, done / total);
          }
        },
      });
      // What the finetune stage bought: the LUT model as the layer-by-layer stages left it, on the same data.
      let beforeFinetune: Evaluation | undefined;
      if (result.beforeFinetune) {
        ctx.events.progress('evaluate', `LUT model before fine-tuning on ${evaluation.count} samples`);
        beforeFinetune = await evaluate(model, result.beforeFinetune, evaluation, result.input, labels, {
          label: path.basename(plan.modelPath), signal: ctx.signal, originalClasses: accuracy.originalClasses,
        });
      }
      // What keeping each layer dense would buy, to choose the keep list: one more conversion per layer, without
      // fine-tuning, so compared with the LUT model before fine-tuning when that stage ran.
      let keptDense: Map<string, LayerKeptDense> | undefined;
      if (plan.lutboost.sensitivity && result.layers.length) {
        keptDense = await measureLayersKeptDense(conversion, result.layers.map((l) => l.name), model, evaluation, labels, beforeFinetune ?? accuracy, {
          progress: (layer, done, total, message) => ctx.events.progress('sensitivity',
            layer ? `${layer} kept dense (${done + 1}/${total})${message ? `: ${message}` : ''}` : `${total} layers measured`, done / total, layer || undefined),
        });
      }
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const stem = fileStem(plan.name);
      const lutName = `${stem}.lut.onnx`;
      const reportName = `${stem}.conversion.json`;
      const report = buildReport({
        model: plan.name, source: path.basename(plan.modelPath), output: lutName,
        config: { ...plan.lut, stages: plan.lutboost.stages, seed: plan.lutboost.seed },
        result, accuracy, beforeFinetune, keptDense, wallTimeS: (performance.now() - started) / 1000,
        peakMemoryBytes: process.resourceUsage().maxRSS * 1024,
      });
      out.write(lutName, writeModel(result.lut));
      out.write(reportName, JSON.stringify(report, null, 2) + '\n');
      if (ctx.options.html === true) writeHtmlReport(out, reportName, report);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const files = out.commit();
      if (!ctx.events.json) for (const line of formatReport(report)) ctx.stdout(line);
      ctx.events.emit({
        type: 'result', files,
        summary: { layers: report.layers.length, kept: report.kept.length, accuracy: report.accuracy, tableBytes: report.totals.tableBytes, wallTimeS: report.totals.wallTimeS },
      });
      return 0;
    } catch (e) {
      out.abort();
      throw asUserError(e);
    } finally {
      for (const d of datasets) d.close();
    }
  },
};

