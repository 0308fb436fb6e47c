import type { EventSink } from './events';

/** An error caused by the user's input: printed as one line, exit code 1, never a stack trace. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Option spec in the shape `util.parseArgs` takes. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean;
  description: string;
}

export interface CommandContext {
  positionals: string[];
  options: Record<string, string | boolean | string[] | undefined>;
  events: EventSink;
  /** Aborted on SIGINT/SIGTERM; long jobs check it and clean up their temporary outputs. */
  signal: AbortSignal;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** Returns the process exit code. */
  run(ctx: CommandContext): Promise<number>;
}
