import * as vscode from 'vscode';

/**
 * The extension's side of the report panels (src/extension/panels/**, helper E2's part): registering the panel
 * serializers at activation and opening a report file in its panel. Called through this small interface so the
 * commands do not depend on how the panels are built.
 */
export interface ReportPanels {
  open(reportUri: vscode.Uri): Promise<void>;
}

export const REPORT_FILE_PATTERN = /\.(conversion|simulation|exploration)\.json$/i;

export function registerPanels(context: vscode.ExtensionContext): ReportPanels {
  return {
    async open(reportUri) {
      // Until the panels land: show the report JSON itself.
      await vscode.window.showTextDocument(reportUri, { preview: false });
    },
  };
}
