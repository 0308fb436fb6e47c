import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT as SPEC, type BlockSpec } from '../../src/dsl/schema';
import { UNITS } from '../../src/dsl/units';
import { ROOT } from './helpers';

test('docs/language.md documents every block, key and unit of the schema', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'language.md'), 'utf8');
  const walk = (b: BlockSpec, p: string): void => {
    if (p) assert.ok(doc.includes(`\`${p}\``), `block ${p}`);
    for (const k of b.fields.keys()) assert.ok(doc.includes(`\`${k}\``), `key ${p}.${k}`);
    for (const sub of b.blocks.values()) walk(sub, p ? `${p}.${sub.keyword}` : sub.keyword);
  };
  walk(SPEC, '');
  for (const u of UNITS) assert.ok(doc.includes(`\`${u.unit}\``) || doc.includes(`${u.unit}`), `unit ${u.unit}`);
});

test('every schema field has a description, and every numeric field a unit annotation', () => {
  const walk = (b: BlockSpec): void => {
    for (const f of b.fields.values()) {
      assert.ok(f.schema.description, `${b.keyword}.${f.key} has a description`);
      if (f.schema.type === 'number' || f.schema.type === 'integer') assert.ok(f.schema['x-unit'] !== undefined, `${b.keyword}.${f.key} has x-unit`);
    }
    for (const sub of b.blocks.values()) walk(sub);
  };
  walk(SPEC);
});

test('every schema field states its default (a value or x-defaultText)', () => {
  const walk = (b: BlockSpec): void => {
    for (const f of b.fields.values()) assert.ok(f.schema.default !== undefined || f.schema['x-defaultText'], `${b.keyword}.${f.key} states a default`);
    for (const sub of b.blocks.values()) walk(sub);
  };
  walk(SPEC);
});
