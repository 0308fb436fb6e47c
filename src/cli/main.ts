import { parseArgs } from 'node:util';
import { commands } from './commands';
import { UserError, type CliCommand, type OptionSpec } from './command';
import { createEventSink } from './events';

const VERSION = '0.1.0';

function helpText(): string {
  const lines = ['lutdla: co-design lookup-table deep-learning accelerators', '', 'Usage: lutdla <command> [options]', '', 'Commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `lutdla <command> --help` for the options of a command.');
  return lines.join('\n');
}

function commandHelp(c: CliCommand): string {
  const lines = [`Usage: ${c.usage}`, '', c.summary, '', 'Options:'];
  for (const [name, spec] of Object.entries(c.options)) {
    const flag = spec.type === 'string' ? `--${name} VALUE` : `--${name}`;
    lines.push(`  ${flag.padEnd(28)} ${spec.description}`);
  }
  lines.push(`  ${'--progress=json'.padEnd(28)} one JSON event per line on stdout (progress, log, result, error)`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(helpText() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`lutdla: unknown command '${name}'. Commands: ${commands.map((c) => c.name).join(', ')}\n`);
    return 2;
  }
  const options: Record<string, Omit<OptionSpec, 'description'>> = {
    help: { type: 'boolean', short: 'h' },
    progress: { type: 'string' },
  };
  for (const [k, spec] of Object.entries(command.options)) {
    const { description: _d, ...rest2 } = spec;
    options[k] = rest2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`lutdla ${name}: ${(err as Error).message}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(commandHelp(command) + '\n');
    return 0;
  }
  const progress = parsed.values.progress;
  if (progress !== undefined && progress !== 'json' && progress !== 'text') {
    process.stderr.write(`lutdla ${name}: --progress takes 'json' or 'text'\n`);
    return 2;
  }
  const events = createEventSink(progress === 'json');
  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new UserError('cancelled'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await command.run({
      positionals: parsed.positionals,
      options: parsed.values as Record<string, string | boolean | string[] | undefined>,
      events,
      signal: abort.signal,
      stdout: (line) => process.stdout.write(line + '\n'),
      stderr: (line) => process.stderr.write(line + '\n'),
    });
  } catch (err) {
    if (abort.signal.aborted) {
      events.emit({ type: 'error', message: 'cancelled' });
      return 130;
    }
    if (err instanceof UserError) {
      events.emit({ type: 'error', message: err.message });
      return 1;
    }
    // An engine bug: still one clear line for the user; the stack only when asked for.
    const e = err as Error;
    events.emit({ type: 'error', message: `internal error: ${e.message} (set LUTDLA_DEBUG=1 for details)` });
    if (process.env.LUTDLA_DEBUG) process.stderr.write(`${e.stack}\n`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`lutdla: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
