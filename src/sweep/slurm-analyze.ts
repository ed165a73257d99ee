/**
 * `grokbench analyze --executor slurm`: one job array per submission, one array task per run that
 * needs analysis, each `grokbench analyze --slurm-plan FILE` writing only its run folder (see
 * analysis-folder.ts). Followed like a Slurm sweep (slurm.ts): squeue says whether a task lives,
 * the run folder says what it has done; results are merged into the database as they land; a task
 * that ends with its plan unfinished is resubmitted (it skips the checkpoints already done); after
 * `maxFailures` attempts in a row without progress the run is reported failed; interrupted, the
 * tasks are scancelled.
 *
 * Resumable: tasks are recorded in `<store>/slurm/analyze-tasks.json`; run again, it merges what
 * tasks wrote, adopts a run's task still queued or running (same options), and submits only the
 * runs with checkpoints still unanalysed.
 */
import type { AnalysisOptions } from '../analysis/protocol/analyzer.js';
import { type Task, planAnalysis } from '../analysis/pipeline.js';
import { failure } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { collectAnalyses, completedEpochs, optionsKey, readPlan, writePlan } from './analysis-folder.js';
import { ALIVE, SlurmFollower, type SlurmOptions, type TaskRecord, readLedger, submitArray, tailTaskLog, taskLogPath, taskStates, writeLedger } from './slurm.js';

export const ANALYZE_LEDGER = 'analyze-tasks.json';

export interface AnalysisTaskRecord extends TaskRecord { optionsKey: string; plan: string }

export interface SlurmAnalysisOptions extends SlurmOptions {
  store: Store;
  /** The `grokbench` launcher script (bin/grokbench), on a path every node sees. */
  bin: string;
  pollMs?: number;
  maxFailures?: number;
  onEvent?: (line: string) => void;
  /** A run's checkpoints done so far out of its plan. */
  onProgress?: (runId: string, done: number, total: number) => void;
}

export interface RunAnalysisExit { runId: string; outcome: 'ok' | 'failed' | 'interrupted' | 'nothing-to-do'; checkpoints: number; message: string | null }

interface Tracked {
  runId: string;
  tasks: Task[];
  plan: string;
  task: AnalysisTaskRecord | null;
  done: Set<number>;
  /** Checkpoints of earlier plans of this run, done. */
  earlier: number;
  /** Following a task submitted by an earlier analyze (its plan may miss checkpoints made since). */
  adopted: boolean;
  doneAtSubmit: number;
  failures: number;
  state: 'waiting' | 'alive' | 'finished';
}

export class SlurmAnalysis extends SlurmFollower {
  constructor(private readonly runIds: readonly string[], private readonly options: AnalysisOptions, private readonly o: SlurmAnalysisOptions) {
    super();
  }

