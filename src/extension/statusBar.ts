import * as vscode from 'vscode';
import type { Engine } from './engine';

/** A status bar entry while engine jobs run: the latest job's title; a click shows the engine log. */
export function registerJobStatus(engine: Engine): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('lutdla.jobs', vscode.StatusBarAlignment.Left, 0);
  item.name = 'LUT-DLA jobs';
  item.command = 'lutdla.showLog';
  const sub = engine.onNotice((n) => {
    if (n.event.type === 'start') {
      item.text = `$(sync~spin) LUT-DLA: ${n.title}`;
      item.tooltip = 'A LUT-DLA engine job is running. Click for the engine log; "LUT-DLA: Cancel Running Jobs" stops it.';
      item.show();
    } else if (n.event.type === 'end' && engine.runningCount <= 1) {
      item.hide();
    }
  });
  return vscode.Disposable.from(item, sub);
}
