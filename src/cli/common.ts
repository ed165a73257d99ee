/**
 * What every command shares: the store option, JSON output, option parsers that turn bad values
 * into one-line `badInput` errors, and the TTY check for progress display.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { Store, DEFAULT_STORE_DIR } from '../store/store.js';
import { commaList } from '../core/lists.js';

export interface GlobalOpts { store?: string; json?: boolean }

/** Adds `--store DIR` and `--json` to a command. */
export function withCommon(cmd: Command): Command {
  return cmd
    .option('--store <dir>', 'run store directory (env GROKBENCH_STORE)', process.env.GROKBENCH_STORE ?? DEFAULT_STORE_DIR)
    .option('--json', 'print one JSON document on stdout and nothing else there');
}

/** The store directory of a command's options. */
export function storeDirOf(opts: GlobalOpts): string {
  return opts.store ?? process.env.GROKBENCH_STORE ?? DEFAULT_STORE_DIR;
}

export function openStore(opts: GlobalOpts, mode: { readonly?: boolean; create?: boolean } = {}): Store {
  return Store.open(storeDirOf(opts), mode);
}

/** Print one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Human messages go to stderr when --json is set (stdout carries only the JSON), else stdout. */
export function say(opts: GlobalOpts, line: string): void {
  (opts.json ? process.stderr : process.stdout).write(line + '\n');
}

export function intArg(name: string, min = -Infinity) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${name} must be an integer, got '${v}'`);
    const n = Number(v);
    if (n < min) throw new InvalidArgumentError(`${name} must be at least ${min}, got ${n}`);
    return n;
  };
}

export function numArg(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got '${v}'`);
    return n;
  };
}

export function intListArg(name: string) {
  return (v: string): number[] => {
    const parts = commaList(v);
    if (parts.length === 0 || parts.some((s) => !/^\d+$/.test(s))) {
      throw new InvalidArgumentError(`${name} must be a comma-separated list of integers, got '${v}'`);
    }
    return parts.map(Number);
  };
}

/** A list of non-negative integers given as ranges and values, e.g. `0-7` or `0-3,8,10`. */
export function intRangeListArg(name: string) {
  return (v: string): number[] => {
    const out: number[] = [];
    for (const part of v.split(',').map((s) => s.trim())) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!m) throw new InvalidArgumentError(`${name} must be a comma-separated list of integers or ranges A-B, got '${v}'`);
      const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
      if (b < a) throw new InvalidArgumentError(`${name}: range ${part} runs backwards`);
      if (b - a >= 10_000) throw new InvalidArgumentError(`${name}: range ${part} has more than 10000 values`);
      for (let x = a; x <= b; x++) out.push(x);
    }
    return out;
  };
}
