import { chromium } from 'playwright-core';
import { initScript, startServer } from './harness';
import { simulationReport, conversionReport } from './fixtures';
(async () => {
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const s = await startServer();
  const p = await b.newPage({ viewport: { width: 1280, height: 900 } });
  p.on('console', (m) => console.log('console', m.type(), m.text()));
  await p.addInitScript(initScript('light'));
  await p.goto(s.panelUrl);
  await p.evaluate((m) => window.postMessage(m, '*'), { messageId: 1, body: { type: 'load', report: simulationReport() } });
  await new Promise((r) => setTimeout(r, 500));
  const px = () => p.$$eval('canvas', (cs) => cs.slice(0,2).map((c) => { const ctx = (c as HTMLCanvasElement).getContext('2d')!; const w = c.width, h = c.height; const out: string[] = []; for (let x = 0.2; x < 0.9; x += 0.1) { const d = ctx.getImageData(Math.round(w * x), Math.round(h * 0.7), 1, 1).data; out.push(`${d[0]},${d[1]},${d[2]},${d[3]}`); } return out.join(' '); }));
  console.log(await px());
  await b.close(); await s.close();
})();
