import type { Chart, ScatterDataPoint, TooltipItem } from 'chart.js';
import type { ExplorationPoint, ExplorationReport } from '../../src/reports/exploration';
import { makeChart, seriesColor } from '../charts';
import { clear, h, uniqueId } from '../dom';
import { fmtNum, fmtSI } from '../format';
import { button, section, summary, type ViewContext } from '../section';
import type { TableSpec } from '../table';
import { withAlpha } from '../theme';

const UNITS: Record<string, string> = { latency: 's', area: 'mm²', energy: 'J', power: 'W', accuracy_drop: 'pp' };

function figureLabel(name: string): string {
  const u = UNITS[name];
  return u ? `${name} (${u})` : name;
}

function fmtFigure(name: string, v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (name === 'latency') return fmtSI(v, 's');
  if (name === 'energy') return fmtSI(v, 'J');
  if (name === 'power') return fmtSI(v, 'W');
  return fmtNum(v);
}

interface XY extends ScatterDataPoint {
  id: number;
}

/** The 2-D Pareto front (both minimised) of the feasible points that have both figures. */
export function paretoFront2D(points: ExplorationPoint[], x: string, y: string): ExplorationPoint[] {
  const cands = points
    .filter((p) => p.feasible && typeof p.figures[x] === 'number' && typeof p.figures[y] === 'number')
    .sort((a, b) => (a.figures[x] as number) - (b.figures[x] as number) || (a.figures[y] as number) - (b.figures[y] as number));
  const front: ExplorationPoint[] = [];
  let best = Infinity;
  for (const p of cands) {
    const yv = p.figures[y] as number;
    if (yv < best) {
      front.push(p);
      best = yv;
    }
  }
  return front;
}

