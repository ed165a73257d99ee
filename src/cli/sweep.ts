/**
 * `grokbench sweep`: train every (prime, seed) run of a grid as child processes, N at a time, with
 * one combined progress display; then analyse the runs and write the cross-run report.
 * Resumable: finished runs are skipped, partial ones resume from their last checkpoint.
 */
import { type Command, Option } from 'commander';
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { analyseRuns } from '../analysis/pipeline.js';
import { packageRoot } from '../engine/native.js';
import { badInput, GrokbenchError } from '../core/errors.js';
import { DEFAULTS } from '../config/config.js';
import type { Store } from '../store/store.js';
import type { Lock } from '../store/lock.js';
import { recordedRunIds } from '../study/record.js';
import { SWEEP_PRESETS, type SweepRun, defaultParallelism, planGrid, resolveGrid } from '../sweep/plan.js';
import { type RunProgress, statusBlock, statusLine } from '../sweep/progress.js';
import { type ChildExit, type ChildProgress, SweepRunner } from '../sweep/runner.js';
import { SlurmSweep } from '../sweep/slurm.js';
import { collectRuns } from '../sweep/collect.js';
import { type GlobalOpts, intArg, intListArg, intRangeListArg, openStore, printJson, say, withCommon } from './common.js';
import { ProgressLine, type ProgressMode, formatDuration, progressMode } from './progress.js';
import { type SettingsOpts, addSettings, settingsToConfig } from './settings.js';

export const DEFAULT_REPORT_DIR = './grokbench-report';

interface SweepOpts extends SettingsOpts, GlobalOpts {
  preset?: string; primes?: number[]; seeds?: number[]; dataSeeds?: number[]; jitters?: number[]; jobs?: number; threadsPerJob?: number;
  out: string; report: boolean; analyze: boolean; records?: string;
  executor: string; partition?: string; cpusPerTask?: number; time?: string; sbatchArg?: string[]; progressJsonl?: boolean;
}

/** One run of the final result (`--json` prints `{runs: [these], ...}`). */
export interface SweepRunResult {
  run_id: string; p: number; seed: number; data_seed: number; jitter: number;
  /** 'done' (trained now), 'already-done' (finished before this sweep), 'recorded' (its record is in --records), 'failed', 'interrupted', 'not-started'. */
  status: 'done' | 'already-done' | 'recorded' | 'failed' | 'interrupted' | 'not-started';
  epochs_done: number; epochs: number; memorise_epoch: number | null; grok_epoch: number | null;
  final_test_acc: number | null; wall_s: number; error?: string;
}

const HELP = `
Runs: every prime × seed × data seed × jitter, each a \`grokbench train\` child process with the
same settings (flags you leave out take the docs/design.md defaults; --preset seed-experiment =
--primes 97,101,109,113 --seeds 485,999; --preset miscope-30 = MIScope's 30 variants (a list,
not a grid: p59 s485/ds42,598,999 s999/ds598,999; p89 s999/ds598; p97, p103, p107, p127
s485,999/ds598; p101, p113 s485,999/ds42,598,999; p109 s485/ds42,598,999 s999/ds598) with
--checkpoint-schedule miscope; explicit flags override a preset, and with miscope-30 --primes,
--seeds and --data-seeds pick among its variants).

Parallelism (default): with R runs on C cores (this machine: ${os.availableParallelism()}), --jobs C --threads-per-job 1
when R ≥ C — one single-threaded run per core, because a multi-threaded run slows down badly
whenever the other cores are busy — else --jobs R and the cores shared out (C/R threads each).
Giving only --jobs shares the cores among the jobs; giving only --threads-per-job runs as many
jobs as fit. The thread count is written into every checkpoint, so resume a sweep with the same
--threads-per-job (the default depends only on R and C) to get byte-identical results.

Resuming: run the same command again. Finished runs are skipped and partial ones continue from
their last checkpoint; Ctrl-C (or SIGTERM) stops every run at once, and even a SIGKILL of the
sweep stops its runs at their next epoch, losing at most the epochs since each run's last checkpoint.

Afterwards every run is analysed (grokbench analyze) and the cross-run report is written to --out
(grokbench report). Exit status: 0 when every run finished, 1 if any failed (the others still run),
2 for bad input.`;

