import { h } from './dom';

/**
 * A table described once and rendered twice: as an accessible HTML <table> (caption, th scope) next to its
 * chart, and as CSV for export. Cells carry the raw value (for CSV) and the displayed text.
 */
export type Raw = string | number | boolean | null;
export interface Cell {
  raw: Raw;
  text?: string;
}
export interface Column {
  label: string;
  numeric?: boolean;
}
export interface TableSpec {
  id: string;
  caption: string;
  columns: Column[];
  /** The first cell of each row is its header (th scope=row). */
  rows: (Cell | Raw)[][];
  /** An optional button at the end of each row (e.g. select a design point), keyboard-reachable. */
  action?: { label: string; describe: (row: number) => string; run: (row: number) => void };
}

function cell(c: Cell | Raw): Cell {
  return c !== null && typeof c === 'object' ? c : { raw: c };
}

function text(c: Cell): string {
  if (c.text !== undefined) return c.text;
  if (c.raw === null) return '–';
  return String(c.raw);
}

/** Rows rendered at first; a very large sweep would otherwise build hundreds of thousands of nodes. */
export const ROW_LIMIT = 1000;

export function renderTable(spec: TableSpec, limit = ROW_LIMIT): HTMLElement {
  const action = spec.action;
  const head = h(
    'tr',
    null,
    ...spec.columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : undefined }, c.label)),
    action ? h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Action')) : null,
  );
  const body = spec.rows.slice(0, limit).map((row, r) => {
    let btn: HTMLButtonElement | null = null;
    if (action) {
      btn = h('button', { type: 'button', class: 'row-action', 'aria-label': action.describe(r) }, action.label);
      btn.addEventListener('click', () => action.run(r));
    }
    return h(
      'tr',
      { 'data-row': r },
      ...row.map((raw, i) => {
        const c = cell(raw);
        const cls = spec.columns[i]?.numeric ? 'num' : undefined;
        return i === 0 ? h('th', { scope: 'row', class: cls }, text(c)) : h('td', { class: cls }, text(c));
      }),
      btn ? h('td', null, btn) : null,
    );
  });
  const table = h('table', { 'data-table': spec.id }, h('caption', null, spec.caption), h('thead', null, head), h('tbody', null, ...body));
  if (!body.length) {
    const span = spec.columns.length + (action ? 1 : 0);
    table.append(h('tfoot', null, h('tr', null, h('td', { colspan: span, class: 'empty' }, 'None'))));
  }
  // A focusable scroll region, so keyboard users can scroll a wide table.
  const wrap = h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': spec.caption }, table);
  if (spec.rows.length <= limit) return wrap;
  const more = h('button', { type: 'button', class: 'row-action' }, `Show all ${spec.rows.length.toLocaleString('en-US')} rows`);
  const note = h('p', { class: 'hint' }, `Showing the first ${limit.toLocaleString('en-US')} of ${spec.rows.length.toLocaleString('en-US')} rows (the CSV export has all). `, more);
  const box = h('div', null, wrap, note);
  more.addEventListener('click', () => box.replaceWith(renderTable(spec, Infinity)));
  return box;
}

function csvField(v: Raw): string {
  if (v === null) return '';
  const s = String(v);
  // Quote when needed; prefix formula-like text so spreadsheets do not evaluate names from a model.
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function tableToCsv(spec: TableSpec): string {
  const lines = [spec.columns.map((c) => csvField(c.label)).join(',')];
  for (const row of spec.rows) lines.push(row.map((c) => csvField(cell(c).raw)).join(','));
  return lines.join('\r\n') + '\r\n';
}
