import * as path from 'node:path';
import { formatDiagnostic, hasErrors, loadConfigFile, type ConfigDiagnostic } from '../../dsl';
import { UserError, type CliCommand } from '../command';

/** `lutdla check FILE...`: one `FILE:LINE:COL: error|warning: MESSAGE` line per problem; exit 1 on any error. */
export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'check .lutdla configs: syntax, schema, units, paths (exit 1 if any error)',
  usage: 'lutdla check FILE... [--format text|json]',
  options: {
    format: { type: 'string', default: 'text', description: "output format: 'text' (FILE:LINE:COL: severity: message) or 'json'" },
  },
  async run(ctx) {
    const format = String(ctx.options.format ?? 'text');
    if (format !== 'text' && format !== 'json') throw new UserError(`--format takes 'text' or 'json', not '${format}'`);
    if (!ctx.positionals.length) throw new UserError('check needs at least one .lutdla file: lutdla check FILE...');
    const results: { file: string; diagnostics: ConfigDiagnostic[] }[] = [];
    let errors = 0;
    let warnings = 0;
    for (const file of ctx.positionals) {
      const { diagnostics } = loadConfigFile(file);
      results.push({ file, diagnostics });
      errors += diagnostics.filter((d) => d.severity === 'error').length;
      warnings += diagnostics.filter((d) => d.severity === 'warning').length;
    }
    if (ctx.events.json) {
      // --progress=json: stdout carries only events; one log event per problem, then the result.
      for (const r of results) for (const d of r.diagnostics) ctx.events.log(formatDiagnostic(r.file, d), d.severity);
      ctx.events.emit({ type: 'result', files: [], summary: { errors, warnings, files: results } });
    } else if (format === 'json') {
      const out = results.map((r) => ({
        file: r.file,
        path: path.resolve(r.file),
        ok: !hasErrors(r.diagnostics),
        diagnostics: r.diagnostics.map((d) => ({ ...d, line: d.range.start.line + 1, column: d.range.start.character + 1 })),
      }));
      ctx.stdout(JSON.stringify({ files: out, errors, warnings }, null, 2));
    } else {
      for (const r of results) for (const d of r.diagnostics) ctx.stdout(formatDiagnostic(r.file, d));
      const n = results.length;
      ctx.stderr(`${n} file${n === 1 ? '' : 's'} checked: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
    }
    return errors ? 1 : 0;
  },
};
