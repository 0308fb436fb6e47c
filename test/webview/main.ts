import { runSuite } from './suite';

// Entry of the browser suite under tsx (started by run.mjs with the chromium path).
void (async () => {
  let result = { passed: 0, failed: 1 };
  try {
    result = await runSuite(process.argv[2] ?? '/usr/bin/chromium');
  } catch (e) {
    console.error(e);
  }
  console.log(`webview: ${result.passed} passed, ${result.failed} failed`);
  process.exit(result.failed ? 1 : 0);
})();
