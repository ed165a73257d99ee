/**
 * The Slurm executor of a sweep: one job array per submission, one array task per unfinished run,
 * each a `grokbench train --folder-only` into the shared store (it writes only its run's folder;
 * see store/run-folder.ts). The sweep follows its tasks with squeue, merges the folders into the
 * database as they progress (collect.ts), resubmits a task that ended before its run finished
 * (failed, preempted, cancelled, timed out: the run resumes from its last checkpoint), and cancels
 * its tasks (scancel) when interrupted.
 *
 * Resumable: the tasks submitted for a store are recorded in `<store>/slurm/tasks.json`; a sweep
 * run again adopts the tasks still queued or running and submits only the runs without one.
 * Scripts and task output live in `<store>/slurm/` (`logs/<job>_<task>.out`).
 *
 * The truth about a run is its folder (progress.json), not Slurm's job state: a run is finished
 * when its folder says so, whatever the task's exit; squeue only tells whether a task is still alive.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { failure } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic.js';
import { RunFolderStore } from '../store/run-folder.js';
import type { Store } from '../store/store.js';
import { collectRuns } from './collect.js';
import { type SweepRun, taskArgs } from './plan.js';
import { type ChildExit, type ChildProgress, parseProgressLine } from './runner.js';

export interface SlurmOptions {
  partition?: string;
  cpusPerTask: number;
  time?: string;
  /** Extra sbatch arguments, passed as they are. */
  sbatchArgs: string[];
  /** At most this many tasks at once (the array's `%N`); undefined: as Slurm schedules. */
  maxRunning?: number;
}

export interface SlurmSweepOptions extends SlurmOptions {
  store: Store;
  /** The `grokbench` launcher script (bin/grokbench), on a path every node sees. */
  bin: string;
  /** How often squeue is asked (ms); GROKBENCH_SLURM_POLL_MS overrides; default 5000. */
  pollMs?: number;
  /** Give a run up after this many task attempts in a row that made no progress. */
  maxFailures?: number;
  onStart?: (run: SweepRun, adopted: boolean) => void;
  onProgress?: (run: SweepRun, p: ChildProgress) => void;
  onExit?: (run: SweepRun, e: ChildExit) => void;
  onEvent?: (line: string) => void;
}

/** One submitted task. */
export interface TaskRecord { runId: string; jobId: string; taskId: number; submittedAt: string }

/** Slurm states of a task that is still alive (queued, running or on its way to either). */
export const ALIVE: ReadonlySet<string> = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED',
  'RESIZING', 'SIGNALING', 'STAGE_OUT', 'RESV_DEL_HOLD', 'SPECIAL_EXIT', 'STOPPED']);

/** Run a Slurm command; its stdout, or a one-line failure with its stderr. */
export function slurmCommand(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw failure(code === 'ENOENT' ? `${cmd} not found: --executor slurm needs Slurm's commands (sbatch, squeue, scancel) on PATH`
      : `${cmd} failed: ${r.error.message.split('\n')[0]}`);
  }
  const res = { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr.trim() };
  if (!res.ok && !opts.allowFail) throw failure(`${cmd} ${args.join(' ')} failed: ${res.stderr.split('\n')[0] || `exit status ${r.status}`}`);
  return res;
}

/** A word for a POSIX shell, single-quoted. */
function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function slurmDir(storeDir: string): string { return join(storeDir, 'slurm'); }
/** The sweep's ledger; `grokbench analyze --executor slurm` keeps its own (ANALYZE_LEDGER). */
export const SWEEP_LEDGER = 'tasks.json';
function ledgerPath(storeDir: string, file: string): string { return join(slurmDir(storeDir), file); }
export function taskLogPath(storeDir: string, t: Pick<TaskRecord, 'jobId' | 'taskId'>): string {
  return join(slurmDir(storeDir), 'logs', `${t.jobId}_${t.taskId}.out`);
}

/** Every task ever submitted for this store (by sweeps, or the ledger `file`), oldest first. */
export function readLedger<T extends TaskRecord = TaskRecord>(storeDir: string, file = SWEEP_LEDGER): T[] {
  const p = ledgerPath(storeDir, file);
  if (!existsSync(p)) return [];
  try {
    const v = JSON.parse(readFileSync(p, 'utf8')) as { tasks?: T[] };
    return Array.isArray(v.tasks) ? v.tasks : [];
  } catch {
    throw failure(`${p} is damaged (not JSON); remove it only when no task of this store is queued or running`);
  }
}

