// `npm run test:desktop`: the same integration suite in desktop VS Code via @vscode/test-electron, for machines that
// can download VS Code (it fetches the minimum supported version, 1.100.0, into .vscode-test/). Other extensions
// are disabled. Offline and in CI, test/vscode/run.mjs runs the suite in code-server + Chromium instead.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { buildSuite, root } from './buildSuite.mjs';

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const suite = await buildSuite();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lutdla-desktop-'));
const workspace = path.join(tmp, 'workspace');
const mk = spawnSync(process.execPath, ['--import', 'tsx', 'test/vscode/fixtures/makeWorkspace.ts', workspace], { cwd: root, stdio: 'inherit' });
if (mk.status !== 0) process.exit(1);
const resultsFile = path.join(tmp, 'results.jsonl');
let code = 1;
try {
  code = await runTests({
    version: process.env.VSCODE_VERSION || '1.100.0',
    extensionDevelopmentPath: root,
    extensionTestsPath: suite,
    extensionTestsEnv: { LUTDLA_VSCODE_RESULTS: resultsFile },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes',
      '--user-data-dir', path.join(tmp, 'user-data')],
  });
} catch (e) {
  console.error(`test:desktop: ${e.message ?? e}`);
}
const lines = fs.existsSync(resultsFile) ? fs.readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const passed = lines.filter((l) => l.type === 'pass').length;
let failed = lines.filter((l) => l.type === 'fail').length;
if (code !== 0 && failed === 0) failed = 1;
console.log(`vscode-desktop: ${passed} passed, ${failed} failed`);
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(code === 0 ? 0 : 1);
