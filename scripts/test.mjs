// `npm test`: build, type-check, unit tests (node:test), webview tests in Chromium, extension tests in a real VS Code.
// Usage: node scripts/test.mjs [unit|webview|vscode ...] [test/path/prefix ...]
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const phaseNames = ['build', 'typecheck', 'unit', 'webview', 'vscode'];
const wanted = args.filter((a) => phaseNames.includes(a));
const prefixes = args.filter((a) => !phaseNames.includes(a));
const phases = wanted.length ? ['build', ...wanted.filter((p) => p !== 'build')] : phaseNames;

const totals = { passed: 0, failed: 0, skipped: 0 };

function run(cmd, argv, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...opts.env } });
    let out = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      out += d;
    });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Reads the counts a runner printed: node:test's `ℹ pass N` or our runners' `name: N passed, N failed, N skipped`. */
function count(out) {
  const nodeTest = (k) => [...out.matchAll(new RegExp(`^[ℹ#] ${k} (\\d+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
  let passed = nodeTest('pass');
  let failed = nodeTest('fail');
  let skipped = nodeTest('skipped') + nodeTest('todo');
  for (const m of out.matchAll(/^\w+: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    skipped += Number(m[3] ?? 0);
  }
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
}

function findTests(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (!['vscode', 'webview', 'fixtures'].includes(name) || dir !== path.join(root, 'test')) findTests(p, out);
    } else if (name.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

let ok = true;
for (const phase of phases) {
  console.log(`\n=== ${phase} ===`);
  let result;
  if (phase === 'build') result = await run(process.execPath, ['scripts/build.mjs']);
  else if (phase === 'typecheck') result = await run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']);
  else if (phase === 'unit') {
    const files = findTests(path.join(root, 'test')).filter((f) => !prefixes.length || prefixes.some((p) => f.startsWith(p)));
    if (!files.length) continue;
    result = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files]);
  } else {
    const runner = path.join(root, 'test', phase, 'run.mjs');
    if (!existsSync(runner)) {
      console.log(`(no ${phase} suite yet)`);
      continue;
    }
    result = await run(process.execPath, [runner]);
  }
  if (!['build', 'typecheck'].includes(phase)) count(result.out);
  if (result.code !== 0) {
    ok = false;
    console.log(`phase ${phase} failed (exit ${result.code})`);
    if (phase === 'build') break;
  }
}
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
