// The `vscode` phase of `npm test`: the integration suite in a real VS Code, offline. code-server 4.100.3 (VS Code
// 1.100 server + web workbench, installed by scripts/install-code-server.sh) serves the workbench; headless Debian
// Chromium driven by playwright-core opens it with the `?payload=` parameter that names extensionDevelopmentPath
// and extensionTestsPath (code-server's own command line rejects those flags); the suite reports its exit code
// through window.codeAutomationExit and its results through a file.
// Fails (exit 1) when code-server or Chromium is missing: it never passes by skipping.
// Prints a last line `vscode: N passed, N failed` for scripts/test.mjs.
// Env: LUTDLA_CODE_SERVER_DIR (install dir), CHROMIUM_PATH, TEST_TIMEOUT_MS, KEEP_TMP=1 (keep logs and workspace).
// `--vsix FILE`: install that VSIX into the fresh extensions dir (`code-server --install-extension`) and test the
// installed extension instead of the working tree.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSuite, root } from './buildSuite.mjs';

const csDir = process.env.LUTDLA_CODE_SERVER_DIR || path.join(os.homedir(), '.cache', 'lutdla', 'code-server');
const entry = path.join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS || 600_000);
const vsixArg = process.argv.indexOf('--vsix');
const vsix = vsixArg > 0 ? path.resolve(process.argv[vsixArg + 1] ?? '') : undefined;

function fail(message) {
  console.error(`vscode suite: ${message}`);
  console.log('vscode: 0 passed, 1 failed');
  process.exit(1);
}

function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p) => p && fs.existsSync(p));
}

if (!fs.existsSync(entry)) fail(`code-server is not installed (${entry} missing): run scripts/install-code-server.sh`);
const chromiumPath = findChromium();
if (!chromiumPath) fail('Chromium is missing: apt-get install -y chromium (or set CHROMIUM_PATH)');
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  fail(`playwright-core cannot be loaded (${e.message}): npm ci`);
}
if (vsix && !fs.existsSync(vsix)) fail(`no VSIX at ${vsix}: npm run package`);
if (!vsix && !fs.existsSync(path.join(root, 'dist', 'extension.js'))) {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) fail('the build failed');
}
const suite = await buildSuite();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lutdla-vscode-'));
const workspace = path.join(tmp, 'workspace');
const resultsFile = path.join(tmp, 'results.jsonl');
const mk = spawnSync(process.execPath, ['--import', 'tsx', 'test/vscode/fixtures/makeWorkspace.ts', workspace], { cwd: root, encoding: 'utf8' });
if (mk.status !== 0) fail(`could not make the fixture workspace:\n${mk.stderr}`);

// A fresh user-data dir with quiet settings; fresh XDG dirs so nothing lands in ~/.config/code-server.
const userData = path.join(tmp, 'user-data');
fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
}, null, 2));

const extensionsDir = path.join(tmp, 'extensions');
const xdg = {
  XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
  XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
  XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'),
};
if (vsix) {
  const inst = spawnSync(process.execPath, [entry, '--config', path.join(tmp, 'config.yaml'), '--user-data-dir', userData,
    '--extensions-dir', extensionsDir, '--install-extension', vsix], { cwd: tmp, encoding: 'utf8', env: { ...process.env, ...xdg } });
  console.log(`vscode suite: ${(inst.stdout + inst.stderr).trim().split('\n').filter((l) => /install/i.test(l)).join('\n')}`);
  if (inst.status !== 0) fail(`installing ${vsix} failed:\n${inst.stdout}${inst.stderr}`);
}
// VS Code runs extensionTestsPath only next to an extensionDevelopmentPath: with --vsix that is the installed copy.
const installed = vsix && fs.readdirSync(extensionsDir).find((d) => d.startsWith('lutdla.lutdla-vscode'));
if (vsix && !installed) fail(`${vsix} installed no lutdla.lutdla-vscode folder`);
const extensionPath = installed ? path.join(extensionsDir, installed) : root;

