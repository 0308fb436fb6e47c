import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseFromWebview, parsePanelState, type Envelope, type FromWebview, type ThemeKind, type ToWebview } from '../../protocol/messages';
import type { AnyReport, ReportKind } from '../../protocol/reportShape';
import { applyPoint, findConfig } from './applyPoint';
import { saveExport } from './exportFile';
import { panelHtml } from './panelHtml';
import { readReport, uriExists } from './reportFile';

export const VIEW_TYPES: Record<ReportKind, string> = {
  conversion: 'lutdla.conversionReport',
  simulation: 'lutdla.simulationReport',
  exploration: 'lutdla.explorationReport',
};

const KIND_TITLE: Record<ReportKind, string> = { conversion: 'Conversion', simulation: 'Simulation', exploration: 'Exploration' };

export type Log = (line: string) => void;

function titleOf(report: AnyReport, uri: vscode.Uri | undefined): string {
  const name = uri ? path.basename(uri.path).replace(/\.(conversion|simulation|exploration)\.json$/i, '') : report.kind === 'exploration' ? report.config : report.model;
  return `${KIND_TITLE[report.kind]}: ${name}`;
}

function themeKind(): ThemeKind {
  switch (vscode.window.activeColorTheme.kind) {
    case vscode.ColorThemeKind.Light:
      return 'light';
    case vscode.ColorThemeKind.HighContrast:
      return 'high-contrast';
    case vscode.ColorThemeKind.HighContrastLight:
      return 'high-contrast-light';
    default:
      return 'dark';
  }
}

/**
 * One report shown in a webview panel: one panel per report file (opening it again reveals and reloads it),
 * one view type per report kind so each has its own serializer. The panel saves its state in the webview
 * (`setState`), and the serializer revives it from there after a window reload.
 */
export class ReportPanel {
  private static readonly open = new Map<string, ReportPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private nextId = 1;
  private disposed = false;

  static async createOrShow(context: vscode.ExtensionContext, report: AnyReport, reportUri: vscode.Uri | undefined, log: Log): Promise<ReportPanel> {
    const key = reportUri?.toString();
    const existing = key ? ReportPanel.open.get(key) : undefined;
    if (existing && existing.kind === report.kind) {
      existing.report = report;
      existing.panel.reveal(existing.panel.viewColumn);
      existing.sendLoad();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES[report.kind], titleOf(report, reportUri), vscode.ViewColumn.Active, ReportPanel.webviewOptions(context));
    return new ReportPanel(context, panel, report, reportUri, log);
  }

