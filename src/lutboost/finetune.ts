import type { LutboostSettings } from '../dsl/config';
import type { Dataset, ModelInput } from '../data/dataset';
import type { ModelProto } from '../onnx/types';

/**
 * The hook for the `finetune` stage (issue 6, src/train): after the layer-by-layer stages, train the LUT model end
 * to end (e.g. distillation from the original). The conversion calls the registered hook when the stage is
 * enabled; src/train registers itself with `registerFinetune` (the CLI imports it), so src/lutboost does not
 * depend on the trainer.
 */
export interface FinetuneContext {
  /** The original model (after constant/BN folding) and the LUT model built so far. */
  original: ModelProto;
  lut: ModelProto;
  calibration: Dataset;
  /** Labels of the calibration samples, when known. */
  labels?: Int32Array;
  input: ModelInput;
  settings: LutboostSettings;
  signal?: AbortSignal;
  progress?: (message: string, fraction?: number) => void;
}

export interface FinetuneResult {
  model: ModelProto;
  training?: { epoch: number; loss: number; heldOutAgreement: number }[];
  /** What the stage kept and why, in one line for the log. */
  summary?: string;
}

export type FinetuneHook = (ctx: FinetuneContext) => Promise<FinetuneResult>;

let hook: FinetuneHook | undefined;

export function registerFinetune(h: FinetuneHook | undefined): void {
  hook = h;
}

export function finetuneHook(): FinetuneHook | undefined {
  return hook;
}
