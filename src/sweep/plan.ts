/**
 * What a sweep trains: the (prime, seed) runs of a settings template, the default parallelism,
 * and the command line of each run's `grokbench train` child. Pure functions, no I/O.
 */
import { badInput } from '../errors.js';
import { type TrainConfig, runId, validateConfig } from '../model/config.js';

/** Named sweeps: `--preset NAME` gives the primes and seeds; settings stay at their defaults unless given. */
export const SWEEP_PRESETS: Readonly<Record<string, { primes: readonly number[]; seeds: readonly number[]; about: string }>> = {
  'seed-experiment': {
    primes: [97, 101, 109, 113], seeds: [485, 999],
    about: "the researcher's 8 runs: p ∈ {97, 101, 109, 113} × seed ∈ {485, 999} at the DESIGN.md defaults",
  },
};

export interface SweepRun {
  p: number;
  seed: number;
  runId: string;
  config: TrainConfig;
}

/** Primes and seeds from a preset, overridden by explicit lists; one-line badInput on any problem. */
export function resolveGrid(opts: { preset?: string; primes?: number[]; seeds?: number[] }): { primes: number[]; seeds: number[] } {
  let primes = opts.primes, seeds = opts.seeds;
  if (opts.preset !== undefined) {
    const pre = SWEEP_PRESETS[opts.preset];
    if (!pre) throw badInput(`unknown preset '${opts.preset}' (known: ${Object.keys(SWEEP_PRESETS).join(', ')})`);
    primes ??= [...pre.primes];
    seeds ??= [...pre.seeds];
  }
  if (!primes || primes.length === 0) throw badInput('--primes is required (or --preset seed-experiment)');
  if (!seeds || seeds.length === 0) throw badInput('--seeds is required (or --preset seed-experiment)');
  return { primes: [...new Set(primes)], seeds: [...new Set(seeds)] };
}

/**
 * Every (prime, seed) run of the grid over the settings `template` (its p and seed are replaced),
 * primes outer, seeds inner. Each config is validated before anything starts.
 */
export function planSweep(primes: readonly number[], seeds: readonly number[], template: TrainConfig): SweepRun[] {
  if (template.initFrom !== null || template.splitFile !== null) throw badInput('a sweep cannot take --init-from or --split-file');
  const runs: SweepRun[] = [];
  for (const p of primes) {
    for (const seed of seeds) {
      const config: TrainConfig = { ...template, p, seed };
      try {
        validateConfig(config);
      } catch (err) {
        // Name the flag the user typed: the sweep's --p comes from --primes, --seed from --seeds.
        if (err instanceof Error) err.message = err.message.replace(/^--p must/, `--primes: ${p} must`).replace(/^--seed must/, `--seeds: ${seed} must`);
        throw err;
      }
      runs.push({ p, seed, config, runId: runId(config) });
    }
  }
  return runs;
}

export interface Parallelism { jobs: number; threadsPerJob: number }

/**
 * The default parallelism for `runs` runs on `cores` cores: one single-threaded run per core when
 * there are at least as many runs as cores (a multi-threaded run slows down badly when another run
 * keeps the other cores busy); with fewer runs, every run at once and the spare cores split among
 * them. An explicit `jobs` gets the cores split among its jobs; an explicit `threads` gets as many
 * jobs as fit. The result depends only on the sweep (all its runs, done or not) and the machine,
 * so a resumed sweep trains with the same thread count (which is part of each checkpoint's header).
 */
export function defaultParallelism(runs: number, cores: number, jobs?: number, threads?: number): Parallelism {
  const c = Math.max(1, Math.floor(cores));
  const n = Math.max(1, runs);
  if (jobs !== undefined && threads !== undefined) return { jobs, threadsPerJob: threads };
  if (jobs !== undefined) return { jobs, threadsPerJob: Math.max(1, Math.floor(c / Math.min(jobs, n))) };
  if (threads !== undefined) return { jobs: Math.max(1, Math.min(n, Math.floor(c / threads))), threadsPerJob: threads };
  if (n >= c) return { jobs: c, threadsPerJob: 1 };
  return { jobs: n, threadsPerJob: Math.max(1, Math.floor(c / n)) };
}

/**
 * The arguments (after `node BIN`) of the child that trains `run`: every setting spelled out, so
 * that the child resolves exactly the same config (and run id) whatever the defaults.
 */
export function trainArgs(run: SweepRun, threads: number, storeDir: string, parentPid: number): string[] {
  const c = run.config;
  const a = [
    'train', '--p', String(c.p), '--seed', String(c.seed), '--init-order', c.initOrder, '--data-seed', String(c.dataSeed),
    '--frac-train', String(c.fracTrain), '--epochs', String(c.epochs), '--checkpoint-every', String(c.checkpointEvery),
    '--eval-every', String(c.evalEvery), '--lr', String(c.lr), '--wd', String(c.wd), '--beta1', String(c.beta1),
    '--beta2', String(c.beta2), '--eps', String(c.eps), '--d-model', String(c.dModel), '--n-heads', String(c.nHeads),
    '--d-head', String(c.dHead), '--d-mlp', String(c.dMlp), '--act', c.act,
  ];
  if (c.trainBiases) a.push('--train-biases');
  if (c.allowComposite) a.push('--allow-composite');
  a.push('--threads', String(threads), '--store', storeDir, '--progress-jsonl', '--exit-with-parent', String(parentPid));
  return a;
}
