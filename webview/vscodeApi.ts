import type { Envelope, FromWebview } from '../src/protocol/messages';

/** The part of the webview API the panels use (VS Code's, or the standalone report's stand-in). */
export interface WebviewApi {
  postMessage(message: Envelope<FromWebview>): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): WebviewApi;
}

let api: WebviewApi | undefined;

/** acquireVsCodeApi may be called only once per page; keep the handle. */
export function vscodeApi(): WebviewApi {
  api ??= acquireVsCodeApi();
  return api;
}

let nextId = 1;

export function post(body: FromWebview, inReplyTo?: number): number {
  const messageId = nextId++;
  vscodeApi().postMessage(inReplyTo === undefined ? { messageId, body } : { messageId, inReplyTo, body });
  return messageId;
}
