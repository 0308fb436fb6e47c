import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { smallCnnBytes } from '../sim/fixtures';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'bin', 'lutdla.js');

test('--html writes the report panel as one self-contained file beside the JSON', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lutdla-html-'));
  try {
    fs.writeFileSync(path.join(dir, 'small.onnx'), smallCnnBytes());
    const plain = spawnSync(process.execPath, [cli, 'simulate', 'small.onnx', '--out', 'plain'], { cwd: dir, encoding: 'utf8' });
    assert.equal(plain.status, 0, plain.stderr);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'plain')), ['small.simulation.json']);

    const r = spawnSync(process.execPath, [cli, 'simulate', 'small.onnx', '--out', 'out', '--html'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'out')).sort(), ['small.simulation.html', 'small.simulation.json']);
    const html = fs.readFileSync(path.join(dir, 'out', 'small.simulation.html'), 'utf8');
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;|default-src 'none'/);
    assert.doesNotMatch(html, /<script src=|<link /, 'nothing is loaded from outside the file');
    const data = /<script type="application\/json" id="lutdla-report">([^<]*)<\/script>/.exec(html);
    assert.ok(data, 'the report is embedded as JSON data');
    const embedded = JSON.parse(data[1]) as { kind: string; layers: unknown[] };
    assert.equal(embedded.kind, 'simulation');
    assert.equal(embedded.layers.length, 3);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
