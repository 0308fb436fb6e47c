/** The whole pipeline: text -> tree -> lowered document + diagnostics (syntax, schema, semantic). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LutdlaDocument } from './config';
import type { ConfigDiagnostic } from './diagnostics';
import { lower, type RawDiagnostic, type SourceRef } from './lower';
import { parse, type ParseResult } from './parser';
import { LineIndex } from './positions';
import { validateLowered } from './validate';
import { checkDocument } from './semantic';

export interface Analysis {
  text: string;
  filePath: string;
  lines: LineIndex;
  parse: ParseResult;
  document: LutdlaDocument;
  pointers: Map<string, SourceRef>;
  diagnostics: ConfigDiagnostic[];
}

export interface AnalyzeOptions {
  /** Check that the files paths name exist (default true when filePath is given). */
  checkFiles?: boolean;
}

/** Parses, lowers, validates and checks `text`. Never throws for any input. */
export function analyze(text: string, filePath: string, options: AnalyzeOptions = {}): Analysis {
  const lines = new LineIndex(text);
  const parsed = parse(text);
  const checkFiles = options.checkFiles ?? !!filePath;
  const lowered = lower(parsed.file, { filePath: checkFiles && filePath ? filePath : undefined });
  const schemaDiags = validateLowered(lowered.doc, lowered.pointers);
  const raw: RawDiagnostic[] = [
    ...parsed.errors.map((e): RawDiagnostic => ({ ...e, severity: 'error', code: 'syntax' })),
    ...lowered.diagnostics,
    ...schemaDiags,
    ...checkDocument(lowered.doc as unknown as LutdlaDocument, lowered.pointers, parsed.file),
  ];
  raw.sort((a, b) => a.start - b.start || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  const diagnostics = raw.map((d): ConfigDiagnostic => {
    const out: ConfigDiagnostic = { range: lines.range(d.start, d.end), severity: d.severity, message: d.message, code: d.code };
    if (d.fixes) out.fixes = d.fixes.map((f) => ({ title: f.title, range: lines.range(f.start, f.end), newText: f.newText }));
    return out;
  });
  return { text, filePath, lines, parse: parsed, document: lowered.doc as unknown as LutdlaDocument, pointers: lowered.pointers, diagnostics };
}

export function loadConfigText(text: string, filePath: string): { document: LutdlaDocument; diagnostics: ConfigDiagnostic[] } {
  const a = analyze(text, filePath);
  return { document: a.document, diagnostics: a.diagnostics };
}

const ZERO = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** Whether `buf` looks like text: valid UTF-8 without NUL bytes. */
export function isText(buf: Buffer): boolean {
  if (buf.subarray(0, 8192).includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

/** Reads and analyzes a config file. A missing, unreadable or binary file gives one diagnostic. */
export function loadConfigFile(filePath: string): { document: LutdlaDocument; diagnostics: ConfigDiagnostic[] } {
  let buf: Buffer;
  try {
    const st = fs.statSync(filePath);
    if (st.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    buf = fs.readFileSync(filePath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a .lutdla file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    return { document: emptyDocument(), diagnostics: [{ range: ZERO, severity: 'error', message: `cannot read this file: ${why}`, code: 'io' }] };
  }
  if (!isText(buf)) {
    return {
      document: emptyDocument(),
      diagnostics: [{ range: ZERO, severity: 'error', message: 'not a text file: a .lutdla config is UTF-8 text (is this a binary file such as a model?)', code: 'not-text' }],
    };
  }
  return loadConfigText(buf.toString('utf8'), path.resolve(filePath));
}

/** The document of an empty config: every default from the schema. */
export function emptyDocument(): LutdlaDocument {
  return analyze('', '', { checkFiles: false }).document;
}

/**
 * Resolves a path written in a config (relative to the config file's folder) to an absolute path.
 * Throws an Error that says what to do when the path is absolute or leaves that folder (also through a symlink).
 */
export function resolveConfigPath(configFile: string, relPath: string): string {
  const dir = path.dirname(path.resolve(configFile));
  if (!relPath) throw new Error(`${configFile}: empty path`);
  if (path.isAbsolute(relPath) || /^[a-zA-Z]:[\\/]/.test(relPath)) {
    throw new Error(`${configFile}: absolute path '${relPath}' is not allowed; write it relative to the config file's folder`);
  }
  const abs = path.resolve(dir, relPath);
  const rel = path.relative(dir, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`${configFile}: path '${relPath}' leaves the config file's folder; put the file in or below ${dir}`);
  }
  if (fs.existsSync(abs)) {
    const realDir = fs.realpathSync(dir);
    const real = fs.realpathSync(abs);
    const r = path.relative(realDir, real);
    if (r.startsWith('..') || path.isAbsolute(r)) throw new Error(`${configFile}: path '${relPath}' leads outside the config file's folder (through a link)`);
  }
  return abs;
}
