/**
 * A run that writes only its own folder, never the database: what a Slurm task trains into, so
 * that SQLite is never written from several hosts of a shared filesystem. `grokbench collect`
 * (and a Slurm sweep, as it follows its tasks) merges the folders into the database.
 *
 * Layout, inside `runs/<id>/` beside run.json, split.json, checkpoints/ and resume.safetensors:
 * ```
 * progress.json                  the run's row (status, epochs_done, memorise/grok epochs) and checkpoint index
 * metrics/rows-000001-000100.json  the metric rows of one commit (epochs 1..100, committed with checkpoint 100)
 * ```
 * Commit order at a checkpoint is the database's: the metrics segment (atomic), then
 * progress.json (atomic): the commit point. Rows after `epochs_done` (a segment written just
 * before a kill) are ignored when read and replaced when trained again.
 *
 * `RunFolderStore` has the methods of `Store` that training uses (`TrainStore`), with the same
 * meaning, so the trainer runs unchanged on either.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { badInput, describeOsError, failure } from '../core/errors.js';
import { removeStaleTemps, writeFileAtomic } from '../core/atomic.js';
import { type Lock, acquireLock } from './lock.js';
import { type CheckpointInput, type CheckpointRow, type MetricRow, type NewRun, type ProgressCommit, type RunRow, type RunUpdate, type Store, checkRunId } from './store.js';

/** The file that marks a run trained into its folder. */
export const PROGRESS_FILE = 'progress.json';
/** The folder of metric segments. */
export const METRICS_DIR = 'metrics';

/** What progress.json holds. */
export interface FolderState {
  format: 'grokbench-run-folder';
  version: 1;
  run: RunRow;
  /** Paths relative to the store directory. */
  checkpoints: CheckpointRow[];
}

/** The Store methods the trainer uses; `Store` and `RunFolderStore` both have them. */
export type TrainStore = Pick<Store, 'getRun' | 'createRun' | 'runDir' | 'lockRun' | 'getMetrics' | 'deleteMetricsAfter' |
  'listCheckpoints' | 'deleteCheckpointsAfter' | 'updateRun' | 'resumePath' | 'checkpointPath' | 'commitProgress'>;

const now = (): string => new Date().toISOString();
const SEGMENT = /^rows-(\d{6,})-(\d{6,})\.json$/;
const pad = (n: number): string => String(n).padStart(6, '0');

/** A segment's file name: its first and last epoch (a resumed run re-commits its checkpoint's row alone: a file of its own). */
function segmentName(rows: readonly MetricRow[]): string {
  return `rows-${pad(rows[0].epoch)}-${pad(rows[rows.length - 1].epoch)}.json`;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw failure(`cannot read ${path}: ${err instanceof SyntaxError ? 'not valid JSON' : describeOsError(err)}`);
  }
}

/** JSON turns NaN into null; the train columns are numbers. */
function metricFromJson(r: MetricRow): MetricRow {
  return { ...r, train_loss: r.train_loss ?? NaN, train_acc: r.train_acc ?? NaN };
}

export class RunFolderStore implements TrainStore {
  /** `dir`: the store directory (absolute or relative to the working directory). */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  runDir(runId: string): string {
    checkRunId(runId);
    return join(this.dir, 'runs', runId);
  }

  checkpointPath(runId: string, epoch: number): string {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw badInput(`invalid epoch ${epoch}`);
    return join(this.runDir(runId), 'checkpoints', `epoch-${pad(epoch)}.safetensors`);
  }

  resumePath(runId: string): string {
    return join(this.runDir(runId), 'resume.safetensors');
  }

  lockRun(runId: string, waitMs = 0): Lock {
    const runs = join(this.dir, 'runs');
    checkRunId(runId);
    try {
      mkdirSync(runs, { recursive: true });
    } catch (err) {
      throw failure(`cannot create ${runs}: ${describeOsError(err)}`);
    }
    return acquireLock(join(runs, `.${runId}.lock`), `run ${runId}`, waitMs);
  }

  /** The folder's state, or undefined when the run has no progress.json. */
  readState(runId: string): FolderState | undefined {
    const path = join(this.runDir(runId), PROGRESS_FILE);
    const v = readJson(path) as FolderState | undefined;
    if (v === undefined) return undefined;
    if (v === null || typeof v !== 'object' || v.format !== 'grokbench-run-folder' || typeof v.run?.run_id !== 'string' || !Array.isArray(v.checkpoints)) {
      throw failure(`${path} is not a grokbench run folder state`);
    }
    return v;
  }

