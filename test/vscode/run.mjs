// The `vscode` phase of `npm test`: the integration suite in a real VS Code, offline. code-server 4.100.3 (VS Code
// 1.100 server + web workbench, installed by scripts/install-code-server.sh) serves the workbench; headless Debian
// Chromium driven by playwright-core opens it with the `?payload=` parameter that names extensionDevelopmentPath
// and extensionTestsPath (code-server's own command line rejects those flags); the suite reports its exit code
// through window.codeAutomationExit and its results through a file.
// Two sessions: a trusted workspace (the full suite) and an untrusted one (language features work, nothing runs).
// Fails (exit 1) when code-server or Chromium is missing: it never passes by skipping.
// Prints a last line `vscode: N passed, N failed, N skipped` for scripts/test.mjs.
// Env: LUTDLA_CODE_SERVER_DIR (install dir), CHROMIUM_PATH, TEST_TIMEOUT_MS (per session), KEEP_TMP=1.
// `--vsix FILE`: install that VSIX into the fresh extensions dir (`code-server --install-extension`) and test the
// installed extension instead of the working tree. `--only trusted|untrusted`: one session.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSuite, root } from './buildSuite.mjs';

const csDir = process.env.LUTDLA_CODE_SERVER_DIR || path.join(os.homedir(), '.cache', 'lutdla', 'code-server');
const entry = path.join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS || 600_000);
const argValue = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const vsix = argValue('--vsix') ? path.resolve(argValue('--vsix')) : undefined;
const modes = argValue('--only') ? [argValue('--only')] : ['trusted', 'untrusted'];

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

/** Every code-server process group started, so an interrupted run still kills them all. */
const groups = new Set();
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {}
}
process.on('exit', () => {
  for (const pid of groups) killGroup(pid, 'SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/** One code-server + Chromium session over a fresh fixture workspace; returns the suite's result lines. */
async function session(mode) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `lutdla-vscode-${mode}-`));
  const workspace = path.join(tmp, 'workspace');
  const resultsFile = path.join(tmp, 'results.jsonl');
  const mk = spawnSync(process.execPath, ['--import', 'tsx', 'test/vscode/fixtures/makeWorkspace.ts', workspace], { cwd: root, encoding: 'utf8' });
  if (mk.status !== 0) fail(`could not make the fixture workspace:\n${mk.stderr}`);
  const trusted = mode === 'trusted';

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
    // Untrusted session: trust on, no prompt, so the folder opens in restricted mode.
    'security.workspace.trust.enabled': !trusted,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.emptyWindow': false,
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
  // detached: its own process group (setsid), so the whole group - file watcher and extension host included - can
  // be killed at the end; killing only the main process leaves children behind.
  const server = spawn(process.execPath, [entry, '--auth', 'none', '--bind-addr', '127.0.0.1:0',
    '--config', path.join(tmp, 'config.yaml'), '--user-data-dir', userData,
    '--extensions-dir', extensionsDir, '--disable-telemetry', '--disable-update-check',
    ...(trusted ? ['--disable-workspace-trust'] : []), '--disable-getting-started-override', '--ignore-last-opened'], {
    cwd: tmp,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...xdg, LUTDLA_VSCODE_RESULTS: resultsFile, LUTDLA_VSCODE_MODE: mode, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  groups.add(server.pid);

  let browser;
  let code;
  const started = Date.now();
  try {
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
    await page.exposeFunction('codeAutomationExit', (c) => finish(c));
    await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
    let timer;
    code = await Promise.race([done, new Promise((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)))]);
    clearTimeout(timer);
    if (code !== 0) await page.screenshot({ path: path.join(tmp, 'workbench.png') }).catch(() => undefined);
  } catch (e) {
    console.error(`vscode suite (${mode}): ${e.message}`);
    code = 'error';
  } finally {
    await browser?.close().catch(() => undefined);
    // Stop the whole group and wait for the server to be gone before its folders are removed.
    const exited = server.exitCode !== null || server.signalCode !== null
      ? Promise.resolve()
      : new Promise((r) => server.once('exit', r));
    killGroup(server.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    killGroup(server.pid, 'SIGKILL');
    groups.delete(server.pid);
  }
  console.log(`vscode suite (${mode}): finished in ${((Date.now() - started) / 1000).toFixed(1)} s, exit code ${code}`);
  const results = fs.existsSync(resultsFile)
    ? fs.readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return { type: 'log', message: l };
      }
    })
    : [];
  const keep = process.env.KEEP_TMP === '1' || code !== 0;
  if (keep) console.log(`vscode suite (${mode}): logs and workspace kept in ${tmp} (code-server.log, browser.log${code !== 0 ? ', workbench.png' : ''})`);
  else fs.rmSync(tmp, { recursive: true, force: true });
  return { code, results };
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const mode of modes) {
  const { code, results } = await session(mode);
  for (const r of results) {
    if (r.type === 'log') console.log(`  ${r.message}`);
    else if (r.type === 'pass') console.log(`  ok   ${r.title} (${r.ms} ms)`);
    else if (r.type === 'pending') console.log(`  skip ${r.title}`);
    else if (r.type === 'fail') console.log(`  FAIL ${r.title}\n${String(r.error).split('\n').map((l) => `       ${l}`).join('\n')}`);
  }
  const f = results.filter((r) => r.type === 'fail').length;
  passed += results.filter((r) => r.type === 'pass').length;
  skipped += results.filter((r) => r.type === 'pending').length;
  // A session that did not finish, or exited non-zero with no failed test, counts as one failure: never a silent pass.
  failed += code !== 0 && f === 0 ? 1 : f;
  if (!results.some((r) => r.type === 'end')) console.log(`vscode suite (${mode}): the suite did not finish (exit code ${code})`);
}
console.log(`vscode: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
