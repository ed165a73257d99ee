/**
 * What a sweep trains: the (prime, seed, data seed, jitter) runs of a settings template, the default parallelism,
 * and the command line of each run's `grokbench train` child. Pure functions, no I/O.
 */
import { badInput } from '../core/errors.js';
import { type TrainConfig, configArgs, runId, validateConfig } from '../config/config.js';

/** One variant of a listed sweep: a prime, a model seed and a data seed. */
export interface Variant { p: number; seed: number; dataSeed: number }

/**
 * A named sweep: a grid (every prime × seed × data seed × jitter) or an explicit list of
 * variants, and settings (explicit flags override both; with a list, --primes, --seeds and
 * --data-seeds pick the listed variants that have them).
 */
export interface SweepPreset {
  primes: readonly number[];
  seeds: readonly number[];
  dataSeeds?: readonly number[];
  jitters?: readonly number[];
  /** The variants themselves, when the sweep is not a full grid. */
  variants?: readonly Variant[];
  settings?: Partial<TrainConfig>;
  about: string;
}

const v = (p: number, seed: number, dataSeeds: number[]): Variant[] => dataSeeds.map((dataSeed) => ({ p, seed, dataSeed }));

/**
 * MIScope's 30 variants: the runs its research notebooks load as "30 variants"
 * (roaringsurfdev/training-dynamics-workbench), as p/seed/data seed.
 */
export const MISCOPE_30: readonly Variant[] = [
  ...v(59, 485, [42, 598, 999]), ...v(59, 999, [598, 999]),
  ...v(89, 999, [598]),
  ...v(97, 485, [598]), ...v(97, 999, [598]),
  ...v(101, 485, [42, 598, 999]), ...v(101, 999, [42, 598, 999]),
  ...v(103, 485, [598]), ...v(103, 999, [598]),
  ...v(107, 485, [598]), ...v(107, 999, [598]),
  ...v(109, 485, [42, 598, 999]), ...v(109, 999, [598]),
  ...v(113, 485, [42, 598, 999]), ...v(113, 999, [42, 598, 999]),
  ...v(127, 485, [598]), ...v(127, 999, [598]),
];

const uniqSorted = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

/** Named sweeps: `--preset NAME` gives the grid; settings stay at their defaults unless the preset or a flag sets them. */
export const SWEEP_PRESETS: Readonly<Record<string, SweepPreset>> = {
  'seed-experiment': {
    primes: [97, 101, 109, 113], seeds: [485, 999],
    about: "the researcher's 8 runs: p ∈ {97, 101, 109, 113} × seed ∈ {485, 999} at the defaults (data seed 598)",
  },
  'miscope-30': {
    primes: uniqSorted(MISCOPE_30.map((x) => x.p)), seeds: uniqSorted(MISCOPE_30.map((x) => x.seed)),
    dataSeeds: uniqSorted(MISCOPE_30.map((x) => x.dataSeed)), variants: MISCOPE_30, settings: { checkpointSchedule: 'miscope' },
    about: "MIScope's 30 variants (its notebooks' \"30 variants\": p ∈ {59, 89, 97, 101, 103, 107, 109, 113, 127}, seeds 485 and 999, data seeds 42, 598, 999; not a full grid), 25,000 epochs on MIScope's checkpoint schedule",
  },
};

export interface SweepRun {
  p: number;
  seed: number;
  dataSeed: number;
  jitter: number;
  runId: string;
  config: TrainConfig;
}

/** The lists a sweep runs over (a run per combination). Data seeds and jitters are null when not given (the template's value). */
export interface SweepGrid {
  primes: number[];
  seeds: number[];
  dataSeeds: number[] | null;
  jitters: number[] | null;
  /** The preset's settings (under the flags the user gave). */
  settings: Partial<TrainConfig>;
  /** A listed preset's variants (those with the primes, seeds and data seeds above), else null: the full grid. */
  variants: Variant[] | null;
}

