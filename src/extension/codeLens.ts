import * as vscode from 'vscode';
import { scanConfig } from './configScan';

/** Convert / Simulate / Explore above the `model`, `accelerator` and `explore` blocks of a .lutdla file. */
export class ConfigCodeLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const config = document.uri.fsPath;
    const lenses: vscode.CodeLens[] = [];
    for (const b of scanConfig(document.getText())) {
      const range = new vscode.Range(b.line, b.character, b.line, b.character);
      const lens = (title: string, command: string, args: object, tooltip: string): void => {
        lenses.push(new vscode.CodeLens(range, { title, command, arguments: [{ config, ...args }], tooltip }));
      };
      if (b.kind === 'model') {
        lens('$(run) Convert', 'lutdla.convert', { modelName: b.name }, 'Convert this model to a LUT model (lutdla convert)');
        lens('$(pulse) Simulate', 'lutdla.simulate', { modelName: b.name }, 'Simulate this model on the accelerator (lutdla simulate)');
      } else if (b.kind === 'accelerator') {
        lens('$(pulse) Simulate', 'lutdla.simulate', { accelerator: b.name }, 'Simulate the first model on this accelerator (lutdla simulate)');
      } else {
        lens('$(graph-scatter) Explore', 'lutdla.explore', {}, 'Sweep the design space (lutdla explore)');
      }
    }
    return lenses;
  }
}
