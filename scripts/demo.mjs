// `npm run demo`: the main job on the bundled example.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'lutdla.js');
const step = (title, args) => {
  console.log(`\n$ lutdla ${args.join(' ')}    # ${title}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
const examples = readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.lutdla')).map((f) => path.join('examples', f));
step('check the bundled configs', ['check', ...examples]);
