import type { SimulationReport, SimulationTotals } from '../../src/reports/simulation';
import { makeChart, seriesColor } from '../charts';
import { fmtBytes, fmtNum, fmtPct, fmtShape, fmtSI } from '../format';
import { section, summary, type ViewContext } from '../section';
import type { TableSpec } from '../table';
import { withAlpha } from '../theme';

function breakdownTable(id: string, caption: string, unit: string, rec: Record<string, number>, scale = 1): TableSpec {
  const total = Object.values(rec).reduce((s, v) => s + v, 0);
  return {
    id,
    caption,
    columns: [{ label: 'Block' }, { label: unit, numeric: true }, { label: 'Share', numeric: true }],
    rows: Object.entries(rec).map(([k, v]) => [k, { raw: v, text: fmtNum(v * scale) }, { raw: total ? v / total : null, text: fmtPct(total ? v / total : null, 1) }]),
  };
}

/** `{ a: { b: 1 } }` -> rows `a.b | 1` (arrays as comma lists; depth-limited against odd input). */
function flatten(v: unknown, prefix = '', depth = 0, out: [string, string | number | boolean | null][] = []): [string, string | number | boolean | null][] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 6) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, depth + 1, out);
  } else if (prefix) {
    const value = Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as string | number | boolean | null);
    out.push([prefix, value ?? null]);
  }
  return out;
}

