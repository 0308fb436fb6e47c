/**
 * Checks on the lowered document (defaults filled in) that involve several blocks: a table slice must fit the
 * LUT memory, evaluation rows should not be calibration rows, fine-tuning settings need the finetune stage, an
 * explore block should vary something.
 */
import type { FileNode } from './ast';
import type { LutdlaDocument, Precision } from './config';
import type { RawDiagnostic, SourceRef } from './lower';
import { ROOT, type BlockSpec } from './schema';
import { formatQuantity } from './units';

const ENTRY_BYTES: Record<Precision, number> = { int4: 0.5, int8: 1, fp16: 2, bf16: 2 };

/** The settings of a block (and its single sub-blocks) that the schema marks as read by `stage` alone, as JSON pointers below the block. */
function stageSettings(block: BlockSpec | undefined, stage: string, prefix = ''): { pointer: string; key: string }[] {
  if (!block) return [];
  const own = [...block.fields.values()].filter((f) => f.schema['x-stage'] === stage).map((f) => ({ pointer: prefix + f.prop, key: f.key }));
  const nested = [...block.blocks.values()].filter((b) => !b.repeated).flatMap((b) => stageSettings(b, stage, `${prefix}${b.prop}/`));
  return [...own, ...nested];
}

const FINETUNE_ONLY = stageSettings(ROOT.blocks.get('model'), 'finetune');

export function checkDocument(doc: LutdlaDocument, pointers: Map<string, SourceRef>, file: FileNode): RawDiagnostic[] {
  const out: RawDiagnostic[] = [];
  const at = (ptr: string, severity: RawDiagnostic['severity'], code: string, message: string): void => {
    let p = ptr;
    let ref = pointers.get(p);
    while (!ref && p) {
      p = p.slice(0, p.lastIndexOf('/'));
      ref = pointers.get(p);
    }
    if (!ref || !p) return; // nothing written in the source to point at
    out.push({ severity, code, message, start: ref.span.start, end: ref.span.end });
  };

  // The IMM keeps the table slice of one subspace for `lanes` output columns, in two ping-pong banks.
  const settings: { c: number; p: Precision }[] = [];
  const lut = doc.lut;
  if (lut && typeof lut.centroids === 'number' && ENTRY_BYTES[lut.precision]) settings.push({ c: lut.centroids, p: lut.precision });
  for (const m of doc.models ?? []) {
    const c = m.lut?.centroids ?? lut?.centroids;
    const p = m.lut?.precision ?? lut?.precision;
    if (typeof c === 'number' && p && ENTRY_BYTES[p]) settings.push({ c, p });
    for (const l of m.layers ?? []) {
      const lc = l.centroids ?? c;
      const lp = l.precision ?? p;
      if (typeof lc === 'number' && lp && ENTRY_BYTES[lp] && !l.keep) settings.push({ c: lc, p: lp });
    }
  }
  const worst = settings.reduce<{ c: number; p: Precision; bytes: number } | undefined>((w, s) => {
    const bytes = s.c * ENTRY_BYTES[s.p];
    return !w || bytes > w.bytes ? { ...s, bytes } : w;
  }, undefined);
  (doc.accelerators ?? []).forEach((a, i) => {
    const lanes = a.imm?.lanes;
    const mem = a.memory?.lut;
    if (!worst || typeof lanes !== 'number' || typeof mem !== 'number') return;
    const need = worst.bytes * lanes * 2;
    if (need > mem) {
      at(`/accelerators/${i}/memory/lut`, 'warning', 'capacity',
        `memory.lut = ${formatQuantity(mem, 'B')} cannot hold a table slice: c=${worst.c} x ${lanes} lanes x ${ENTRY_BYTES[worst.p]} B (${worst.p}) x 2 ping-pong banks = ${formatQuantity(need, 'B')}; raise memory.lut or lower imm.lanes`);
    }
  });

  (doc.models ?? []).forEach((m, i) => {
    if (!m.calibration || !m.evaluation || m.calibration !== m.evaluation) return;
    const c = m.calibrationRange;
    const e = m.evaluationRange;
    const disjoint = c && e && (c[1] <= e[0] || e[1] <= c[0]);
    if (!disjoint) {
      at(pointers.has(`/models/${i}/evaluationRange`) ? `/models/${i}/evaluationRange` : `/models/${i}/evaluation`, 'warning', 'data-overlap',
        `evaluation rows overlap the calibration rows of "${m.calibration}": the accuracy would be measured on data the tables were fitted to; give both disjoint ranges, e.g. calibration ... range 0:1000 and evaluation ... range 8000:10000`);
    }
  });

  // A setting that nothing reads would otherwise be silently ignored, and the user left wondering why it changed nothing.
  (doc.models ?? []).forEach((m, i) => {
    // A broken document can reach here: a stages value that is not a list has its own schema error.
    const stages: unknown = m.lutboost?.stages;
    if (!Array.isArray(stages) || stages.includes('finetune')) return;
    for (const { pointer, key } of FINETUNE_ONLY) {
      const ptr = `/models/${i}/${pointer}`;
      if (!pointers.has(ptr)) continue;
      at(ptr, 'warning', 'unused-setting',
        `${key} has no effect: the finetune stage is not in this model's lutboost stages; add finetune to stages = [...] (or to --stages)`);
    }
  });

  // Only when no vary is written at all: a vary with an error has its own diagnostic.
  const writtenVary = file.items.some((it) => it.kind === 'block' && it.keyword.text === 'explore' && it.items.some((x) => x.kind === 'vary'));
  if (doc.explore && !(doc.explore.axes?.length) && !writtenVary) {
    at('/explore', 'warning', 'explore-axis', 'explore has no axis: add one, e.g. vary lut.centroids = [8, 16, 32]');
  }
  return out;
}