  /** Write progress.json (the commit point), atomically. */
  writeState(s: FolderState): void {
    writeFileAtomic(join(this.runDir(s.run.run_id), PROGRESS_FILE), JSON.stringify(s) + '\n');
  }

  private state(runId: string): FolderState {
    const s = this.readState(runId);
    if (!s) throw badInput(`no run ${runId} in folder ${this.runDir(runId)}`);
    return s;
  }

  getRun(runId: string): RunRow | undefined {
    return this.readState(runId)?.run;
  }

  createRun(row: NewRun): RunRow {
    if (this.readState(row.run_id)) throw badInput(`run ${row.run_id} already exists in ${this.runDir(row.run_id)}`);
    const t = now();
    const full: RunRow = {
      ...row, epochs_done: row.epochs_done ?? 0, status: row.status ?? 'created', memorise_epoch: row.memorise_epoch ?? null,
      grok_epoch: row.grok_epoch ?? null, created_at: row.created_at ?? t, updated_at: t,
    };
    mkdirSync(this.runDir(row.run_id), { recursive: true });
    this.writeState({ format: 'grokbench-run-folder', version: 1, run: full, checkpoints: [] });
    return full;
  }

  updateRun(runId: string, partial: RunUpdate): void {
    const s = this.state(runId);
    for (const [k, v] of Object.entries(partial)) if (v !== undefined) (s.run as unknown as Record<string, unknown>)[k] = v;
    s.run.updated_at = now();
    this.writeState(s);
  }

  private metricsDir(runId: string): string {
    return join(this.runDir(runId), METRICS_DIR);
  }

  /** The segment files, ordered by last then first epoch (rows repeated in two segments are equal: training is deterministic). */
  private segments(runId: string): { first: number; last: number; path: string }[] {
    const dir = this.metricsDir(runId);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((f) => {
      const m = SEGMENT.exec(f);
      return m ? [{ first: Number(m[1]), last: Number(m[2]), path: join(dir, f) }] : [];
    }).sort((a, b) => a.last - b.last || a.first - b.first);
  }

  private readSegment(path: string): MetricRow[] {
    const v = readJson(path);
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw failure(`${path} is not a list of metric rows`);
    return (v as MetricRow[]).map(metricFromJson);
  }

  /** Metrics up to epochs_done (committed), ordered by epoch. */
  getMetrics(runId: string): MetricRow[] {
    const s = this.readState(runId);
    if (!s) return [];
    return this.metricsUpTo(runId, s.run.epochs_done);
  }

  /** The committed metrics of a state read earlier (`collect`: the state and its rows as one snapshot). */
  metricsUpTo(runId: string, epochsDone: number): MetricRow[] {
    const byEpoch = new Map<number, MetricRow>();
    for (const seg of this.segments(runId)) for (const r of this.readSegment(seg.path)) if (r.epoch <= epochsDone) byEpoch.set(r.epoch, r);
    return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  }

  deleteMetricsAfter(runId: string, epoch: number): number {
    let n = 0;
    removeStaleTemps(this.metricsDir(runId));
    for (const seg of this.segments(runId)) {
      const rows = this.readSegment(seg.path);
      const keep = rows.filter((r) => r.epoch <= epoch);
      if (keep.length === rows.length) continue;
      n += rows.length - keep.length;
      if (keep.length === 0) {
        try { unlinkSync(seg.path); } catch (err) { throw failure(`cannot remove ${seg.path}: ${describeOsError(err)}`); }
      } else writeFileAtomic(seg.path, JSON.stringify(keep));
    }
    return n;
  }

  listCheckpoints(runId: string): CheckpointRow[] {
    return (this.readState(runId)?.checkpoints ?? []).map((c) => ({ ...c, path: resolve(this.dir, c.path) }));
  }

  deleteCheckpointsAfter(runId: string, epoch: number): number {
    const s = this.state(runId);
    const before = s.checkpoints.length;
    s.checkpoints = s.checkpoints.filter((c) => c.epoch <= epoch);
    if (s.checkpoints.length !== before) this.writeState(s);
    return before - s.checkpoints.length;
  }

  /** Write one metrics segment (atomic): rows of consecutive epochs. */
  writeSegment(runId: string, rows: readonly MetricRow[]): void {
    if (rows.length === 0) return;
    mkdirSync(this.metricsDir(runId), { recursive: true });
    writeFileAtomic(join(this.metricsDir(runId), segmentName(rows)), JSON.stringify(rows));
  }

