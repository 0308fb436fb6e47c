import * as vscode from 'vscode';
import { openReportPanel, registerReportPanels } from './panels';

/**
 * The extension's side of the report panels (src/extension/panels/**): registering the panel serializers at
 * activation and opening a report file in its panel. The commands call through this small interface.
 */
export interface ReportPanels {
  open(reportUri: vscode.Uri): Promise<void>;
}

export const REPORT_FILE_PATTERN = /\.(conversion|simulation|exploration)\.json$/i;

export function registerPanels(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): ReportPanels {
  registerReportPanels(context, (line) => log.info(line));
  return { open: (reportUri) => openReportPanel(context, reportUri) };
}
