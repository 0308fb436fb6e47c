import type { LutboostStage, Metric, Precision } from '../dsl/config';

/**
 * `<name>.conversion.json` (schema: schemas/report.conversion.schema.json). Written by `lutdla convert`,
 * rendered by the conversion panel. Fields may be added; existing ones keep their names and units.
 */
export interface ConversionReport {
  kind: 'conversion';
  version: 1;
  model: string; // model name
  source: string; // file name of the original model (no folder)
  output: string; // file name of the LUT model (no folder)
  config: { centroids: number; vector: number; metric: Metric; precision: Precision; stages: LutboostStage[]; seed: number };
  accuracy: {
    original: number | null; // top-1 fraction 0..1 (null without labels)
    lut: number | null;
    drop: number | null; // percentage points
    agreement: number; // fraction of samples where both models pick the same class
    samples: number;
    labelled: boolean;
  };
  layers: ConversionLayer[];
  kept: { name: string; op: string; reason: string }[];
  totals: {
    tableBytes: number;
    weightBytes: number;
    bitsPerActivation: number;
    wallTimeS: number;
    peakMemoryBytes: number;
    int8WeightBytes?: number; // the converted layers' weights at 1 byte per value, the paper's comparison point
    layers?: number; // converted layers
  };
  /** Optional training curve of the finetune stage. */
  training?: { epoch: number; loss: number; heldOutAgreement: number }[];
  /** Accuracy of the LUT model before the finetune stage, on the same evaluation data as `accuracy`. */
  beforeFinetune?: { lut: number | null; drop: number | null; agreement: number };
}

export interface ConversionLayer {
  name: string;
  op: string;
  m: number;
  k: number;
  n: number;
  centroids: number;
  vector: number;
  metric: Metric;
  precision: Precision;
  tableEntries: number;
  tableBytes: number;
  weightBytes: number;
  relativeError: number; // final layer output error on held-out calibration rows, relative to output energy
  /** What each stage did to the held-out relative error, and whether its result was kept. */
  stages: { stage: LutboostStage; heldOutErrorBefore: number; heldOutErrorAfter: number; kept: boolean; timeS: number; detail?: string }[];
  groups?: number; // Conv groups: the layer is `groups` GEMMs of m x k x n, each with its own codebooks and tables
  calibrationRows?: number; // sampled rows the stages were fitted on (per group)
  heldOutRows?: number; // rows held out to judge the stages (per group)
  paddedK?: number; // k rounded up to a multiple of `vector` (zero-padded)
  timeS?: number; // wall time of the layer: input collection and all stages
  /**
   * The model converted again with this layer kept dense as well (same settings and seed, no finetune stage), on
   * the evaluation data: what adding the layer to `keep` buys. Present when `sensitivity` was asked for.
   */
  keptDense?: {
    drop: number | null; // top-1 drop in points against the original (null without labels)
    agreement: number; // fraction of samples where that LUT model picks the original's class
    /**
     * Standard error, in points, of the difference between this drop and the full conversion's (before any
     * fine-tuning), paired over the samples (null without labels): differences within about two are noise.
     */
    dropSe?: number | null;
  };
}