  commitProgress(runId: string, c: ProgressCommit): void {
    const s = this.state(runId);
    this.writeSegment(runId, c.metrics);
    if (c.checkpoint) {
      const cp = this.stored(c.checkpoint);
      s.checkpoints = [...s.checkpoints.filter((x) => x.epoch !== cp.epoch), cp].sort((a, b) => a.epoch - b.epoch);
    }
    s.run.epochs_done = c.epochsDone;
    if (c.status !== undefined) s.run.status = c.status;
    if (c.memorise_epoch !== undefined) s.run.memorise_epoch = c.memorise_epoch;
    if (c.grok_epoch !== undefined) s.run.grok_epoch = c.grok_epoch;
    s.run.updated_at = now();
    this.writeState(s);
  }

  private stored(cp: CheckpointInput): CheckpointRow {
    return { epoch: cp.epoch, step: cp.step, label: cp.label ?? null, path: isAbsolute(cp.path) ? relative(this.dir, cp.path) : cp.path };
  }

  /**
   * Seed a run's folder from the database (a run begun by a local `train`, continued by a Slurm
   * task): its row, checkpoint index and metrics, so the task resumes instead of starting over.
   */
  seedFrom(store: Store, runId: string): void {
    const row = store.getRun(runId);
    if (!row || this.readState(runId)) return;
    this.writeSegment(runId, store.getMetrics(runId).filter((m) => m.epoch <= row.epochs_done));
    this.copyState(store, runId);
  }

  /** Make progress.json the database's row and checkpoint index of the run, exactly (a mirror of the database). */
  copyState(store: Store, runId: string): void {
    const row = store.getRun(runId);
    if (!row) return;
    const checkpoints = store.listCheckpoints(runId).map((c) => this.stored(c));
    mkdirSync(this.runDir(runId), { recursive: true });
    this.writeState({ format: 'grokbench-run-folder', version: 1, run: { ...row }, checkpoints });
  }
}

/**
 * The trainer's store when it trains into the database: every change goes to the database first,
 * then to the run's folder (its metrics segment, then progress.json, a copy of the database's row
 * and checkpoint index), so every run folder holds what `grokbench repair` needs to rebuild the
 * database. A kill between the two leaves the folder one commit behind, an earlier consistent state.
 */
export class MirroredStore implements TrainStore {
  private readonly folder: RunFolderStore;

  constructor(private readonly store: Store) {
    this.folder = new RunFolderStore(store.dir);
  }

  /** After a change to the database: the folder follows (a run without a folder state yet gets all of it). */
  private mirror(runId: string, metrics: readonly MetricRow[] = []): void {
    if (!this.folder.readState(runId)) { this.folder.seedFrom(this.store, runId); return; }
    this.folder.writeSegment(runId, metrics);
    this.folder.copyState(this.store, runId);
  }

  getRun(runId: string): RunRow | undefined { return this.store.getRun(runId); }
  runDir(runId: string): string { return this.store.runDir(runId); }
  lockRun(runId: string, waitMs?: number): Lock { return this.store.lockRun(runId, waitMs); }
  getMetrics(runId: string): MetricRow[] { return this.store.getMetrics(runId); }
  listCheckpoints(runId: string): CheckpointRow[] { return this.store.listCheckpoints(runId); }
  resumePath(runId: string): string { return this.store.resumePath(runId); }
  checkpointPath(runId: string, epoch: number): string { return this.store.checkpointPath(runId, epoch); }

  createRun(row: NewRun): RunRow {
    const r = this.store.createRun(row);
    this.mirror(r.run_id);
    return r;
  }

  updateRun(runId: string, partial: RunUpdate): void {
    this.store.updateRun(runId, partial);
    this.mirror(runId);
  }

  deleteMetricsAfter(runId: string, epoch: number): number {
    const n = this.store.deleteMetricsAfter(runId, epoch);
    if (this.folder.readState(runId)) this.folder.deleteMetricsAfter(runId, epoch);
    return n;
  }

  deleteCheckpointsAfter(runId: string, epoch: number): number {
    const n = this.store.deleteCheckpointsAfter(runId, epoch);
    this.mirror(runId);
    return n;
  }

  commitProgress(runId: string, c: ProgressCommit): void {
    this.store.commitProgress(runId, c);
    this.mirror(runId, c.metrics);
  }
}