export function renderSimulation(ctx: ViewContext, r: SimulationReport): void {
  const t = r.totals;
  ctx.root.append(
    summary([
      ['Model on accelerator', `${r.model} on ${r.accelerator} (${r.mode} mode)`],
      ['Cycles', fmtNum(t.cycles)],
      ['Latency', fmtSI(t.latencyS, 's')],
      ['Energy, power', `${fmtSI(t.energyJ, 'J')}, ${fmtSI(t.powerW, 'W')}`],
      ['Area', `${fmtNum(t.areaMM2)} mm²`],
      ['Throughput', `${fmtNum(t.gops)} GOPS`],
      ['Power efficiency', `${fmtNum(t.gopsPerW)} GOPS/W`],
      ['Area efficiency', `${fmtNum(t.gopsPerMM2)} GOPS/mm²`],
      ...r.ratios.map((x): [string, string] => [`vs ${x.baseline}`, `${fmtNum(x.powerEfficiency)}× power eff., ${fmtNum(x.areaEfficiency)}× area eff.`]),
    ]),
  );

  const horizontal = r.layers.length > 12;
  const valueAxis = horizontal ? 'x' : 'y';
  const cyc = section(ctx, {
    title: 'Cycles per layer',
    description: 'Where each layer spends its cycles: centroid search (CCM), lookup-accumulate (IMM), DMA not hidden behind compute, and stalls.',
    chartLabel: 'Stacked bar chart: CCM, IMM, DMA and stall cycles per layer',
    tall: horizontal,
    table: {
      id: 'layers',
      caption: `Simulated layers of ${r.model}`,
      columns: [
        { label: 'Layer' }, { label: 'Op' }, { label: 'Shape M×K×N' }, { label: 'c', numeric: true }, { label: 'v', numeric: true },
        { label: 'Cycles', numeric: true }, { label: 'CCM', numeric: true }, { label: 'IMM', numeric: true }, { label: 'DMA', numeric: true },
        { label: 'Stall', numeric: true }, { label: 'Utilization', numeric: true }, { label: 'DRAM bytes', numeric: true },
      ],
      rows: r.layers.map((l) => [
        l.name, l.op, { raw: fmtShape(l.m, l.k, l.n) }, l.centroids, l.vector, { raw: l.cycles, text: fmtNum(l.cycles) },
        { raw: l.ccmCycles, text: fmtNum(l.ccmCycles) }, { raw: l.immCycles, text: fmtNum(l.immCycles) }, { raw: l.dmaCycles, text: fmtNum(l.dmaCycles) },
        { raw: l.stallCycles, text: fmtNum(l.stallCycles) }, { raw: l.utilization, text: fmtPct(l.utilization, 1) }, { raw: l.dramBytes, text: fmtBytes(l.dramBytes) },
      ]),
    },
  });
  if (cyc.canvas) {
    const parts = [['CCM', 'ccmCycles'], ['IMM', 'immCycles'], ['DMA', 'dmaCycles'], ['stall', 'stallCycles']] as const;
    cyc.setChart(
      makeChart(
        cyc.canvas,
        {
          type: 'bar',
          data: { labels: r.layers.map((l) => l.name), datasets: parts.map(([label, key]) => ({ label, data: r.layers.map((l) => l[key]) })) },
          options: {
            indexAxis: horizontal ? 'y' : 'x',
            scales: { x: { stacked: true }, y: { stacked: true }, [valueAxis]: { stacked: true, title: { display: true, text: 'cycles' } } },
          },
        },
        (c, p) => c.data.datasets.forEach((d, i) => {
          d.backgroundColor = withAlpha(seriesColor(p, i), 0.8);
          d.borderColor = seriesColor(p, i);
          d.borderWidth = 1;
        }),
      ),
    );
  }

  const util = section(ctx, {
    title: 'IMM utilization',
    description: 'Fraction of cycles the lookup-accumulate lanes are busy, per layer.',
    chartLabel: 'Bar chart: IMM lane utilization per layer',
    tall: horizontal,
    table: {
      id: 'utilization',
      caption: 'IMM utilization per layer',
      columns: [{ label: 'Layer' }, { label: 'Utilization', numeric: true }],
      rows: r.layers.map((l) => [l.name, { raw: l.utilization, text: fmtPct(l.utilization, 1) }]),
    },
  });
  if (util.canvas) {
    util.setChart(
      makeChart(
        util.canvas,
        {
          type: 'bar',
          data: { labels: r.layers.map((l) => l.name), datasets: [{ label: 'utilization (%)', data: r.layers.map((l) => l.utilization * 100) }] },
          options: { indexAxis: horizontal ? 'y' : 'x', scales: { [valueAxis]: { min: 0, max: 100, title: { display: true, text: '%' } } }, plugins: { legend: { display: false } } },
        },
        (c, p) => {
          c.data.datasets[0].backgroundColor = withAlpha(seriesColor(p, 2), 0.8);
          c.data.datasets[0].borderColor = seriesColor(p, 2);
        },
      ),
    );
  }

  const doughnut = (title: string, id: string, unit: string, rec: Record<string, number>, scale: number, label: string): void => {
    const s = section(ctx, { title, chartLabel: label, table: breakdownTable(id, title, unit, rec, scale) });
    if (!s.canvas) return;
    const keys = Object.keys(rec);
    s.setChart(
      makeChart(
        s.canvas,
        {
          type: 'doughnut',
          data: { labels: keys, datasets: [{ label: unit, data: keys.map((k) => rec[k] * scale) }] },
          options: { plugins: { legend: { position: 'right' } } },
        },
        (c, p) => {
          const d = c.data.datasets[0];
          d.backgroundColor = keys.map((_, i) => withAlpha(seriesColor(p, i), 0.85));
          d.borderColor = p.background;
        },
      ),
    );
  };
  doughnut('Energy by component', 'energy', 'Energy (µJ)', t.energyBreakdownJ, 1e6, 'Doughnut chart: energy per inference by component');
  doughnut('Area by block', 'area', 'Area (mm²)', t.areaBreakdownMM2, 1, 'Doughnut chart: area by accelerator block');

  if (r.baselines.length) {
    const all: (SimulationTotals & { name: string; description: string })[] = [{ ...t, name: `LUT-DLA (${r.accelerator})`, description: 'this design' }, ...r.baselines];
    const ratio = (name: string) => r.ratios.find((x) => x.baseline === name);
    const cmp = section(ctx, {
      title: 'Against the baselines',
      description: 'Power and area efficiency of this design against conventional accelerators with the same technology and memory system.',
      chartLabel: 'Bar chart: GOPS per watt and GOPS per square millimetre of this design and each baseline',
      table: {
        id: 'baselines',
        caption: 'Efficiency against each baseline',
        columns: [
          { label: 'Design' }, { label: 'Description' }, { label: 'Latency', numeric: true }, { label: 'Power (W)', numeric: true }, { label: 'Area (mm²)', numeric: true },
          { label: 'GOPS/W', numeric: true }, { label: 'GOPS/mm²', numeric: true }, { label: 'Power eff. ratio', numeric: true }, { label: 'Area eff. ratio', numeric: true },
        ],
        rows: all.map((b, i) => [
          b.name, b.description, { raw: b.latencyS, text: fmtSI(b.latencyS, 's') }, { raw: b.powerW, text: fmtNum(b.powerW) }, { raw: b.areaMM2, text: fmtNum(b.areaMM2) },
          { raw: b.gopsPerW, text: fmtNum(b.gopsPerW) }, { raw: b.gopsPerMM2, text: fmtNum(b.gopsPerMM2) },
          { raw: i === 0 ? null : ratio(b.name)?.powerEfficiency ?? null, text: i === 0 ? '–' : `${fmtNum(ratio(b.name)?.powerEfficiency)}×` },
          { raw: i === 0 ? null : ratio(b.name)?.areaEfficiency ?? null, text: i === 0 ? '–' : `${fmtNum(ratio(b.name)?.areaEfficiency)}×` },
        ]),
      },
    });
    if (cmp.canvas) {
      cmp.setChart(
        makeChart(
          cmp.canvas,
          {
            type: 'bar',
            data: {
              labels: all.map((b) => b.name),
              datasets: [
                { label: 'GOPS/W', data: all.map((b) => b.gopsPerW), yAxisID: 'y' },
                { label: 'GOPS/mm²', data: all.map((b) => b.gopsPerMM2), yAxisID: 'y1' },
              ],
            },
            options: {
              scales: {
                y: { type: 'linear', beginAtZero: true, position: 'left', title: { display: true, text: 'GOPS/W' } },
                y1: { type: 'linear', beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'GOPS/mm²' } },
              },
            },
          },
          (c, p) => c.data.datasets.forEach((d, i) => {
            d.backgroundColor = withAlpha(seriesColor(p, i), 0.8);
            d.borderColor = seriesColor(p, i);
            d.borderWidth = 1;
          }),
        ),
      );
    }
  }

  const settings = flatten(r.config);
  section(ctx, {
    title: 'Settings used',
    description: 'The accelerator and LUT settings of this run, in canonical units (bytes, hertz, nanometres, B/s).',
    table: { id: 'settings', caption: `Settings of ${r.accelerator}`, columns: [{ label: 'Setting' }, { label: 'Value', numeric: true }], rows: settings.map(([k, v]) => [k, { raw: v, text: typeof v === 'number' && Number.isInteger(v) ? v.toLocaleString('en-US') : undefined }]) },
  });

  section(ctx, {
    title: 'Layers run dense',
    description: r.dense.length ? 'These layers are not converted to LUT layers; see the reason for each.' : 'Every layer runs on the LUT units.',
    table: { id: 'dense', caption: 'Layers run dense and why', columns: [{ label: 'Layer' }, { label: 'Op' }, { label: 'Reason' }], rows: r.dense.map((d) => [d.name, d.op, d.reason]) },
  });
}
