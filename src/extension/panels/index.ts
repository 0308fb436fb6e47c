import * as vscode from 'vscode';
import { reportKindOfFile, REPORT_KINDS } from '../../protocol/reportShape';
import { readReport } from './reportFile';
import { ReportPanel, VIEW_TYPES, type Log } from './reportPanel';

/**
 * The report panels' API for the rest of the extension:
 * - `registerReportPanels(context)` at activation (registers one WebviewPanelSerializer per view type, so
 *   panels come back after a window reload; package.json lists `onWebviewPanel:<viewType>` activation events);
 * - `openReportPanel(context, uri)` to show a `*.conversion.json` / `*.simulation.json` / `*.exploration.json`.
 */
export { VIEW_TYPES } from './reportPanel';

let log: Log = (line) => console.log(line);

export function registerReportPanels(context: vscode.ExtensionContext, logLine?: Log): void {
  if (logLine) log = logLine;
  for (const kind of REPORT_KINDS) {
    context.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPES[kind], {
        deserializeWebviewPanel: (panel, state) => ReportPanel.revive(context, panel, state, log),
      }),
    );
  }
}

/** Reads, checks and shows a report file; a broken file shows an error message naming the file. */
export async function openReportPanel(context: vscode.ExtensionContext, reportUri: vscode.Uri): Promise<void> {
  try {
    const report = await readReport(reportUri);
    const expected = reportKindOfFile(reportUri.path);
    if (expected && expected !== report.kind) {
      throw new Error(`${vscode.workspace.asRelativePath(reportUri)} is named as a ${expected} report but holds a ${report.kind} report`);
    }
    await ReportPanel.createOrShow(context, report, reportUri, log);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log(`report panel: ${message}`);
    void vscode.window.showErrorMessage(message);
  }
}