export function register(program: Command): void {
  const cmd = program.command('sweep')
    .description('train every prime × seed × data seed × jitter run (N at a time), analyse them, and write the cross-run report')
    .addOption(new Option('--preset <name>', `a named sweep: ${Object.entries(SWEEP_PRESETS).map(([k, v]) => `${k} (${v.about})`).join('; ')}`))
    .option('--primes <list>', 'comma-separated moduli, e.g. 97,101,109,113', intListArg('--primes'))
    .option('--seeds <list>', 'comma-separated model seeds, e.g. 485,999', intListArg('--seeds'))
    .option('--data-seeds <list>', `comma-separated data seeds (train/test splits), e.g. 42,598,999 [${DEFAULTS.dataSeed}]`, intListArg('--data-seeds'))
    .option('--jitters <list>', 'rounding jitters (train --jitter), a list or ranges, e.g. 0-7 [0]', intRangeListArg('--jitters'));
  addSettings(withCommon(cmd), false);
  // --threads of the settings means --threads-per-job here; keep it working but out of the help.
  cmd.options.find((opt) => opt.long === '--threads')?.hideHelp();
  cmd.option('--jobs <N>', 'runs trained at once (default: see below)', intArg('--jobs', 1))
    .option('--threads-per-job <T>', 'engine threads of each run (default: see below)', intArg('--threads-per-job', 1))
    .option('--out <dir>', 'report directory', DEFAULT_REPORT_DIR)
    .option('--no-report', 'do not write the report (still analyse)')
    .option('--no-analyze', 'neither analyse nor write the report')
    .option('--records <dir>', 'skip the runs whose record (grokbench record) is in DIR: finished on another machine or day')
    .addOption(new Option('--executor <name>', 'where runs train: local child processes, or Slurm array tasks').choices(['local', 'slurm']).default('local'))
    .option('--partition <P>', 'Slurm partition of the tasks (--executor slurm)')
    .option('--cpus-per-task <N>', 'Slurm CPUs (engine threads) of each task [1] (--executor slurm)', intArg('--cpus-per-task', 1))
    .addOption(new Option('--progress-jsonl', "machine-readable progress: one JSON line per run's change on stdout (used by grokbench serve)").hideHelp())
    .option('--time <T>', 'Slurm time limit of each task, e.g. 2:00:00 (a task out of time is resubmitted and resumes) (--executor slurm)')
    .option('--sbatch-arg <arg>', 'an extra sbatch argument, e.g. --sbatch-arg=--qos=long (repeatable) (--executor slurm)', (v: string, prev: string[] = []) => [...prev, v])
    .addHelpText('after', HELP)
    .action(async (o: SweepOpts) => { await sweep(o); });
}

/** How the progress shows: a block redrawn in place (TTY), periodic lines, or nothing (--json). */
class SweepDisplay {
  private drawn = 0;
  private last = -Infinity;
  readonly mode: ProgressMode;

  constructor(json: boolean, private readonly out: NodeJS.WriteStream = process.stderr, private readonly plainEvery = 15_000) {
    this.mode = progressMode(json, out);
    if (this.mode === 'plain') this.last = performance.now();
  }

  /** Redraw the block (live, at most 5 times a second) or print the status line (plain, every 15 s). */
  update(runs: readonly RunProgress[], jobs: number, force = false): void {
    if (this.mode === 'off') return;
    const now = performance.now();
    if (this.mode === 'plain' ? now - this.last < this.plainEvery : !force && now - this.last < 200) return;
    this.last = now;
    if (this.mode === 'plain') { this.out.write(statusLine(runs, jobs) + '\n'); return; }
    const width = Math.max(20, (this.out.columns || 120) - 1);
    const block = statusBlock(runs, jobs).map((l) => l.slice(0, width));
    this.out.write(this.erase() + block.map((l) => l + '\n').join(''));
    this.drawn = block.length;
  }

  /** A line of its own (a run started, finished or failed), above the live block; `level` 'plain' only without a TTY. */
  event(line: string, level: 'important' | 'normal' | 'plain' = 'normal'): void {
    if (this.mode === 'off') { if (level === 'important') this.out.write(line + '\n'); return; }
    if (this.mode === 'live' && level === 'plain') return;
    this.out.write(this.erase() + line + '\n');
    if (this.mode === 'live') { this.drawn = 0; this.last = -Infinity; }
  }

  /** Remove the live block (before the final output). */
  clear(): void {
    if (this.mode === 'live') this.out.write(this.erase());
    this.drawn = 0;
  }

