import { formatDiagnostic, hasErrors, loadConfigFile } from '../dsl';
import type { AcceleratorConfig, LutdlaDocument, Metric, Precision } from '../dsl/config';
import { METRICS, PRECISIONS } from '../dsl/config';
import { completeAccelerator, DEFAULT_ACCELERATOR } from './defaults';
import { SimInputError, type LutParams } from './workload';

/** Loads a .lutdla config for the simulator; any error diagnostic becomes one SimInputError listing the first few. */
export function loadSimConfig(file: string): LutdlaDocument {
  const { document, diagnostics } = loadConfigFile(file);
  if (hasErrors(diagnostics)) {
    const errs = diagnostics.filter((d) => d.severity === 'error');
    const shown = errs.slice(0, 5).map((d) => formatDiagnostic(file, d)).join('\n');
    throw new SimInputError(`${file} has ${errs.length} error(s); fix them first (lutdla check ${file}):\n${shown}`);
  }
  return document;
}

/** The accelerator named `name` (or the first, or the default when the config has none). */
export function pickAccelerator(doc: LutdlaDocument | undefined, name: string | undefined, file = 'the config'): AcceleratorConfig {
  const accs = doc?.accelerators ?? [];
  if (name !== undefined) {
    const a = accs.find((x) => x.name === name);
    if (!a) {
      throw new SimInputError(accs.length
        ? `${file} has no accelerator named '${name}'; it has: ${accs.map((x) => `'${x.name}'`).join(', ')}`
        : `${file} defines no accelerator, so there is no '${name}'; add accelerator "${name}" { ... } or drop --accelerator`);
    }
    return completeAccelerator(a);
  }
  return accs.length ? completeAccelerator(accs[0]) : { ...DEFAULT_ACCELERATOR, ccm: { ...DEFAULT_ACCELERATOR.ccm }, imm: { ...DEFAULT_ACCELERATOR.imm }, fifo: { ...DEFAULT_ACCELERATOR.fifo }, memory: { ...DEFAULT_ACCELERATOR.memory } };
}

/** Parses `--input-shape 1,3,224,224` (also `1x3x224x224`). */
export function parseShape(text: string): number[] {
  const parts = text.trim().split(/\s*[,x]\s*/);
  const dims = parts.map(Number);
  if (!parts.every((p) => /^\d+$/.test(p)) || dims.some((d) => d < 1)) throw new SimInputError(`--input-shape takes positive integers separated by commas, e.g. 1,3,224,224; got '${text}'`);
  return dims;
}

/** LUT flags (--centroids --vector --metric --precision) as a partial override, validated. */
export function lutFlags(o: { centroids?: string; vector?: string; metric?: string; precision?: string }): Partial<LutParams> {
  const out: Partial<LutParams> = {};
  if (o.centroids !== undefined) {
    const c = Number(o.centroids);
    if (!Number.isInteger(c) || c < 2 || (c & (c - 1)) !== 0) throw new SimInputError(`--centroids takes a power of two >= 2, got '${o.centroids}'`);
    out.centroids = c;
  }
  if (o.vector !== undefined) {
    const v = Number(o.vector);
    if (!Number.isInteger(v) || v < 1) throw new SimInputError(`--vector takes a positive integer, got '${o.vector}'`);
    out.vector = v;
  }
  if (o.metric !== undefined) {
    if (!(METRICS as readonly string[]).includes(o.metric)) throw new SimInputError(`--metric takes one of ${METRICS.join(', ')}, got '${o.metric}'`);
    out.metric = o.metric as Metric;
  }
  if (o.precision !== undefined) {
    if (!(PRECISIONS as readonly string[]).includes(o.precision)) throw new SimInputError(`--precision takes one of ${PRECISIONS.join(', ')}, got '${o.precision}'`);
    out.precision = o.precision as Precision;
  }
  return out;
}
