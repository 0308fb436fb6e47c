import * as fs from 'node:fs';
import * as path from 'node:path';
import { METRICS, PRECISIONS, type Metric, type Precision } from '../../dsl/config';
import { scanConfig, type ConfigBlock } from '../configScan';
import { JOB_COMMANDS, outputBaseName, resolveOutputFolder, type JobCommand, type JobSpec } from './jobSpec';

/**
 * Turns a loose job request (a tasks.json entry, or the argument object of a `lutdla.*` command) into a JobSpec
 * with absolute paths. Host-agnostic: no `vscode` import; `baseDir` is the workspace folder the paths are relative to.
 */
export interface JobRequest {
  command: JobCommand;
  config?: string;
  model?: string;
  modelName?: string;
  accelerator?: string;
  out?: string;
  mode?: string;
  centroids?: number | string;
  vector?: number | string;
  metric?: string;
  precision?: string;
  calibration?: string;
  evaluation?: string;
  labels?: string;
  calibrationLabels?: string;
}

export class JobRequestError extends Error {}

function abs(baseDir: string, p: string | undefined): string | undefined {
  if (p === undefined || p === '') return undefined;
  const expanded = p.replace(/\$\{workspaceFolder\}/g, baseDir);
  return path.resolve(baseDir, expanded);
}

function positiveInt(name: string, v: number | string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new JobRequestError(`${name} must be a positive whole number, got ${JSON.stringify(v)}`);
  return n;
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined || v === '') return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new JobRequestError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** The model block a request means: the named one, else the only/first one. */
export function pickModelBlock(blocks: ConfigBlock[], name: string | undefined): ConfigBlock | undefined {
  const models = blocks.filter((b) => b.kind === 'model');
  return name ? models.find((b) => b.name === name) : models[0];
}

export function readConfigBlocks(configPath: string): ConfigBlock[] {
  let text: string;
  try {
    text = fs.readFileSync(configPath, 'utf8');
  } catch (e) {
    throw new JobRequestError(`cannot read the config ${configPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return scanConfig(text);
}

export function resolveJob(req: JobRequest, baseDir: string, outputFolderSetting: string): JobSpec {
  if (!JOB_COMMANDS.includes(req.command)) {
    throw new JobRequestError(`command must be one of ${JOB_COMMANDS.join(', ')}, got ${JSON.stringify(req.command)}`);
  }
  const config = abs(baseDir, req.config);
  let model = abs(baseDir, req.model);
  let modelName = req.modelName || undefined;
  const outGiven = abs(baseDir, req.out);

  if (req.command === 'explore') {
    if (!config) throw new JobRequestError('explore needs a config (.lutdla) file');
    return { command: 'explore', config, out: outGiven ?? resolveOutputFolder(path.dirname(config), outputFolderSetting) };
  }

  // The model's own file decides the default output folder; with a config it comes from the model block.
  let modelFile = model;
  if (config) {
    const block = pickModelBlock(readConfigBlocks(config), modelName);
    if (modelName && !block) throw new JobRequestError(`the config ${path.basename(config)} has no model "${modelName}"`);
    if (block?.name) modelName = block.name;
    if (!modelFile && block?.onnx) modelFile = path.resolve(path.dirname(config), block.onnx);
  }
  if (!modelFile) {
    throw new JobRequestError(config ? `the model block of ${path.basename(config)} names no onnx file: add onnx = "model.onnx" or pass a model` : `${req.command} needs a model (.onnx) or a config (.lutdla)`);
  }
  const out = outGiven ?? resolveOutputFolder(path.dirname(modelFile), outputFolderSetting);

  if (req.command === 'convert') {
    return {
      command: 'convert',
      model: modelFile,
      config,
      modelName: config ? modelName : undefined,
      out,
      centroids: positiveInt('centroids', req.centroids),
      vector: positiveInt('vector', req.vector),
      metric: oneOf<Metric>('metric', req.metric, METRICS),
      precision: oneOf<Precision>('precision', req.precision, PRECISIONS),
      calibration: abs(baseDir, req.calibration),
      evaluation: abs(baseDir, req.evaluation),
      labels: abs(baseDir, req.labels),
      calibrationLabels: abs(baseDir, req.calibrationLabels),
    };
  }
  // Simulate the converted model when it exists, else the original (the engine then models it from the config).
  if (!model) {
    const lut = path.join(out, `${outputBaseName({ command: 'convert', model: modelFile, config, modelName: config ? modelName : undefined, out })}.lut.onnx`);
    model = fs.existsSync(lut) ? lut : modelFile;
  }
  return {
    command: 'simulate',
    model,
    config,
    modelName: config ? modelName : undefined,
    accelerator: req.accelerator || undefined,
    mode: oneOf('mode', req.mode, ['fast', 'reference'] as const),
    out,
  };
}