export function renderExploration(ctx: ViewContext, r: ExplorationReport): void {
  const figureNames = [...new Set([...r.objectives, ...r.points.flatMap((p) => Object.keys(p.figures))])];
  const axisPaths = [...new Set([...r.axes.map((a) => a.path), ...r.points.flatMap((p) => Object.keys(p.settings))])];
  const byId = new Map(r.points.map((p) => [p.id, p]));
  const saved = ctx.state.get();
  let xName = typeof saved.xObjective === 'string' && figureNames.includes(saved.xObjective) ? saved.xObjective : figureNames[0] ?? '';
  let yName = typeof saved.yObjective === 'string' && figureNames.includes(saved.yObjective) ? saved.yObjective : figureNames[1] ?? figureNames[0] ?? '';
  let selected: number | undefined = typeof saved.selectedPoint === 'number' && byId.has(saved.selectedPoint) ? saved.selectedPoint : undefined;

  ctx.root.append(
    summary([
      ['Config', r.config],
      ['Points', `${r.points.length} (${r.points.filter((p) => p.feasible).length} feasible, ${r.points.filter((p) => p.pareto).length} on the Pareto front)`],
      ['Objectives (minimised)', r.objectives.join(', ') || '–'],
      ['Constraints', r.constraints.map((c) => `${c.metric} ${c.op} ${c.value}`).join(', ') || 'none'],
      ['Axes', r.axes.map((a) => `${a.path} ∈ {${a.values.join(', ')}}`).join('; ') || '–'],
      ['Wall time', fmtSI(r.wallTimeS, 's')],
    ]),
  );

  // Objective pickers.
  const select = (label: string, value: string, onChange: (v: string) => void): HTMLElement => {
    const id = uniqueId('sel');
    const sel = h('vscode-single-select', { id, 'aria-label': label }, ...figureNames.map((f) => h('vscode-option', { value: f, selected: f === value }, figureLabel(f))));
    sel.addEventListener('change', () => onChange((sel as HTMLElement & { value: string }).value));
    return h('div', { class: 'control' }, h('vscode-label', { for: id }, label), sel);
  };
  const controls = h('div', { class: 'controls' });

  const detail = h('div', { class: 'point-detail', 'aria-live': 'polite' });

  const pointsTable = (): TableSpec => ({
    id: 'points',
    caption: `Design points of ${r.config}`,
    columns: [
      { label: 'Point', numeric: true },
      ...axisPaths.map((a) => ({ label: a })),
      ...figureNames.map((f) => ({ label: figureLabel(f), numeric: true })),
      { label: 'Feasible' },
      { label: 'Pareto' },
      { label: 'Note' },
    ],
    rows: r.points.map((p) => [
      p.id,
      ...axisPaths.map((a) => (p.settings[a] === undefined ? null : p.settings[a])),
      ...figureNames.map((f) => ({ raw: p.figures[f] ?? null, text: fmtFigure(f, p.figures[f]) })),
      { raw: p.feasible, text: p.feasible ? 'yes' : 'no' },
      { raw: p.pareto, text: p.pareto ? 'yes' : 'no' },
      p.note ?? '',
    ]),
    action: { label: 'Select', describe: (i) => `Select point ${r.points[i].id}`, run: (i) => select_(r.points[i].id) },
  });

  const sec = section(ctx, {
    title: 'Design space',
    description: 'Every explored point on two objectives (both minimised). The line joins the Pareto front of the feasible points on these two objectives; hover a point for its settings, click it to select it.',
    chartLabel: 'Scatter chart of the design points on two objectives with the Pareto front',
    tall: true,
    table: pointsTable(),
    extra: detail,
  });
  sec.element.querySelector('.section-head')?.after(controls);
  controls.append(
    select('X axis', xName, (v) => {
      xName = v;
      ctx.state.set({ xObjective: v });
      refresh();
    }),
    select('Y axis', yName, (v) => {
      yName = v;
      ctx.state.set({ yObjective: v });
      refresh();
    }),
  );

  const plotted = (pred: (p: ExplorationPoint) => boolean): XY[] =>
    r.points
      .filter((p) => pred(p) && typeof p.figures[xName] === 'number' && typeof p.figures[yName] === 'number')
      .map((p) => ({ x: p.figures[xName] as number, y: p.figures[yName] as number, id: p.id }));

  const datasets = () => {
    const front = paretoFront2D(r.points, xName, yName);
    const frontIds = new Set(front.map((p) => p.id));
    return [
      { label: 'Pareto front', type: 'line' as const, data: front.map((p) => ({ x: p.figures[xName] as number, y: p.figures[yName] as number, id: p.id })), showLine: true, order: 1 },
      { label: 'feasible', data: plotted((p) => p.feasible && !frontIds.has(p.id)), order: 2 },
      { label: 'infeasible', data: plotted((p) => !p.feasible), order: 3 },
      { label: 'selected', data: plotted((p) => p.id === selected), order: 0 },
    ];
  };

  const tooltipLines = (item: TooltipItem<'scatter'>): string[] => {
    const p = byId.get((item.raw as XY).id);
    if (!p) return [];
    return [
      `point ${p.id}${p.feasible ? '' : ' (infeasible)'}`,
      ...Object.entries(p.settings).map(([k, v]) => `${k} = ${v}`),
      `${xName}: ${fmtFigure(xName, p.figures[xName])}`,
      `${yName}: ${fmtFigure(yName, p.figures[yName])}`,
      ...(p.note ? [p.note] : []),
    ];
  };

  let chart: Chart<'scatter'> | undefined;
  if (sec.canvas) {
    chart = makeChart(
      sec.canvas,
      {
        type: 'scatter',
        data: { datasets: datasets() as never },
        options: {
          parsing: false,
          interaction: { mode: 'nearest', intersect: true },
          scales: {
            x: { type: 'linear', title: { display: true, text: figureLabel(xName) }, ticks: { callback: (v: number | string) => fmtFigure(xName, Number(v)) } },
            y: { type: 'linear', title: { display: true, text: figureLabel(yName) }, ticks: { callback: (v: number | string) => fmtFigure(yName, Number(v)) } },
          },
          plugins: {
            // A selected point is drawn twice (its own dataset and the selection ring): describe it once.
            tooltip: {
              callbacks: { label: tooltipLines },
              filter: (item, i, items) => items.findIndex((o) => (o.raw as XY).id === (item.raw as XY).id) === i,
            },
            legend: { labels: { sort: (a, b) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0) } },
          },
          onClick: (_e, elements) => {
            const el = elements[0];
            if (!el || !chart) return;
            const raw = chart.data.datasets[el.datasetIndex].data[el.index] as XY;
            select_(raw.id);
          },
        },
      },
      (c, p) => {
        const [front, feas, infeas, sel] = c.data.datasets;
        front.borderColor = seriesColor(p, 1);
        front.backgroundColor = seriesColor(p, 1);
        Object.assign(front, { pointRadius: 5, borderWidth: 2, fill: false });
        feas.backgroundColor = withAlpha(seriesColor(p, 0), 0.7);
        feas.borderColor = seriesColor(p, 0);
        Object.assign(feas, { pointRadius: 4 });
        infeas.backgroundColor = withAlpha(p.muted, 0.35);
        infeas.borderColor = p.muted;
        Object.assign(infeas, { pointRadius: 5, pointStyle: 'crossRot', borderWidth: 2 });
        sel.backgroundColor = 'rgba(0,0,0,0)';
        sel.borderColor = p.highlight;
        Object.assign(sel, { pointRadius: 9, borderWidth: 3 });
      },
    );
    sec.setChart(chart as unknown as Chart);
  }

  const plotHint = h('p', { class: 'hint', 'data-plot-hint': '' });
  sec.canvas?.parentElement?.after(plotHint);
  const updateHint = (): void => {
    const shown = r.points.filter((p) => typeof p.figures[xName] === 'number' && typeof p.figures[yName] === 'number');
    const feasible = shown.filter((p) => p.feasible).length;
    const parts = [`${shown.length} of ${r.points.length} points have both figures and are plotted.`];
    if (!feasible) parts.push('No plotted point meets every constraint, so no front is drawn (see the Note column).');
    plotHint.textContent = parts.join(' ');
  };
  updateHint();

  function refresh(): void {
    updateHint();
    if (chart) {
      const next = datasets();
      next.forEach((d, i) => {
        chart!.data.datasets[i].data = d.data;
      });
      const sx = chart.options.scales?.x;
      const sy = chart.options.scales?.y;
      if (sx && 'title' in sx && sx.title) sx.title.text = figureLabel(xName);
      if (sy && 'title' in sy && sy.title) sy.title.text = figureLabel(yName);
      chart.update('none');
    }
    renderDetail();
  }

  function select_(id: number): void {
    selected = id;
    ctx.state.set({ selectedPoint: id });
    refresh();
    detail.querySelector<HTMLElement>('h3')?.focus();
  }

  function renderDetail(): void {
    clear(detail);
    const p = selected === undefined ? undefined : byId.get(selected);
    if (!p) {
      detail.append(h('p', { class: 'hint' }, 'Select a point (click it in the chart, or use the Select buttons in the table) to see its settings.'));
      return;
    }
    const rows = [...Object.entries(p.settings).map(([k, v]) => [k, String(v)]), ...figureNames.map((f) => [figureLabel(f), fmtFigure(f, p.figures[f])])];
    detail.append(
      h('h3', { tabindex: -1 }, `Point ${p.id}`),
      h('p', null, `${p.feasible ? 'Feasible' : 'Infeasible'}${p.pareto ? ', on the Pareto front of all objectives' : ''}.`),
      ...(p.note ? [h('p', { class: 'note' }, p.note)] : []),
      h(
        'table',
        { 'data-table': 'selected-point' },
        h('caption', null, `Settings and figures of point ${p.id}`),
        h('tbody', null, ...rows.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, v)))),
      ),
    );
    if (ctx.capabilities.applyPoint) {
      detail.append(h('div', { class: 'actions' }, button('Apply to a copy of the config', () => ctx.applyPoint(p.id), { id: 'apply-point' })));
    } else {
      detail.append(h('p', { class: 'hint' }, 'Open this report in VS Code to write these settings into a copy of the config.'));
    }
  }
  renderDetail();
}
