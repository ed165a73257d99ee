/**
 * The `grokbench` command line. Each command lives in its own file and registers itself here.
 * Errors become one line on stderr starting `grokbench: `, with exit status 2 for bad input
 * (including unknown flags and bad values) and 1 for other failures; never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GrokbenchError } from '../core/errors.js';
import { engineDetails, loadKernels } from '../engine/index.js';
import { packageRoot } from '../engine/native.js';
import { registerCommands } from './commands.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  let engine: string;
  try { engine = engineDetails(loadKernels({ quiet: true })); } catch (e) { engine = (e as Error).message; }
  return `grokbench ${pkg.version}\nengine: ${engine}\nnode: ${process.version}`;
}

export function buildProgram(): Command {
  const program = new Command('grokbench');
  program
    .description('Train, analyse and show grokking of modular addition in one-layer transformers')
    .exitOverride()
    .configureOutput({ outputError: () => { /* reported once, by main() */ } })
    .showHelpAfterError(false)
    .version(version(), '-V, --version', 'print the version and the engine in use');
  registerCommands(program);
  return program;
}

/**
 * A reader that stops early (`grokbench … | head`) closes the pipe: the next write fails with
 * EPIPE. That is not an error of grokbench: exit at once, quietly, with status 0 (as a program
 * killed by SIGPIPE would, without the status).
 */
export function exitQuietlyOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnEpipe(process.stdout);
  exitQuietlyOnEpipe(process.stderr);
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exitCode = report(err);
  }
}

/** One line on stderr for any error; returns the exit status. */
function report(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    const msg = err.message.replace(/^error: /, '').split('\n')[0];
    process.stderr.write(`grokbench: ${msg}\n`);
    return 2;
  }
  if (err instanceof GrokbenchError) {
    process.stderr.write(`grokbench: ${err.message.split('\n')[0]}\n`);
    return err.exitCode;
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`grokbench: internal error: ${msg.split('\n')[0]}\n`);
  if (process.env.GROKBENCH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return 1;
}