/** The grid from a preset, overridden by explicit lists; one-line badInput on any problem. */
export function resolveGrid(opts: { preset?: string; primes?: number[]; seeds?: number[]; dataSeeds?: number[]; jitters?: number[] }): SweepGrid {
  let { primes, seeds, dataSeeds, jitters } = opts;
  let settings: Partial<TrainConfig> = {};
  let listed: readonly Variant[] | null = null;
  if (opts.preset !== undefined) {
    const pre = SWEEP_PRESETS[opts.preset];
    if (!pre) throw badInput(`unknown preset '${opts.preset}' (known: ${Object.keys(SWEEP_PRESETS).join(', ')})`);
    primes ??= [...pre.primes];
    seeds ??= [...pre.seeds];
    if (pre.dataSeeds) dataSeeds ??= [...pre.dataSeeds];
    if (pre.jitters) jitters ??= [...pre.jitters];
    settings = { ...pre.settings };
    listed = pre.variants ?? null;
  }
  if (!primes || primes.length === 0) throw badInput('--primes is required (or --preset seed-experiment)');
  if (!seeds || seeds.length === 0) throw badInput('--seeds is required (or --preset seed-experiment)');
  const uniq = (xs: number[] | undefined): number[] | null => (xs && xs.length > 0 ? [...new Set(xs)] : null);
  const grid = { primes: [...new Set(primes)], seeds: [...new Set(seeds)], dataSeeds: uniq(dataSeeds), jitters: uniq(jitters), settings };
  if (!listed) return { ...grid, variants: null };
  const ds = grid.dataSeeds;
  const variants = listed.filter((x) => grid.primes.includes(x.p) && grid.seeds.includes(x.seed) && (!ds || ds.includes(x.dataSeed)));
  if (variants.length === 0) throw badInput(`--preset ${opts.preset} has no variant with those --primes, --seeds and --data-seeds`);
  return { ...grid, variants };
}

/** The sweep's runs: a listed preset's variants, else every prime × seed × data seed (each × jitter). */
export function planGrid(grid: SweepGrid, template: TrainConfig): SweepRun[] {
  if (!grid.variants) return planSweep(grid.primes, grid.seeds, template, grid.dataSeeds, grid.jitters);
  const runs: SweepRun[] = [];
  // One variant at a time through planSweep: the same validation and messages as a grid.
  for (const x of grid.variants) runs.push(...planSweep([x.p], [x.seed], template, [x.dataSeed], grid.jitters));
  return runs;
}

/**
 * Every run of the grid over the settings `template` (its p, seed, data seed and jitter replaced
 * by the lists'), primes outermost, then seeds, data seeds, jitters. Each config is validated
 * before anything starts.
 */
export function planSweep(primes: readonly number[], seeds: readonly number[], template: TrainConfig,
  dataSeeds: readonly number[] | null = null, jitters: readonly number[] | null = null): SweepRun[] {
  if (template.initFrom !== null || template.splitFile !== null) throw badInput('a sweep cannot take --init-from or --split-file');
  const runs: SweepRun[] = [];
  for (const p of primes) {
    for (const seed of seeds) {
      for (const dataSeed of dataSeeds ?? [template.dataSeed]) {
        for (const jitter of jitters ?? [template.jitter]) {
          const config: TrainConfig = { ...template, p, seed, dataSeed, jitter };
          try {
            validateConfig(config);
          } catch (err) {
            // Name the flag the user typed: the sweep's --p comes from --primes, --seed from --seeds, ….
            if (err instanceof Error) {
              err.message = err.message.replace(/^--p must/, `--primes: ${p} must`).replace(/^--seed must/, `--seeds: ${seed} must`)
                .replace(/^--data-seed must/, `${dataSeeds ? '--data-seeds' : '--data-seed'}: ${dataSeed} must`)
                .replace(/^--jitter must/, `${jitters ? '--jitters' : '--jitter'}: ${jitter} must`);
            }
            throw err;
          }
          runs.push({ p, seed, dataSeed, jitter, config, runId: runId(config) });
        }
      }
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
 * The arguments (after `node BIN`) of the child that trains `run`: every setting spelled out
 * (configArgs), so that the child resolves exactly the same config (and run id) whatever the defaults.
 */
export function trainArgs(run: SweepRun, threads: number, storeDir: string, parentPid: number): string[] {
  return ['train', ...configArgs(run.config), '--threads', String(threads), '--store', storeDir, '--progress-jsonl', '--exit-with-parent', String(parentPid)];
}

/** The arguments (after `node BIN`) of a Slurm task training `run`: into its run folder only (`--folder-only`), no parent to watch. */
export function taskArgs(run: SweepRun, threads: number, storeDir: string): string[] {
  return ['train', ...configArgs(run.config), '--threads', String(threads), '--store', storeDir, '--progress-jsonl', '--folder-only'];
}
