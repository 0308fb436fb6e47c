import * as vscode from 'vscode';
import type { ExportFormat } from '../../protocol/messages';

const FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  json: { JSON: ['json'] },
  csv: { CSV: ['csv'] },
  png: { 'PNG image': ['png'] },
};

/** A plain file name: the webview only suggests a name, it never picks a folder. */
export function safeFileName(name: string, format: ExportFormat): string {
  const base = name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_').replace(/^\.+/, '').slice(0, 120) || 'report';
  return base.toLowerCase().endsWith(`.${format}`) ? base : `${base}.${format}`;
}

export function exportBytes(format: ExportFormat, data: string): Uint8Array {
  if (format === 'png') return Buffer.from(data.slice(data.indexOf(',') + 1), 'base64');
  return new TextEncoder().encode(data);
}

/** Asks where to save (next to the report by default) and writes the export. Returns the saved file or undefined. */
export async function saveExport(format: ExportFormat, name: string, data: string, near: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
  const fileName = safeFileName(name, format);
  const folder = near ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, fileName) : undefined,
    filters: FILTERS[format],
    saveLabel: `Export ${format.toUpperCase()}`,
    title: `Export ${fileName}`,
  });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, exportBytes(format, data));
  return target;
}
