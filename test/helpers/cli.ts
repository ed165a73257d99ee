/** Running the real `grokbench` command line from tests. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/engine/native.js';

export const BIN = join(packageRoot(), 'bin', 'grokbench');

/** The environment that forces the TypeScript engine (tests that must not depend on the addon). */
export const TS_ENGINE: Record<string, string> = { GROKBENCH_ENGINE: 'typescript' };

export interface CliResult { status: number | null; stdout: string; stderr: string }

/** `grokbench ARGS…` in a child process, with `env` over this process's environment. */
export function runCli(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
