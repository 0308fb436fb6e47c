import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AnyReport } from '../../src/protocol/reportShape';
import { fmtBytes, fmtNum, fmtPct, fmtSI } from '../../webview/format';
import {
  conversionReport,
  EVIL_NAMES,
  evilConversionReport,
  evilSimulationReport,
  explorationReport,
  largeExplorationReport,
  resnetConversionReport,
  resnetSimulationReport,
  simulationReport,
} from './fixtures';
import { initScript, ROOT, startServer, type Server } from './harness';

const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'webview');
type Theme = 'light' | 'dark' | 'hc';

class Failure extends Error {}
function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Failure(message);
}

interface Opened {
  page: Page;
  consoleErrors: string[];
  close(): Promise<void>;
}

async function open(browser: Browser, url: string, theme: Theme, state?: unknown): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: theme === 'light' ? 'light' : 'dark', acceptDownloads: true });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  if (!url.includes('/standalone/')) await page.addInitScript(initScript(theme, state));
  else {
    await page.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      const v: string[] = [];
      w.__violations = v;
      w.__alerts = 0;
      w.alert = () => {
        (w.__alerts as number)++;
      };
      document.addEventListener('securitypolicyviolation', (e) => v.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
  }
  await page.goto(url);
  return { page, consoleErrors, close: () => context.close() };
}

let messageId = 1000;
async function load(page: Page, report: unknown, extra: Record<string, unknown> = {}): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), { messageId: messageId++, body: { type: 'load', report, capabilities: { applyPoint: true, openFile: true }, ...extra } });
}

async function rendered(page: Page, kind: string): Promise<void> {
  await page.waitForSelector(`#app[data-rendered="${kind}"]`, { timeout: 10_000 });
  // Lit elements render in a microtask; charts draw synchronously (no animation). One frame for layout.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** For each canvas: how many pixels differ clearly from the top-left (background) pixel. */
async function canvasInk(page: Page): Promise<number[]> {
  return page.$$eval('canvas', (canvases) =>
    canvases.map((c) => {
      const ctx = c.getContext('2d');
      if (!ctx || !c.width || !c.height) return 0;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const [r0, g0, b0] = [d[0], d[1], d[2]];
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r0) + Math.abs(d[i + 1] - g0) + Math.abs(d[i + 2] - b0) > 60) n++;
      return n;
    }),
  );
}

async function checkClean(o: Opened): Promise<void> {
  const violations = await o.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  assert(violations.length === 0, `CSP violations: ${violations.join(' | ')}`);
  const alerts = await o.page.evaluate(() => (window as unknown as { __alerts: number }).__alerts);
  assert(alerts === 0, `alert() was called ${alerts} times`);
  assert(o.consoleErrors.length === 0, `console errors: ${o.consoleErrors.join(' | ')}`);
}

async function rowCount(page: Page, table: string): Promise<number> {
  return page.$$eval(`table[data-table="${table}"] tbody tr`, (rows) => rows.length);
}

async function posted(page: Page): Promise<{ messageId: number; body: Record<string, unknown> }[]> {
  return page.evaluate(() => (window as unknown as { __posted: { messageId: number; body: Record<string, unknown> }[] }).__posted);
}

async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

interface Case {
  name: string;
  report: AnyReport;
  rowsTable: string;
  rows: number;
}

const cases: Case[] = [
  { name: 'conversion', report: conversionReport(), rowsTable: 'layers', rows: 4 },
  { name: 'conversion-resnet', report: resnetConversionReport(), rowsTable: 'layers', rows: 19 },
  { name: 'simulation', report: simulationReport(), rowsTable: 'layers', rows: 4 },
  { name: 'simulation-resnet', report: resnetSimulationReport(), rowsTable: 'layers', rows: 19 },
  { name: 'exploration', report: explorationReport(), rowsTable: 'points', rows: 36 },
  { name: 'conversion-html-names', report: evilConversionReport(), rowsTable: 'layers', rows: 4 },
  { name: 'simulation-html-names', report: evilSimulationReport(), rowsTable: 'layers', rows: 4 },
];

