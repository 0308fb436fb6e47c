// Entry used by scripts/demo.mjs (run under tsx): ensures the demo model and data exist in examples/mnist/.
import * as path from 'node:path';
import { ensureDemoModel } from './ensure';

async function main(): Promise<void> {
  const root = path.resolve(process.argv[2] ?? process.cwd());
  const force = process.argv.includes('--force');
  const m = await ensureDemoModel(root, { force, log: (l) => console.log(l) });
  console.log(`demo model: ${path.relative(root, m.modelPath)} (held-out accuracy ${(m.heldOutAccuracy * 100).toFixed(2)} %)`);
}

main().catch((e: unknown) => {
  console.error(`demo model: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
