import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateReport, type AnyReport } from '../protocol/reportShape';

/**
 * The standalone HTML report (`lutdla ... --html`): the panels' own bundle (dist/webview.js, dist/webview.css)
 * inlined into one self-contained file, with a CSP meta tag (nonce for the scripts, hash for the style, no
 * network), the report embedded as JSON data, and a small stand-in for the VS Code webview API so the same
 * bundle runs; exports become downloads. No `vscode` import.
 */
export interface WebviewAssets {
  bundleJs: string;
  css: string;
}

const KIND_TITLE = { conversion: 'Conversion report', simulation: 'Simulation report', exploration: 'Exploration report' } as const;

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Text that is safe inside a <script> or <style> element: it cannot close the element or open a comment. */
function scriptSafe(text: string): string {
  return text
    .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n')
    .replace(/\/\*# sourceMappingURL=\S+ \*\/\s*$/, '')
    .replace(/<\/(script|style)/gi, '<\\/$1')
    .replace(/<!--/g, '<\\!--');
}

/** JSON inside <script type="application/json">: `<` escaped so no text of the report can end the element. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Plays the extension's part: answers `ready` with the embedded report, turns exports into downloads. */
const STAND_IN = `(function () {
  'use strict';
  var KEY = 'lutdla-report-state:' + location.pathname;
  var next = 1;
  function theme() {
    var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
    document.body.classList.toggle('vscode-dark', !!dark);
    document.body.classList.toggle('vscode-light', !dark);
  }
  theme();
  if (window.matchMedia) window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', theme);
  function reply(inReplyTo, body) {
    var m = { messageId: next++, inReplyTo: inReplyTo, body: body };
    setTimeout(function () { window.postMessage(m, '*'); }, 0);
  }
  function download(b) {
    var types = { json: 'application/json', csv: 'text/csv' };
    var href = b.format === 'png' ? b.data : URL.createObjectURL(new Blob([b.data], { type: types[b.format] }));
    var a = document.createElement('a');
    a.href = href;
    a.download = String(b.name).replace(/[\\\\/]/g, '_');
    document.body.appendChild(a);
    a.click();
    a.remove();
    if (href !== b.data) setTimeout(function () { URL.revokeObjectURL(href); }, 10000);
  }
  var api = {
    postMessage: function (m) {
      var b = m && m.body;
      if (!b) return;
      if (b.type === 'ready') {
        var report = JSON.parse(document.getElementById('lutdla-report').textContent);
        reply(m.messageId, { type: 'load', report: report, capabilities: { applyPoint: false, openFile: false } });
      } else if (b.type === 'export') {
        download(b);
        reply(m.messageId, { type: 'result', ok: true, message: 'Downloaded ' + b.name });
      } else if (b.type === 'error') {
        console.warn('lutdla report: ' + b.message);
      }
    },
    getState: function () {
      try { return JSON.parse(sessionStorage.getItem(KEY) || 'null') || undefined; } catch (e) { return undefined; }
    },
    setState: function (s) {
      try { sessionStorage.setItem(KEY, JSON.stringify(s)); } catch (e) { /* storage may be off for file:// */ }
    },
  };
  var acquired = false;
  window.acquireVsCodeApi = function () {
    if (acquired) throw new Error('acquireVsCodeApi may be called once');
    acquired = true;
    return api;
  };
})();`;

export function renderStandaloneHtml(report: AnyReport, assets: WebviewAssets): string {
  const nonce = randomBytes(18).toString('base64').replace(/[+/=]/g, '');
  const css = scriptSafe(assets.css);
  const styleHash = createHash('sha256').update(css, 'utf8').digest('base64');
  const csp = ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src 'sha256-${styleHash}'`, 'img-src data: blob:'].join('; ');
  const name = report.kind === 'exploration' ? report.config : report.model;
  const title = `${KIND_TITLE[report.kind]}: ${name}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="generator" content="lutdla">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body class="standalone vscode-light">
<main id="app"><p>Loading the report… (this page needs JavaScript)</p></main>
<script type="application/json" id="lutdla-report">${embedJson(report)}</script>
<script nonce="${nonce}">${STAND_IN}</script>
<script nonce="${nonce}">${scriptSafe(assets.bundleJs)}</script>
</body>
</html>
`;
}

/** Finds dist/webview.js and dist/webview.css: next to this file in a bundle (dist/cli.js), else the repo's dist/. */
export function loadWebviewAssets(distDir?: string): WebviewAssets {
  const candidates = distDir ? [distDir] : [__dirname, path.resolve(__dirname, '..', '..', 'dist')];
  for (const dir of candidates) {
    const js = path.join(dir, 'webview.js');
    const css = path.join(dir, 'webview.css');
    if (fs.existsSync(js) && fs.existsSync(css)) return { bundleJs: fs.readFileSync(js, 'utf8'), css: fs.readFileSync(css, 'utf8') };
  }
  throw new Error(`the report panel bundle (webview.js, webview.css) was not found in ${candidates.join(' or ')}: run \`npm run build\``);
}

/** Reads and checks a report file; the error names the file and the wrong field. */
export function readReportFile(file: string): AnyReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`${file}: not a readable JSON report (${why})`);
  }
  const checked = validateReport(parsed);
  if (!checked.ok) throw new Error(`${file}: not a valid LUT-DLA report: ${checked.error}`);
  return checked.value;
}

/**
 * Writes the standalone HTML report for a report (object or JSON file path) to `outFile`, under a temporary
 * name first, so an interrupted write leaves no half-written file. Returns the path written.
 */
export function writeHtmlReport(input: string | AnyReport, outFile: string, assets: WebviewAssets = loadWebviewAssets()): string {
  const report = typeof input === 'string' ? readReportFile(input) : input;
  if (typeof input !== 'string') {
    const checked = validateReport(input);
    if (!checked.ok) throw new Error(`the ${String((input as { kind?: unknown }).kind)} report is not valid: ${checked.error}`);
  }
  const html = renderStandaloneHtml(report, assets);
  const dir = path.dirname(path.resolve(outFile));
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(outFile)}.${process.pid}.partial`);
  try {
    fs.writeFileSync(temp, html);
    fs.renameSync(temp, outFile);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
  return outFile;
}
