import type { ConversionReport } from '../../src/reports/conversion';
import { makeChart, seriesColor } from '../charts';
import { fmtBytes, fmtNum, fmtPct, fmtShape, fmtSI } from '../format';
import { section, summary, type ViewContext } from '../section';
import { withAlpha } from '../theme';
import type { TableSpec } from '../table';

/** Log-axis labels only at powers of ten (1 k, 10 k, 100 k, 1 M bytes): the minor ticks stay unlabelled. */
function logTick(v: number): string {
  const e = Math.round(Math.log10(v));
  if (Math.abs(v - 10 ** e) > 1e-9 * v) return '';
  const units = ['', ' k', ' M', ' G', ' T'];
  const g = Math.min(Math.floor(e / 3), units.length - 1);
  return `${10 ** (e - 3 * g)}${units[g]}`;
}

const STAGE_ORDER = ['kmeans', 'centroids', 'tables', 'finetune', 'quantize'] as const;

export function renderConversion(ctx: ViewContext, r: ConversionReport): void {
  const a = r.accuracy;
  ctx.root.append(
    summary([
      ['Model', `${r.model} (${r.source} → ${r.output})`],
      ['LUT settings', `c=${r.config.centroids}, v=${r.config.vector}, ${r.config.metric}, ${r.config.precision}`],
      ['Stages', r.config.stages.join(' → ') || '–'],
      ['Accuracy before → after', a.labelled ? `${fmtPct(a.original)} → ${fmtPct(a.lut)}` : 'no labels'],
      ['Accuracy drop', a.drop === null ? '–' : `${a.drop.toFixed(2)} pp`],
      ['Agreement with original', `${fmtPct(a.agreement)} of ${a.samples.toLocaleString('en-US')} samples`],
      ['Tables / dense weights', `${fmtBytes(r.totals.tableBytes)} / ${fmtBytes(r.totals.weightBytes)}`],
      ['Bits per activation', fmtNum(r.totals.bitsPerActivation)],
      ['Converted / kept layers', `${r.layers.length} / ${r.kept.length}`],
      ['Wall time, peak memory', `${fmtSI(r.totals.wallTimeS, 's')}, ${fmtBytes(r.totals.peakMemoryBytes)}`],
    ]),
  );

  // Per-layer table next to the table-size bars. With sensitivity on, a column says what keeping each layer dense
  // buys: the drop in points of the conversion with that layer kept (or, without labels, its agreement).
  const measured = r.layers.some((l) => l.keptDense);
  const denseColumn = a.labelled ? 'Drop if kept dense (pp)' : 'Agreement if kept dense';
  const denseCell = (l: (typeof r.layers)[number]): TableSpec['rows'][number] => {
    if (!measured) return [];
    if (!l.keptDense) return [{ raw: null, text: '–' }];
    return l.keptDense.drop === null
      ? [{ raw: l.keptDense.agreement, text: fmtPct(l.keptDense.agreement) }]
      : [{ raw: l.keptDense.drop, text: `${l.keptDense.drop.toFixed(2)}${typeof l.keptDense.dropSe === 'number' ? ` ± ${l.keptDense.dropSe.toFixed(2)}` : ''}` }];
  };
  const layers: TableSpec = {
    id: 'layers',
    caption: `Converted layers of ${r.model}`,
    columns: [
      { label: 'Layer' }, { label: 'Op' }, { label: 'Shape M×K×N' }, { label: 'v', numeric: true }, { label: 'c', numeric: true },
      { label: 'Metric' }, { label: 'Precision' }, { label: 'Table entries', numeric: true }, { label: 'Table bytes', numeric: true },
      { label: 'Dense weight bytes', numeric: true }, { label: 'Relative error', numeric: true },
      ...(measured ? [{ label: denseColumn, numeric: true }] : []), { label: 'Stage time', numeric: true },
    ],
    rows: r.layers.map((l) => [
      l.name, l.op, { raw: fmtShape(l.m, l.k, l.n) }, l.vector, l.centroids, l.metric, l.precision,
      { raw: l.tableEntries, text: fmtNum(l.tableEntries) }, { raw: l.tableBytes, text: fmtBytes(l.tableBytes) },
      { raw: l.weightBytes, text: fmtBytes(l.weightBytes) }, { raw: l.relativeError, text: fmtNum(l.relativeError) },
      ...denseCell(l),
      { raw: l.stages.reduce((s, x) => s + x.timeS, 0), text: fmtSI(l.stages.reduce((s, x) => s + x.timeS, 0), 's') },
    ]),
  };
  const sizes = section(ctx, {
    title: 'Table size per layer',
    description: 'Bytes of the lookup tables of each converted layer against the dense weights they replace (log scale).'
      + (measured ? ` "${denseColumn}": the model converted again with that layer kept dense (without fine-tuning)${a.labelled ? `; ± is the standard error of its difference from the full conversion's drop${r.beforeFinetune ? ' before fine-tuning' : ''}` : ''}.` : ''),
    chartLabel: 'Bar chart: table bytes and dense weight bytes per layer',
    tall: r.layers.length > 12,
    table: layers,
  });
  if (sizes.canvas) {
    sizes.setChart(
      makeChart(
        sizes.canvas,
        {
          type: 'bar',
          data: {
            labels: r.layers.map((l) => l.name),
            datasets: [
              { label: 'Table bytes', data: r.layers.map((l) => l.tableBytes) },
              { label: 'Dense weight bytes', data: r.layers.map((l) => l.weightBytes) },
            ],
          },
          options: {
            indexAxis: r.layers.length > 12 ? 'y' : 'x',
            scales: { [r.layers.length > 12 ? 'x' : 'y']: { type: 'logarithmic', title: { display: true, text: 'bytes (log scale)' }, ticks: { callback: (v: number | string) => logTick(Number(v)) } } },
            plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmtBytes(Number(c.raw))}` } } },
          },
        },
        (c, p) => c.data.datasets.forEach((d, i) => {
          d.backgroundColor = withAlpha(seriesColor(p, i), 0.75);
          d.borderColor = seriesColor(p, i);
          d.borderWidth = 1;
        }),
      ),
    );
  }

  // Accuracy before and after.
  const accRows: TableSpec['rows'] = [
    ['Original model', { raw: a.original, text: fmtPct(a.original) }],
    ['LUT model', { raw: a.lut, text: fmtPct(a.lut) }],
    ['Drop (percentage points)', { raw: a.drop, text: a.drop === null ? '–' : a.drop.toFixed(2) }],
    ['Agreement with the original', { raw: a.agreement, text: fmtPct(a.agreement) }],
    ['Evaluation samples', a.samples],
  ];
  const acc = section(ctx, {
    title: 'Accuracy',
    description: a.labelled ? 'Top-1 accuracy on the evaluation data before and after conversion.' : 'The evaluation data has no labels: agreement of the LUT model with the original is shown.',
    chartLabel: 'Bar chart: accuracy of the original and the LUT model',
    table: { id: 'accuracy', caption: 'Accuracy before and after conversion', columns: [{ label: 'Measure' }, { label: 'Value', numeric: true }], rows: accRows },
  });
  if (acc.canvas) {
    const labels = a.labelled ? ['Original', 'LUT', 'Agreement'] : ['Agreement'];
    const values = a.labelled ? [(a.original ?? 0) * 100, (a.lut ?? 0) * 100, a.agreement * 100] : [a.agreement * 100];
    acc.setChart(
      makeChart(
        acc.canvas,
        {
          type: 'bar',
          data: { labels, datasets: [{ label: 'percent', data: values }] },
          options: {
            // Zoomed to the values, so a drop of a fraction of a point is visible; the table has the exact figures.
            scales: { y: { min: Math.max(0, Math.floor(Math.min(...values) - 2)), max: 100, title: { display: true, text: '%' } } },
            plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `${Number(c.raw).toFixed(2)} %` } } },
          },
        },
        (c, p) => {
          const d = c.data.datasets[0];
          d.backgroundColor = labels.map((_, i) => withAlpha(seriesColor(p, i === 1 ? 1 : i === 2 ? 2 : 0), 0.75));
          d.borderColor = labels.map((_, i) => seriesColor(p, i === 1 ? 1 : i === 2 ? 2 : 0));
          d.borderWidth = 1;
        },
      ),
    );
  }

  // Per-stage held-out error.
  const stages = STAGE_ORDER.filter((s) => r.layers.some((l) => l.stages.some((x) => x.stage === s)));
  const stageRows = r.layers.flatMap((l) =>
    l.stages.map((s) => [
      l.name, s.stage, { raw: s.heldOutErrorBefore, text: fmtNum(s.heldOutErrorBefore) }, { raw: s.heldOutErrorAfter, text: fmtNum(s.heldOutErrorAfter) },
      { raw: s.kept, text: s.kept ? 'kept' : 'discarded' }, { raw: s.timeS, text: fmtSI(s.timeS, 's') },
    ]),
  );
  if (stageRows.length) {
    const st = section(ctx, {
      title: 'Held-out error per stage',
      description: 'Relative output error on held-out calibration rows after each LUTBoost stage; a stage whose result did not lower the error is discarded.',
      chartLabel: 'Bar chart: held-out relative error per layer after each stage',
      tall: r.layers.length > 12,
      table: {
        id: 'stages',
        caption: 'Held-out error before and after each stage, per layer',
        columns: [{ label: 'Layer' }, { label: 'Stage' }, { label: 'Error before', numeric: true }, { label: 'Error after', numeric: true }, { label: 'Result' }, { label: 'Time', numeric: true }],
        rows: stageRows,
      },
    });
    if (st.canvas) {
      st.setChart(
        makeChart(
          st.canvas,
          {
            type: 'bar',
            data: {
              labels: r.layers.map((l) => l.name),
              datasets: stages.map((s) => ({ label: `after ${s}`, data: r.layers.map((l) => l.stages.find((x) => x.stage === s)?.heldOutErrorAfter ?? null) })),
            },
            options: {
              indexAxis: r.layers.length > 12 ? 'y' : 'x',
              scales: { [r.layers.length > 12 ? 'x' : 'y']: { title: { display: true, text: 'relative error' }, beginAtZero: true } },
            },
          },
          (c, p) => c.data.datasets.forEach((d, i) => {
            d.backgroundColor = withAlpha(seriesColor(p, i), 0.75);
            d.borderColor = seriesColor(p, i);
            d.borderWidth = 1;
          }),
        ),
      );
    }
  }

  if (r.training?.length) {
    const tr = r.training;
    const b = r.beforeFinetune;
    const t = section(ctx, {
      title: 'Fine-tuning',
      description: b
        ? b.drop !== null && r.accuracy.drop !== null
          ? `Accuracy drop before fine-tuning ${b.drop.toFixed(2)} points, after ${r.accuracy.drop.toFixed(2)} points (agreement ${fmtPct(b.agreement)} → ${fmtPct(r.accuracy.agreement)}).`
          : `Agreement with the original model before fine-tuning ${fmtPct(b.agreement)}, after ${fmtPct(r.accuracy.agreement)}.`
        : undefined,
      chartLabel: 'Line chart: loss and held-out agreement per epoch',
      table: {
        id: 'training',
        caption: 'Fine-tuning loss and held-out agreement per epoch',
        columns: [{ label: 'Epoch', numeric: true }, { label: 'Loss', numeric: true }, { label: 'Held-out agreement', numeric: true }],
        rows: tr.map((e) => [e.epoch, { raw: e.loss, text: fmtNum(e.loss) }, { raw: e.heldOutAgreement, text: fmtPct(e.heldOutAgreement) }]),
      },
    });
    if (t.canvas) {
      t.setChart(
        makeChart(
          t.canvas,
          {
            type: 'line',
            data: {
              labels: tr.map((e) => String(e.epoch)),
              datasets: [
                { label: 'loss', data: tr.map((e) => e.loss), yAxisID: 'y' },
                { label: 'held-out agreement (%)', data: tr.map((e) => e.heldOutAgreement * 100), yAxisID: 'y1' },
              ],
            },
            options: { scales: { y: { position: 'left', title: { display: true, text: 'loss' } }, y1: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: '%' } } } },
          },
          (c, p) => c.data.datasets.forEach((d, i) => {
            d.borderColor = seriesColor(p, i);
            d.backgroundColor = seriesColor(p, i);
          }),
        ),
      );
    }
  }

  section(ctx, {
    title: 'Layers kept dense',
    description: r.kept.length ? 'These layers stay as they are in the LUT model.' : 'Every convertible layer was converted.',
    table: {
      id: 'kept',
      caption: 'Layers kept dense and why',
      columns: [{ label: 'Layer' }, { label: 'Op' }, { label: 'Reason' }],
      rows: r.kept.map((k) => [k.name, k.op, k.reason]),
    },
  });
}
