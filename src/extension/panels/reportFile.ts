import * as vscode from 'vscode';
import { validateReport, type AnyReport } from '../../protocol/reportShape';

/** Reads and checks a report JSON file; a broken file gives one message naming the file and the field. */
export async function readReport(uri: vscode.Uri): Promise<AnyReport> {
  const name = uri.scheme === 'file' ? uri.fsPath : uri.toString();
  let text: string;
  try {
    text = new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
  } catch (e) {
    throw new Error(`Cannot read the report ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`The report ${name} is not valid JSON (${e instanceof Error ? e.message : String(e)}). Re-run the job that wrote it.`);
  }
  const checked = validateReport(parsed);
  if (!checked.ok) throw new Error(`The report ${name} is not a LUT-DLA report this version can show: ${checked.error}`);
  return checked.value;
}

/** Whether a file or folder exists at `uri` (any file system VS Code knows). */
export async function uriExists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
