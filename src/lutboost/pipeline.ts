import * as os from 'node:os';
import type { LayerOverride, LutboostSettings, LutSettings, Metric, Precision } from '../dsl/config';
import type { Dataset, ModelInput } from '../data/dataset';
import { analyzeModel, graphInputs, type ConvertibleLayer } from '../onnx/analysis';
import { createSession, forEachInFlight, release, runFloat, withExtraOutputs, type Session } from '../onnx/runtime';
import type { ModelProto } from '../onnx/types';
import type { ConversionLayer } from '../reports/conversion';
import { exportLutLayer } from './export';
import { finetuneHook, type FinetuneResult } from './finetune';
import { fitGemm, type GemmData, type StageRecord } from './fit';
import { globMatch } from './glob';
import type { LutGemm } from './lutGemm';
import { shiftGeometry, shiftSample, SHIFTS, variantsFor } from './augment';
import { WorkerPool } from './pool';
import { closeOrtMatmul } from './ortMatmul';
import { heldOutMask } from './holdout';
import { Rng } from './prng';
import { bytesPerEntry } from './quantize';
import { inputRows, outputRows, rowsPerSample } from './rows';

/**
 * Whether a layer's output is the model's class scores: a graph output itself, or one through a single Add of a
 * constant (a bias), possibly behind Identity / Flatten / Reshape nodes.
 */
function scoresLayer(model: ModelProto, output: string): boolean {
  const g = model.graph!;
  const outputs = new Set(g.output.map((o) => o.name));
  const constants = new Set(g.initializer.map((t) => t.name));
  let name = output;
  for (let hops = 0; hops < 4; hops++) {
    if (outputs.has(name)) return true;
    const users = g.node.filter((n) => n.input.includes(name));
    if (users.length !== 1) return false;
    const u = users[0];
    const passes = ['Identity', 'Flatten', 'Reshape'].includes(u.opType ?? '') ||
      (u.opType === 'Add' && u.input.length === 2 && u.input.some((i) => i !== name && constants.has(i)));
    if (!passes || !u.output[0]) return false;
    name = u.output[0];
  }
  return false;
}

/** An input problem the user can fix (bad override, data that fits no input, ...): the CLI prints it as one line. */
export class ConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConversionError';
  }
}

export interface ConvertSettings {
  lut: LutSettings;
  lutboost: LutboostSettings;
  keep: string[];
  layers: LayerOverride[];
  /** Layers left dense by exact name, whatever the patterns say (the sensitivity runs: what keeping one buys). */
  denseLayers?: string[];
}

export interface ProgressEvent {
  stage: string;
  message: string;
  fraction?: number;
  layer?: string;
}

export interface ConvertInput {
  model: ModelProto;
  label: string;
  calibration: Dataset;
  /** Overrides the declared input shape (e.g. to fix a symbolic dim). */
  inputShape?: number[];
  settings: ConvertSettings;
  signal?: AbortSignal;
  progress?: (e: ProgressEvent) => void;
  log?: (message: string, level?: 'info' | 'warning') => void;
  /** Calibration samples per onnxruntime run when the batch is free. */
  batchSize?: number;
  /** Labels of the calibration samples, when known: the finetune stage then also learns from them. */
  calibrationLabels?: Int32Array;
}

export interface ConvertOutput {
  /** The original model after constant/BN folding (what the LUT model was derived from). */
  folded: ModelProto;
  lut: ModelProto;
  input: ModelInput;
  layers: ConversionLayer[];
  kept: { name: string; op: string; reason: string }[];
  training?: FinetuneResult['training'];
  /** The LUT model as the layer-by-layer stages left it, when the finetune stage changed it afterwards. */
  beforeFinetune?: ModelProto;
}

interface LayerPlan {
  layer: ConvertibleLayer;
  index: number;
  c: number;
  v: number;
  metric: Metric;
  precision: Precision;
  perSample: number; // sampled rows per calibration sample
  rowsPerSample: number; // all rows per sample
  /** Calibration variants per training image (1, or shifted copies too for a layer with few rows; see augment.ts). */
  variants: number;
}

