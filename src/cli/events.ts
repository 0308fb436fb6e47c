/**
 * The engine's event stream. With `--progress=json` every event is one JSON object on one line of stdout
 * (NDJSON), which the extension host parses; otherwise progress goes to stderr as plain text.
 */
export type EngineEvent =
  | { type: 'progress'; stage: string; message: string; fraction?: number; layer?: string }
  | { type: 'log'; level: 'info' | 'warning' | 'error'; message: string }
  | { type: 'result'; files: string[]; summary?: Record<string, unknown> }
  | { type: 'error'; message: string };

export interface EventSink {
  readonly json: boolean;
  emit(event: EngineEvent): void;
  progress(stage: string, message: string, fraction?: number, layer?: string): void;
  log(message: string, level?: 'info' | 'warning' | 'error'): void;
}

export function createEventSink(json: boolean, write: (s: string) => void = (s) => process.stdout.write(s),
  writeErr: (s: string) => void = (s) => process.stderr.write(s)): EventSink {
  const sink: EventSink = {
    json,
    emit(event) {
      if (json) {
        write(JSON.stringify(event) + '\n');
        return;
      }
      switch (event.type) {
        case 'progress': {
          const pct = event.fraction === undefined ? '' : ` ${Math.round(event.fraction * 100)}%`;
          writeErr(`[${event.stage}]${pct} ${event.message}\n`);
          break;
        }
        case 'log':
          writeErr(event.level === 'info' ? `${event.message}\n` : `${event.level}: ${event.message}\n`);
          break;
        case 'error':
          writeErr(`error: ${event.message}\n`);
          break;
        case 'result':
          for (const f of event.files) writeErr(`wrote ${f}\n`);
          break;
      }
    },
    progress(stage, message, fraction, layer) {
      sink.emit({ type: 'progress', stage, message, fraction, layer });
    },
    log(message, level = 'info') {
      sink.emit({ type: 'log', level, message });
    },
  };
  return sink;
}
