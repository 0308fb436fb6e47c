/**
 * Entry of the integration suite, in the shape VS Code's test runner expects: `run()` resolves when every test
 * passed and rejects otherwise. Started by test/vscode/run.mjs (code-server + Chromium) and by
 * test/vscode/runDesktop.mjs (@vscode/test-electron). Results also go, one JSON object a line, to the file named by
 * LUTDLA_VSCODE_RESULTS: code-server does not forward the extension host's stdout, so that file is how run.mjs
 * learns the counts and the failures.
 */
import * as fs from 'node:fs';
import Mocha from 'mocha';

type Line = { type: 'pass' | 'fail' | 'pending'; title: string; ms?: number; error?: string } | { type: 'log'; message: string } | { type: 'end'; passed: number; failed: number; pending: number };

const resultsFile = process.env.LUTDLA_VSCODE_RESULTS;

export function record(line: Line): void {
  const text = line.type === 'log' ? line.message
    : line.type === 'end' ? `${line.passed} passed, ${line.failed} failed, ${line.pending} pending`
      : `${line.type === 'pass' ? 'ok  ' : line.type === 'fail' ? 'FAIL' : 'skip'} ${line.title}${line.ms !== undefined ? ` (${line.ms} ms)` : ''}${line.error ? `\n${line.error}` : ''}`;
  console.log(text);
  if (resultsFile) fs.appendFileSync(resultsFile, JSON.stringify(line) + '\n');
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: Mocha.reporters.Base }); // record() reports
  // The tests are bundled into this file: give them mocha's globals, then load them.
  mocha.suite.emit('pre-require', globalThis, 'suite', mocha);
  // The runner opens the fixture folder trusted (the full suite) or untrusted (restricted mode).
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (process.env.LUTDLA_VSCODE_MODE === 'untrusted') require('./untrusted.test');
  else require('./extension.test');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return new Promise((resolve, reject) => {
    let passed = 0;
    let failed = 0;
    let pending = 0;
    const runner = mocha.run((failures) => {
      record({ type: 'end', passed, failed, pending });
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => {
      passed++;
      record({ type: 'pass', title: t.fullTitle(), ms: t.duration });
    });
    runner.on('fail', (t, err: Error) => {
      failed++;
      record({ type: 'fail', title: t.fullTitle(), error: err?.stack ?? String(err) });
    });
    runner.on('pending', (t) => {
      pending++;
      record({ type: 'pending', title: t.fullTitle() });
    });
  });
}
