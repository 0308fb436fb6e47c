import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ACCELERATOR, DEFAULT_LUT } from '../../src/sim/defaults';
import { loadConfigText } from '../../src/dsl';

test('DEFAULT_ACCELERATOR and DEFAULT_LUT match the schema defaults (as lowered by the language)', () => {
  const { document, diagnostics } = loadConfigText('accelerator "default" { }\n', path.join(__dirname, 'x.lutdla'));
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  const a = document.accelerators[0];
  assert.deepEqual({ ...a, memory: { ...a.memory } }, { ...DEFAULT_ACCELERATOR, memory: { ...DEFAULT_ACCELERATOR.memory } });
  assert.deepEqual(document.lut, DEFAULT_LUT);
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'schemas', 'lutdla.schema.json'), 'utf8'));
  assert.equal(schema.$defs.accelerator.properties.clock.default, DEFAULT_ACCELERATOR.clock);
});
