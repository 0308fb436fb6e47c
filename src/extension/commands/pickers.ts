import * as vscode from 'vscode';
import * as path from 'node:path';
import { scanConfig, type BlockKind, type ConfigBlock } from '../configScan';

/** The quick picks the job commands ask with. Each returns undefined when the user backs out (Escape). */

export interface ConfigBlockRef {
  config: vscode.Uri;
  block: ConfigBlock;
}

/** Every block of a kind in the workspace's .lutdla files (open editors first, so unsaved text counts). */
export async function findConfigBlocks(kind: BlockKind): Promise<ConfigBlockRef[]> {
  const uris = await vscode.workspace.findFiles('**/*.lutdla', '**/node_modules/**', 100);
  uris.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  const out: ConfigBlockRef[] = [];
  for (const uri of uris) {
    for (const block of await blocksOf(uri)) if (block.kind === kind) out.push({ config: uri, block });
  }
  return out;
}

export async function blocksOf(uri: vscode.Uri): Promise<ConfigBlock[]> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return scanConfig(open.getText());
  try {
    return scanConfig(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
  } catch {
    return [];
  }
}

function rel(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, true);
}

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

async function pick<T>(items: Item<T>[], placeHolder: string, title: string): Promise<T | undefined> {
  const chosen = await vscode.window.showQuickPick(items, { placeHolder, title, ignoreFocusOut: true, matchOnDescription: true });
  return chosen?.value;
}

/** Picks one named block of a config (skipped when there is only one). */
export async function pickBlock(config: vscode.Uri, kind: BlockKind, title: string): Promise<ConfigBlock | undefined | null> {
  const blocks = (await blocksOf(config)).filter((b) => b.kind === kind);
  if (blocks.length === 0) return null;
  if (blocks.length === 1) return blocks[0];
  return pick(blocks.map((b) => ({ label: b.name ?? `${kind} (line ${b.line + 1})`, description: `line ${b.line + 1}`, value: b })),
    `Which ${kind}?`, title);
}

export type ConvertChoice =
  /** `describesModel`: the block's onnx is this model (so its data files fit it). */
  | { kind: 'config'; config: vscode.Uri; block: ConfigBlock; describesModel: boolean }
  | { kind: 'settings'; centroids: number; vector: number; metric: string; precision: string };

/** A config's model block (those naming this model first), or settings chosen one by one with defaults. */
export async function pickConvertSettings(model: vscode.Uri, title: string): Promise<ConvertChoice | undefined> {
  const refs = await findConfigBlocks('model');
  const names = (r: ConfigBlockRef): boolean =>
    !!r.block.onnx && path.resolve(path.dirname(r.config.fsPath), r.block.onnx) === model.fsPath;
  refs.sort((a, b) => Number(names(b)) - Number(names(a)));
  type V = ConfigBlockRef | 'settings';
  const items: Item<V>[] = [
    ...refs.map((r): Item<V> => ({
      label: `$(file-code) ${r.block.name ?? 'model'}`,
      description: `${rel(r.config)}:${r.block.line + 1}`,
      detail: names(r) ? 'This config describes this model' : r.block.onnx ? `Config for ${r.block.onnx}; its settings applied to this model` : undefined,
      value: r,
    })),
    { label: '$(settings-gear) Choose settings...', description: 'centroids, vector length, metric, precision', value: 'settings' },
  ];
  const chosen = refs.length ? await pick(items, 'Convert with the settings of a .lutdla config, or choose them', title) : 'settings';
  if (chosen === undefined) return undefined;
  if (chosen !== 'settings') return { kind: 'config', config: chosen.config, block: chosen.block, describesModel: names(chosen) };

  const centroids = await pick([16, 8, 32, 64, 4, 128, 256].map((c, i) => ({
    label: String(c), description: i === 0 ? 'default' : undefined, detail: `${Math.log2(c)}-bit index per sub-vector`, value: c,
  })), 'Centroids per codebook (c)', title);
  if (centroids === undefined) return undefined;
  const vector = await pick([4, 2, 8, 16, 1].map((v, i) => ({
    label: String(v), description: i === 0 ? 'default' : undefined,
    detail: `${(Math.log2(centroids) / v).toFixed(2).replace(/\.?0+$/, '')} bits per activation at c=${centroids}`, value: v,
  })), 'Sub-vector length (v)', title);
  if (vector === undefined) return undefined;
  const metric = await pick([
    { label: 'l2', description: 'default', detail: 'Euclidean distance (multipliers in the CCM)', value: 'l2' },
    { label: 'l1', detail: 'Manhattan distance: subtract, abs, add; no multipliers', value: 'l1' },
    { label: 'chebyshev', detail: 'Largest coordinate difference: subtract, abs, max', value: 'chebyshev' },
  ], 'Similarity metric', title);
  if (metric === undefined) return undefined;
  const precision = await pick([
    { label: 'int8', description: 'default', value: 'int8' },
    { label: 'int4', value: 'int4' },
    { label: 'fp16', value: 'fp16' },
    { label: 'bf16', value: 'bf16' },
  ], 'Table entry precision', title);
  if (precision === undefined) return undefined;
  return { kind: 'settings', centroids, vector, metric, precision };
}

/**
 * A data file for calibration (required by the engine) or evaluation (optional): one found in the workspace (those
 * next to the model first), or browse; evaluation can also be None. Null = none.
 */
export async function pickDataFile(purpose: 'calibration' | 'evaluation', near: vscode.Uri, title: string): Promise<string | null | undefined> {
  const found = [
    ...await vscode.workspace.findFiles('**/*.{npy,npz,pb}', '**/{node_modules,dist,.git}/**', 200),
    ...await vscode.workspace.findFiles('**/*-ubyte*', '**/{node_modules,dist,.git}/**', 50),
  ];
  const nearDir = path.dirname(near.fsPath) + path.sep;
  found.sort((a, b) => Number(b.fsPath.startsWith(nearDir)) - Number(a.fsPath.startsWith(nearDir)) || a.fsPath.localeCompare(b.fsPath));
  type V = string | 'none' | 'browse';
  const items: Item<V>[] = [
    ...found.slice(0, 50).map((u): Item<V> => ({ label: path.basename(u.fsPath), description: rel(u), value: u.fsPath })),
    { label: '$(folder-opened) Browse...', description: '.npy, .npz, .pb or IDX files', value: 'browse' },
  ];
  if (purpose === 'evaluation') items.unshift({ label: '$(circle-slash) None', description: 'no accuracy figures, only agreement on calibration rows', value: 'none' });
  const chosen = await pick(items, purpose === 'calibration'
    ? 'Calibration data: inputs the centroids and tables are fitted on (the config names none)'
    : 'Evaluation data: inputs the accuracy is measured on (optional)', title);
  if (chosen === undefined) return undefined;
  if (chosen === 'none') return null;
  if (chosen !== 'browse') return chosen;
  const files = await vscode.window.showOpenDialog({
    canSelectMany: false, defaultUri: vscode.Uri.file(path.dirname(near.fsPath)), openLabel: `Use for ${purpose}`,
    filters: { 'Data': ['npy', 'npz', 'pb', 'gz'], 'All files': ['*'] },
  });
  return files?.[0]?.fsPath;
}
