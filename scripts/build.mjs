// Bundles every entry point with esbuild: extension host, language server, CLI, engine workers, webview.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Node bundles: vscode is provided by the host; onnxruntime-node carries native binaries and stays external. */
const nodeEntries = [
  { in: 'src/extension/main.ts', out: 'extension' },
  { in: 'src/extension/languageClient.ts', out: 'languageClient' }, // loaded by the extension after activate()
  { in: 'src/server/main.ts', out: 'server' },
  { in: 'src/cli/main.ts', out: 'cli' },
  { in: 'src/lutboost/worker.ts', out: 'kmeansWorker' },
  { in: 'src/sim/exploreWorker.ts', out: 'exploreWorker' },
].filter((e) => existsSync(path.join(root, e.in)));

const webEntries = [{ in: 'webview/main.ts', out: 'webview' }].filter((e) => existsSync(path.join(root, e.in)));

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root };
const contexts = [];
if (nodeEntries.length) {
  contexts.push(await esbuild.context({
    ...common,
    entryPoints: nodeEntries,
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'onnxruntime-node'],
  }));
}
if (webEntries.length) {
  contexts.push(await esbuild.context({
    ...common,
    entryPoints: webEntries,
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'text' },
  }));
}
// The report panels' stylesheet ships as its own file (dist/webview.css): the panel CSP allows styles only from the extension.
const cssEntries = [{ in: 'webview/styles.css', out: 'webview' }].filter((e) => existsSync(path.join(root, e.in)));
if (cssEntries.length) contexts.push(await esbuild.context({ ...common, entryPoints: cssEntries, outdir: 'dist', loader: { '.css': 'css' } }));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
