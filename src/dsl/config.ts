/**
 * The lowered `.lutdla` document: plain JSON with canonical units, defaults filled in from the schema.
 * This is the contract between the language (src/dsl) and the engines (src/lutboost, src/sim, src/cli).
 * Fields may be added; existing ones keep their names and units.
 *
 * Canonical units: bytes (B), bytes per second (B/s), hertz (Hz), nanometres (nm), picojoules (pJ),
 * square millimetres (mm2), watts (W), seconds (s).
 */

export type Metric = 'l2' | 'l1' | 'chebyshev';
export type Precision = 'int4' | 'int8' | 'fp16' | 'bf16';
export type LutboostStage = 'kmeans' | 'centroids' | 'tables' | 'finetune' | 'quantize';

export const METRICS: readonly Metric[] = ['l2', 'l1', 'chebyshev'];
export const PRECISIONS: readonly Precision[] = ['int4', 'int8', 'fp16', 'bf16'];
export const LUTBOOST_STAGES: readonly LutboostStage[] = ['kmeans', 'centroids', 'tables', 'finetune', 'quantize'];

/** `lut { ... }`: how activations are vector-quantized and tables stored. */
export interface LutSettings {
  centroids: number; // c, entries per codebook (power of two)
  vector: number; // v, sub-vector length
  metric: Metric;
  precision: Precision; // table entry type
}

/** `accelerator "name" { ... }` */
export interface AcceleratorConfig {
  name: string;
  technology: number; // process node, nm
  clock: number; // Hz
  ccm: { units: number }; // parallel centroid computation units
  imm: { lanes: number }; // lookup-accumulate lanes (output columns per cycle)
  fifo: { depth: number }; // index FIFO entries between CCM and IMM
  memory: {
    lut: number; // bytes, both ping-pong banks together
    index: number; // bytes
    input: number; // bytes
    output: number; // bytes (accumulators)
    dram: number; // bandwidth, B/s
    dramEnergy?: number; // pJ per bit; default from the technology table
  };
}

/** `layer "pattern" { ... }` inside a model: overrides for the layers whose names match the glob. */
export interface LayerOverride {
  pattern: string;
  centroids?: number;
  vector?: number;
  metric?: Metric;
  precision?: Precision;
  keep?: boolean;
}

export interface LutboostSettings {
  stages: LutboostStage[];
  iterations: number; // k-means iterations
  samples: number; // sub-vectors sampled per layer for k-means
  seed: number;
  holdout: number; // fraction of calibration rows held out to judge fitted stages
  epochs?: number; // finetune
  learningRate?: number; // finetune
  temperature?: number; // finetune distillation
  reconstruction?: number; // finetune: weight of the per-layer output reconstruction terms
  trainDense?: boolean; // finetune: also train the layers that stay dense
  significance?: number; // finetune: standard errors a held-out gain must exceed
  sensitivity?: boolean; // also convert again with each converted layer kept dense in turn, and evaluate
}

export interface Preprocess {
  scale?: number;
  mean?: number[];
  std?: number[];
}

/** `model "name" { ... }`. Paths are as written, relative to the config file's folder. */
export interface ModelConfig {
  name: string;
  onnx?: string;
  calibration?: string;
  calibrationRange?: [number, number];
  evaluation?: string;
  labels?: string;
  calibrationLabels?: string; // labels of the calibration rows, when they are not in the evaluation file
  evaluationRange?: [number, number];
  inputShape?: number[];
  preprocess: Preprocess;
  keep: string[];
  layers: LayerOverride[];
  lut?: Partial<LutSettings>;
  lutboost: LutboostSettings;
}

export type ExploreValue = number | string;

/** `explore { ... }` */
export interface ExploreConfig {
  accelerator?: string; // which accelerator block is the base point (default: the first)
  model?: string; // which model block supplies the workload (default: the first)
  // Axis paths start with lut | accelerator | model, then the lowered (camelCase) property names, e.g.
  // 'accelerator.memory.dramEnergy', 'model.lutboost.learningRate'; values are in the field's canonical unit.
  // Constraint values are in the units of the exploration figures: latency s, area mm2, energy J, power W,
  // accuracy_drop percentage points.
  axes: { path: string; values: ExploreValue[] }[]; // e.g. 'lut.centroids', 'accelerator.ccm.units'
  constraints: { metric: string; op: '<=' | '<' | '>=' | '>'; value: number }[];
  minimize: string[]; // objectives, e.g. 'latency', 'area', 'energy', 'power', 'accuracy_drop'
}

export interface LutdlaDocument {
  lut: LutSettings;
  accelerators: AcceleratorConfig[];
  models: ModelConfig[];
  explore?: ExploreConfig;
}