/** A calibration batch with the virtual sample index of each batch position (-1: not used). */
interface CalBatch {
  data: Float32Array;
  dims: number[];
  ids: Int32Array;
}

/**
 * Rows per table entry a layer's training rows should reach before shifted images are added (see augment.ts).
 * Measured on mnist-12 (l2, seeds 1/2/3): the classifier at ~800 rows for 1,024 entries dropped 0.78/1.06/0.99
 * points, with 6 variants 0.77/0.83/0.86; 9 variants, or shifting the held-out images too, did no better.
 */
const AUGMENT_ROWS_PER_ENTRY = 4;

const STAGE_ORDER = ['kmeans', 'centroids', 'tables', 'quantize'] as const;

/** The graph input the data feeds (the only non-initializer input), with its declared shape. */
export function modelInput(model: ModelProto, label: string, inputShape?: number[]): ModelInput {
  const inputs = graphInputs(model);
  if (inputs.length !== 1) {
    throw new ConversionError(`${label}: the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); conversion feeds models with exactly one input`);
  }
  const inp = inputs[0];
  if (inputShape) {
    // A config's `input_shape` may describe one sample, leaving out the batch dimension: the declared one is kept
    // (a symbolic batch stays free, so calibration still runs in batches).
    const shape: (number | undefined)[] = inp.shape && inputShape.length === inp.shape.length - 1 ? [inp.shape[0], ...inputShape] : inputShape;
    if (inp.shape && inp.shape.length !== shape.length) {
      throw new ConversionError(`--input-shape [${inputShape.join(',')}] has ${inputShape.length} dims but input '${inp.name}' has ${inp.shape.length}`);
    }
    return { name: inp.name, shape };
  }
  return { name: inp.name, shape: inp.shape };
}

/** Checks keep entries and override patterns against the layer names: each must name at least one layer. */
function checkPatterns(settings: ConvertSettings, names: string[], label: string): void {
  const listed = names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ');
  for (const k of settings.keep) {
    if (!names.some((n) => globMatch(k, n))) throw new ConversionError(`${label}: keep entry "${k}" names no layer of the model (layers: ${listed})`);
  }
  for (const o of settings.layers) {
    if (!names.some((n) => globMatch(o.pattern, n))) throw new ConversionError(`${label}: layer override "${o.pattern}" names no layer of the model (layers: ${listed})`);
  }
}

/**
 * LUTBoost, layer by layer in graph order. For each layer: its calibration inputs come from the model in which the
 * earlier layers are already LUT layers (so it learns to correct the error that reaches it), its targets from the
 * original model; rows are sampled (at most `samples` per layer) so memory stays bounded; the stages run per group
 * and the layer is written into the model in standard operators.
 */
