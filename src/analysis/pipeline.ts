/**
 * Analysing a store: every indexed checkpoint of the given runs that some registered analyzer has
 * not yet analysed with the current parameters (or whose artifact is gone) becomes a task. Tasks
 * run in parallel over worker threads, each with its own engine (one BLAS thread each); the main
 * thread alone writes SQLite. A task writes its artifacts (atomically) before its rows are
 * stored, so a kill at any instant loses at most the tasks in flight and a second call resumes.
 * When an artifact of the same analyzer version already exists (only the options changed, e.g.
 * --low-freqs), the summary is re-derived from it instead of recomputing the checkpoint.
 * Cross-epoch analyzers then read each run's checkpoints in order (in this thread), and run
 * analyzers (grokking time, outcome) run on each run's metrics and stored rows.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadKernels } from '../engine/index.js';
import type { Kernels } from '../engine/kernels.js';
import { GrokbenchError, badInput, failure } from '../core/errors.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { removeStaleTemps } from '../core/atomic.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../io/safetensors.js';
import type { Store } from '../store/store.js';
import { activationMaps } from './library/activations.js';
import { Scratch } from './library/scratch.js';
import { type AnalysisOptions, type AnalyzerOutput, type CheckpointContext, DEFAULT_OPTIONS, artifactFileName, artifactMetadata } from './protocol/analyzer.js';
import { getAnalyzer, listAnalyzers, listCrossEpochAnalyzers, listRunAnalyzers, selectedAnalyzers } from './registry.js';
import { refreshRunOverviews } from './overview.js';

export interface TaskItem { analyzer: string; artifactPath: string; tryReuse: boolean }
export interface Task { id: number; runId: string; epoch: number; checkpointPath: string; items: TaskItem[]; options: AnalysisOptions }
export interface TaskResult { analyzer: string; summary: object; path: string; reused: boolean }

/** A checkpoint that could not be read (damaged, truncated, missing, non-finite): skipped, reported at the end. */
export interface DamagedCheckpoint { runId: string; epoch: number; path: string; message: string }

/** The error of a task whose checkpoint could not be read: the analysis skips that checkpoint and goes on. */
export class CheckpointUnreadable extends GrokbenchError {
  readonly unreadable = true;
}

function isUnreadable(err: unknown): boolean {
  return err instanceof CheckpointUnreadable || (err as { unreadable?: boolean } | null)?.unreadable === true;
}

/** `runs/<id>/analysis/<analyzer>/epoch-NNNNNN.safetensors`. */
export function artifactPath(store: Store, runId: string, analyzer: string, epoch: number): string {
  return join(store.analysisDir(runId), analyzer, artifactFileName(epoch));
}