export function writeLedger(storeDir: string, tasks: readonly TaskRecord[], file = SWEEP_LEDGER): void {
  mkdirSync(slurmDir(storeDir), { recursive: true });
  writeFileAtomic(ledgerPath(storeDir, file), JSON.stringify({ tasks }, null, 1) + '\n');
}

/**
 * Submit one job array: task i runs `node bin <argv[i]>`. The script is kept in `<store>/slurm/`.
 * Returns the job id.
 */
export function submitArray(storeDir: string, name: string, argvs: string[][], o: SlurmOptions & { bin: string }): string {
  const dir = slurmDir(storeDir);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const script = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.sh`);
  const lines = ['#!/bin/sh', `# ${name}: one array task per run; written by grokbench on ${hostname()}`, 'case "$SLURM_ARRAY_TASK_ID" in'];
  argvs.forEach((argv, i) => lines.push(`  ${i}) exec ${[process.execPath, o.bin, ...argv].map(sh).join(' ')} ;;`));
  lines.push('esac', 'echo "grokbench: no run for array task $SLURM_ARRAY_TASK_ID" >&2', 'exit 2', '');
  writeFileAtomic(script, lines.join('\n'));
  const args = ['--parsable', `--job-name=${name}`, `--array=0-${argvs.length - 1}${o.maxRunning ? `%${o.maxRunning}` : ''}`,
    `--cpus-per-task=${o.cpusPerTask}`, `--output=${join(dir, 'logs', '%A_%a.out')}`, `--chdir=${storeDir}`, '--export=ALL'];
  if (o.partition) args.push(`--partition=${o.partition}`);
  if (o.time) args.push(`--time=${o.time}`);
  args.push(...o.sbatchArgs, script);
  const out = slurmCommand('sbatch', args).stdout.trim();
  const jobId = out.split(';')[0];
  if (!/^\d+$/.test(jobId)) throw failure(`sbatch printed ${JSON.stringify(out)}, not a job id`);
  return jobId;
}

/**
 * The state of every task of these job arrays that Slurm still knows (`<job>_<task>` → state);
 * null when squeue could not be asked (try again later). A task it no longer lists is gone.
 */
export function taskStates(jobIds: readonly string[]): Map<string, string> | null {
  const states = new Map<string, string>();
  const ids = [...new Set(jobIds)];
  if (ids.length === 0) return states;
  const ask = (list: string[]) => slurmCommand('squeue', ['-h', '-r', '-t', 'all', '-j', list.join(','), '-o', '%F|%K|%T'], { allowFail: true });
  let r = ask(ids);
  const outputs: string[] = [];
  if (r.ok) outputs.push(r.stdout);
  else if (/invalid job id/i.test(r.stderr)) {
    // Some arrays were purged from Slurm's memory: ask one by one, the purged ones have no tasks left.
    for (const id of ids) {
      r = ask([id]);
      if (r.ok) outputs.push(r.stdout);
      else if (!/invalid job id/i.test(r.stderr)) return null;
    }
  } else return null;
  for (const line of outputs.join('\n').split('\n')) {
    const [job, task, state] = line.trim().split('|');
    if (job && task && state && /^\d+$/.test(task)) states.set(`${job}_${task}`, state.replace(/\+$/, ''));
  }
  return states;
}

/** The last progress line and last `grokbench:` line of a task's output (its last 16 KiB). */
export function tailTaskLog(path: string): { progress: ChildProgress | null; error: string | null } {
  let text = '';
  try {
    const size = statSync(path).size;
    const n = Math.min(size, 16_384);
    const buf = Buffer.alloc(n);
    const fd = openSync(path, 'r');
    try { readSync(fd, buf, 0, n, size - n); } finally { closeSync(fd); }
    text = buf.toString('utf8');
  } catch {
    return { progress: null, error: null };
  }
  let progress: ChildProgress | null = null, error: string | null = null;
  for (const line of text.split('\n')) {
    const p = parseProgressLine(line);
    if (p) progress = p;
    else if (line.startsWith('grokbench: ') && !/^grokbench: (training|resuming) /.test(line)) error = line.slice('grokbench: '.length).trim();
  }
  return { progress, error };
}

