import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { panelHtml } from '../../src/extension/panels/panelHtml';
import type { AnyReport } from '../../src/protocol/reportShape';
import { renderStandaloneHtml } from '../../src/reports/html';

/**
 * A local server that serves the panel page exactly as the extension builds it (same template, same CSP, the
 * bundle from dist/), and standalone HTML reports. The origin stands in for `webview.cspSource`.
 */
export const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');

export interface Server {
  origin: string;
  panelUrl: string;
  /** Registers a standalone report; returns its URL. */
  standalone(name: string, report: AnyReport): string;
  close(): Promise<void>;
}

export async function startServer(): Promise<Server> {
  const standalone = new Map<string, string>();
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const send = (code: number, type: string, body: string | Buffer) => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
    if (url.pathname === '/panel.html') {
      return send(200, 'text/html; charset=utf-8', panelHtml({ cspSource: origin, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/dist/webview.css`, title: 'Report' }));
    }
    const m = /^\/dist\/(webview\.(?:js|css))$/.exec(url.pathname);
    if (m) return send(200, m[1].endsWith('.js') ? 'text/javascript' : 'text/css', fs.readFileSync(path.join(DIST, m[1])));
    const s = /^\/standalone\/([\w.-]+)\.html$/.exec(url.pathname);
    if (s && standalone.has(s[1])) return send(200, 'text/html; charset=utf-8', standalone.get(s[1])!);
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const assets = { bundleJs: fs.readFileSync(path.join(DIST, 'webview.js'), 'utf8'), css: fs.readFileSync(path.join(DIST, 'webview.css'), 'utf8') };
  return {
    origin,
    panelUrl: `${origin}/panel.html`,
    standalone(name, report) {
      standalone.set(name, renderStandaloneHtml(report, assets));
      return `${origin}/standalone/${name}.html`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Theme variables as VS Code sets them on a webview's <html> (a subset of Light Modern / Dark Modern). */
export const THEMES: Record<'light' | 'dark' | 'hc', { bodyClass: string; vars: Record<string, string> }> = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      '--vscode-font-family': 'system-ui, Ubuntu, "Droid Sans", sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-background': '#ffffff',
      '--vscode-editor-foreground': '#3b3b3b',
      '--vscode-descriptionForeground': '#717171',
      '--vscode-errorForeground': '#e51400',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-widget-border': '#e5e5e5',
      '--vscode-panel-border': '#e5e5e5',
      '--vscode-sideBar-background': '#f8f8f8',
      '--vscode-list-hoverBackground': '#f2f2f2',
      '--vscode-textLink-foreground': '#005fb8',
      '--vscode-charts-foreground': '#3b3b3b',
      '--vscode-charts-lines': 'rgba(59, 59, 59, 0.2)',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#388a34',
      '--vscode-charts-purple': '#652d90',
      '--vscode-charts-red': '#e51400',
      '--vscode-charts-yellow': '#bf8803',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-dropdown-background': '#ffffff',
      '--vscode-dropdown-foreground': '#3b3b3b',
      '--vscode-dropdown-border': '#cecece',
      '--vscode-foreground': '#3b3b3b',
      '--vscode-settings-dropdownBackground': '#ffffff',
      '--vscode-settings-dropdownForeground': '#3b3b3b',
      '--vscode-settings-dropdownBorder': '#cecece',
      '--vscode-settings-dropdownListBorder': '#c8c8c8',
      '--vscode-list-activeSelectionBackground': '#e8e8e8',
      '--vscode-list-activeSelectionForeground': '#000000',
      '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.16)',
      '--vscode-button-hoverBackground': '#0258a8',
      '--vscode-button-secondaryHoverBackground': '#cccccc',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      '--vscode-font-family': 'system-ui, Ubuntu, "Droid Sans", sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-editor-foreground': '#cccccc',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-errorForeground': '#f85149',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-widget-border': '#313131',
      '--vscode-panel-border': '#2b2b2b',
      '--vscode-sideBar-background': '#181818',
      '--vscode-list-hoverBackground': '#2a2d2e',
      '--vscode-textLink-foreground': '#4daafc',
      '--vscode-charts-foreground': '#cccccc',
      '--vscode-charts-lines': 'rgba(204, 204, 204, 0.2)',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-secondaryBackground': '#313131',
      '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-dropdown-background': '#313131',
      '--vscode-dropdown-foreground': '#cccccc',
      '--vscode-dropdown-border': '#3c3c3c',
      '--vscode-foreground': '#cccccc',
      '--vscode-settings-dropdownBackground': '#313131',
      '--vscode-settings-dropdownForeground': '#cccccc',
      '--vscode-settings-dropdownBorder': '#3c3c3c',
      '--vscode-settings-dropdownListBorder': '#454545',
      '--vscode-list-activeSelectionBackground': '#04395e',
      '--vscode-list-activeSelectionForeground': '#ffffff',
      '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.36)',
      '--vscode-button-hoverBackground': '#026ec1',
      '--vscode-button-secondaryHoverBackground': '#3c3c3c',
    },
  },
  hc: {
    bodyClass: 'vscode-high-contrast',
    vars: {
      '--vscode-font-family': 'system-ui, Ubuntu, "Droid Sans", sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-background': '#000000',
      '--vscode-editor-foreground': '#ffffff',
      '--vscode-foreground': '#ffffff',
      '--vscode-descriptionForeground': '#ffffff',
      '--vscode-errorForeground': '#f48771',
      '--vscode-focusBorder': '#f38518',
      '--vscode-contrastBorder': '#6fc3df',
      '--vscode-widget-border': '#6fc3df',
      '--vscode-panel-border': '#6fc3df',
      '--vscode-textLink-foreground': '#21a6ff',
      '--vscode-charts-foreground': '#ffffff',
      '--vscode-charts-lines': 'rgba(255, 255, 255, 0.5)',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-button-background': '#000000',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-border': '#6fc3df',
      '--vscode-button-secondaryBackground': '#000000',
      '--vscode-button-secondaryForeground': '#ffffff',
      '--vscode-settings-dropdownBackground': '#000000',
      '--vscode-settings-dropdownForeground': '#ffffff',
      '--vscode-settings-dropdownBorder': '#6fc3df',
    },
  },
};

/**
 * Script run in the page before any of its scripts (playwright init script; plain JS in pageInit.js so that no
 * compiler helper leaks into it): records CSP violations, errors, alerts and posted messages, stands in for
 * acquireVsCodeApi, and applies the theme as VS Code would.
 */
export function initScript(theme: 'light' | 'dark' | 'hc', state?: unknown): { content: string } {
  const js = fs.readFileSync(path.join(__dirname, 'pageInit.js'), 'utf8');
  return { content: `${js}\n;lutdlaTestInit(${JSON.stringify({ themes: THEMES, theme, state })});` };
}