  private erase(): string {
    return this.mode === 'live' && this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[0J` : '';
  }
}

function pct(x: number | null): string {
  return x === null ? '-' : `${(100 * x).toFixed(1)}%`;
}

/** The last evaluated test accuracy of a run (null without any evaluation). */
function finalTestAcc(store: Store, runId: string): number | null {
  const m = store.getMetrics(runId);
  for (let i = m.length - 1; i >= 0; i--) if (m[i].test_acc !== null) return m[i].test_acc;
  return null;
}

/** A sweep's launch settings, from what the user typed (every flag checked before anything starts). */
interface SweepLaunch {
  grid: ReturnType<typeof resolveGrid>;
  plan: SweepRun[];
  slurm: boolean;
  jobs: number;
  threadsPerJob: number;
  storeDir: string;
}

/** Plan the sweep from its flags: the grid, its runs and how many train at once; one-line badInput on any problem. */
function planLaunch(o: SweepOpts): SweepLaunch {
  const grid = resolveGrid(o);
  const plan = planGrid(grid, settingsToConfig(o, grid.settings));
  if (o.threads !== undefined && o.threadsPerJob !== undefined && o.threads !== o.threadsPerJob) {
    throw badInput(`--threads ${o.threads} and --threads-per-job ${o.threadsPerJob} disagree (they mean the same here)`);
  }
  const out = resolve(o.out);
  if (o.analyze && o.report && existsSync(out) && !statSync(out).isDirectory()) throw badInput(`--out ${o.out} is a file, not a directory`);
  const slurm = o.executor === 'slurm';
  if (!slurm) {
    const stray = (['partition', 'cpusPerTask', 'time', 'sbatchArg'] as const).find((k) => o[k] !== undefined);
    if (stray) throw badInput(`--${stray.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} needs --executor slurm`);
  } else if (o.threadsPerJob !== undefined || o.threads !== undefined) {
    throw badInput('with --executor slurm the threads of each run are --cpus-per-task');
  }
  const cores = os.availableParallelism();
  // Slurm: every run is a task (at most --jobs at once); each has --cpus-per-task threads.
  const { jobs, threadsPerJob } = slurm ? { jobs: o.jobs ?? plan.length, threadsPerJob: o.cpusPerTask ?? 1 }
    : defaultParallelism(plan.length, cores, o.jobs, o.threadsPerJob ?? o.threads);
  const storeDir = resolve(o.store ?? process.env.GROKBENCH_STORE ?? './grokbench-runs');
  return { grid, plan, slurm, jobs, threadsPerJob, storeDir };
}

/** Each run's starting state: finished runs (in the store, or recorded elsewhere with --records) are skipped. */
function initialProgress(store: Store, plan: readonly SweepRun[], recorded: ReadonlySet<string>): { progress: Map<string, RunProgress>; toTrain: SweepRun[] } {
  const progress = new Map<string, RunProgress>();
  const toTrain: SweepRun[] = [];
  for (const r of plan) {
    const row = store.getRun(r.runId);
    const finished = recorded.has(r.runId) || (row !== undefined && row.status === 'done' && row.epochs_done >= r.config.epochs);
    progress.set(r.runId, {
      runId: r.runId, p: r.p, seed: r.seed, state: finished ? 'skipped' : 'queued',
      epoch: finished ? r.config.epochs : Math.min(row?.epochs_done ?? 0, r.config.epochs), epochs: r.config.epochs, testAcc: null, rate: 0,
    });
    if (!finished) toTrain.push(r);
  }
  return { progress, toTrain };
}

/** --progress-jsonl: the plan, then each run's state and epoch (at most every 500 ms per run while it trains). */
function progressJsonl(enabled: boolean, plan: readonly SweepRun[], progress: ReadonlyMap<string, RunProgress>): (s: RunProgress, force: boolean) => void {
  if (!enabled) return () => {};
  process.stdout.write(JSON.stringify({ type: 'plan', runs: plan.map((r) => { const s = progress.get(r.runId)!; return { run_id: r.runId, p: r.p, seed: r.seed, data_seed: r.dataSeed, jitter: r.jitter, state: s.state, epoch: s.epoch, epochs: s.epochs }; }) }) + '\n');
  const last = new Map<string, number>();
  return (s, force) => {
    const now = performance.now();
    if (!force && now - (last.get(s.runId) ?? -Infinity) < 500) return;
    last.set(s.runId, now);
    process.stdout.write(JSON.stringify({ type: 'run', run_id: s.runId, state: s.state, epoch: s.epoch, epochs: s.epochs, test_acc: s.testAcc }) + '\n');
  };
}

/** The runner's callbacks: they keep each run's progress, the display and the JSONL stream up to date, and collect the exits. */
function sweepCallbacks(progress: Map<string, RunProgress>, display: SweepDisplay, jsonl: (s: RunProgress, force: boolean) => void, jobs: number, exits: Map<string, ChildExit>) {
  const states = [...progress.values()];
  const firstEpoch = new Map<string, number>();
  return {
    onStart: (run: SweepRun, adopted: unknown) => {
      const s = progress.get(run.runId)!;
      s.state = 'running';
      s.rate = 0;
      display.event(`sweep: ${run.runId} ${adopted === true ? 'already queued or running (adopted)' : 'started'}${s.epoch > 0 ? ` (resuming from epoch ${s.epoch})` : ''}`, 'plain');
      display.update(states, jobs, true);
      jsonl(s, true);
    },
    onProgress: (run: SweepRun, p: ChildProgress) => {
      const s = progress.get(run.runId)!;
      // The child's first line (its first epoch, warm-up included) says little about its speed.
      const first = !firstEpoch.has(run.runId);
      if (first) firstEpoch.set(run.runId, p.epoch);
      s.rate = first || p.epoch === firstEpoch.get(run.runId) ? 0 : p.rate;
      s.epoch = p.epoch;
      if (p.testAcc !== null) s.testAcc = p.testAcc;
      display.update(states, jobs);
      jsonl(s, false);
    },
    onExit: (run: SweepRun, e: ChildExit) => {
      exits.set(run.runId, e);
      const s = progress.get(run.runId)!;
      if (e.outcome === 'ok') {
        s.state = 'done';
        s.epoch = s.epochs;
        display.event(`sweep: ${run.runId} finished in ${formatDuration(e.wallSeconds)} (test acc ${pct(s.testAcc)})`);
      } else if (e.outcome === 'interrupted') {
        s.state = 'interrupted';
      } else {
        s.state = 'failed';
        display.event(`grokbench: run ${run.runId} failed: ${e.message ?? 'unknown error'}`, 'important');
      }
      display.update(states, jobs, true);
      jsonl(s, true);
    },
  };
}

/** Run the runner until it ends; SIGINT/SIGTERM interrupt it (a second one kills local children outright: writes are atomic). */
async function runUntilDone(runner: SweepRunner | SlurmSweep, slurm: boolean, display: SweepDisplay): Promise<void> {
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    runner.interrupt(signals > 1 && !slurm ? 'SIGKILL' : sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await runner.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    display.clear();
  }
}

/** Each planned run's result, from the store and what the runner saw. */
function sweepResults(store: Store, plan: readonly SweepRun[], progress: ReadonlyMap<string, RunProgress>, exits: ReadonlyMap<string, ChildExit>, recorded: ReadonlySet<string>): SweepRunResult[] {
  return plan.map((r) => {
    const row = store.getRun(r.runId);
    const s = progress.get(r.runId)!;
    const e = exits.get(r.runId);
    const status: SweepRunResult['status'] = s.state === 'skipped' ? (recorded.has(r.runId) && !(row?.status === 'done' && row.epochs_done >= r.config.epochs) ? 'recorded' : 'already-done') : s.state === 'done' ? 'done'
      : s.state === 'failed' ? 'failed' : s.state === 'interrupted' ? 'interrupted' : 'not-started';
    const res: SweepRunResult = {
      run_id: r.runId, p: r.p, seed: r.seed, data_seed: r.dataSeed, jitter: r.jitter, status, epochs_done: row?.epochs_done ?? 0, epochs: r.config.epochs,
      memorise_epoch: row?.memorise_epoch ?? null, grok_epoch: row?.grok_epoch ?? null,
      final_test_acc: row ? finalTestAcc(store, r.runId) : null, wall_s: e?.wallSeconds ?? 0,
    };
    if (status === 'failed') res.error = e?.message ?? 'unknown error';
    return res;
  });
}

/** The sweep: plan, launch (local children or Slurm tasks), then analyse and report. */
async function sweep(o: SweepOpts): Promise<void> {
  const t0 = performance.now();
  const { grid, plan, slurm, jobs, threadsPerJob, storeDir } = planLaunch(o);
  const store = openStore({ ...o, store: storeDir });
  // One sweep per store at a time: a second one gets a one-line error.
  let lock: Lock | undefined;
  try {
    lock = store.lockSweep();
    // Runs trained by Slurm tasks are in their folders: bring the database up to date first.
    if (slurm) collectRuns(store, plan.map((r) => r.runId));
    // --records: runs whose record is committed there were finished elsewhere (a study built up over machines).
    const recorded = o.records ? recordedRunIds(resolve(o.records)) : new Set<string>();
    const { progress, toTrain } = initialProgress(store, plan, recorded);
    const display = new SweepDisplay(!!o.json || !!o.progressJsonl);
    const jsonl = progressJsonl(!!o.progressJsonl, plan, progress);
    if (!o.json) {
      const skipped = plan.length - toTrain.length;
      const dims = grid.variants ? [`${grid.variants.length} listed variant(s)`] : [`${grid.primes.length} prime(s)`, `${grid.seeds.length} seed(s)`];
      if (grid.dataSeeds && !grid.variants) dims.push(`${grid.dataSeeds.length} data seed(s)`);
      if (grid.jitters) dims.push(`${grid.jitters.length} jitter(s)`);
      display.event(`sweep: ${plan.length} run(s) (${dims.join(' × ')}), ${slurm ? `as Slurm tasks of ${threadsPerJob} CPU(s)` : `${jobs} at a time with ${threadsPerJob} thread(s) each`}` +
        `${skipped ? `; ${skipped} already finished` : ''}; store ${storeDir}`);
    }

    const exits = new Map<string, ChildExit>();
    const bin = join(packageRoot(), 'bin', 'grokbench');
    const callbacks = sweepCallbacks(progress, display, jsonl, jobs, exits);
    const runner = slurm
      ? new SlurmSweep(toTrain, {
        store, bin, cpusPerTask: threadsPerJob, maxRunning: o.jobs, partition: o.partition, time: o.time, sbatchArgs: o.sbatchArg ?? [],
        ...callbacks, onEvent: (line) => display.event(line),
      })
      : new SweepRunner(toTrain, { bin, storeDir, jobs, threadsPerJob, ...callbacks });
    await runUntilDone(runner, slurm, display);

    const results = sweepResults(store, plan, progress, exits, recorded);
    const failed = results.filter((r) => r.status === 'failed').length;
    let reportPath: string | null = null;
    let postFailed = false;
    if (runner.interrupted) {
      process.stderr.write('grokbench: sweep interrupted; run the same command again to resume (each run continues from its last checkpoint)\n');
    } else if (o.analyze) {
      try {
        reportPath = await analyseAndReport(store, results, o, jobs * threadsPerJob);
      } catch (err) {
        if (!(err instanceof GrokbenchError)) throw err;
        process.stderr.write(`grokbench: ${err.message.split('\n')[0]}\n`);
        postFailed = true;
      }
    }

    const wall = (performance.now() - t0) / 1000;
    if (o.json) {
      printJson({ runs: results, wall_s: wall, report: reportPath, jobs, threads_per_job: threadsPerJob });
    } else {
      printTable(o, results);
      if (reportPath) say(o, `report: ${reportPath}`);
      say(o, `sweep: ${results.length} run(s) in ${formatDuration(wall)}${failed ? `, ${failed} failed` : ''}`);
    }
    if (runner.interrupted) process.exitCode = 128 + (os.constants.signals[runner.interrupted] ?? 2);
    else if (failed > 0 || postFailed) process.exitCode = 1;
  } finally {
    lock?.release();
    store.close();
  }
}

/** Analyse the sweep's runs (every run with a checkpoint) and write the report; its path, or null with --no-report. */
async function analyseAndReport(store: Store, results: SweepRunResult[], o: SweepOpts, threads: number): Promise<string | null> {
  const ids = results.filter((r) => r.status !== 'recorded' && store.listCheckpoints(r.run_id).length > 0).map((r) => r.run_id);
  if (ids.length === 0) return null;
  const bar = ProgressLine.for(o);
  const t0 = performance.now();
  const res = await analyseRuns(store, ids, {
    jobs: Math.max(1, threads),
    onProgress: ({ done, total }) => {
      const el = (performance.now() - t0) / 1000;
      bar.update(`analysing: ${done}/${total} checkpoints, ${formatDuration(el)} elapsed, ${formatDuration(done > 0 ? (el / done) * (total - done) : NaN)} left`, done === total);
    },
  });
  bar.done();
  if (!o.json) say(o, `sweep: analysed ${res.tasks} new checkpoint(s) in ${res.seconds.toFixed(1)} s`);
  if (!o.report) return null;
  const out = resolve(o.out);
  if (!o.json) process.stderr.write(`sweep: writing the report of ${ids.length} run(s) to ${out} ...\n`);
  const { writeReport } = await import('../report/index.js'); // Vega loads only when a report is written
  await writeReport(store, ids, out, {});
  return join(out, 'report.html');
}

function printTable(o: GlobalOpts, results: SweepRunResult[]): void {
  const rows = [['run', 'p', 'seed', 'status', 'epochs', 'memorised', 'grokked', 'test acc', 'wall']];
  for (const r of results) {
    rows.push([r.run_id, String(r.p), String(r.seed), r.status, `${r.epochs_done}/${r.epochs}`, String(r.memorise_epoch ?? '-'),
      String(r.grok_epoch ?? 'never'), pct(r.final_test_acc), r.wall_s > 0 ? formatDuration(r.wall_s) : '-']);
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) say(o, row.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd());
}
