import * as path from 'node:path';
import type { Metric, Precision } from '../../dsl/config';

/**
 * What a job is, independent of how it was asked for (command arguments, quick picks, a tasks.json entry),
 * and how it becomes `lutdla` CLI arguments and output file names. Host-agnostic.
 */

export interface LutOverrides {
  centroids?: number;
  vector?: number;
  metric?: Metric;
  precision?: Precision;
  calibration?: string;
  evaluation?: string;
  labels?: string;
  calibrationLabels?: string;
}

export interface ConvertSpec extends LutOverrides {
  command: 'convert';
  /** The .onnx model (absolute); optional when the config's model block names it. */
  model?: string;
  config?: string;
  /** Which `model "NAME"` block of the config. */
  modelName?: string;
  out: string;
}

export interface SimulateSpec {
  command: 'simulate';
  model?: string;
  config?: string;
  modelName?: string;
  accelerator?: string;
  mode?: 'fast' | 'reference';
  out: string;
}

export interface ExploreSpec {
  command: 'explore';
  config: string;
  out: string;
}

export type JobSpec = ConvertSpec | SimulateSpec | ExploreSpec;

export const JOB_COMMANDS = ['convert', 'simulate', 'explore'] as const;
export type JobCommand = (typeof JOB_COMMANDS)[number];

/** The CLI argument list (without `--progress=json`, which the runner adds). */
export function cliArgs(spec: JobSpec): string[] {
  const args: string[] = [spec.command];
  const opt = (name: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') args.push(`--${name}`, String(value));
  };
  switch (spec.command) {
    case 'convert':
      if (spec.model) args.push(spec.model);
      opt('config', spec.config);
      opt('model', spec.modelName);
      opt('out', spec.out);
      opt('centroids', spec.centroids);
      opt('vector', spec.vector);
      opt('metric', spec.metric);
      opt('precision', spec.precision);
      opt('calibration', spec.calibration);
      opt('evaluation', spec.evaluation);
      opt('labels', spec.labels);
      opt('calibration-labels', spec.calibrationLabels);
      break;
    case 'simulate':
      if (spec.model) args.push(spec.model);
      opt('config', spec.config);
      opt('accelerator', spec.accelerator);
      opt('mode', spec.mode);
      opt('out', spec.out);
      break;
    case 'explore':
      args.push(spec.config);
      opt('out', spec.out);
      break;
  }
  return args;
}

/** The base name the engine gives its outputs: the model block's name, else the model file's name. */
export function outputBaseName(spec: JobSpec): string {
  // simulate names its report after the model file it reads (x.lut.onnx -> x.lut.simulation.json).
  if (spec.command === 'simulate' && spec.model) return path.basename(spec.model).replace(/\.onnx$/i, '');
  if (spec.command === 'convert' && spec.modelName) return spec.modelName;
  const file = spec.command === 'explore' ? spec.config : spec.model ?? spec.config ?? 'model';
  return path.basename(file).replace(/\.lut\.onnx$/i, '').replace(/\.(onnx|lutdla)$/i, '');
}

/** The files a job is expected to write (checked before running, so nothing is overwritten without asking). */
export function expectedOutputs(spec: JobSpec): string[] {
  const name = outputBaseName(spec);
  switch (spec.command) {
    case 'convert':
      return [path.join(spec.out, `${name}.lut.onnx`), path.join(spec.out, `${name}.conversion.json`)];
    case 'simulate':
      return [path.join(spec.out, `${name}.simulation.json`)];
    case 'explore':
      return [path.join(spec.out, `${name}.exploration.json`), path.join(spec.out, `${name}.exploration.csv`)];
  }
}

/** The report among a job's result files (the panel to open afterwards). */
export function reportFile(files: readonly string[]): string | undefined {
  return files.find((f) => /\.(conversion|simulation|exploration)\.json$/i.test(f));
}

/** A short human title: "Convert mnist", "Explore edge". */
export function jobTitle(spec: JobSpec): string {
  const verb = spec.command[0].toUpperCase() + spec.command.slice(1);
  return `${verb} ${outputBaseName(spec)}`;
}

/** The output folder: the `lutdla.output.folder` setting (absolute, or relative to `baseDir`, the model's folder). */
export function resolveOutputFolder(baseDir: string, folder: string | undefined): string {
  const f = (folder ?? '').trim();
  if (!f) return baseDir;
  return path.isAbsolute(f) ? path.normalize(f) : path.resolve(baseDir, f);
}

/** The file a job is about (its config, else its model): errors without a location are attached to it. */
export function primaryFile(spec: JobSpec): string | undefined {
  return spec.config ?? (spec.command === 'explore' ? undefined : spec.model);
}
