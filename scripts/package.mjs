// `npm run package [-- --target PLATFORM-ARCH]`: builds a VSIX for one platform (default: this machine's) that ships
// the production bundles and only that platform's onnxruntime-node binaries. `.vscodeignore` is the allow-list;
// this script adds the one platform's binary folder to a copy of it and runs `vsce package --target`.
// vsce runs `vscode:prepublish` (the production build) first.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argTarget = process.argv.find((a, i) => process.argv[i - 1] === '--target') ?? process.argv.find((a) => a.startsWith('--target='))?.slice(9);
const target = argTarget ?? `${process.platform}-${process.arch}`;
// VS Code's target names; onnxruntime-node ships binaries for these.
const supported = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
if (!supported.includes(target)) {
  console.error(`package: no onnxruntime-node binaries for target '${target}'. Targets: ${supported.join(', ')}`);
  process.exit(1);
}
const [platform, arch] = target.split('-');
const bin = `node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}`;
if (!fs.existsSync(path.join(root, bin))) {
  console.error(`package: ${bin} is missing; run npm ci first`);
  process.exit(1);
}
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const ignore = path.join(os.tmpdir(), `lutdla-vscodeignore-${process.pid}`);
fs.writeFileSync(ignore, `${fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8')}\n!${bin}/**\n`);
const out = path.join(root, `${pkg.name}-${pkg.version}-${target}.vsix`);
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const r = spawnSync(process.execPath, [vsce, 'package', '--target', target, '--ignoreFile', ignore, '--out', out,
  '--allow-missing-repository', '--skip-license'], { cwd: root, stdio: 'inherit' });
fs.rmSync(ignore, { force: true });
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(`package: ${path.relative(root, out)} (${(fs.statSync(out).size / 1024 / 1024).toFixed(1)} MiB)`);
