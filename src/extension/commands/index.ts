import * as vscode from 'vscode';
import * as path from 'node:path';
import { REPORT_FILE_PATTERN } from '../reportPanels';
import type { JobRequest } from '../jobs/resolveJob';
import type { JobResult } from '../jobs/runJob';
import { notRun, requireTrust, runJobRequest, type RunOptions, type Services } from './runCommand';
import { pickBlock, pickConvertSettings, pickDataFile } from './pickers';

/**
 * The `lutdla.*` commands. Each job command takes, as its argument, either
 *  - a Uri (explorer or editor menus): asks for what it needs with quick picks, or
 *  - an object `{ model?, config?, modelName?, accelerator?, out?, centroids?, ..., overwrite?, openReport? }`
 *    (CodeLens, tests, other extensions): runs without asking,
 * and returns the JobResult.
 */
export type CommandArgs = Partial<Omit<JobRequest, 'command'>> & RunOptions & {
  /** The LUT settings may also come grouped: `{ model, settings: { centroids, vector, metric, precision }, out }`. */
  settings?: Partial<Pick<JobRequest, 'centroids' | 'vector' | 'metric' | 'precision' | 'calibration' | 'evaluation' | 'labels'>>;
};

function isUri(v: unknown): v is vscode.Uri {
  return v instanceof vscode.Uri;
}

function isArgs(v: unknown): v is CommandArgs {
  return !!v && typeof v === 'object' && !isUri(v);
}

/** The .lutdla file a command without arguments is about: the active editor's. */
function activeConfig(): vscode.Uri | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc && (doc.languageId === 'lutdla' || doc.uri.fsPath.endsWith('.lutdla')) ? doc.uri : undefined;
}

async function askForFile(filters: Record<string, string[]>, openLabel: string): Promise<vscode.Uri | undefined> {
  const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters, openLabel });
  return files?.[0];
}

function fromArgs(command: JobRequest['command'], args: CommandArgs): [JobRequest, RunOptions] {
  const { overwrite, openReport, settings, ...rest } = args;
  return [{ ...(settings && typeof settings === 'object' ? settings : {}), ...rest, command }, { overwrite, openReport }];
}

async function convert(services: Services, arg: unknown): Promise<JobResult> {
  if (isArgs(arg)) return runJobRequest(services, ...fromArgs('convert', arg));
  if (!requireTrust()) return notRun('workspace not trusted');
  let target = isUri(arg) ? arg : activeConfig();
  if (!target) target = await askForFile({ 'ONNX model': ['onnx'], 'LUT-DLA config': ['lutdla'] }, 'Convert');
  if (!target) return notRun('cancelled');
  const title = 'Convert to LUT model';

  if (target.fsPath.endsWith('.lutdla')) {
    const block = await pickBlock(target, 'model', title);
    if (block === null) {
      void vscode.window.showErrorMessage(`LUT-DLA: ${path.basename(target.fsPath)} has no model block to convert.`);
      return notRun('no model block');
    }
    if (!block) return notRun('cancelled');
    return runJobRequest(services, { command: 'convert', config: target.fsPath, modelName: block.name });
  }

  // An .onnx model from the explorer: a config's settings, or settings chosen here; then data where none is named.
  const choice = await pickConvertSettings(target, title);
  if (!choice) return notRun('cancelled');
  const req: JobRequest = { command: 'convert', model: target.fsPath };
  let hasCalibration = false;
  let hasEvaluation = false;
  if (choice.kind === 'config') {
    req.config = choice.config.fsPath;
    req.modelName = choice.block.name;
    // A config written for another model brings its settings, not its data: ask for data that fits this model.
    hasCalibration = choice.describesModel && !!choice.block.calibration;
    hasEvaluation = choice.describesModel && !!choice.block.evaluation;
  } else {
    Object.assign(req, { centroids: choice.centroids, vector: choice.vector, metric: choice.metric, precision: choice.precision });
  }
  if (!hasCalibration) {
    const f = await pickDataFile('calibration', target, title);
    if (f === undefined) return notRun('cancelled');
    if (f) req.calibration = f;
  }
  if (!hasEvaluation) {
    const f = await pickDataFile('evaluation', target, title);
    if (f === undefined) return notRun('cancelled');
    if (f) req.evaluation = f;
  }
  return runJobRequest(services, req);
}

async function simulate(services: Services, arg: unknown): Promise<JobResult> {
  if (isArgs(arg)) return runJobRequest(services, ...fromArgs('simulate', arg));
  if (!requireTrust()) return notRun('workspace not trusted');
  const title = 'Simulate';
  let config = isUri(arg) && arg.fsPath.endsWith('.lutdla') ? arg : activeConfig();
  const model = isUri(arg) && arg.fsPath.endsWith('.onnx') ? arg : undefined;
  if (!config) config = await askForFile({ 'LUT-DLA config': ['lutdla'] }, 'Simulate with this config');
  if (!config) return notRun('cancelled');
  let modelName: string | undefined;
  if (!model) {
    const block = await pickBlock(config, 'model', title);
    if (block === null) {
      void vscode.window.showErrorMessage(`LUT-DLA: ${path.basename(config.fsPath)} has no model block to simulate.`);
      return notRun('no model block');
    }
    if (!block) return notRun('cancelled');
    modelName = block.name;
  }
  const acc = await pickBlock(config, 'accelerator', title);
  if (acc === undefined) return notRun('cancelled');
  return runJobRequest(services, { command: 'simulate', config: config.fsPath, model: model?.fsPath, modelName, accelerator: acc?.name });
}

async function explore(services: Services, arg: unknown): Promise<JobResult> {
  if (isArgs(arg)) return runJobRequest(services, ...fromArgs('explore', arg));
  if (!requireTrust()) return notRun('workspace not trusted');
  const config = (isUri(arg) ? arg : activeConfig()) ?? await askForFile({ 'LUT-DLA config': ['lutdla'] }, 'Explore');
  if (!config) return notRun('cancelled');
  return runJobRequest(services, { command: 'explore', config: config.fsPath });
}

async function openReport(services: Services, arg: unknown): Promise<void> {
  let uri = isUri(arg) ? arg : typeof arg === 'string' ? vscode.Uri.file(arg) : undefined;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (!uri && active && REPORT_FILE_PATTERN.test(active.fsPath)) uri = active;
  if (!uri) uri = await askForFile({ 'LUT-DLA report': ['json'] }, 'Open Report');
  if (!uri) return;
  if (!REPORT_FILE_PATTERN.test(uri.fsPath)) {
    void vscode.window.showErrorMessage(`LUT-DLA: ${path.basename(uri.fsPath)} is not a report (*.conversion.json, *.simulation.json or *.exploration.json).`);
    return;
  }
  await services.panels.open(uri);
}

export function registerCommands(context: vscode.ExtensionContext, services: Services): void {
  const reg = (id: string, fn: (arg: unknown) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  };
  reg('lutdla.convert', (arg) => convert(services, arg));
  reg('lutdla.convertModel', (arg) => convert(services, arg));
  reg('lutdla.simulate', (arg) => simulate(services, arg));
  reg('lutdla.explore', (arg) => explore(services, arg));
  reg('lutdla.openReport', (arg) => openReport(services, arg));
  reg('lutdla.cancelJobs', () => {
    const n = services.engine.cancelAll();
    if (!n) void vscode.window.showInformationMessage('LUT-DLA: no job is running.');
    return n;
  });
  reg('lutdla.showLog', () => services.engine.log.show(true));
}