/** Run one task with an engine: reuse or compute each analyzer's artifact, return the summaries. */
export function runTask(k: Kernels, task: Task, scratch = new Scratch()): TaskResult[] {
  const out: TaskResult[] = [];
  const compute: TaskItem[] = [];
  for (const item of task.items) {
    const a = getAnalyzer(item.analyzer);
    if (item.tryReuse && a.summariseArtifact) {
      try {
        const f = readSafetensorsFile(item.artifactPath);
        const md = f.metadata;
        if (md.analyzer === a.name && md.version === String(a.version) && md.epoch === String(task.epoch)) {
          out.push({ analyzer: a.name, summary: a.summariseArtifact(f, task.options), path: item.artifactPath, reused: true });
          continue;
        }
      } catch { /* unreadable or foreign: recompute it */ }
    }
    compute.push(item);
  }
  if (compute.length === 0) return out;
  let checkpoint: ReturnType<typeof loadCheckpoint>;
  try { checkpoint = loadCheckpoint(task.checkpointPath); } catch (err) {
    throw new CheckpointUnreadable(err instanceof Error ? err.message.split('\n')[0] : String(err), 1);
  }
  let acts: Float32Array | undefined;
  const ctx: CheckpointContext = {
    kernels: k, scratch, checkpoint, checkpointPath: task.checkpointPath, epoch: task.epoch, runId: task.runId, options: task.options,
    activations: () => (acts ??= activationMaps(k, checkpoint.params, scratch)),
  };
  for (const item of compute) {
    const a = getAnalyzer(item.analyzer);
    const res = a.analyseCheckpoint(ctx);
    try { mkdirSync(dirname(item.artifactPath), { recursive: true }); } catch (err) {
      throw failure(`cannot create ${dirname(item.artifactPath)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    writeSafetensorsFile(item.artifactPath, res.tensors, artifactMetadata(a, { p: checkpoint.config.p, epoch: task.epoch, runId: task.runId }));
    out.push({ analyzer: a.name, summary: res.summary, path: item.artifactPath, reused: false });
  }
  return out;
}

export interface AnalyseProgress { done: number; total: number; runId: string; epoch: number }

export interface AnalyseOptions extends Partial<AnalysisOptions> {
  /** Worker threads (default: the number of cores, at most the number of tasks); 1 runs in this thread. */
  jobs?: number;
  onProgress?: (p: AnalyseProgress) => void;
}

export interface RunAnalysisReport {
  runId: string;
  checkpoints: number;
  /** Checkpoints every analyzer had already analysed. */
  alreadyDone: number;
  /** Checkpoints computed from the checkpoint file / re-summarised from existing artifacts. */
  computed: number;
  resummarised: number;
  /** Each run analyzer's summary (e.g. grokking), null when the run has no metrics. */
  runSummaries: Record<string, object | null>;
}

export interface AnalyseResult {
  runs: RunAnalysisReport[]; tasks: number; jobs: number; seconds: number;
  /** Checkpoints that could not be read: skipped (every other checkpoint is analysed); the CLI exits 1 when any. */
  damaged: DamagedCheckpoint[];
}

/** The analysis options with their defaults, checked (one-line badInput). */
export function resolveOptions(opts: Partial<AnalysisOptions>): AnalysisOptions {
  const o: AnalysisOptions = {
    lowFreqs: opts.lowFreqs ?? DEFAULT_OPTIONS.lowFreqs,
    flatAsZero: opts.flatAsZero ?? DEFAULT_OPTIONS.flatAsZero,
    grokLoss: opts.grokLoss ?? DEFAULT_OPTIONS.grokLoss,
  };
  if (opts.curvatureEvery !== undefined) {
    if (!Number.isInteger(opts.curvatureEvery) || opts.curvatureEvery < 1) throw badInput(`--curvature-every must be an integer ≥ 1, got ${opts.curvatureEvery}`);
    o.curvatureEvery = opts.curvatureEvery;
  }
  if (opts.neuronGrouping !== undefined) {
    if (opts.neuronGrouping !== 'fourier' && opts.neuronGrouping !== 'kmeans') throw badInput(`--neuron-grouping must be fourier or kmeans, got ${String(opts.neuronGrouping)}`);
    o.neuronGrouping = opts.neuronGrouping;
  }
  if (opts.parameterDmdReferenceEpoch !== undefined) {
    if (!Number.isInteger(opts.parameterDmdReferenceEpoch) || opts.parameterDmdReferenceEpoch < 0) throw badInput(`--parameter-dmd-reference-epoch must be an integer ≥ 0, got ${opts.parameterDmdReferenceEpoch}`);
    o.parameterDmdReferenceEpoch = opts.parameterDmdReferenceEpoch;
  }
  if (opts.llcEvery !== undefined) {
    if (!Number.isInteger(opts.llcEvery) || opts.llcEvery < 1) throw badInput(`--llc-every must be an integer ≥ 1, got ${opts.llcEvery}`);
    o.llcEvery = opts.llcEvery;
  }
  if (!Number.isInteger(o.lowFreqs) || o.lowFreqs < 1) throw badInput(`--low-freqs must be an integer ≥ 1, got ${o.lowFreqs}`);
  if (!(o.grokLoss > 0)) throw badInput(`--grok-loss must be a positive number, got ${o.grokLoss}`);
  if (opts.analyzers !== undefined) {
    selectedAnalyzers(opts.analyzers); // unknown names: a one-line error now
    o.analyzers = [...opts.analyzers];
  }
  return o;
}

/** The analyzers of a tier that this analysis computes (options.analyzers: registry.ts), in table order. */
function chosen<A extends { name: string }>(all: A[], options: AnalysisOptions): A[] {
  const sel = selectedAnalyzers(options.analyzers);
  return sel === null ? all : all.filter((a) => sel.has(a.name));
}

/** Analyse every not-yet-analysed checkpoint of the runs (ids must exist in the store). */
export async function analyseRuns(store: Store, runIdsIn: string[], opts: AnalyseOptions = {}): Promise<AnalyseResult> {
  const t0 = performance.now();
  const runIds = [...new Set(runIdsIn)];
  const options = resolveOptions(opts);
  if (opts.jobs !== undefined && (!Number.isInteger(opts.jobs) || opts.jobs < 1)) throw badInput(`--jobs must be an integer ≥ 1, got ${opts.jobs}`);
  const { tasks, reports } = planAnalysis(store, runIds, options);
  const jobs = Math.max(1, Math.min(opts.jobs ?? availableParallelism(), tasks.length));
  let finished = 0;
  const record = (task: Task, results: TaskResult[]): void => {
    for (const r of results) {
      const a = getAnalyzer(r.analyzer);
      store.putAnalysis(task.runId, task.epoch, a.name, a.params(options), r.summary, r.path);
    }
    const rep = reports.get(task.runId)!;
    if (results.some((r) => !r.reused)) rep.computed++; else rep.resummarised++;
    finished++;
    opts.onProgress?.({ done: finished, total: tasks.length, runId: task.runId, epoch: task.epoch });
  };
  const damaged: DamagedCheckpoint[] = [];
  await executeTasks(tasks, jobs, record, (t, message) => damaged.push({ runId: t.runId, epoch: t.epoch, path: t.checkpointPath, message }));
  analyseCrossEpoch(store, runIds, options, new Set(damaged.map((d) => d.path)));
  analyseRunMetrics(store, runIds, options, reports);
  return { runs: [...reports.values()], tasks: tasks.length, jobs, seconds: (performance.now() - t0) / 1000, damaged };
}

/**
 * What analysing these runs would compute: a task per checkpoint that some analyzer has not
 * analysed with these options (or whose artifact is gone), and a report per run (ids must exist).
 */
export function planAnalysis(store: Store, runIds: readonly string[], options: AnalysisOptions): { tasks: Task[]; reports: Map<string, RunAnalysisReport> } {
  const analyzers = chosen(listAnalyzers(), options);
  const tasks: Task[] = [];
  const reports = new Map<string, RunAnalysisReport>();
  for (const runId of runIds) {
    if (!store.getRun(runId)) throw badInput(`no run ${runId} in store ${store.dir}`);
    const cps = store.listCheckpoints(runId);
    const rep: RunAnalysisReport = { runId, checkpoints: cps.length, alreadyDone: 0, computed: 0, resummarised: 0, runSummaries: {} };
    reports.set(runId, rep);
    const done = analyzers.map((a) => store.analysedEpochs(runId, a.name, a.params(options)));
    for (const a of analyzers) removeStaleTemps(join(store.analysisDir(runId), a.name));
    for (const cp of cps) {
      const items: TaskItem[] = [];
      analyzers.forEach((a, i) => {
        const path = artifactPath(store, runId, a.name, cp.epoch);
        const exists = existsSync(path);
        if (done[i].has(cp.epoch) && exists) return;
        items.push({ analyzer: a.name, artifactPath: path, tryReuse: exists });
      });
      if (items.length === 0) rep.alreadyDone++;
      else tasks.push({ id: tasks.length, runId, epoch: cp.epoch, checkpointPath: cp.path, items, options });
    }
  }
  return { tasks, reports };
}

/**
 * Run the tasks, in this thread (jobs 1) or on `jobs` worker threads; `record` is called in this
 * thread as each finishes. With `onUnreadable`, a task whose checkpoint cannot be read is reported
 * there and the others go on; without it, it stops the analysis like any error.
 */
export async function executeTasks(tasks: Task[], jobs: number, record: (t: Task, r: TaskResult[]) => void,
  onUnreadable?: (t: Task, message: string) => void): Promise<void> {
  if (tasks.length === 0) return;
  if (jobs === 1) {
    const k = loadKernels();
    const scratch = new Scratch();
    for (const t of tasks) {
      let results: TaskResult[];
      try { results = runTask(k, t, scratch); } catch (err) {
        if (onUnreadable && isUnreadable(err)) { onUnreadable(t, (err as Error).message); continue; }
        throw taskError(t, err);
      }
      record(t, results);
    }
  } else await runInWorkers(tasks, jobs, record, onUnreadable);
}

/**
 * The cross-epoch analyzers over each run's checkpoints in epoch order (in this thread, after the
 * checkpoint analyzers): each writes an artifact and a row for every checkpoint it has not analysed
 * with these options (or whose artifact is gone), each as soon as it is computed.
 */
export function analyseCrossEpoch(store: Store, runIds: readonly string[], options: AnalysisOptions, skip: ReadonlySet<string> = new Set()): void {
  const analyzers = chosen(listCrossEpochAnalyzers(), options);
  for (const runId of runIds) {
    const checkpoints = store.listCheckpoints(runId).filter((c) => !skip.has(c.path)).map((c) => ({ epoch: c.epoch, path: c.path })).sort((a, b) => a.epoch - b.epoch);
    if (checkpoints.length === 0) continue;
    for (const a of analyzers) {
      const params = a.params(options);
      const done = store.analysedEpochs(runId, a.name, params);
      const todo = new Set(checkpoints.filter((c) => !(done.has(c.epoch) && existsSync(artifactPath(store, runId, a.name, c.epoch)))).map((c) => c.epoch));
      if (todo.size === 0) continue;
      removeStaleTemps(join(store.analysisDir(runId), a.name));
      const p = store.getRun(runId)!.p;
      const emit = (epoch: number, res: AnalyzerOutput): void => {
        const path = artifactPath(store, runId, a.name, epoch);
        try { mkdirSync(dirname(path), { recursive: true }); } catch (err) {
          throw failure(`cannot create ${dirname(path)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
        writeSafetensorsFile(path, res.tensors, artifactMetadata(a, { p, epoch, runId }));
        store.putAnalysis(runId, epoch, a.name, params, res.summary, path);
      };
      try { a.analyseEpochs({ runId, checkpoints, todo, options, store }, emit); } catch (err) {
        const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
        throw new GrokbenchError(`${runId} ${a.name}: ${msg}`, err instanceof GrokbenchError ? err.exitCode : 1);
      }
    }
  }
}

/**
 * The run analyzers (grokking time, outcome) over each run's metrics, stored; their summaries go into
 * `reports`. Last of every analysis (local or Slurm), so it then keeps each run's overview (what the
 * dashboard's home table shows, for a store of many runs: overview.ts).
 */
export function analyseRunMetrics(store: Store, runIds: readonly string[], options: AnalysisOptions, reports: Map<string, RunAnalysisReport>): void {
  const analyzers = chosen(listRunAnalyzers(), options);
  for (const runId of runIds) {
    const metrics = store.getMetrics(runId);
    const rep = reports.get(runId)!;
    for (const ra of analyzers) {
      if (metrics.length === 0) { rep.runSummaries[ra.name] = null; continue; }
      const summary = ra.analyseRun({ runId, metrics, options, store });
      store.putAnalysis(runId, metrics[metrics.length - 1].epoch, ra.name, ra.params(options), summary);
      rep.runSummaries[ra.name] = summary;
    }
  }
  refreshRunOverviews(store, runIds);
}


function taskError(t: Task, err: unknown): GrokbenchError {
  const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
  const code = err instanceof GrokbenchError ? err.exitCode : (err as { exitCode?: 1 | 2 })?.exitCode ?? 1;
  return new GrokbenchError(`${t.runId} epoch ${t.epoch}: ${msg}`, code);
}

type WorkerReply = { id: number; results?: TaskResult[]; error?: { message: string; exitCode: 1 | 2; unreadable?: boolean } };

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** Run tasks on `jobs` worker threads; `record` is called in this thread as each finishes. */
function runInWorkers(tasks: Task[], jobs: number, record: (t: Task, r: TaskResult[]) => void,
  onUnreadable?: (t: Task, message: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const queue = [...tasks];
    const inflight = new Map<Worker, Task>();
    const workers: Worker[] = [];
    let remaining = tasks.length, settled = false;
    const stop = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      if (err === undefined) resolve(); else reject(err);
    };
    const next = (w: Worker): void => {
      const t = queue.shift();
      if (!t) return;
      inflight.set(w, t);
      w.postMessage(t);
    };
    for (let i = 0; i < jobs; i++) {
      const w = new Worker(WORKER_URL);
      workers.push(w);
      w.on('message', (msg: WorkerReply) => {
        if (settled) return;
        const t = inflight.get(w)!;
        inflight.delete(w);
        if (msg.error && !(onUnreadable && msg.error.unreadable)) { stop(taskError(t, Object.assign(new Error(msg.error.message), { exitCode: msg.error.exitCode }))); return; }
        try { if (msg.error) onUnreadable!(t, msg.error.message); else record(t, msg.results!); } catch (err) { stop(err); return; }
        if (--remaining === 0) stop(); else next(w);
      });
      w.on('error', (err) => stop(err instanceof GrokbenchError ? err : failure(`analysis worker failed: ${err.message.split('\n')[0]}`)));
      w.on('exit', (code) => { if (!settled) stop(failure(`analysis worker exited unexpectedly (code ${code})`)); });
      next(w);
    }
  });
}
