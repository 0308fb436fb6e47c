// Bundles the integration suite (test/vscode/suite/index.ts, which loads the tests) into one CommonJS file that
// exports run(), as VS Code's extensionTestsPath expects. mocha and vscode come from the host at run time.
import * as esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const suiteFile = path.join(root, 'test', 'vscode', '.build', 'suite.js');

export async function buildSuite() {
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['test/vscode/suite/index.ts'],
    outfile: suiteFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha', 'onnxruntime-node'],
    logLevel: 'warning',
  });
  return suiteFile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await buildSuite());
}
