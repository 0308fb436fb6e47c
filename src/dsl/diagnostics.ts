import type { Range } from './positions';

export type Severity = 'error' | 'warning' | 'info';

/** A problem in a config file. Ranges are 0-based, LSP style; formatDiagnostic prints them 1-based. */
export interface ConfigDiagnostic {
  range: Range;
  severity: Severity;
  message: string;
  /** Stable kind: syntax, schema, unknown-key, duplicate, unit, power-of-two, missing-file, path-escape,
   *  explore-axis, unknown-reference, out-of-range, not-text, io. */
  code: string;
  /** Quick fixes: replace `range` with `newText` (e.g. a did-you-mean spelling, the nearest power of two). */
  fixes?: { title: string; range: Range; newText: string }[];
}

export function hasErrors(diags: readonly ConfigDiagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** `FILE:LINE:COL: error|warning: MESSAGE`, 1-based, the format compilers use. */
export function formatDiagnostic(file: string, d: ConfigDiagnostic): string {
  const sev = d.severity === 'info' ? 'note' : d.severity;
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${sev}: ${d.message}`;
}