/** A lock left by a task that Slurm says has ended, on another host (whose processes we cannot check): remove it. */
function clearEndedTaskLock(storeDir: string, runId: string): void {
  const path = join(storeDir, 'runs', `.${runId}.lock`);
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as { host?: string };
    if (owner.host !== hostname()) unlinkSync(path); // same host: the lock itself sees whether its owner lives
  } catch { /* no lock, or being written: leave it */ }
}

interface Tracked {
  run: SweepRun;
  task: TaskRecord | null;
  /** epochs_done when the current task was submitted (or adopted). */
  epochsAtSubmit: number;
  failures: number;
  t0: number;
  state: 'waiting' | 'alive' | 'finished';
}

/** A tracked task as the follower sees it. */
export interface FollowedTask { state: 'waiting' | 'alive' | 'finished'; task: { jobId: string } | null }

/** What a sweep and an analysis following their Slurm tasks share: stopping on a signal, polling squeue, cancelling. */
export class SlurmFollower {
  protected stopping: NodeJS.Signals | null = null;
  private wake: (() => void) | null = null;

  get interrupted(): NodeJS.Signals | null { return this.stopping; }

  /** Stop following, cancel every task (scancel). */
  interrupt(signal: NodeJS.Signals): void {
    this.stopping ??= signal;
    this.wake?.();
  }

  /** Every pollMs until interrupted or every task is finished: the tasks alive and squeue's states (a poll squeue cannot answer is skipped). */
  protected async *polls<T extends FollowedTask>(tracked: readonly T[], pollMs: number): AsyncGenerator<{ live: T[]; states: Map<string, string> }> {
    while (!this.stopping && tracked.some((t) => t.state !== 'finished')) {
      await this.pause(pollMs);
      if (this.stopping) return;
      const live = tracked.filter((t) => t.state === 'alive');
      const states = taskStates(live.map((t) => t.task!.jobId));
      if (states !== null) yield { live, states };
    }
  }

