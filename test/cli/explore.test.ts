import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { smallCnnBytes } from '../sim/fixtures';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'bin', 'lutdla.js');
const schema = JSON.parse(fs.readFileSync(path.join(root, 'schemas', 'report.exploration.schema.json'), 'utf8'));
const validator = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
const validate = Object.assign((x: unknown): boolean => validator(x) as boolean, { get errors() { return validator.errors; } });

const lutdla = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });

const CONFIG = `lut { centroids = 16  vector = 4  metric = l2  precision = int8 }
accelerator "edge" { technology = 28nm  clock = 500MHz  ccm { units = 4 }  imm { lanes = 32 } }
model "small" {
  onnx = "small.onnx"
  input_shape = [1, 3, 16, 16]
}
explore {
  vary lut.centroids = [8, 16]
  vary accelerator.imm.lanes = [16, 32, 64]
  require area <= 5mm2
  minimize = [latency, area, accuracy_drop]
}
`;

function workspace(config = CONFIG): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lutdla-explore-'));
  fs.writeFileSync(path.join(dir, 'small.onnx'), smallCnnBytes());
  fs.writeFileSync(path.join(dir, 'dse.lutdla'), config);
  // A conversion report for c=16 (v=4, l2, int8) only.
  fs.writeFileSync(path.join(dir, 'small.conversion.json'), JSON.stringify({
    kind: 'conversion', version: 1, model: 'small', source: 'small.onnx', output: 'small.lut.onnx',
    config: { centroids: 16, vector: 4, metric: 'l2', precision: 'int8', stages: ['kmeans'], seed: 1 },
    accuracy: { original: 0.9, lut: 0.895, drop: 0.5, agreement: 0.98, samples: 100, labelled: true }, layers: [], kept: [],
    totals: { tableBytes: 0, weightBytes: 0, bitsPerActivation: 1, wallTimeS: 1, peakMemoryBytes: 1 },
  }));
  return dir;
}

test('explore writes every point (JSON, schema-valid, and CSV) with feasibility, Pareto membership and accuracy', () => {
  const dir = workspace();
  try {
    const r = lutdla(['explore', 'dse.lutdla', '--out', 'out', '--workers', '2'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /6 points, \d+ feasible, \d+ on the Pareto front/);
    const rep = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'dse.exploration.json'), 'utf8'));
    assert.ok(validate(rep), JSON.stringify(validate.errors));
    assert.equal(rep.points.length, 6);
    assert.equal(rep.model, 'small');
    assert.equal(rep.accelerator, 'edge');
    for (const p of rep.points) {
      if (p.settings['lut.centroids'] === 16) assert.equal(p.figures.accuracy_drop, 0.5);
      else {
        assert.equal(p.figures.accuracy_drop, null);
        assert.equal(p.pareto, false);
        assert.match(p.note, /no conversion report for c=8 v=4 l2 int8/);
      }
    }
    assert.ok(rep.points.some((p: { pareto: boolean }) => p.pareto));
    const csv = fs.readFileSync(path.join(dir, 'out', 'dse.exploration.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 7);
    assert.match(csv[0], /^id,lut\.centroids,accelerator\.imm\.lanes,latency \(s\).*,feasible,pareto,note$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a million-point sweep is refused with a plan; a config without explore or model is a clear error', () => {
  const axis = (name: string) => `  vary ${name} = [${Array.from({ length: 10 }, (_, i) => i + 1).join(', ')}]`;
  const huge = CONFIG.replace(/explore \{[\s\S]*\}\n$/, `explore {\n${['accelerator.ccm.units', 'accelerator.imm.lanes', 'accelerator.fifo.depth'].map(axis).join('\n')}\n  vary accelerator.clock = [${Array.from({ length: 1000 }, (_, i) => `${100 + i}MHz`).join(', ')}]\n  minimize = [latency, area]\n}\n`);
  const cases: [string, RegExp][] = [
    [huge, /1,000,000 points.*cap of 100,000.*Narrow it/],
    [CONFIG.replace(/explore \{[\s\S]*\}\n$/, ''), /no explore block/],
    [CONFIG.replace(/model "small" \{[\s\S]*?\n\}\n/, ''), /explore needs a workload: add model/],
  ];
  for (const [config, re] of cases) {
    const dir = workspace(config);
    try {
      const r = lutdla(['explore', 'dse.lutdla', '--out', 'out'], dir);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(fs.existsSync(path.join(dir, 'out')), false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('SIGINT during a sweep stops it: exit 130, nothing written', async () => {
  const big = CONFIG.replace(/explore \{[\s\S]*\}\n$/, `explore {\n  vary accelerator.clock = [${Array.from({ length: 400 }, (_, i) => `${100 + i}MHz`).join(', ')}]\n  vary accelerator.fifo.depth = [${Array.from({ length: 200 }, (_, i) => i + 1).join(', ')}]\n  minimize = [latency, area]\n}\n`);
  const dir = workspace(big);
  try {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [cli, 'explore', 'dse.lutdla', '--out', 'out', '--progress=json', '--workers', '2'], { cwd: dir });
    let sent = false;
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sent && /"stage":"explore"/.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.ok(sent, 'saw a progress event');
    assert.equal(code, 130);
    assert.match(out, /"type":"error","message":"cancelled"/);
    assert.equal(fs.existsSync(path.join(dir, 'out')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
