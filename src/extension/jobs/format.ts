/** How job events read in the log, the notification and the terminal. Host-agnostic. */

/** "collect: inputs of fc1: 64/256 samples (25%)": stage, message, the layer when the message omits it, percent. */
export function formatProgress(event: { stage: string; message: string; fraction?: number; layer?: string }): string {
  const layer = event.layer && !event.message.includes(event.layer) ? ` [${event.layer}]` : '';
  const pct = event.fraction === undefined || !Number.isFinite(event.fraction) ? '' : ` (${Math.round(event.fraction * 100)}%)`;
  return `${event.stage}: ${event.message}${layer}${pct}`;
}

const LOCATED = /^.+:\d+:\d+: (error|warning): /m;

/**
 * `FILE:LINE:COL: error: MSG`, the line the `$lutdla` problem matcher reads: a message that names its own location
 * stays as it is; one without is attached to `file` (the job's config or model), or printed as `error: MSG`.
 */
export function locateError(message: string, file: string | undefined): string {
  if (LOCATED.test(message)) return message;
  return file ? `${file}:1:1: error: ${message}` : `error: ${message}`;
}