  /** scancel the jobs of the tasks still alive and wait (bounded, 30 s) until they are gone, so that what they committed is collected. */
  protected async cancelAlive(tracked: readonly FollowedTask[]): Promise<void> {
    const jobs = [...new Set(tracked.filter((t) => t.state === 'alive').map((t) => t.task!.jobId))];
    if (jobs.length === 0) return;
    slurmCommand('scancel', [...jobs], { allowFail: true });
    const t0 = Date.now();
    while (Date.now() - t0 < 30_000) {
      const s = taskStates([...jobs]);
      if (s !== null && ![...s.values()].some((x) => ALIVE.has(x))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Waits pollMs or until interrupted. */
  protected async pause(pollMs: number): Promise<void> {
    await new Promise<void>((resolve) => { this.wake = resolve; setTimeout(resolve, pollMs); });
    this.wake = null;
  }
}

export class SlurmSweep extends SlurmFollower {
  private readonly folder: RunFolderStore;
  private readonly storeDir: string;

  constructor(private readonly runs: readonly SweepRun[], private readonly o: SlurmSweepOptions) {
    super();
    this.storeDir = o.store.dir;
    this.folder = new RunFolderStore(this.storeDir);
  }

  private folderDone(run: SweepRun): boolean {
    const row = this.folder.getRun(run.runId);
    return row?.status === 'done' && row.epochs_done >= run.config.epochs;
  }

  private epochsDone(runId: string): number {
    return this.folder.getRun(runId)?.epochs_done ?? 0;
  }

  async run(): Promise<Map<string, ChildExit>> {
    const results = new Map<string, ChildExit>();
    const pollMs = Number(process.env.GROKBENCH_SLURM_POLL_MS) || this.o.pollMs || 5000;
    const maxFailures = this.o.maxFailures ?? 3;
    const ledger = readLedger(this.storeDir);
    const latest = new Map<string, TaskRecord>();
    for (const t of ledger) latest.set(t.runId, t);
    // Runs begun by a local train continue in their folder from where the database has them.
    for (const r of this.runs) this.folder.seedFrom(this.o.store, r.runId);
    const tracked: Tracked[] = this.runs.map((run) => ({ run, task: null, epochsAtSubmit: this.epochsDone(run.runId), failures: 0, t0: performance.now(), state: 'waiting' }));

    const first = taskStates([...new Set(this.runs.map((r) => latest.get(r.runId)?.jobId).filter((x): x is string => !!x))]);
    if (first === null) throw failure('squeue failed: cannot see which tasks of this store are still queued or running');
    for (const t of tracked) {
      const rec = latest.get(t.run.runId);
      if (rec && ALIVE.has(first.get(`${rec.jobId}_${rec.taskId}`) ?? '')) {
        t.task = rec;
        t.state = 'alive';
        this.o.onStart?.(t.run, true);
      }
    }

    const finish = (t: Tracked, e: Omit<ChildExit, 'wallSeconds'>): void => {
      t.state = 'finished';
      const exit = { ...e, wallSeconds: (performance.now() - t.t0) / 1000 };
      results.set(t.run.runId, exit);
      this.o.onExit?.(t.run, exit);
    };

    const submit = (batch: Tracked[]): void => {
      if (batch.length === 0 || this.stopping) return;
      for (const t of batch) clearEndedTaskLock(this.storeDir, t.run.runId);
      const jobId = submitArray(this.storeDir, 'grokbench-sweep', batch.map((t) => taskArgs(t.run, this.o.cpusPerTask, this.storeDir)), { ...this.o, bin: this.o.bin });
      const at = new Date().toISOString();
      batch.forEach((t, i) => {
        t.task = { runId: t.run.runId, jobId, taskId: i, submittedAt: at };
        t.state = 'alive';
        t.epochsAtSubmit = this.epochsDone(t.run.runId);
        ledger.push(t.task);
      });
      writeLedger(this.storeDir, ledger);
      this.o.onEvent?.(`sweep: submitted job array ${jobId} (${batch.length} task(s): ${batch.map((t) => t.run.runId).join(', ')})`);
      for (const t of batch) this.o.onStart?.(t.run, false);
    };
    // A task may have finished its run since the database was brought up to date (read after squeue, so none is missed).
    for (const t of tracked) if (t.state === 'waiting' && this.folderDone(t.run)) finish(t, { outcome: 'ok', code: 0, signal: null, message: null });
    submit(tracked.filter((t) => t.state === 'waiting'));

    for await (const { live, states } of this.polls(tracked, pollMs)) {
      const again: Tracked[] = [];
      for (const t of live) {
        const row = this.folder.getRun(t.run.runId);
        const log = tailTaskLog(taskLogPath(this.storeDir, t.task!));
        if (this.folderDone(t.run)) { finish(t, { outcome: 'ok', code: 0, signal: null, message: null }); continue; }
        if (row?.status === 'diverged') { finish(t, { outcome: 'failed', code: 1, signal: null, message: log.error ?? `run ${t.run.runId} diverged` }); continue; }
        const st = states.get(`${t.task!.jobId}_${t.task!.taskId}`);
        if (st !== undefined && ALIVE.has(st)) {
          if (log.progress) this.o.onProgress?.(t.run, log.progress);
          continue;
        }
        // The task has ended and its run is not finished: failed, preempted, cancelled or out of time.
        const progressed = (row?.epochs_done ?? 0) > t.epochsAtSubmit;
        t.failures = progressed ? 0 : t.failures + 1;
        const why = `task ${t.task!.jobId}_${t.task!.taskId} ended (${st ?? 'gone from squeue'})${log.error ? `: ${log.error}` : ''}`;
        if (t.failures >= maxFailures) {
          finish(t, { outcome: 'failed', code: null, signal: null, message: `${why}; ${t.failures} attempt(s) in a row made no progress` });
          continue;
        }
        this.o.onEvent?.(`sweep: ${t.run.runId}: ${why} at epoch ${row?.epochs_done ?? 0}; resubmitting (it resumes from its last checkpoint)`);
        t.state = 'waiting';
        again.push(t);
      }
      submit(again);
      collectRuns(this.o.store, this.runs.map((r) => r.runId));
    }

    if (this.stopping) {
      await this.cancelAlive(tracked);
      for (const t of tracked) if (t.state !== 'finished') finish(t, { outcome: 'interrupted', code: null, signal: this.stopping, message: null });
    }
    collectRuns(this.o.store, this.runs.map((r) => r.runId));
    return results;
  }
}
