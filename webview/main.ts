// The report panels' browser bundle (dist/webview.js): renders a conversion, simulation or exploration report
// sent by the extension (or embedded in the standalone HTML report), with charts that follow the VS Code theme.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { Chart } from 'chart.js';
import { parsePanelState, parseToWebview, type PanelCapabilities, type PanelState, type ToWebview } from '../src/protocol/messages';
import type { AnyReport } from '../src/protocol/reportShape';
import { destroyCharts, initTheme, retheme } from './charts';
import { clear, h, slug } from './dom';
import { button, type ViewContext } from './section';
import { tableToCsv, type TableSpec } from './table';
import { watchTheme } from './theme';
import { renderConversion } from './views/conversion';
import { renderExploration } from './views/exploration';
import { renderSimulation } from './views/simulation';
import { post, vscodeApi } from './vscodeApi';

const KIND_TITLE = { conversion: 'Conversion report', simulation: 'Simulation report', exploration: 'Exploration report' } as const;

let state: PanelState | undefined;
let capabilities: PanelCapabilities = { applyPoint: false, openFile: false };
const app = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });

function saveState(): void {
  if (state) vscodeApi().setState(state);
}

function setStatus(message: string, ok = true): void {
  status.textContent = message;
  status.classList.toggle('error', !ok);
}

function reportStem(r: AnyReport): string {
  return slug(r.kind === 'exploration' ? r.config.replace(/\.lutdla$/i, '') : r.model);
}

function render(report: AnyReport, title: string | undefined): void {
  destroyCharts();
  clear(app);
  initTheme();
  const stem = reportStem(report);
  const heading = title ?? `${KIND_TITLE[report.kind]}: ${report.kind === 'exploration' ? report.config : report.model}`;
  document.title = heading;
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    button('Export JSON', () => post({ type: 'export', format: 'json', name: `${stem}.${report.kind}.json`, data: JSON.stringify(report, null, 2) }), {
      title: 'Save the whole report as JSON',
    }),
  );
  if (report.kind === 'exploration' && capabilities.openFile) {
    const cfg = report.config;
    toolbar.append(button('Open config', () => post({ type: 'openFile', path: cfg }), { secondary: true, title: `Open ${cfg}` }));
  }
  app.append(h('header', { class: 'report-header' }, h('h1', null, heading), toolbar), status);
  const ctx: ViewContext = {
    root: app,
    stem,
    capabilities,
    exportCsv: (spec: TableSpec) => post({ type: 'export', format: 'csv', name: `${stem}.${spec.id}.csv`, data: tableToCsv(spec) }),
    exportPng: (chart: Chart, name: string) => post({ type: 'export', format: 'png', name, data: chart.toBase64Image('image/png') }),
    state: {
      get: () => ({ ...(state?.ui ?? {}) }),
      set: (patch) => {
        if (!state) return;
        state.ui = { ...state.ui, ...patch };
        saveState();
      },
    },
    applyPoint: (pointId) => post({ type: 'applyPoint', pointId }),
    openFile: (path) => post({ type: 'openFile', path }),
  };
  if (report.kind === 'conversion') renderConversion(ctx, report);
  else if (report.kind === 'simulation') renderSimulation(ctx, report);
  else renderExploration(ctx, report);
  app.setAttribute('data-rendered', report.kind);
}

function showError(message: string): void {
  destroyCharts();
  clear(app);
  app.append(h('div', { class: 'error-box', role: 'alert' }, h('h1', null, 'This report cannot be shown'), h('p', null, message)));
  app.setAttribute('data-rendered', 'error');
}

function handle(body: ToWebview): void {
  if (body.type === 'result') {
    setStatus(body.message, body.ok);
    return;
  }
  if (body.capabilities) capabilities = body.capabilities;
  const sameReport = state && JSON.stringify(state.report) === JSON.stringify(body.report);
  state = { version: 1, report: body.report, title: body.title, reportUri: body.reportUri, ui: sameReport && state ? state.ui : {} };
  saveState();
  try {
    render(body.report, body.title);
    if (state.ui.scrollY) window.scrollTo(0, state.ui.scrollY);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    post({ type: 'error', message: `render failed: ${message}` });
    showError(message);
  }
}

window.addEventListener('message', (ev: MessageEvent) => {
  const parsed = parseToWebview(ev.data);
  if (!parsed.ok) {
    // Not ours or malformed: drop it, and tell the extension's log why.
    console.warn(`lutdla panel: dropped a message: ${parsed.error}`);
    post({ type: 'error', message: `dropped a message from the extension: ${parsed.error}` });
    return;
  }
  handle(parsed.value.body);
});

let scrollTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('scroll', () => {
  clearTimeout(scrollTimer);
  scrollTimer = setTimeout(() => {
    if (state) {
      state.ui.scrollY = window.scrollY;
      saveState();
    }
  }, 200);
});

window.addEventListener('error', (ev) => post({ type: 'error', message: String(ev.message) }));

watchTheme(retheme);

// Come back at once from saved state after a reload; the extension may follow with a fresher 'load'.
const restored = parsePanelState(vscodeApi().getState());
if (restored) {
  state = restored;
  try {
    render(restored.report, restored.title);
  } catch (e) {
    showError(e instanceof Error ? e.message : String(e));
  }
}
post({ type: 'ready' });
