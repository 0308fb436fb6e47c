// Browser tests of the report panels (the `webview` phase of scripts/test.mjs): headless Debian chromium driven
// by playwright-core. Prints `webview: N passed, N failed` last; exits non-zero on failure or without chromium.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.error(`chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  console.log('webview: 0 passed, 1 failed');
  process.exit(1);
}
// The suite is TypeScript (it shares the fixtures and the page template with the sources): run it under tsx.
const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'main.ts'), CHROMIUM], { stdio: 'inherit' });
child.on('close', (code) => process.exit(code ?? 1));