export async function convertModel(inp: ConvertInput): Promise<ConvertOutput> {
  const { settings, label, signal } = inp;
  const lb = settings.lutboost;
  const progress = inp.progress ?? (() => undefined);
  const check = (): void => {
    if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
  };
  const input = modelInput(inp.model, label, inp.inputShape);
  const plan = inp.calibration.plan(input);
  const oneShape = plan.noBatchAxis ? plan.sampleDims : [plan.fixedBatch ?? 1, ...plan.sampleDims];
  progress({ stage: 'analyze', message: 'finding convertible layers' });
  const analyzed = await analyzeModel(inp.model, { inputShapes: { [input.name]: oneShape }, label });
  const batchOf = plan.noBatchAxis ? 1 : (plan.fixedBatch ?? 1);
  check();

  const allNames = [...analyzed.layers.map((l) => l.info.name), ...analyzed.dense.map((d) => d.name)];
  checkPatterns(settings, allNames, label);
  const kept: ConvertOutput['kept'] = analyzed.dense.map((d) => ({ name: d.name, op: d.op, reason: d.reason }));
  const plans: LayerPlan[] = [];
  const count = inp.calibration.count;
  if (count < 2) throw new ConversionError(`${inp.calibration.label}: ${count} calibration sample(s); at least 2 are needed (some are held out)`);
  for (const layer of analyzed.layers) {
    const name = layer.info.name;
    let { centroids: c, vector: v, metric, precision } = settings.lut;
    let keep = settings.keep.some((k) => globMatch(k, name));
    for (const o of settings.layers) {
      if (!globMatch(o.pattern, name)) continue;
      c = o.centroids ?? c;
      v = o.vector ?? v;
      metric = o.metric ?? metric;
      precision = o.precision ?? precision;
      if (o.keep !== undefined) keep = o.keep;
    }
    if (settings.denseLayers?.includes(name)) {
      kept.push({ name, op: layer.info.op, reason: 'kept dense to measure what keeping it buys' });
      continue;
    }
    if (keep) {
      kept.push({ name, op: layer.info.op, reason: 'kept dense by the configuration' });
      continue;
    }
    if (layer.info.op === 'Conv' && layer.conv!.kernel.length !== 2) {
      kept.push({ name, op: layer.info.op, reason: `${layer.conv!.kernel.length}-D convolution (only 2-D convolutions are converted)` });
      continue;
    }
    if (!layer.outputShape || !layer.inputShape) {
      kept.push({ name, op: layer.info.op, reason: 'its shapes could not be inferred' });
      continue;
    }
    const rps = rowsPerSample(layer, layer.outputShape, batchOf);
    // Rows per layer: at most `samples`, and at most ~32M input values (128 MB) however wide the layer is.
    const rowCap = Math.max(count, Math.min(lb.samples, Math.floor(32_000_000 / (layer.info.k * layer.info.groups))));
    const perSample = Math.max(1, Math.min(rps, Math.ceil(rowCap / count)));
    plans.push({ layer, index: plans.length, c, v, metric, precision, perSample, rowsPerSample: rps, variants: 1 });
  }
  const conversionMetadata = { key: 'lutdla.conversion', value: JSON.stringify({ source: label, lut: settings.lut, stages: lb.stages, seed: lb.seed }) };
  if (!plans.length) {
    // Every layer kept: nothing to calibrate, fit or fine-tune; the LUT model is the folded original.
    progress({ stage: 'analyze', message: 'no layer to convert' });
    const lut = structuredClone(analyzed.model);
    lut.metadataProps.push(conversionMetadata);
    return { folded: analyzed.model, lut, input, layers: [], kept };
  }

  const held = heldOutMask(lb.seed, count, lb.holdout);
  const nHeld = held.reduce((a, b) => a + b, 0);
  const nTrain = count - nHeld;
  // Few rows per table entry (a classifier: one row per image): such layers also calibrate on shifted copies of the
  // training images. Virtual sample i < count is image i; count + r * (A - 1) + (a - 1) is shift a of the r-th
  // training image.
  let A = 1;
  // The geometry of the images, when the samples are images: the model input's own, or the data file's for a model
  // fed flattened images (an MLP on 28x28 digits), whose every layer is then one row per image. The shared MLP
  // (c=16 v=8 l2) dropped 2.32 points instead of 2.63 (1.49 instead of 1.61 after fine-tuning); its layers then
  // calibrate on ~7,000 rows, which the tables stage's threaded sweeps solve keeps to about a minute.
  const geometry = shiftGeometry(plan.sampleDims, inp.calibration.storedSampleDims);
  if (geometry && !plan.noBatchAxis) {
    const fitsOf = new Map<LayerPlan, number>();
    for (const p of plans) {
      // Memory stays bounded: the shifted copies' rows count against the same ~32M input values per layer.
      const fits = Math.floor(32_000_000 / (nTrain * p.perSample * p.layer.info.k * p.layer.info.groups));
      p.variants = variantsFor(nTrain * p.perSample, Math.ceil(p.layer.info.k / p.v), p.c, AUGMENT_ROWS_PER_ENTRY, Math.min(SHIFTS.length, fits));
      if (p.variants < 2) p.variants = 1;
      fitsOf.set(p, fits);
      A = Math.max(A, p.variants);
    }
    for (const p of plans) {
      if (p.variants === 1) continue;
      // All shifted layers share one numbering of the shifted samples, so they all take A variants (or none).
      if (A > fitsOf.get(p)!) { p.variants = 1; continue; }
      p.variants = A;
      const rows = nTrain * p.perSample;
      // The row budget of the layer is shared by the shifted copies.
      p.perSample = Math.max(1, Math.min(p.rowsPerSample, Math.ceil(p.perSample / A)));
      inp.log?.(`${p.layer.info.name}: ${rows} calibration rows for ${Math.ceil(p.layer.info.k / p.v) * p.c} table entries; ` +
        `also calibrating on ${A - 1} one-pixel shifts of each training image`);
    }
    if (!plans.some((p) => p.variants > 1)) A = 1;
  }
  const slot = new Int32Array(count); // row-block index of sample i within its train / held buffer
  {
    let t = 0, h = 0;
    for (let i = 0; i < count; i++) {
      slot[i] = held[i] ? h++ : t++;
    }
  }
  const trainImages = (p: LayerPlan): number => nTrain * p.variants;

  const positions = (p: LayerPlan, i: number): Int32Array => Rng.derive(lb.seed, 0x7015, p.index, i).sampleIndices(p.rowsPerSample, p.perSample);
  /** Calibration batches, with the shifted copies of training images when `variants` > 1. */
  function* calBatches(variants: number): Generator<CalBatch> {
    for (const batch of inp.calibration.batches(input, inp.batchSize ?? 64)) {
      const ids = new Int32Array(batch.dims[0] ?? 1).fill(-1);
      const first = batch.start - inp.calibration.start;
      for (let b = 0; b < batch.count; b++) ids[b] = first + b;
      yield { data: batch.data, dims: batch.dims, ids };
      const size = plan.sampleDims.reduce((x, y) => x * y, 1);
      for (let a = 1; geometry && a < variants; a++) {
        const vids = new Int32Array(ids.length).fill(-1);
        let any = false;
        for (let b = 0; b < batch.count; b++) {
          const i = first + b;
          if (!held[i]) { vids[b] = count + slot[i] * (variants - 1) + (a - 1); any = true; }
        }
        if (!any) continue;
        const data = new Float32Array(batch.data.length);
        for (let b = 0; b < batch.count; b++) {
          if (vids[b] >= 0) shiftSample(batch.data.subarray(b * size, (b + 1) * size), data.subarray(b * size, (b + 1) * size), geometry, SHIFTS[a][0], SHIFTS[a][1]);
        }
        yield { data, dims: batch.dims, ids: vids };
      }
    }
  }
  /** Where virtual sample v's rows go: the held-out or training buffer, and its row-block index there. */
  const place = (v: number): { isHeld: boolean; at: number } =>
    v < count ? { isHeld: held[v] === 1, at: slot[v] } : { isHeld: false, at: nTrain + (v - count) };

  // Progress of the per-sample passes in steps of 10 % (a fixed-batch-1 model runs once per sample).
  let lastTick = -1;
  const tick = (done: number, total = count): boolean => {
    const step = Math.floor((done / total) * 10);
    if (done !== total && step === lastTick) return false;
    lastTick = done === total ? -1 : step;
    return true;
  };
  const threads = Math.max(1, os.cpus().length);
  const pool = new WorkerPool(Math.min(threads, 4));
  // Every metric's assignment runs on the pool's WebAssembly kernels: bit-identical to the JS reference and, for
  // L2 too, faster than the onnxruntime MatMul path (ortAssign.ts), whose 2-thread pool slows down on a busy core.
  const assigner = pool;
  let session: Session | undefined;
  try {
    // Targets: the original model's layer outputs on the sampled rows.
    const Ys = plans.map((p) => ({
      train: new Float32Array(trainImages(p) * p.perSample * p.layer.info.n * p.layer.info.groups),
      held: new Float32Array(nHeld * p.perSample * p.layer.info.n * p.layer.info.groups),
    }));
    // One intra-op thread per session and `threads` runs in flight (forEachInFlight says why); results do not
    // depend on the order runs finish in, as each sample's rows have a fixed place.
    session = await createSession(withExtraOutputs(analyzed.model, plans.map((p) => p.layer.output)), { label, threads: 1 });
    const calSession = session;
    let done = 0;
    const total = count + nTrain * (A - 1);
    await forEachInFlight(calBatches(A), threads, async (batch) => {
      check();
      const out = await runFloat(calSession, input.name, batch.data, batch.dims, plans.map((p) => p.layer.output), label);
      batch.ids.forEach((i, b) => {
        if (i < 0) return;
        const { isHeld, at } = place(i);
        plans.forEach((p, li) => {
          if (i >= count && p.variants === 1) return;
          const y = out[p.layer.output];
          const n = p.layer.info.n;
          const G = p.layer.info.groups;
          const pos = positions(p, i);
          const buf = isHeld ? Ys[li].held : Ys[li].train;
          // Layout [group][row][n] so each group's rows are contiguous.
          const rowsInBuf = (isHeld ? nHeld : trainImages(p)) * p.perSample;
          for (let g = 0; g < G; g++) outputRows(p.layer, y, b, pos, g, buf, (g * rowsInBuf + at * p.perSample) * n, p.rowsPerSample);
        });
        done++;
      });
      if (tick(done, total)) progress({ stage: 'calibrate', message: `original model on ${done}/${total} samples`, fraction: done / total });
    });
    await release(session);
    session = undefined;

    const current = structuredClone(analyzed.model);
    const layers: ConversionLayer[] = [];
    for (const p of plans) {
      check();
      const { layer } = p;
      const name = layer.info.name;
      const { k, n, groups: G } = layer.info;
      const t0 = performance.now();
      // Inputs: from the model whose earlier layers are already LUT layers.
      const X = { train: new Float32Array(trainImages(p) * p.perSample * k * G), held: new Float32Array(nHeld * p.perSample * k * G) };
      const isGraphInput = layer.input === input.name;
      session = isGraphInput ? undefined : await createSession(withExtraOutputs(current, [layer.input, layer.output]), { label, threads: 1 });
      const colSession = session;
      done = 0;
      const totalP = count + nTrain * (p.variants - 1);
      await forEachInFlight(calBatches(p.variants), threads, async (batch) => {
        check();
        let x: { data: Float32Array; dims: number[] };
        let outDims: number[];
        if (colSession) {
          const out = await runFloat(colSession, input.name, batch.data, batch.dims, [layer.input, layer.output], label);
          x = out[layer.input];
          outDims = out[layer.output].dims;
        } else {
          x = { data: batch.data, dims: batch.dims };
          outDims = [batch.dims[0], ...layer.outputShape!.slice(1)];
        }
        batch.ids.forEach((i, b) => {
          if (i < 0) return;
          const { isHeld, at } = place(i);
          const pos = positions(p, i);
          const buf = isHeld ? X.held : X.train;
          const rowsInBuf = (isHeld ? nHeld : trainImages(p)) * p.perSample;
          for (let g = 0; g < G; g++) inputRows(layer, x, outDims, b, pos, g, buf, (g * rowsInBuf + at * p.perSample) * k, p.rowsPerSample);
          done++;
        });
        if (tick(done, totalP)) progress({ stage: 'collect', message: `inputs of ${name}: ${done}/${totalP} samples`, fraction: done / totalP, layer: name });
      });
      await release(session);
      session = undefined;

      const luts: LutGemm[] = [];
      const stageSums = new Map<string, StageRecord>();
      let relErrSum = 0;
      const Mt = trainImages(p) * p.perSample;
      const Mh = nHeld * p.perSample;
      for (let g = 0; g < G; g++) {
        check();
        progress({ stage: 'fit', message: `${name}${G > 1 ? ` group ${g + 1}/${G}` : ''}: ${settingsText(p)}`, layer: name });
        const W = layer.weight.subarray(g * k * n, (g + 1) * k * n);
        const data: GemmData = {
          k, n, W, bias: layer.bias?.subarray(g * n, (g + 1) * n),
          X: X.train.subarray(g * Mt * k, (g + 1) * Mt * k), Y: Ys[p.index].train.subarray(g * Mt * n, (g + 1) * Mt * n), M: Mt,
          Xheld: X.held.subarray(g * Mh * k, (g + 1) * Mh * k), Yheld: Ys[p.index].held.subarray(g * Mh * n, (g + 1) * Mh * n), Mh,
        };
        const r = await fitGemm(data, {
          c: p.c, v: p.v, metric: p.metric, precision: p.precision, stages: lb.stages, iterations: lb.iterations, seed: lb.seed,
          streams: [p.index, g], assigner, solver: pool, signal, classScores: G === 1 && scoresLayer(analyzed.model, layer.output),
        });
        luts.push(r.lut);
        relErrSum += r.relativeError;
        for (const s of r.stages) {
          const prev = stageSums.get(s.stage);
          if (!prev) stageSums.set(s.stage, { ...s });
          else {
            prev.heldOutErrorBefore += s.heldOutErrorBefore;
            prev.heldOutErrorAfter += s.heldOutErrorAfter;
            prev.kept ||= s.kept;
            prev.timeS += s.timeS;
          }
        }
      }
      const stages = STAGE_ORDER.filter((s) => stageSums.has(s)).map((s) => {
        const r = stageSums.get(s)!;
        return { stage: r.stage, heldOutErrorBefore: r.heldOutErrorBefore / G, heldOutErrorAfter: r.heldOutErrorAfter / G, kept: r.kept, timeS: r.timeS, detail: r.detail };
      });
      const quantized = lb.stages.includes('quantize');
      exportLutLayer(current, { layer, luts, precision: p.precision, quantized, inputRank: layer.inputShape!.length });
      const S = luts[0].S;
      const tableEntries = G * S * p.c * n;
      layers.push({
        name, op: layer.info.op, m: layer.info.m, k, n, groups: G,
        centroids: p.c, vector: p.v, metric: p.metric, precision: p.precision,
        tableEntries,
        tableBytes: tableEntries * bytesPerEntry(quantized ? p.precision : 'fp32'),
        weightBytes: G * k * n * 4,
        relativeError: relErrSum / G,
        stages,
        calibrationRows: Mt, heldOutRows: Mh, paddedK: S * p.v, timeS: (performance.now() - t0) / 1000,
      });
      progress({ stage: 'fit', message: `${name}: held-out relative error ${(relErrSum / G).toExponential(2)}`, layer: name, fraction: layers.length / plans.length });
    }

    let lut = current;
    let training: FinetuneResult['training'];
    let beforeFinetune: ModelProto | undefined;
    if (lb.stages.includes('finetune')) {
      const hook = finetuneHook();
      if (!hook) inp.log?.('the finetune stage is not available in this build: skipped', 'warning');
      else {
        progress({ stage: 'finetune', message: 'training the LUT model end to end' });
        const r = await hook({
          original: analyzed.model, lut, calibration: inp.calibration, labels: inp.calibrationLabels, input, settings: lb, signal,
          progress: (message, fraction) => progress({ stage: 'finetune', message, fraction }),
        });
        beforeFinetune = lut;
        lut = r.model;
        training = r.training;
        if (r.summary) inp.log?.(r.summary);
      }
    }
    lut.metadataProps.push(conversionMetadata);
    return { folded: analyzed.model, lut, input, layers, kept, training, beforeFinetune };
  } finally {
    await release(session);
    await pool.close();
    await closeOrtMatmul();
  }
}

function settingsText(p: LayerPlan): string {
  return `c=${p.c} v=${p.v} ${p.metric} ${p.precision}`;
}
