/**
 * The config schema (schemas/lutdla.schema.json) seen two ways: as an ajv validator of the lowered document,
 * and as a tree of block specs that tells the parser's consumers which keys, blocks and directives each block
 * of the source takes. Source keys are the snake_case form of schema property names.
 */
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv';
import schemaJson from '../../schemas/lutdla.schema.json';

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  examples?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  required?: string[];
  $ref?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  'x-unit'?: string;
  'x-warnMin'?: number;
  'x-warnMax'?: number;
  'x-powerOfTwo'?: boolean;
  'x-block'?: string;
  'x-label'?: string;
  'x-directive'?: string;
  'x-hidden'?: boolean;
  'x-path'?: string;
  'x-rangeProperty'?: string;
  'x-reference'?: string;
  'x-enumDescriptions'?: Record<string, string>;
  'x-metricUnits'?: Record<string, string>;
  'x-defaultText'?: string;
  /** The LUTBoost stage that alone reads this setting (a warning says so when the stage is not run). */
  'x-stage'?: string;
}

export const SCHEMA = schemaJson as unknown as JsonSchema & { $defs: Record<string, JsonSchema> };

/** Custom annotation keywords; registered with ajv so strict mode accepts them. */
const X_KEYWORDS = [
  'x-unit', 'x-warnMin', 'x-warnMax', 'x-powerOfTwo', 'x-block', 'x-label', 'x-directive', 'x-hidden', 'x-path',
  'x-rangeProperty', 'x-reference', 'x-enumDescriptions', 'x-metricUnits', 'x-defaultText', 'x-stage',
];

let validator: ValidateFunction | undefined;
export function validateDocument(doc: unknown): ErrorObject[] {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, useDefaults: true, verbose: true, allowUnionTypes: true, strict: true });
    for (const k of X_KEYWORDS) ajv.addKeyword(k);
    validator = ajv.compile(SCHEMA);
  }
  return validator(doc) ? [] : [...(validator.errors ?? [])];
}

/** Resolves a local `$ref`, merging the referring schema's own keywords (its description wins). */
export function deref(s: JsonSchema): JsonSchema {
  if (!s.$ref) return s;
  const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
  const target = m ? SCHEMA.$defs[m[1]] : undefined;
  if (!target) return s;
  const { $ref: _r, ...own } = s;
  return { ...deref(target), ...own };
}

export const toSnake = (prop: string): string => prop.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

export interface FieldSpec {
  key: string; // as written in the source (snake_case)
  prop: string; // as lowered (camelCase)
  schema: JsonSchema;
}

export interface DirectiveSpec {
  keyword: string; // vary | require
  prop: string;
  schema: JsonSchema;
}

export interface BlockSpec {
  keyword: string; // '' for the file itself
  prop: string;
  schema: JsonSchema; // the object schema of one block
  description: string;
  repeated: boolean; // accelerator "a" {}, accelerator "b" {} -> an array
  labelProp?: string;
  fields: Map<string, FieldSpec>;
  blocks: Map<string, BlockSpec>;
  directives: Map<string, DirectiveSpec>;
}

function isObjectSchema(s: JsonSchema): boolean {
  return s.type === 'object' && !!s.properties;
}

function buildBlock(keyword: string, prop: string, raw: JsonSchema, repeated: boolean, labelProp?: string): BlockSpec {
  const outer = deref(raw);
  const schema = repeated && outer.items ? deref(outer.items) : outer;
  const spec: BlockSpec = {
    keyword,
    prop,
    schema,
    description: outer.description ?? schema.description ?? '',
    repeated,
    labelProp,
    fields: new Map(),
    blocks: new Map(),
    directives: new Map(),
  };
  for (const [p, rawChild] of Object.entries(schema.properties ?? {})) {
    const child = deref(rawChild);
    if (child['x-hidden']) continue;
    if (child['x-directive']) {
      spec.directives.set(child['x-directive'], { keyword: child['x-directive'], prop: p, schema: child });
    } else if (child['x-block']) {
      spec.blocks.set(child['x-block'], buildBlock(child['x-block'], p, child, true, child['x-label']));
    } else if (isObjectSchema(child)) {
      spec.blocks.set(toSnake(p), buildBlock(toSnake(p), p, child, false));
    } else {
      spec.fields.set(toSnake(p), { key: toSnake(p), prop: p, schema: child });
    }
  }
  return spec;
}

/** The spec of the whole file: top-level blocks lut, accelerator, model, explore. */
export const ROOT: BlockSpec = buildBlock('', '', SCHEMA, false);

/** Enum values a field (or its list items) accepts. */
export function enumOf(s: JsonSchema): string[] | undefined {
  const e = s.enum ?? (s.items ? deref(s.items).enum : undefined);
  return e?.map(String);
}

export function enumDescriptions(s: JsonSchema): Record<string, string> {
  return s['x-enumDescriptions'] ?? (s.items ? deref(s.items)['x-enumDescriptions'] : undefined) ?? {};
}

export function isNumeric(s: JsonSchema): boolean {
  return s.type === 'number' || s.type === 'integer';
}

/** The metric names of explore objectives and constraints, with their units. */
export const METRIC_SCHEMA: JsonSchema = SCHEMA.$defs.metricName;
export const METRIC_UNITS: Record<string, string> = METRIC_SCHEMA['x-metricUnits'] ?? {};