  /** Serializer entry: bring a panel back from the state its webview saved. */
  static async revive(context: vscode.ExtensionContext, panel: vscode.WebviewPanel, rawState: unknown, log: Log): Promise<void> {
    const state = parsePanelState(rawState);
    if (!state) {
      log(`report panel: no usable saved state for ${panel.viewType}; closing it`);
      panel.dispose();
      return;
    }
    let report = state.report;
    let uri: vscode.Uri | undefined;
    if (state.reportUri) {
      uri = vscode.Uri.parse(state.reportUri);
      try {
        // The file may have been rewritten since: prefer it, fall back to the saved copy.
        const fresh = await readReport(uri);
        if (fresh.kind === report.kind) report = fresh;
      } catch (e) {
        log(`report panel: showing the saved copy of ${uri.toString()}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    panel.webview.options = ReportPanel.webviewOptions(context);
    new ReportPanel(context, panel, report, uri, log);
  }

  private static webviewOptions(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableFindWidget: true,
      // Only the bundle folder: the page loads dist/webview.js and dist/webview.css, nothing else.
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist')],
    };
  }

  private constructor(
    private readonly context: vscode.ExtensionContext,
    readonly panel: vscode.WebviewPanel,
    private report: AnyReport,
    private readonly reportUri: vscode.Uri | undefined,
    private readonly log: Log,
  ) {
    const key = reportUri?.toString();
    if (key) ReportPanel.open.set(key, this);
    this.panel.title = titleOf(report, reportUri);
    this.panel.webview.html = this.html();
    this.panel.onDidDispose(() => this.dispose(), null, this.disposables);
    this.panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m), null, this.disposables);
  }

  get kind(): ReportKind {
    return this.report.kind;
  }

  private html(): string {
    const webview = this.panel.webview;
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    return panelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
      title: this.panel.title,
    });
  }

  private post(body: ToWebview, inReplyTo?: number): void {
    if (this.disposed) return;
    const message: Envelope<ToWebview> = { messageId: this.nextId++, body };
    if (inReplyTo !== undefined) message.inReplyTo = inReplyTo;
    void this.panel.webview.postMessage(message);
  }

  private sendLoad(inReplyTo?: number): void {
    this.post(
      {
        type: 'load',
        report: this.report,
        title: this.panel.title,
        theme: themeKind(),
        reportUri: this.reportUri?.toString(),
        capabilities: { applyPoint: this.report.kind === 'exploration' && !!this.reportUri, openFile: !!this.reportUri },
      },
      inReplyTo,
    );
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = parseFromWebview(raw);
    if (!parsed.ok) {
      this.log(`report panel: dropped an invalid message from the webview: ${parsed.error}`);
      return;
    }
    const { messageId, body } = parsed.value;
    try {
      await this.handle(messageId, body);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log(`report panel: ${body.type} failed: ${message}`);
      this.post({ type: 'result', ok: false, message }, messageId);
      void vscode.window.showErrorMessage(`LUT-DLA: ${message}`);
    }
  }

  private async handle(messageId: number, body: FromWebview): Promise<void> {
    switch (body.type) {
      case 'ready':
        this.sendLoad(messageId);
        return;
      case 'error':
        this.log(`report panel (${this.panel.title}): ${body.message}`);
        return;
      case 'export': {
        const near = this.reportUri ? vscode.Uri.joinPath(this.reportUri, '..') : undefined;
        const saved = await saveExport(body.format, body.name, body.data, near);
        this.post({ type: 'result', ok: true, message: saved ? `Saved ${vscode.workspace.asRelativePath(saved)}` : 'Export cancelled.' }, messageId);
        return;
      }
      case 'applyPoint': {
        if (this.report.kind !== 'exploration' || !this.reportUri) throw new Error('applying a point needs an exploration report opened from its file');
        const message = await applyPoint(this.report, this.reportUri, body.pointId);
        this.post({ type: 'result', ok: true, message }, messageId);
        return;
      }
      case 'openFile': {
        if (!this.reportUri) throw new Error('this report was not opened from a file');
        let target: vscode.Uri | undefined = this.resolveInside(body.path);
        if (this.report.kind === 'exploration' && body.path === this.report.config && !(await uriExists(target))) {
          // `explore --out DIR` puts the report away from its config: look for the config like applyPoint does.
          target = await findConfig(this.report, this.reportUri);
        }
        if (!target || !(await uriExists(target))) throw new Error(`cannot find ${body.path} next to the report`);
        await vscode.commands.executeCommand('vscode.open', target);
        return;
      }
    }
  }

  /** A path the report names, resolved in the report's folder; paths that leave it are refused. */
  private resolveInside(rel: string): vscode.Uri {
    const base = vscode.Uri.joinPath(this.reportUri!, '..');
    const norm = path.posix.normalize(rel.replace(/\\/g, '/'));
    if (path.posix.isAbsolute(norm) || norm === '..' || norm.startsWith('../') || /^[A-Za-z]:/.test(norm)) {
      throw new Error(`refusing to open "${rel}": it is outside the report's folder`);
    }
    return vscode.Uri.joinPath(base, norm);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const key = this.reportUri?.toString();
    if (key && ReportPanel.open.get(key) === this) ReportPanel.open.delete(key);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
