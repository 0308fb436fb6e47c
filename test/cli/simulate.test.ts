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
const schema = JSON.parse(fs.readFileSync(path.join(root, 'schemas', 'report.simulation.schema.json'), 'utf8'));
const validator = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
const validate = Object.assign((x: unknown): boolean => validator(x) as boolean, { get errors() { return validator.errors; } });

function lutdla(args: string[], cwd: string) {
  return spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
}

function workspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lutdla-simulate-'));
  fs.writeFileSync(path.join(dir, 'small.onnx'), smallCnnBytes());
  fs.writeFileSync(path.join(dir, 'acc.lutdla'), [
    'accelerator "tiny" {', '  technology = 45nm', '  clock = 1GHz', '  ccm { units = 2 }', '  imm { lanes = 16 }',
    '  memory { lut = 16KiB  index = 4KiB  input = 8KiB  output = 8KiB  dram = 4GB/s }', '}',
    'accelerator "big" { imm { lanes = 128 } }', '',
  ].join('\n'));
  return dir;
}

test('simulate writes a schema-valid report and prints a per-layer table', () => {
  const dir = workspace();
  try {
    const r = lutdla(['simulate', 'small.onnx', '--out', 'out'], dir);
    assert.equal(r.status, 0, r.stderr);
    for (const name of ['conv1', 'conv2', 'fc', 'total:', 'vs systolic-int8', 'vs systolic-fp16']) assert.ok(r.stdout.includes(name), name);
    const rep = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'small.simulation.json'), 'utf8'));
    assert.ok(validate(rep), JSON.stringify(validate.errors));
    assert.equal(rep.accelerator, 'default');
    assert.equal(rep.layers.length, 3);
    assert.deepEqual(rep.layers.map((l: { groups: number }) => l.groups), [1, 4, 1]);
    assert.ok(rep.totals.cycles > 0 && rep.totals.areaMM2 > 0 && rep.totals.gopsPerW > 0);
    assert.deepEqual(rep.ratios.map((x: { baseline: string }) => x.baseline), ['systolic-int8', 'systolic-fp16']);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'out')), ['small.simulation.json']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--config/--accelerator, LUT flags and --mode reference (same cycles as fast); --progress=json is NDJSON', () => {
  const dir = workspace();
  try {
    const fast = lutdla(['simulate', 'small.onnx', '--config', 'acc.lutdla', '--accelerator', 'tiny', '--out', 'f', '--centroids', '32', '--metric', 'l1', '--input-shape', '2,3,16,16'], dir);
    assert.equal(fast.status, 0, fast.stderr);
    const ref = lutdla(['simulate', 'small.onnx', '--config', 'acc.lutdla', '--accelerator', 'tiny', '--out', 'r', '--centroids', '32', '--metric', 'l1', '--input-shape', '2,3,16,16', '--mode', 'reference', '--progress=json'], dir);
    assert.equal(ref.status, 0, ref.stderr);
    const events = ref.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(events.some((e) => e.type === 'progress' && e.stage === 'simulate'));
    assert.equal(events[events.length - 1].type, 'result');
    const a = JSON.parse(fs.readFileSync(path.join(dir, 'f', 'small.simulation.json'), 'utf8'));
    const b = JSON.parse(fs.readFileSync(path.join(dir, 'r', 'small.simulation.json'), 'utf8'));
    assert.ok(validate(b), JSON.stringify(validate.errors));
    assert.equal(a.accelerator, 'tiny');
    assert.equal(a.technology.nm, 45);
    assert.equal(a.layers[0].m, 128);
    assert.equal(a.layers[0].centroids, 32);
    assert.equal(b.mode, 'reference');
    assert.deepEqual(a.layers.map((l: { cycles: number }) => l.cycles), b.layers.map((l: { cycles: number }) => l.cycles));
    assert.ok(b.layers[0].detail);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: unknown accelerator, zero bandwidth, missing model, bad flags -> one clear line, exit 1, nothing written', () => {
  const dir = workspace();
  try {
    const cases: [string[], RegExp][] = [
      [['--config', 'acc.lutdla', '--accelerator', 'nope'], /no accelerator named 'nope'.*'tiny', 'big'/],
      [['--accelerator', 'tiny'], /--accelerator names a block of a config/],
      [['--centroids', '12'], /--centroids takes a power of two/],
      [['--input-shape', '1,x'], /--input-shape takes positive integers/],
      [['--mode', 'slow'], /--mode takes 'fast' or 'reference'/],
    ];
    for (const [extra, re] of cases) {
      const r = lutdla(['simulate', 'small.onnx', '--out', 'bad', ...extra], dir);
      assert.equal(r.status, 1, `${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/);
    }
    fs.writeFileSync(path.join(dir, 'zero.lutdla'), 'accelerator "z" { memory { dram = 0GB/s } }\n');
    const z = lutdla(['simulate', 'small.onnx', '--config', 'zero.lutdla', '--out', 'bad'], dir);
    assert.equal(z.status, 1);
    assert.match(z.stderr, /zero\.lutdla.*dram|dram.*0|bandwidth/i);
    const missing = lutdla(['simulate', 'nothere.onnx', '--out', 'bad'], dir);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nothere\.onnx/);
    assert.equal(fs.existsSync(path.join(dir, 'bad')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
