import type { OptionSpec } from './command';
import { UserError } from './command';
import { loadWebviewAssets, renderStandaloneHtml } from '../reports/html';
import type { AnyReport } from '../protocol/reportShape';
import type { AtomicOutput } from '../util/atomicOutput';

/** `--html`: the same panels as in VS Code, as one self-contained HTML file beside the JSON report. */
export const htmlOption: OptionSpec = {
  type: 'boolean',
  description: 'also write <name>.<kind>.html: the report panel as one self-contained HTML file',
};

/** Queues `<report>.html` next to `<report>.json` in the job's atomic output. */
export function writeHtmlReport(out: AtomicOutput, jsonName: string, report: AnyReport): void {
  let assets;
  try {
    assets = loadWebviewAssets();
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  out.write(jsonName.replace(/\.json$/, '.html'), renderStandaloneHtml(report, assets));
}
