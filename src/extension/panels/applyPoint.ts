import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExplorationReport } from '../../reports/exploration';
import { applyPointToConfig } from './configEdit';
import { uriExists } from './reportFile';

/** Where the exploration's config is: next to the report, one folder up, or (by name) in the workspace. */
export async function findConfig(report: ExplorationReport, reportUri: vscode.Uri): Promise<vscode.Uri | undefined> {
  const name = report.config;
  if (path.basename(name) !== name || !name.toLowerCase().endsWith('.lutdla')) {
    throw new Error(`the report names its config as "${name}", which is not a plain .lutdla file name`);
  }
  const dir = vscode.Uri.joinPath(reportUri, '..');
  for (const candidate of [vscode.Uri.joinPath(dir, name), vscode.Uri.joinPath(dir, '..', name)]) {
    try {
      await vscode.workspace.fs.stat(candidate);
      return candidate;
    } catch {
      // not there; try the next place
    }
  }
  const found = await vscode.workspace.findFiles(new vscode.RelativePattern(vscode.workspace.workspaceFolders?.[0] ?? dir, `**/${name}`), '**/node_modules/**', 20);
  if (found.length <= 1) return found[0];
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
    { title: `Which ${name} did this exploration use?` },
  );
  return pick?.uri;
}

/**
 * Writes point `pointId`'s settings into a copy of the config (`<name>.point-<id>.lutdla` next to it) and
 * shows the difference to the original. Returns a one-line result for the panel.
 */
export async function applyPoint(report: ExplorationReport, reportUri: vscode.Uri, pointId: number): Promise<string> {
  const point = report.points.find((p) => p.id === pointId);
  if (!point) throw new Error(`the report has no point ${pointId}`);
  const config = await findConfig(report, reportUri);
  if (!config) throw new Error(`cannot find ${report.config} next to the report or in the workspace`);
  const original = new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(config));
  const settings = Object.entries(point.settings).map(([k, v]) => `${k} = ${v}`).join(', ');
  const result = applyPointToConfig(original, point.settings, `Design point ${point.id} of ${path.basename(reportUri.path)}: ${settings}`);
  if (!result.applied.length) throw new Error(`none of the point's settings could be written: ${result.skipped.map((s) => `${s.path} (${s.reason})`).join(', ')}`);
  const stem = path.basename(config.path, '.lutdla');
  let copy = vscode.Uri.joinPath(config, '..', `${stem}.point-${point.id}.lutdla`);
  if (await uriExists(copy)) {
    const answer = await vscode.window.showWarningMessage(`${path.basename(copy.path)} exists.`, { modal: true }, 'Overwrite', 'Keep both');
    if (!answer) return 'Cancelled: nothing written.';
    for (let n = 2; answer === 'Keep both' && (await uriExists(copy)); n++) copy = vscode.Uri.joinPath(config, '..', `${stem}.point-${point.id}-${n}.lutdla`);
  }
  await vscode.workspace.fs.writeFile(copy, new TextEncoder().encode(result.text));
  await vscode.commands.executeCommand('vscode.diff', config, copy, `${path.basename(config.path)} ↔ design point ${point.id}`);
  const skipped = result.skipped.length ? ` Not written: ${result.skipped.map((s) => `${s.path} (${s.reason})`).join(', ')}.` : '';
  return `Wrote ${path.basename(copy.path)} with ${result.applied.join(', ')}.${skipped}`;
}
