/**
 * Typed errors. Nothing below `cli/` prints or exits: code throws a GrokbenchError and the
 * command line turns it into one line on stderr (`grokbench: <message>`) and the exit code.
 * Exit code 2 means bad input (a flag, a file, a path); 1 means any other failure.
 */
export class GrokbenchError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 2) {
    super(message);
    this.name = 'GrokbenchError';
  }
}

/** Bad input from the user: exit status 2. */
export function badInput(message: string): GrokbenchError {
  return new GrokbenchError(message, 2);
}

/** A failure that is not the user's input (a diverged run, an I/O failure): exit status 1. */
export function failure(message: string): GrokbenchError {
  return new GrokbenchError(message, 1);
}

/** An OS error as `<message> (<CODE>)`, one line. */
export function describeOsError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const msg = err.message.split('\n')[0].replace(/^[A-Z]+: /, '');
  return code && !msg.includes(code) ? `${msg} (${code})` : msg;
}
