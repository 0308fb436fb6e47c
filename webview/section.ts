import type { Chart } from 'chart.js';
import { clear, h, uniqueId } from './dom';
import { renderTable, type TableSpec } from './table';

/** What a view needs from the page around it. */
export interface ViewContext {
  root: HTMLElement;
  /** Suggested file-name stem for exports, from the report's model or config name. */
  stem: string;
  exportCsv(spec: TableSpec): void;
  exportPng(chart: Chart, name: string): void;
  state: { get(): Record<string, unknown>; set(patch: Record<string, unknown>): void };
  capabilities: { applyPoint: boolean; openFile: boolean };
  applyPoint(pointId: number): void;
  openFile(path: string): void;
}

export function button(label: string, onClick: () => void, opts: { secondary?: boolean; title?: string; id?: string } = {}): HTMLElement {
  // The title doubles as the accessible name: several sections have a "CSV" button, the name says which table.
  const b = h('vscode-button', { secondary: opts.secondary, title: opts.title, 'aria-label': opts.title, id: opts.id }, label);
  b.addEventListener('click', onClick);
  return b;
}

export interface SectionSpec {
  title: string;
  description?: string;
  /** The chart's accessible name; the table next to it carries the same data. */
  chartLabel?: string;
  tall?: boolean;
  table: TableSpec;
  /** Extra content under the table (e.g. a selection panel). */
  extra?: Node;
}

export interface Section {
  element: HTMLElement;
  canvas?: HTMLCanvasElement;
  /** Replace the table (e.g. after the user changes what the chart shows). */
  setTable(spec: TableSpec): void;
  setChart(chart: Chart): void;
}

/** A heading, a chart with its data table next to it, and CSV / PNG export buttons. Appended to ctx.root. */
export function section(ctx: ViewContext, spec: SectionSpec): Section {
  const headingId = uniqueId('h');
  let table = spec.table;
  let chart: Chart | undefined;
  const canvas = spec.chartLabel ? h('canvas', { role: 'img', 'aria-label': spec.chartLabel }) : undefined;
  const actions = h('div', { class: 'actions' });
  if (canvas) {
    actions.append(button('PNG', () => chart && ctx.exportPng(chart, `${ctx.stem}.${table.id}.png`), { secondary: true, title: `Export the chart "${spec.title}" as PNG` }));
  }
  actions.append(button('CSV', () => ctx.exportCsv(table), { secondary: true, title: `Export the table "${spec.title}" as CSV` }));
  const tableHolder = h('div', { class: 'table-holder' }, renderTable(table));
  const tableCol = h('div', { class: 'table-col' }, tableHolder, spec.extra);
  // Wide tables go under their chart at full width; narrow ones sit next to it on wide screens.
  const wide = spec.table.columns.length > 6;
  const body = h('div', { class: canvas && !wide ? 'section-body with-chart' : 'section-body' });
  if (canvas) body.append(h('figure', { class: spec.tall ? 'chart tall' : 'chart' }, canvas));
  body.append(tableCol);
  const element = h(
    'section',
    { class: 'section', 'aria-labelledby': headingId, 'data-section': table.id },
    h('div', { class: 'section-head' }, h('h2', { id: headingId }, spec.title), actions),
    spec.description ? h('p', { class: 'description' }, spec.description) : null,
    body,
  );
  ctx.root.append(element);
  return {
    element,
    canvas,
    setTable(next) {
      table = next;
      clear(tableHolder);
      tableHolder.append(renderTable(next));
    },
    setChart(c) {
      chart = c;
    },
  };
}

/** A definition list of headline figures. */
export function summary(items: [string, string][]): HTMLElement {
  return h('dl', { class: 'summary' }, ...items.map(([k, v]) => h('div', { class: 'summary-item' }, h('dt', null, k), h('dd', null, v))));
}
