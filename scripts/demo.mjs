// `npm run demo`: train (or reuse) the bundled demo model, check the example configs, convert the model to a
// LUT model with examples/edge.lutdla and print the per-layer table and the accuracy drop.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'lutdla.js');
const t0 = Date.now();

function fail(message, code = 1) {
  console.error(`demo: ${message}`);
  process.exit(code);
}

function step(title, args, { allowMissing } = {}) {
  console.log(`\n$ lutdla ${args.join(' ')}    # ${title}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  if (r.status !== 0) {
    if (allowMissing && /not built yet/.test(`${r.stdout}${r.stderr}`)) {
      console.log(`demo: \`lutdla ${args[0]}\` is not available in this build yet; skipping this step.`);
      return false;
    }
    fail(`\`lutdla ${args[0]}\` failed (exit ${r.status ?? 'signal'})`, r.status ?? 1);
  }
  return true;
}

const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) fail('the build failed');

// 1. The demo model: trained by the project's own executor on MNIST digits from the `mnist` package, cached.
console.log('\n# demo model (examples/mnist/)');
const ensure = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'demo', 'main.ts'), root], { cwd: root, stdio: 'inherit' });
if (ensure.status !== 0) fail('could not prepare the demo model');

// 2. Check every bundled config.
const examples = readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.lutdla')).map((f) => path.join('examples', f));
if (examples.length) step('check the bundled configs', ['check', ...examples]);
else console.log('\ndemo: no examples/*.lutdla yet; skipping `lutdla check`.');

// 3. Convert with the edge config and show what it cost.
const config = path.join('examples', 'edge.lutdla');
const outDir = path.join('examples', 'out');
if (!existsSync(path.join(root, config))) {
  console.log(`\ndemo: ${config} is missing; skipping \`lutdla convert\`.`);
} else if (step('convert the demo model to a LUT model', ['convert', '--config', config, '--out', outDir], { allowMissing: true })) {
  printReport(path.join(root, outDir));
}
console.log(`\ndemo finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

function printReport(dir) {
  const reports = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.conversion.json')) : [];
  if (!reports.length) {
    console.log(`demo: no conversion report found in ${path.relative(root, dir)}`);
    return;
  }
  for (const file of reports) {
    let r;
    try {
      r = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    } catch (e) {
      console.log(`demo: cannot read ${file}: ${e.message}`);
      continue;
    }
    console.log(`\n# ${file}`);
    // `sensitivity = true` in the config adds the drop with each layer kept dense (in points).
    const dense = (r.layers ?? []).some((l) => l.keptDense);
    const rows = [['layer', 'op', 'M', 'K', 'N', 'c', 'v', 'table bytes', 'weight bytes', 'rel. error', ...(dense ? ['drop if dense'] : [])]];
    for (const l of r.layers ?? []) {
      rows.push([l.name, l.op, l.m, l.k, l.n, l.centroids, l.vector, l.tableBytes, l.weightBytes,
        typeof l.relativeError === 'number' ? l.relativeError.toExponential(2) : '-',
        ...(dense ? [typeof l.keptDense?.drop === 'number' ? `${l.keptDense.drop.toFixed(2)} ±${(l.keptDense.dropSe ?? 0).toFixed(2)}` : '-'] : [])].map((v) => String(v ?? '-')));
    }
    for (const k of r.kept ?? []) rows.push([k.name, k.op ?? '', '', '', '', '', '', '', '', `kept: ${k.reason ?? ''}`, ...(dense ? [''] : [])]);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    for (const row of rows) console.log(row.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  '));
    const a = r.accuracy ?? {};
    const pct = (x) => (typeof x === 'number' ? `${(x * 100).toFixed(2)} %` : '-');
    console.log(`accuracy: original ${pct(a.original)}, LUT ${pct(a.lut)}, drop ${typeof a.drop === 'number' ? a.drop.toFixed(2) : '-'} points, agreement ${pct(a.agreement)} on ${a.samples ?? '?'} samples`);
    if (dense) console.log('drop if dense: the model converted again with that layer kept dense; ± is the standard error of its difference from the drop above (differences within about two of them are noise)');
  }
}