const serverLog = fs.createWriteStream(path.join(tmp, 'code-server.log'));
// detached: its own process group (setsid), so the whole group - file watcher and extension host included - can be
// killed at the end; killing only the main process leaves children behind.
const server = spawn(process.execPath, [entry, '--auth', 'none', '--bind-addr', '127.0.0.1:0',
  '--config', path.join(tmp, 'config.yaml'), '--user-data-dir', userData,
  '--extensions-dir', extensionsDir, '--disable-telemetry', '--disable-update-check',
  '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened'], {
  cwd: tmp,
  detached: true,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: {
    ...process.env,
    ...xdg,
    LUTDLA_VSCODE_RESULTS: resultsFile,
    ONNXRUNTIME_NODE_INSTALL: 'skip',
  },
});

let browser;
let stopped = false;
function stop() {
  if (stopped) return;
  stopped = true;
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {}
  setTimeout(() => {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {}
  }, 3000).unref();
}
process.on('exit', stop);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => {
  stop();
  process.exit(130);
});

function readResults() {
  if (!fs.existsSync(resultsFile)) return [];
  return fs.readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return { type: 'log', message: l };
    }
  });
}

async function main() {
  let out = '';
  const base = await new Promise((resolve, reject) => {
    const onData = (d) => {
      serverLog.write(d);
      out += d;
      const m = /HTTP server listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1].replace(/\/$/, ''));
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (c) => reject(new Error(`code-server exited (${c}) before listening:\n${out}`)));
    setTimeout(() => reject(new Error(`code-server did not start in 60 s:\n${out}`)), 60_000).unref();
  });
  // Healthy before the browser connects.
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {}
    if (i > 100) throw new Error('code-server /healthz never answered');
    await new Promise((r) => setTimeout(r, 200));
  }
  const host = new URL(base).host;
  const remote = (p) => `vscode-remote://${host}${p}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(extensionPath)],
    ['extensionTestsPath', remote(suite)],
    ['skipWelcome', 'true'],
  ]);
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const page = await browser.newPage();
  let finish;
  const done = new Promise((r) => (finish = r));
  const browserLog = fs.createWriteStream(path.join(tmp, 'browser.log'));
  page.on('console', (m) => browserLog.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => browserLog.write(`[pageerror] ${e.message}\n`));
  await page.exposeFunction('codeAutomationLog', (type, args) => browserLog.write(`[exthost:${type}] ${(args || []).join(' ')}\n`));
  await page.exposeFunction('codeAutomationExit', (code) => finish(code));
  const started = Date.now();
  await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
  let timer;
  const code = await Promise.race([done, new Promise((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)))]);
  clearTimeout(timer);
  console.log(`vscode suite: finished in ${((Date.now() - started) / 1000).toFixed(1)} s, exit code ${code}`);
  if (code !== 0) {
    await page.screenshot({ path: path.join(tmp, 'workbench.png') }).catch(() => undefined);
  }
  await browser.close();
  return code;
}

let code;
try {
  code = await main();
} catch (e) {
  console.error(`vscode suite: ${e.message}`);
  code = 'error';
}
stop();
const results = readResults();
for (const r of results) {
  if (r.type === 'log') console.log(`  ${r.message}`);
  else if (r.type === 'pass') console.log(`  ok   ${r.title} (${r.ms} ms)`);
  else if (r.type === 'pending') console.log(`  skip ${r.title}`);
  else if (r.type === 'fail') console.log(`  FAIL ${r.title}\n${String(r.error).split('\n').map((l) => `       ${l}`).join('\n')}`);
}
const passed = results.filter((r) => r.type === 'pass').length;
let failed = results.filter((r) => r.type === 'fail').length;
const skipped = results.filter((r) => r.type === 'pending').length;
const ended = results.some((r) => r.type === 'end');
if (code !== 0 && failed === 0) failed = 1; // the suite did not run or did not finish: that is a failure too
const keep = process.env.KEEP_TMP === '1' || code !== 0;
if (keep) console.log(`vscode suite: logs and workspace kept in ${tmp} (code-server.log, browser.log${code !== 0 ? ', workbench.png' : ''})`);
else setTimeout(() => fs.rmSync(tmp, { recursive: true, force: true }), 500);
if (!ended && code !== 0) console.log(`vscode suite: the suite did not finish (exit code ${code})`);
console.log(`vscode: ${passed} passed, ${failed} failed, ${skipped} skipped`);
setTimeout(() => process.exit(code === 0 && failed === 0 ? 0 : 1), 600);