export async function runSuite(executablePath: string): Promise<{ passed: number; failed: number }> {
  const tests: [string, (b: Browser, s: Server) => Promise<void>][] = [];
  const test = (name: string, fn: (b: Browser, s: Server) => Promise<void>) => tests.push([name, fn]);

  for (const c of cases) {
    for (const theme of ['light', 'dark'] as Theme[]) {
      test(`${c.name} panel renders in the ${theme} theme`, async (browser, server) => {
        const o = await open(browser, server.panelUrl, theme);
        try {
          await load(o.page, c.report);
          await rendered(o.page, c.report.kind);
          const rows = await rowCount(o.page, c.rowsTable);
          assert(rows === c.rows, `table ${c.rowsTable}: ${rows} rows, expected ${c.rows}`);
          const ink = await canvasInk(o.page);
          assert(ink.length > 0, 'no chart drawn');
          ink.forEach((n, i) => assert(n > 300, `canvas ${i} looks blank (${n} inked pixels)`));
          // Every chart has a table next to it.
          const sections = await o.page.$$eval('section.section', (s) => s.map((x) => ({ chart: !!x.querySelector('canvas'), table: !!x.querySelector('table caption') })));
          assert(sections.every((s) => s.table), 'a section without a captioned table');
          if (c.name === 'conversion') {
            const text = await o.page.$eval('#app', (el) => (el as HTMLElement).innerText);
            assert(/drop before fine-tuning 1\.33 points, after 0\.71 points/.test(text), 'the fine-tuning section does not say what the stage bought');
            // Sensitivity: the layer table says what keeping each layer dense would buy, after the relative error.
            const rows = await o.page.$$eval('table[data-table="layers"] tr', (trs) => trs.map((tr) => Array.from(tr.children, (c) => (c.textContent ?? '').trim())));
            const header = rows[0] ?? [];
            const col = header.indexOf('Drop if kept dense (pp)');
            assert(col > header.indexOf('Relative error'), `no kept-dense column after the relative error: ${header.join(' | ')}`);
            const fc1 = rows.find((row) => row[0] === 'fc1');
            assert(fc1?.[col] === '0.31 ± 0.07', `fc1's drop if kept dense: ${fc1?.[col]}`);
          }
          if (c.name.includes('html-names')) {
            const found = await o.page.$$eval('#app img, #app script, #app b, #app i, #app svg', (els) => els.map((e) => e.outerHTML));
            assert(found.length === 0, `markup from the report became elements: ${found.join(', ')}`);
            const text = await o.page.$eval('#app', (el) => (el as HTMLElement).innerText);
            for (const n of EVIL_NAMES) assert(text.includes(n), `name not shown as text: ${n}`);
          }
          await screenshot(o.page, `${c.name}-${theme}`);
          await checkClean(o);
        } finally {
          await o.close();
        }
      });
    }
  }

  for (const [name, report] of [['simulation', simulationReport()], ['exploration', explorationReport()]] as const) {
    test(`${name} panel renders in a high-contrast theme`, async (browser, server) => {
      const o = await open(browser, server.panelUrl, 'hc');
      try {
        await load(o.page, report);
        await rendered(o.page, report.kind);
        const ink = await canvasInk(o.page);
        assert(ink.length > 0 && ink.every((n) => n > 300), `blank chart ${ink}`);
        await screenshot(o.page, `${name}-high-contrast`);
        await checkClean(o);
      } finally {
        await o.close();
      }
    });
  }

  test('number formatting for tables and axes (runs in node)', async () => {
    assert(fmtSI(0.00099996, 's') === '1.00 ms', fmtSI(0.00099996, 's'));
    assert(fmtSI(658e-6, 's') === '658 µs', fmtSI(658e-6, 's'));
    assert(fmtSI(1234, 's') === '20.6 min', fmtSI(1234, 's'));
    assert(fmtSI(2.79, 'W') === '2.79 W', fmtSI(2.79, 'W'));
    assert(fmtBytes(6.6 * 1024 * 1024) === '6.60 MiB', fmtBytes(6.6 * 1024 * 1024));
    assert(fmtNum(131072) === '131,072' && fmtNum(6.42e6) === '6.42e+6' && fmtNum(null) === '–', 'fmtNum');
    assert(fmtPct(0.98412) === '98.41 %', fmtPct(0.98412));
  });

  test('theme switch re-colours the charts (body class + variables)', async (browser, server) => {
    const o = await open(browser, server.panelUrl, 'light');
    try {
      await load(o.page, simulationReport());
      await rendered(o.page, 'simulation');
      const corner = () => o.page.$eval('canvas', (c) => Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(1, 1, 1, 1).data.slice(0, 3)));
      const before = await corner();
      await o.page.evaluate(() => (window as unknown as { __setTheme: (t: string) => void }).__setTheme('dark'));
      await o.page.waitForFunction(() => {
        const c = document.querySelector('canvas')!;
        return c.getContext('2d')!.getImageData(1, 1, 1, 1).data[0] < 100;
      }, undefined, { timeout: 5000 });
      const after = await corner();
      assert(before[0] > 200 && after[0] < 100, `background did not follow the theme: ${before} -> ${after}`);
      await screenshot(o.page, 'simulation-switched-to-dark');
      await checkClean(o);
    } finally {
      await o.close();
    }
  });

  test('exports post JSON, CSV and PNG to the extension', async (browser, server) => {
    const o = await open(browser, server.panelUrl, 'dark');
    try {
      const rep = conversionReport();
      await load(o.page, rep);
      await rendered(o.page, 'conversion');
      await o.page.click('.toolbar vscode-button');
      await o.page.click('section[data-section="layers"] vscode-button:has-text("CSV")');
      await o.page.click('section[data-section="layers"] vscode-button:has-text("PNG")');
      const msgs = (await posted(o.page)).filter((m) => m.body.type === 'export');
      assert(msgs.length === 3, `expected 3 export messages, got ${msgs.length}`);
      const [json, csv, png] = msgs.map((m) => m.body as { format: string; name: string; data: string });
      assert(json.format === 'json' && JSON.parse(json.data).layers.length === rep.layers.length, 'JSON export is not the report');
      assert(csv.format === 'csv' && csv.data.trim().split('\r\n').length === rep.layers.length + 1, 'CSV export does not have one line per layer plus a header');
      assert(png.format === 'png' && png.data.startsWith('data:image/png;base64,') && png.data.length > 5000, 'PNG export is not a PNG data URL');
      assert(/^mnist-cnn\.layers\.(csv|png)$/.test(csv.name) && png.name.endsWith('.png'), `export names: ${csv.name}, ${png.name}`);
      await checkClean(o);
    } finally {
      await o.close();
    }
  });

  test('exploration: objective pickers, point selection, applyPoint, saved state and revive', async (browser, server) => {
    const rep = explorationReport();
    const o = await open(browser, server.panelUrl, 'light');
    let state: unknown;
    try {
      await load(o.page, rep);
      await rendered(o.page, 'exploration');
      // Choose energy on the Y axis.
      await o.page.evaluate(() => {
        const sel = document.querySelectorAll('vscode-single-select')[1] as HTMLElement & { value: string };
        sel.value = 'energy';
        sel.dispatchEvent(new Event('change'));
      });
      await o.page.waitForFunction(() => (window as unknown as { __getState: () => { ui: { yObjective?: string } } }).__getState()?.ui.yObjective === 'energy');
      // Select point 5 from its table row (keyboard path), then apply.
      const btn = o.page.locator('table[data-table="points"] tr[data-row="5"] button');
      await btn.focus();
      await o.page.keyboard.press('Enter');
      await o.page.waitForSelector('table[data-table="selected-point"]');
      const caption = await o.page.$eval('table[data-table="selected-point"] caption', (c) => c.textContent);
      assert(caption?.includes(`point ${rep.points[5].id}`), `selected point caption: ${caption}`);
      await o.page.click('#apply-point');
      const apply = (await posted(o.page)).find((m) => m.body.type === 'applyPoint');
      assert(apply && apply.body.pointId === rep.points[5].id, 'applyPoint not posted with the point id');
      const ink = await canvasInk(o.page);
      assert(ink[0] > 300, 'scatter blank after re-plot');
      await screenshot(o.page, 'exploration-selected-light');
      // Where point 5 is drawn: the centre of its selection ring (the theme's focus border colour, #005fb8).
      const ring = await o.page.$eval('section[data-section="points"] canvas', (c) => {
        const cv = c as HTMLCanvasElement;
        const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
        let sx = 0;
        let sy = 0;
        let n = 0;
        // Below the legend (which shows the same colour in its 'selected' box).
        for (let i = 4 * cv.width * 40; i < d.length; i += 4) {
          if (Math.abs(d[i] - 0) + Math.abs(d[i + 1] - 95) + Math.abs(d[i + 2] - 184) < 40) {
            sx += (i / 4) % cv.width;
            sy += Math.floor(i / 4 / cv.width);
            n++;
          }
        }
        const r = cv.getBoundingClientRect();
        return n ? { x: (sx / n) * (r.width / cv.width), y: (sy / n) * (r.height / cv.height), n } : undefined;
      });
      assert(ring, 'selection ring not found on the scatter');
      // Select another point from the table, then click point 5 on the chart: the click selects it again.
      await o.page.click('table[data-table="points"] tr[data-row="6"] button');
      await o.page.waitForFunction(() => document.querySelector('table[data-table="selected-point"] caption')?.textContent?.includes('point 6'));
      const canvas = o.page.locator('section[data-section="points"] canvas');
      await canvas.hover({ position: { x: ring.x, y: ring.y } });
      await canvas.click({ position: { x: ring.x, y: ring.y } });
      await o.page.waitForFunction((id) => document.querySelector('table[data-table="selected-point"] caption')?.textContent?.includes(`point ${id}`), rep.points[5].id, { timeout: 5000 });
      // Hovering a point draws its settings in a tooltip (more ink on the canvas, in its dark tooltip box).
      await o.page.mouse.move(5, 5);
      await o.page.waitForTimeout(100);
      const [plain] = await canvasInk(o.page);
      await canvas.hover({ position: { x: ring.x, y: ring.y } });
      await o.page.waitForTimeout(200);
      const [hovered] = await canvasInk(o.page);
      assert(hovered > plain + 2000, `no tooltip drawn on hover (${plain} -> ${hovered} inked pixels)`);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await canvas.screenshot({ path: path.join(ARTIFACTS, 'exploration-tooltip-light.png') });
      state = await o.page.evaluate(() => (window as unknown as { __getState: () => unknown }).__getState());
      await checkClean(o);
    } finally {
      await o.close();
    }
    // After a reload the panel comes back from its saved state before the extension sends anything.
    const r = await open(browser, server.panelUrl, 'dark', state);
    try {
      await rendered(r.page, 'exploration');
      const caption = await r.page.$eval('table[data-table="selected-point"] caption', (c) => c.textContent);
      assert(caption?.includes(`point ${rep.points[5].id}`), 'selection not restored');
      const y = await r.page.evaluate(() => (document.querySelectorAll('vscode-single-select')[1] as HTMLElement & { value: string }).value);
      assert(y === 'energy', `Y objective not restored: ${y}`);
      const ready = (await posted(r.page)).some((m) => m.body.type === 'ready');
      assert(ready, 'revived panel did not post ready');
      await checkClean(r);
    } finally {
      await r.close();
    }
  });

  test('a sweep of 5,000 points renders; the table shows 1,000 rows until asked for all', async (browser, server) => {
    const rep = largeExplorationReport(5000);
    const o = await open(browser, server.panelUrl, 'light');
    try {
      const t0 = Date.now();
      await load(o.page, rep);
      await rendered(o.page, 'exploration');
      const ms = Date.now() - t0;
      assert((await rowCount(o.page, 'points')) === 1000, 'row limit');
      const ink = await canvasInk(o.page);
      assert(ink[0] > 300, 'scatter blank');
      await o.page.click('text=Show all 5,000 rows');
      assert((await rowCount(o.page, 'points')) === 5000, 'show all');
      console.log(`      (5,000-point exploration rendered in ${ms} ms)`);
      await checkClean(o);
    } finally {
      await o.close();
    }
  });

  test('invalid messages are dropped and logged, the panel keeps working', async (browser, server) => {
    const o = await open(browser, server.panelUrl, 'light');
    try {
      const bad = conversionReport() as unknown as { layers: { tableBytes: unknown }[] };
      bad.layers[2].tableBytes = 'many';
      await o.page.evaluate((m) => window.postMessage(m, '*'), { messageId: 1, body: { type: 'load', report: bad } });
      await o.page.evaluate((m) => window.postMessage(m, '*'), { nonsense: true });
      await o.page.waitForFunction(() => (window as unknown as { __posted: { body: { type: string } }[] }).__posted.filter((m) => m.body.type === 'error').length >= 2);
      const errors = (await posted(o.page)).filter((m) => m.body.type === 'error').map((m) => String(m.body.message));
      assert(errors.some((e) => e.includes('layers[2].tableBytes')), `error does not name the field: ${errors.join(' | ')}`);
      const renderedAttr = await o.page.$eval('#app', (el) => el.getAttribute('data-rendered'));
      assert(renderedAttr === null, 'an invalid report was rendered');
      await load(o.page, simulationReport());
      await rendered(o.page, 'simulation');
      await checkClean(o);
    } finally {
      await o.close();
    }
  });

  test('reports written by the real CLI (convert, simulate, explore on examples/) render', async (browser, server) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lutdla-webview-'));
    try {
      const cli = path.join(ROOT, 'dist', 'cli.js');
      assert(fs.existsSync(cli), 'dist/cli.js missing: build first');
      const run = (args: string[]) => execFileSync(process.execPath, [cli, ...args, '--out', dir], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
      // The bundled demo model is made by the repo's own trainer (cached in examples/mnist/), as `npm run demo` does.
      execFileSync(process.execPath, ['--import', 'tsx', path.join('src', 'demo', 'main.ts'), ROOT], { cwd: ROOT, stdio: 'pipe', timeout: 300_000 });
      run(['convert', 'examples/mnist/mnist-cnn.onnx', '--calibration', 'examples/mnist/digits.npy', '--calibration-range', '0:200',
        '--evaluation', 'examples/mnist/digits.npy', '--evaluation-range', '9000:9300', '--labels', 'examples/mnist/labels.npy',
        '--scale', '0.00392', '--samples', '4096', '--iterations', '5']);
      run(['simulate', 'examples/mnist/mnist-cnn.onnx', '--config', 'examples/edge.lutdla']);
      run(['explore', 'examples/edge.lutdla', '--workers', '1']);
      const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
      assert(files.length === 3, `expected three reports, got ${files.join(', ')}`);
      for (const file of files) {
        const report = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as AnyReport;
        const o = await open(browser, server.panelUrl, 'dark');
        try {
          await load(o.page, report);
          await rendered(o.page, report.kind);
          const table = report.kind === 'exploration' ? 'points' : 'layers';
          const expected = report.kind === 'exploration' ? report.points.length : report.layers.length;
          assert((await rowCount(o.page, table)) === expected, `${file}: table rows`);
          const ink = await canvasInk(o.page);
          assert(ink.length > 0 && ink.every((n) => n > 300), `${file}: blank chart ${ink}`);
          await screenshot(o.page, `cli-${report.kind}-dark`);
          await checkClean(o);
        } finally {
          await o.close();
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const theme of ['light', 'dark'] as Theme[]) {
    for (const [name, report] of [['conversion', evilConversionReport()], ['simulation', simulationReport()], ['exploration', explorationReport()]] as const) {
      test(`standalone HTML ${name} report renders (${theme}) with no CSP violation`, async (browser, server) => {
        const url = server.standalone(`${name}-${theme}`, report);
        const o = await open(browser, url, theme);
        try {
          await rendered(o.page, report.kind);
          const ink = await canvasInk(o.page);
          assert(ink.length > 0 && ink.every((n) => n > 300), `charts blank: ${ink}`);
          const cls = await o.page.$eval('body', (b) => b.className);
          assert(cls.includes(theme === 'dark' ? 'vscode-dark' : 'vscode-light'), `standalone theme class ${cls}`);
          if (name === 'conversion') {
            const found = await o.page.$$eval('#app img, #app script, #app b, #app i, #app svg', (els) => els.length);
            assert(found === 0, 'markup from the report became elements');
            const download = o.page.waitForEvent('download');
            await o.page.click('section[data-section="layers"] vscode-button:has-text("CSV")');
            const d = await download;
            assert(d.suggestedFilename().endsWith('.layers.csv'), `download name ${d.suggestedFilename()}`);
          }
          await screenshot(o.page, `standalone-${name}-${theme}`);
          await checkClean(o);
        } finally {
          await o.close();
        }
      });
    }
  }

  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const server = await startServer();
  let passed = 0;
  let failed = 0;
  try {
    for (const [name, fn] of tests) {
      try {
        await fn(browser, server);
        passed++;
        console.log(`  ✔ ${name}`);
      } catch (e) {
        failed++;
        console.log(`  ✖ ${name}\n      ${e instanceof Error ? (e instanceof Failure ? e.message : e.stack) : String(e)}`);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return { passed, failed };
}
