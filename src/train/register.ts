import { registerFinetune, type FinetuneContext, type FinetuneResult as HookResult } from '../lutboost/finetune';
import { finetuneLutModel, finetuneSummary, type FinetuneData } from './finetune';

/**
 * Connects the trainer to the conversion's `finetune` stage: `import '../train/register'` (the CLI's convert
 * command does) registers `finetuneStage` with src/lutboost's hook.
 */
export async function finetuneStage(ctx: FinetuneContext): Promise<HookResult> {
  const ds = ctx.calibration;
  const plan = ds.plan(ctx.input);
  if (plan.noBatchAxis) throw new Error(`fine-tuning needs a model input with a batch axis; '${ctx.input.name}' has none`);
  const samples = ds.read(0, ds.count, ctx.input);
  const data: FinetuneData = { input: ctx.input.name, sampleShape: [1, ...plan.sampleDims], storedSampleDims: ds.storedSampleDims, samples, count: ds.count, labels: ctx.labels?.length === ds.count ? ctx.labels : undefined };
  const s = ctx.settings;
  const r = await finetuneLutModel(ctx.lut, ctx.original, data, {
    epochs: s.epochs,
    learningRate: s.learningRate,
    temperature: s.temperature,
    reconstruction: s.reconstruction,
    trainDense: s.trainDense,
    significance: s.significance,
    seed: s.seed,
    holdout: s.holdout > 0 && s.holdout < 1 ? s.holdout : undefined,
    signal: ctx.signal,
    onProgress: (fraction, message) => ctx.progress?.(message, fraction),
    onEpoch: (e) => {
      if (e.epoch > 0) ctx.progress?.(`epoch ${e.epoch}/${e.epochs}: loss ${e.loss.toFixed(4)}, held-out agreement ${(e.heldOutAgreement * 100).toFixed(1)} %`, e.epoch / e.epochs);
    },
  });
  return {
    model: r.model,
    training: r.curve.map((c) => ({ epoch: c.epoch, loss: Number.isFinite(c.loss) ? c.loss : c.heldOutLoss, heldOutAgreement: c.heldOutAgreement })),
    summary: finetuneSummary(r),
  };
}

registerFinetune(finetuneStage);
