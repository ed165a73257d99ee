/**
 * Choosing the engine: the native addon when it loads, else the TypeScript reference engine with
 * one clear warning on stderr (once per process). `GROKBENCH_ENGINE=typescript` forces the
 * fallback; `GROKBENCH_ENGINE=native` makes a missing addon an error.
 */
import { badInput, failure } from '../core/errors.js';
import { type Kernels, MAX_THREADS } from './kernels.js';
import { loadNative } from './native.js';
import { ReferenceKernels } from './reference.js';

export type { Kernels, Vec, Precision } from './kernels.js';
export { MAX_THREADS } from './kernels.js';
export { ReferenceKernels } from './reference.js';

/** Validates `--threads` (or any requested thread count): an integer in 1..MAX_THREADS, else a one-line badInput. */
export function validateThreads(threads: number | undefined): void {
  if (threads === undefined) return;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw badInput(`--threads must be between 1 and ${MAX_THREADS}, got ${threads}`);
  }
}

let cached: Kernels | undefined;
let warned = false;

export function loadKernels(opts: { threads?: number; quiet?: boolean } = {}): Kernels {
  validateThreads(opts.threads);
  if (!cached) {
    const want = process.env.GROKBENCH_ENGINE;
    if (want === 'typescript') cached = new ReferenceKernels('f32');
    else {
      const { kernels, reason, badKernelsSetting } = loadNative();
      if (kernels) cached = kernels;
      else {
        if (badKernelsSetting) throw badInput(reason);
        if (want === 'native') throw failure(`GROKBENCH_ENGINE=native but ${reason}`);
        if (!warned && !opts.quiet) {
          process.stderr.write(`grokbench: warning: ${reason}; using the slow TypeScript engine (run npm rebuild grokbench; it needs a C compiler)\n`);
          warned = true;
        }
        cached = new ReferenceKernels('f32');
      }
    }
  }
  if (opts.threads !== undefined) cached.setThreads(opts.threads);
  return cached;
}

/**
 * The engine as recorded with a run (checkpoint metadata, run.json, the store): `native` or
 * `typescript (f32)`. It names neither the kernel path nor the thread count, as those do not change
 * a single bit of the results (the determinism contract in kernels.ts), so a run's files are
 * byte-identical on every path and thread count.
 */
export function engineDescription(k: Kernels): string {
  return k.name === 'native' ? 'native' : `${k.name} (${k.precision})`;
}

/** The engine in detail, for `--version` and the bench: the kernel path, why it was chosen, the threads. */
export function engineDetails(k: Kernels): string {
  const info = (k as { kernelsInfo?: () => { path: string; reason: string } }).kernelsInfo?.();
  return info ? `native (${info.path} kernels, ${info.reason}; ${k.getThreads()} thread(s))` : `${k.name} (${k.precision})`;
}
