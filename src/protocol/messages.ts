import { attempt, fail, int, obj, oneOf, str, type Result } from './check';
import { validateReport, type AnyReport } from './reportShape';

/**
 * Messages between a report panel (webview) and the extension host, in two groups, each wrapped in an
 * envelope `{ messageId, inReplyTo?, body }` so a reply names the request it answers.
 * Imported by both sides; no `vscode` and no DOM here.
 */
export interface Envelope<B> {
  messageId: number;
  inReplyTo?: number;
  body: B;
}

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
export const THEME_KINDS: readonly ThemeKind[] = ['light', 'dark', 'high-contrast', 'high-contrast-light'];

/** What the panel can offer, decided by the host (e.g. no config to apply a point to in the standalone report). */
export interface PanelCapabilities {
  applyPoint: boolean;
  openFile: boolean;
}

/** Extension -> webview. */
export type ToWebview =
  | { type: 'load'; report: AnyReport; title?: string; theme?: ThemeKind; capabilities?: PanelCapabilities; reportUri?: string }
  /** Reply to `export`, `applyPoint` or `openFile`: shown in the panel's status line. */
  | { type: 'result'; ok: boolean; message: string };

export type ExportFormat = 'json' | 'csv' | 'png';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['json', 'csv', 'png'];

/** Webview -> extension. */
export type FromWebview =
  | { type: 'ready' }
  /** `data` is the file text (json, csv) or a `data:image/png;base64,` URL (png); `name` a suggested file name. */
  | { type: 'export'; format: ExportFormat; name: string; data: string }
  /** Exploration: write that point's settings into a copy of the config. */
  | { type: 'applyPoint'; pointId: number }
  /** Open a file the report names (relative to the report's folder). */
  | { type: 'openFile'; path: string }
  /** An error in the webview, for the extension's log. */
  | { type: 'error'; message: string };

/** Largest message payload accepted (a PNG of a large chart is a few MB at most). */
export const MAX_EXPORT_CHARS = 32 * 1024 * 1024;

const PNG_PREFIX = 'data:image/png;base64,';

function envelope<B>(value: unknown, body: (b: unknown) => B): Envelope<B> {
  const e = obj(value, 'message');
  const messageId = int(e.messageId, 'message.messageId');
  const out: Envelope<B> = { messageId, body: body(e.body) };
  if (e.inReplyTo !== undefined) out.inReplyTo = int(e.inReplyTo, 'message.inReplyTo');
  return out;
}

function fromWebviewBody(v: unknown): FromWebview {
  const b = obj(v, 'body');
  const type = oneOf(b.type, 'body.type', ['ready', 'export', 'applyPoint', 'openFile', 'error'] as const);
  switch (type) {
    case 'ready':
      return { type };
    case 'export': {
      const format = oneOf(b.format, 'body.format', EXPORT_FORMATS);
      const name = str(b.name, 'body.name', 200);
      const data = str(b.data, 'body.data', MAX_EXPORT_CHARS);
      if (format === 'png' && !data.startsWith(PNG_PREFIX)) fail('body.data', 'expected a data:image/png;base64 URL');
      return { type, format, name, data };
    }
    case 'applyPoint':
      return { type, pointId: int(b.pointId, 'body.pointId') };
    case 'openFile':
      return { type, path: str(b.path, 'body.path', 4096) };
    case 'error':
      return { type, message: str(b.message, 'body.message', 10_000) };
  }
}

function toWebviewBody(v: unknown): ToWebview {
  const b = obj(v, 'body');
  const type = oneOf(b.type, 'body.type', ['load', 'result'] as const);
  if (type === 'result') {
    const ok = b.ok;
    if (typeof ok !== 'boolean') fail('body.ok', 'expected true or false');
    return { type, ok, message: str(b.message, 'body.message', 10_000) };
  }
  const checked = validateReport(b.report);
  if (!checked.ok) fail('body.report', checked.error);
  const out: ToWebview = { type, report: checked.value };
  if (b.title !== undefined) out.title = str(b.title, 'body.title', 500);
  if (b.reportUri !== undefined) out.reportUri = str(b.reportUri, 'body.reportUri', 4096);
  if (b.theme !== undefined) out.theme = oneOf(b.theme, 'body.theme', THEME_KINDS);
  if (b.capabilities !== undefined) {
    const c = obj(b.capabilities, 'body.capabilities');
    out.capabilities = { applyPoint: c.applyPoint === true, openFile: c.openFile === true };
  }
  return out;
}

/** Validates a message the extension received from a webview; invalid ones are dropped by the caller. */
export function parseFromWebview(value: unknown): Result<Envelope<FromWebview>> {
  return attempt(() => envelope(value, fromWebviewBody));
}

/** Validates a message the webview received from the extension. */
export function parseToWebview(value: unknown): Result<Envelope<ToWebview>> {
  return attempt(() => envelope(value, toWebviewBody));
}

/** Makes message ids for one side of one channel. */
export function messageIds(): () => number {
  let next = 1;
  return () => next++;
}

/** State a panel saves with `setState` so it comes back after a window reload. */
export interface PanelState {
  version: 1;
  report: AnyReport;
  /** The report file the panel was opened from (a URI string), to re-read a fresher version on revive. */
  reportUri?: string;
  title?: string;
  ui: { xObjective?: string; yObjective?: string; selectedPoint?: number; scrollY?: number };
}

/** Checks a saved state (from `getState()` or the serializer); returns undefined when it is not usable. */
export function parsePanelState(value: unknown): PanelState | undefined {
  const r = attempt(() => {
    const s = obj(value, 'state');
    if (s.version !== 1) fail('state.version', 'expected 1');
    const rep = validateReport(s.report);
    if (!rep.ok) fail('state.report', rep.error);
    const ui = s.ui === undefined ? {} : obj(s.ui, 'state.ui');
    const out: PanelState = { version: 1, report: rep.value, ui: {} };
    if (typeof s.reportUri === 'string') out.reportUri = s.reportUri;
    if (typeof s.title === 'string') out.title = s.title;
    if (typeof ui.xObjective === 'string') out.ui.xObjective = ui.xObjective;
    if (typeof ui.yObjective === 'string') out.ui.yObjective = ui.yObjective;
    if (typeof ui.selectedPoint === 'number' && Number.isInteger(ui.selectedPoint)) out.ui.selectedPoint = ui.selectedPoint;
    if (typeof ui.scrollY === 'number' && Number.isFinite(ui.scrollY)) out.ui.scrollY = ui.scrollY;
    return out;
  });
  return r.ok ? r.value : undefined;
}