  /** Analyse the runs; the database holds every result the tasks wrote when it returns. */
  async run(): Promise<Map<string, RunAnalysisExit>> {
    const store = this.o.store;
    const storeDir = store.dir;
    const key = optionsKey(this.options);
    const pollMs = Number(process.env.GROKBENCH_SLURM_POLL_MS) || this.o.pollMs || 5000;
    const maxFailures = this.o.maxFailures ?? 3;
    const results = new Map<string, RunAnalysisExit>();
    const ledger = readLedger<AnalysisTaskRecord>(storeDir, ANALYZE_LEDGER);
    const latest = new Map<string, AnalysisTaskRecord>();
    for (const t of ledger) if (t.optionsKey === key) latest.set(t.runId, t);
    // What earlier tasks wrote is in the database before planning, so it is not planned again.
    collectAnalyses(store, this.runIds);
    const first = taskStates([...new Set(this.runIds.map((id) => latest.get(id)?.jobId).filter((x): x is string => !!x))]);
    if (first === null) throw failure('squeue failed: cannot see which analysis tasks of this store are still queued or running');

    const tracked: Tracked[] = [];
    const finish = (t: Tracked, outcome: RunAnalysisExit['outcome'], message: string | null = null): void => {
      t.state = 'finished';
      results.set(t.runId, { runId: t.runId, outcome, checkpoints: t.earlier + t.done.size, message });
    };
    for (const runId of this.runIds) {
      const rec = latest.get(runId);
      if (rec && ALIVE.has(first.get(`${rec.jobId}_${rec.taskId}`) ?? '')) {
        // Adopted: follow the plan it was given.
        let tasks: Task[];
        try { tasks = readPlan(rec.plan).tasks; } catch { tasks = planAnalysis(store, [runId], this.options).tasks; }
        const t: Tracked = { runId, tasks, plan: rec.plan, task: rec, done: new Set(), earlier: 0, adopted: true, doneAtSubmit: 0, failures: 0, state: 'alive' };
        t.doneAtSubmit = this.completed(t, key).size;
        tracked.push(t);
        this.o.onEvent?.(`analyze: ${runId}: task ${rec.jobId}_${rec.taskId} already queued or running (adopted)`);
        continue;
      }
      const tasks = planAnalysis(store, [runId], this.options).tasks;
      const t: Tracked = { runId, tasks, plan: '', task: null, done: new Set(), earlier: 0, adopted: false, doneAtSubmit: 0, failures: 0, state: 'waiting' };
      tracked.push(t);
      if (tasks.length === 0) finish(t, 'nothing-to-do');
    }

    const submit = (batch: Tracked[]): void => {
      if (batch.length === 0 || this.stopping) return;
      for (const t of batch) if (!t.plan) t.plan = writePlan(storeDir, t.runId, this.options, t.tasks);
      const argvs = batch.map((t) => ['analyze', '--slurm-plan', t.plan, '--jobs', String(this.o.cpusPerTask)]);
      const jobId = submitArray(storeDir, 'grokbench-analyze', argvs, this.o);
      const at = new Date().toISOString();
      batch.forEach((t, i) => {
        t.task = { runId: t.runId, jobId, taskId: i, submittedAt: at, optionsKey: key, plan: t.plan };
        t.state = 'alive';
        t.doneAtSubmit = this.completed(t, key).size;
        ledger.push(t.task);
      });
      writeLedger(storeDir, ledger, ANALYZE_LEDGER);
      this.o.onEvent?.(`analyze: submitted job array ${jobId} (${batch.length} task(s): ${batch.map((t) => `${t.runId} ${t.tasks.length - t.doneAtSubmit} checkpoint(s)`).join(', ')})`);
    };
    submit(tracked.filter((t) => t.state === 'waiting'));

    for await (const { live, states } of this.polls(tracked, pollMs)) {
      const again: Tracked[] = [];
      for (const t of live) {
        const done = this.completed(t, key).size;
        this.o.onProgress?.(t.runId, done, t.tasks.length);
        if (done === t.tasks.length) {
          if (t.adopted) {
            // The adopted task's plan is done; checkpoints indexed since then get a task of their own.
            t.adopted = false;
            collectAnalyses(store, [t.runId]);
            const rest = planAnalysis(store, [t.runId], this.options).tasks;
            if (rest.length > 0) {
              Object.assign(t, { tasks: rest, plan: '', earlier: t.earlier + done, done: new Set<number>(), failures: 0, state: 'waiting' });
              again.push(t);
              continue;
            }
          }
          finish(t, 'ok');
          continue;
        }
        const st = states.get(`${t.task!.jobId}_${t.task!.taskId}`);
        if (st !== undefined && ALIVE.has(st)) continue;
        const log = tailTaskLog(taskLogPath(storeDir, t.task!));
        t.failures = done > t.doneAtSubmit ? 0 : t.failures + 1;
        const why = `task ${t.task!.jobId}_${t.task!.taskId} ended (${st ?? 'gone from squeue'})${log.error ? `: ${log.error}` : ''}`;
        if (t.failures >= maxFailures) { finish(t, 'failed', `${why}; ${t.failures} attempt(s) in a row made no progress`); continue; }
        this.o.onEvent?.(`analyze: ${t.runId}: ${why} with ${done}/${t.tasks.length} checkpoint(s) done; resubmitting (it continues where it stopped)`);
        t.state = 'waiting';
        again.push(t);
      }
      submit(again);
      collectAnalyses(store, this.runIds);
    }

    if (this.stopping) {
      await this.cancelAlive(tracked);
      for (const t of tracked) if (t.state !== 'finished') { this.completed(t, key); finish(t, 'interrupted'); }
    }
    collectAnalyses(store, this.runIds);
    return results;
  }

  /** The epochs of a run's plan whose results are written (cached: a result once written stays). */
  private completed(t: Tracked, key: string): Set<number> {
    return completedEpochs(this.o.store.dir, { run_id: t.runId, options_key: key, tasks: t.tasks }, t.done);
  }
}
