/**
 * The run store: one directory holding `grokbench.sqlite` (runs, per-epoch metrics, checkpoint
 * index, analysis summaries) and `runs/<run-id>/...` (run.json, checkpoints, resume state,
 * analysis arrays). Nothing here prints or exits; bad input throws `badInput`, other failures
 * `failure`, each with a one-line message.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { GrokbenchError, badInput, describeOsError, failure } from '../core/errors.js';
import { type Db, type Statement, firstLine, openDatabase } from './db.js';
import { type Lock, acquireLock, lockHeld } from './lock.js';
import { writeFileAtomic } from '../core/atomic.js';

/** The default store directory, relative to the working directory. */
export const DEFAULT_STORE_DIR = './grokbench-runs';

/** The SQLite file inside a store directory. */
export const SQLITE_FILE = 'grokbench.sqlite';

export type RunStatus = 'created' | 'training' | 'done' | 'diverged' | 'imported';

/**
 * What a run is now, which its stored status alone cannot tell: `training` only while a process
 * holds its lock; `interrupted` when its status says training (or created with epochs done) but
 * nothing holds it (killed, out of disk, power cut); `failed` when its trainer stopped on an error
 * (the error is in `runs/<id>/failure.json`). The others are the stored status.
 */
export type RunState = 'created' | 'training' | 'interrupted' | 'failed' | 'done' | 'diverged' | 'imported';

/** Whether a run state is final (the run will not train further without being asked). */
export function isFinalState(s: RunState): boolean { return s === 'done' || s === 'diverged' || s === 'imported'; }

/** The file in a run's folder that records why its trainer stopped. */
export const FAILURE_FILE = 'failure.json';

/** Record in a run's folder why its trainer stopped (atomic; a write that fails, e.g. on a full disk, leaves the run interrupted, which is still true). */
export function recordRunFailure(runDir: string, message: string, epoch: number | null): void {
  try {
    writeFileAtomic(join(runDir, FAILURE_FILE), JSON.stringify({ message, epoch, at: new Date().toISOString() }) + '\n');
  } catch { /* see above */ }
}

/** Forget a run's recorded failure (it trains again). */
export function clearRunFailure(runDir: string): void {
  rmSync(join(runDir, FAILURE_FILE), { force: true });
}

/** A run folder's recorded failure, or null. */
export function readRunFailure(runDir: string): { message: string; epoch: number | null } | null {
  try {
    const v = JSON.parse(readFileSync(join(runDir, FAILURE_FILE), 'utf8')) as { message?: unknown; epoch?: unknown };
    return { message: typeof v.message === 'string' ? v.message : 'unknown error', epoch: typeof v.epoch === 'number' ? v.epoch : null };
  } catch { return null; }
}

/** One row of the runs table. */
export interface RunRow {
  run_id: string;
  p: number;
  seed: number;
  data_seed: number;
  epochs: number;
  epochs_done: number;
  status: RunStatus;
  config_json: string;
  engine: string;
  /** Where the run came from: 'grokbench', 'import', ... */
  source: string;
  memorise_epoch: number | null;
  grok_epoch: number | null;
  created_at: string;
  updated_at: string;
}

/** What `createRun` needs; the rest defaults (epochs_done 0, status 'created', timestamps now). */
export type NewRun = Omit<RunRow, 'epochs_done' | 'status' | 'memorise_epoch' | 'grok_epoch' | 'created_at' | 'updated_at'> &
  Partial<Pick<RunRow, 'epochs_done' | 'status' | 'memorise_epoch' | 'grok_epoch' | 'created_at'>>;

/** The columns `updateRun` may change. */
export type RunUpdate = Partial<Omit<RunRow, 'run_id' | 'created_at' | 'updated_at'>>;

export type { MetricRow } from '../metrics/metric-row.js';
import type { MetricRow } from '../metrics/metric-row.js';

/** A checkpoint to index; `path` absolute, or relative to the store directory. */
export interface CheckpointInput {
  epoch: number;
  step: number;
  label?: string | null;
  path: string;
}

/** An indexed checkpoint; `path` is absolute. */
export interface CheckpointRow {
  epoch: number;
  step: number;
  label: string | null;
  path: string;
}

/** Everything one training commit records, applied in a single transaction. */
export interface ProgressCommit {
  metrics: MetricRow[];
  checkpoint?: CheckpointInput;
  epochsDone: number;
  status?: RunStatus;
  /** Omitted: unchanged; null: cleared. */
  memorise_epoch?: number | null;
  grok_epoch?: number | null;
}

/** One stored analysis result. */
export interface AnalysisRow<S = unknown> {
  epoch: number;
  /** The analyzer's parameters, as stored. */
  params: Record<string, unknown>;
  summary: S;
  /** Absolute path of the analysis artifact, if any. */
  path: string | null;
}

/** An analysis row as the database holds it (`mergeAnalyses`). */
export interface RawAnalysisRow {
  epoch: number;
  analyzer: string;
  /** canonicalJson of the analyzer's parameters. */
  params: string;
  summary_json: string;
  /** Relative to the store directory, or absolute; null without an artifact. */
  path: string | null;
}

const RUN_UPDATABLE: ReadonlySet<string> = new Set([
  'p',
  'seed',
  'data_seed',
  'epochs',
  'epochs_done',
  'status',
  'config_json',
  'engine',
  'source',
  'memorise_epoch',
  'grok_epoch',
]);

/** Run ids become directory names: letters, digits, `.`, `_`, `-`, not starting with `.` or `-`. */
const RUN_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Check a run id is safe to use as a directory name. */
export function checkRunId(runId: string): void {
  if (!RUN_ID.test(runId) || runId.length > 200) {
    throw badInput(`invalid run id ${JSON.stringify(runId)} (letters, digits, '.', '_', '-' only)`);
  }
}

/** JSON with object keys sorted at every level: equal parameters give equal text. */
export function canonicalJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function epochFile(epoch: number): string {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw badInput(`invalid epoch ${epoch}`);
  return `epoch-${String(epoch).padStart(6, '0')}.safetensors`;
}

const now = (): string => new Date().toISOString();

/** SQLite stores NaN as NULL; give NaN back for the train columns, which are numbers. */
function metricFromDb(r: {
  epoch: number;
  train_loss: number | null;
  train_acc: number | null;
  test_loss: number | null;
  test_acc: number | null;
}): MetricRow {
  return {
    epoch: r.epoch,
    train_loss: r.train_loss ?? NaN,
    train_acc: r.train_acc ?? NaN,
    test_loss: r.test_loss,
    test_acc: r.test_acc,
  };
}

export class Store {
  private closed = false;
  /** Prepared statements by their SQL: preparing costs more than running most of these queries. */
  private readonly statements = new Map<string, Statement>();

  private constructor(
    /** Absolute path of the store directory. */
    readonly dir: string,
    private readonly db: Db,
    readonly readonly: boolean,
  ) {}

  /** The prepared statement of `text`, prepared once per store. */
  private sql(text: string): Statement {
    let st = this.statements.get(text);
    if (!st) { st = this.db.prepare(text); this.statements.set(text, st); }
    return st;
  }

  /**
   * Open (and by default create) the store in `dir`. With `create: false` or `readonly: true`
   * the store must already exist.
   */
  static open(dir: string, opts: { create?: boolean; readonly?: boolean } = {}): Store {
    const readonly = opts.readonly ?? false;
    const create = (opts.create ?? true) && !readonly;
    const abs = resolve(dir);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
      if (!isDir) throw badInput(`store path ${dir} is a file, not a directory`);
    } catch (err) {
      if (err instanceof GrokbenchError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw badInput(`cannot use store path ${dir}: ${code ?? firstLine(err)}`);
    }
    const file = join(abs, SQLITE_FILE);
    if (!existsSync(file)) {
      if (!create) throw badInput(`store ${dir} does not exist (no ${SQLITE_FILE} there)`);
      try {
        mkdirSync(abs, { recursive: true });
      } catch (err) {
        throw badInput(`cannot create store directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? firstLine(err)}`);
      }
    }
    return new Store(abs, openDatabase(file, { readonly }), readonly);
  }

  /** SQLite's integrity check of the database file: 'ok', or its first complaint. */
  integrityCheck(): string {
    try {
      return String(this.db.pragma('quick_check', { simple: true }));
    } catch (err) {
      return firstLine(err);
    }
  }

  /** Close the connection; further calls fail. Closing twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  // ---- paths -------------------------------------------------------------------------------

  /** `runs/<id>` (absolute). */
  runDir(runId: string): string {
    checkRunId(runId);
    return join(this.dir, 'runs', runId);
  }

  /** `runs/<id>/run.json`: the full resolved config. */
  runJsonPath(runId: string): string {
    return join(this.runDir(runId), 'run.json');
  }

  /** `runs/<id>/checkpoints`. */
  checkpointDir(runId: string): string {
    return join(this.runDir(runId), 'checkpoints');
  }

  /** `runs/<id>/checkpoints/epoch-000100.safetensors`. */
  checkpointPath(runId: string, epoch: number): string {
    return join(this.checkpointDir(runId), epochFile(epoch));
  }

  /** `runs/<id>/resume.safetensors`: latest parameters, optimiser state and step. */
  resumePath(runId: string): string {
    return join(this.runDir(runId), 'resume.safetensors');
  }

  /** `runs/<id>/analysis`. */
  analysisDir(runId: string): string {
    return join(this.runDir(runId), 'analysis');
  }

  // ---- writers' locks -----------------------------------------------------------------------

  /**
   * Take the exclusive lock of one run (`runs/.<id>.lock`; run ids never start with '.'): a
   * process that trains or imports a run holds it, so that two writers never touch the same run.
   * A second writer gets a one-line `failure`; a lock left by a dead process is taken over.
   * `waitMs`: how long to wait for a live holder of this host to let go (see acquireLock).
   */
  lockRun(runId: string, waitMs = 0): Lock {
    checkRunId(runId);
    const runs = join(this.dir, 'runs');
    try {
      mkdirSync(runs, { recursive: true });
    } catch (err) {
      throw failure(`cannot create ${runs}: ${describeOsError(err)}`);
    }
    return acquireLock(join(runs, `.${runId}.lock`), `run ${runId}`, waitMs);
  }

  /** The run's state now (RunState): its stored status, corrected by who holds its lock and its failure file. */
  runState(row: RunRow): { state: RunState; error: string | null } {
    if (row.status !== 'training' && !(row.status === 'created' && row.epochs_done > 0)) return { state: row.status, error: null };
    if (lockHeld(join(this.dir, 'runs', `.${row.run_id}.lock`))) return { state: 'training', error: null };
    const failure = readRunFailure(this.runDir(row.run_id));
    return failure ? { state: 'failed', error: failure.message } : { state: 'interrupted', error: null };
  }

  /** Take the store's sweep lock (`.sweep.lock`): one sweep at a time per store. */
  lockSweep(): Lock {
    return acquireLock(join(this.dir, '.sweep.lock'), `store ${this.dir} (a sweep)`);
  }

  /** A path as stored in the database: relative to the store directory. */
  private toStored(path: string): string {
    return isAbsolute(path) ? relative(this.dir, path) : path;
  }

  /** A stored path made absolute. */
  private fromStored(path: string): string {
    return resolve(this.dir, path);
  }

  // ---- runs --------------------------------------------------------------------------------

  /** Insert a new run; an existing id is `badInput`. */
  createRun(row: NewRun): RunRow {
    checkRunId(row.run_id);
    const t = now();
    const full: RunRow = {
      ...row,
      epochs_done: row.epochs_done ?? 0,
      status: row.status ?? 'created',
      memorise_epoch: row.memorise_epoch ?? null,
      grok_epoch: row.grok_epoch ?? null,
      created_at: row.created_at ?? t,
      updated_at: t,
    };
    this.guard('create run', () => {
      try {
        this.sql(
            `INSERT INTO runs (run_id, p, seed, data_seed, epochs, epochs_done, status, config_json,
               engine, source, memorise_epoch, grok_epoch, created_at, updated_at)
             VALUES (@run_id, @p, @seed, @data_seed, @epochs, @epochs_done, @status, @config_json,
               @engine, @source, @memorise_epoch, @grok_epoch, @created_at, @updated_at)`,
          )
          .run(full);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw badInput(`run ${row.run_id} already exists in store ${this.dir}`);
        }
        throw err;
      }
    });
    return full;
  }

  /**
   * Create a run together with its metrics and checkpoint index in one transaction (used by
   * `grokbench import`): either the whole run appears or nothing does.
   */
  createRunWith(row: NewRun, metrics: MetricRow[], checkpoints: CheckpointInput[]): RunRow {
    let created: RunRow | undefined;
    this.guard('import run', () =>
      this.db.transaction(() => {
        created = this.createRun(row);
        this.insertMetrics(row.run_id, metrics);
        for (const cp of checkpoints) this.insertCheckpoint(row.run_id, cp);
      }).immediate(),
    );
    return created!;
  }

  /**
   * Replace a run's row (as given, timestamps included), metrics and checkpoint index in one
   * transaction (used by `grokbench collect` to merge a run trained into its folder).
   */
  replaceRun(row: RunRow, metrics: MetricRow[], checkpoints: CheckpointInput[]): void {
    checkRunId(row.run_id);
    this.guard('merge run', () =>
      this.db.transaction(() => {
        for (const table of ['metrics', 'checkpoints']) this.sql(`DELETE FROM ${table} WHERE run_id = ?`).run(row.run_id);
        this.sql(
            `INSERT OR REPLACE INTO runs (run_id, p, seed, data_seed, epochs, epochs_done, status, config_json,
               engine, source, memorise_epoch, grok_epoch, created_at, updated_at)
             VALUES (@run_id, @p, @seed, @data_seed, @epochs, @epochs_done, @status, @config_json,
               @engine, @source, @memorise_epoch, @grok_epoch, @created_at, @updated_at)`,
          )
          .run(row);
        this.insertMetrics(row.run_id, metrics);
        for (const cp of checkpoints) this.insertCheckpoint(row.run_id, cp);
      }).immediate(),
    );
  }

  /** The run with exactly this id, if any. */
  getRun(runId: string): RunRow | undefined {
    return this.guard('read run', () =>
      this.sql('SELECT * FROM runs WHERE run_id = ?').get(runId) as RunRow | undefined,
    );
  }

  /** All runs, ordered by p, seed, run id. */
  listRuns(): RunRow[] {
    return this.guard('list runs', () =>
      this.sql('SELECT * FROM runs ORDER BY p, seed, run_id').all() as RunRow[],
    );
  }

  /** Change some columns of a run (and its updated_at); a missing run is `badInput`. */
  updateRun(runId: string, partial: RunUpdate): void {
    this.guard('update run', () => this.updateRunInTx(runId, partial));
  }

  /** The update itself, usable inside a transaction. */
  private updateRunInTx(runId: string, partial: RunUpdate): void {
    const cols = Object.keys(partial).filter(
      (k) => (partial as Record<string, unknown>)[k] !== undefined,
    );
    for (const c of cols) {
      if (!RUN_UPDATABLE.has(c)) throw failure(`updateRun: column ${c} cannot be updated`);
    }
    const sets = [...cols.map((c) => `${c} = @${c}`), 'updated_at = @updated_at'].join(', ');
    const params: Record<string, unknown> = { updated_at: now(), run_id: runId };
    for (const c of cols) params[c] = (partial as Record<string, unknown>)[c];
    const info = this.sql(`UPDATE runs SET ${sets} WHERE run_id = @run_id`).run(params);
    if (info.changes === 0) throw badInput(`no run ${runId} in store ${this.dir}`);
  }

  /** Delete a run: its rows in every table, then its directory. */
  deleteRun(runId: string): void {
    const dir = this.runDir(runId);
    this.guard('delete run', () =>
      this.db.transaction(() => {
        for (const table of ['metrics', 'checkpoints', 'analysis', 'runs', 'run_version', 'run_overview']) {
          this.sql(`DELETE FROM ${table} WHERE run_id = ?`).run(runId);
        }
      }).immediate(),
    );
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      throw failure(`cannot remove ${dir}: ${(err as NodeJS.ErrnoException).code ?? firstLine(err)}`);
    }
  }

  /** The run with this exact id, else the single run whose id starts with it; else `badInput`. */
  resolveRun(idOrPrefix: string): RunRow {
    const exact = this.getRun(idOrPrefix);
    if (exact) return exact;
    const matches = idOrPrefix
      ? this.guard('resolve run', () =>
          this.sql('SELECT * FROM runs WHERE substr(run_id, 1, ?) = ? ORDER BY run_id LIMIT 6')
            .all(idOrPrefix.length, idOrPrefix) as RunRow[],
        )
      : [];
    if (matches.length === 1) return matches[0];
    if (matches.length === 0) throw badInput(`no run ${idOrPrefix} in store ${this.dir}`);
    const shown = matches.slice(0, 5).map((r) => r.run_id).join(', ');
    throw badInput(
      `run ${idOrPrefix} is ambiguous in store ${this.dir}: ${shown}${matches.length > 5 ? ', ...' : ''}`,
    );
  }

  // ---- metrics -----------------------------------------------------------------------------

  /** Insert or replace per-epoch metrics, all in one transaction. */
  appendMetrics(runId: string, rows: MetricRow[]): void {
    this.guard('append metrics', () =>
      this.db.transaction(() => this.insertMetrics(runId, rows)).immediate(),
    );
  }

  private insertMetrics(runId: string, rows: MetricRow[]): void {
    const stmt = this.sql(
      `INSERT OR REPLACE INTO metrics (run_id, epoch, train_loss, train_acc, test_loss, test_acc)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    for (const r of rows) {
      stmt.run(runId, r.epoch, r.train_loss, r.train_acc, r.test_loss, r.test_acc);
    }
  }

  /** A run's metrics ordered by epoch (NaN train values come back as NaN). */
  getMetrics(runId: string): MetricRow[] {
    return this.guard('read metrics', () =>
      (
        this.sql(
            `SELECT epoch, train_loss, train_acc, test_loss, test_acc FROM metrics
             WHERE run_id = ? ORDER BY epoch`,
          )
          .all(runId) as Parameters<typeof metricFromDb>[0][]
      ).map(metricFromDb),
    );
  }

  /** Delete metrics of epochs after `epoch` (used when resuming from an earlier checkpoint). */
  deleteMetricsAfter(runId: string, epoch: number): number {
    return this.guard('delete metrics', () =>
      this.sql('DELETE FROM metrics WHERE run_id = ? AND epoch > ?').run(runId, epoch).changes,
    );
  }

  // ---- checkpoints -------------------------------------------------------------------------

  /** Index a checkpoint (replacing any at the same epoch). */
  addCheckpoint(runId: string, cp: CheckpointInput): void {
    this.guard('add checkpoint', () => this.insertCheckpoint(runId, cp));
  }

  private insertCheckpoint(runId: string, cp: CheckpointInput): void {
    this.sql(
        `INSERT OR REPLACE INTO checkpoints (run_id, epoch, step, label, path) VALUES (?, ?, ?, ?, ?)`,
      )
      .run(runId, cp.epoch, cp.step, cp.label ?? null, this.toStored(cp.path));
  }

  /** A run's checkpoints ordered by epoch, with absolute paths. */
  listCheckpoints(runId: string): CheckpointRow[] {
    return this.guard('list checkpoints', () =>
      (
        this.sql('SELECT epoch, step, label, path FROM checkpoints WHERE run_id = ? ORDER BY epoch')
          .all(runId) as CheckpointRow[]
      ).map((r) => ({ ...r, path: this.fromStored(r.path) })),
    );
  }

  /** Remove checkpoint index rows after `epoch` (the files are the caller's business). */
  deleteCheckpointsAfter(runId: string, epoch: number): number {
    return this.guard('delete checkpoints', () =>
      this.sql('DELETE FROM checkpoints WHERE run_id = ? AND epoch > ?').run(runId, epoch).changes,
    );
  }

  /**
   * Record one step of training progress in a single transaction: metrics, the checkpoint (if
   * any) and the run's epochs_done/status/memorise/grok epochs. Either all lands or none does.
   */
  commitProgress(runId: string, c: ProgressCommit): void {
    this.guard('commit progress', () =>
      this.db.transaction(() => {
        this.insertMetrics(runId, c.metrics);
        if (c.checkpoint) this.insertCheckpoint(runId, c.checkpoint);
        const update: RunUpdate = { epochs_done: c.epochsDone };
        if (c.status !== undefined) update.status = c.status;
        if (c.memorise_epoch !== undefined) update.memorise_epoch = c.memorise_epoch;
        if (c.grok_epoch !== undefined) update.grok_epoch = c.grok_epoch;
        this.updateRunInTx(runId, update);
        this.beforeCommitHook?.();
      }).immediate(),
    );
  }

  /** @internal Test hook: runs inside commitProgress's transaction just before it commits. */
  beforeCommitHook: (() => void) | undefined;

  // ---- analysis ----------------------------------------------------------------------------

  /**
   * Store one analyzer's summary for one checkpoint, replacing the row it had there under any
   * parameters: a checkpoint holds one row per analyzer, so a changed option (or an analyzer's
   * version bump, which is in its params) leaves no stale row behind to be read beside the fresh one.
   */
  putAnalysis(
    runId: string,
    epoch: number,
    analyzer: string,
    params: object,
    summary: unknown,
    path?: string,
  ): void {
    this.guard('store analysis', () =>
      this.db.transaction(() => {
        this.sql('DELETE FROM analysis WHERE run_id = ? AND epoch = ? AND analyzer = ?').run(runId, epoch, analyzer);
        this.sql(`INSERT INTO analysis (run_id, epoch, analyzer, params, summary_json, path) VALUES (?, ?, ?, ?, ?, ?)`)
          .run(runId, epoch, analyzer, canonicalJson(params), JSON.stringify(summary) ?? 'null', path === undefined ? null : this.toStored(path));
      }).immediate(),
    );
  }

  /** Every analysis artifact file of a run (rows with a path), by epoch and analyzer. */
  artifactFiles(runId: string): { epoch: number; analyzer: string; path: string }[] {
    return this.guard('list analysis artifacts', () =>
      (this.sql('SELECT epoch, analyzer, path FROM analysis WHERE run_id = ? AND path IS NOT NULL ORDER BY epoch, analyzer').all(runId) as
        { epoch: number; analyzer: string; path: string }[]).map((r) => ({ ...r, path: this.fromStored(r.path) })));
  }

  /** Whether a run has any per-epoch metrics (cheap: one row looked up). */
  hasMetrics(runId: string): boolean {
    return this.guard('read metrics', () => this.sql('SELECT 1 FROM metrics WHERE run_id = ? LIMIT 1').get(runId) !== undefined);
  }

  /** Whether a run has an analysis row of one analyzer with its artifact file (cheap: one row looked up). */
  hasArtifact(runId: string, analyzer: string): boolean {
    return this.guard('read analyses', () =>
      this.sql('SELECT 1 FROM analysis WHERE run_id = ? AND analyzer = ? AND path IS NOT NULL LIMIT 1').get(runId, analyzer) !== undefined);
  }

  /** How many analysis rows a run has of one analyzer (cheap: no summary is read). */
  countAnalyses(runId: string, analyzer: string): number {
    return this.guard('count analyses', () =>
      (this.sql('SELECT COUNT(*) AS n FROM analysis WHERE run_id = ? AND analyzer = ?').get(runId, analyzer) as { n: number }).n);
  }

  // ---- versions and overviews ------------------------------------------------------------

  /**
   * A run's version: a number that changes with every change to its rows in any table (triggers
   * bump it; db.ts). 0 for a run never changed since the store had versions; null for a read-only
   * store older than them (no triggers: nothing tells its changes).
   */
  runVersion(runId: string): number | null {
    if (!this.hasVersions()) return null;
    return this.guard('read run version', () =>
      (this.sql('SELECT version FROM run_version WHERE run_id = ?').get(runId) as { version: number } | undefined)?.version ?? 0);
  }

  private versions: boolean | undefined;

  /** Whether the store has the version and overview tables (a read-only store from before them does not). */
  private hasVersions(): boolean {
    if (this.versions === undefined) {
      this.versions = this.guard('read schema', () =>
        (this.sql("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('run_version', 'run_overview')").get() as { n: number }).n === 2);
    }
    return this.versions;
  }

  /** Keep runs' overviews (JSON), each as of the version it was computed at, in one transaction (a read-only store keeps none). */
  putRunOverviews(rows: readonly { runId: string; version: number; json: string }[]): void {
    if (this.readonly || !this.hasVersions() || rows.length === 0) return;
    this.guard('store run overviews', () =>
      this.db.transaction(() => {
        const put = this.sql('INSERT OR REPLACE INTO run_overview (run_id, version, overview_json) VALUES (?, ?, ?)');
        for (const r of rows) put.run(r.runId, r.version, r.json);
      }).immediate());
  }

  /** Every stored run overview that is current (its version is the run's version now), by run id: one query. */
  currentRunOverviews(): Map<string, string> {
    if (!this.hasVersions()) return new Map();
    const rows = this.guard('read run overviews', () =>
      this.sql(`SELECT o.run_id, o.overview_json FROM run_overview o
                LEFT JOIN run_version v ON v.run_id = o.run_id
                WHERE o.version = COALESCE(v.version, 0)`).all() as { run_id: string; overview_json: string }[]);
    return new Map(rows.map((r) => [r.run_id, r.overview_json]));
  }

  /** Every run's version, by run id (runs never changed since the store had versions are absent: 0); null as runVersion. */
  runVersions(): Map<string, number> | null {
    if (!this.hasVersions()) return null;
    const rows = this.guard('read run versions', () => this.sql('SELECT run_id, version FROM run_version').all() as { run_id: string; version: number }[]);
    return new Map(rows.map((r) => [r.run_id, r.version]));
  }

  /** How many checkpoints a run has and the last one's epoch (cheap: one row). */
  checkpointStamp(runId: string): { n: number; last: number | null } {
    return this.guard('count checkpoints', () =>
      this.sql('SELECT COUNT(*) AS n, MAX(epoch) AS last FROM checkpoints WHERE run_id = ?').get(runId) as { n: number; last: number | null });
  }

  /** An analyzer's results for a run ordered by epoch; all parameter sets if `params` is omitted. */
  getAnalyses<S = unknown>(runId: string, analyzer: string, params?: object): AnalysisRow<S>[] {
    type Raw = { epoch: number; params: string; summary_json: string; path: string | null };
    const rows = this.guard('read analysis', () =>
      params === undefined
        ? (this.sql(
              `SELECT epoch, params, summary_json, path FROM analysis
               WHERE run_id = ? AND analyzer = ? ORDER BY epoch, rowid`,
            )
            .all(runId, analyzer) as Raw[])
        : (this.sql(
              `SELECT epoch, params, summary_json, path FROM analysis
               WHERE run_id = ? AND analyzer = ? AND params = ? ORDER BY epoch`,
            )
            .all(runId, analyzer, canonicalJson(params)) as Raw[]),
    );
    return rows.map((r) => ({
      epoch: r.epoch,
      params: JSON.parse(r.params) as Record<string, unknown>,
      summary: JSON.parse(r.summary_json) as S,
      path: r.path === null ? null : this.fromStored(r.path),
    }));
  }

  /**
   * Store analysis rows as given (params canonical JSON, summary JSON text, path relative to the
   * store or absolute) in one transaction, skipping rows already stored identically and replacing
   * a checkpoint's row under other parameters; the number written. Used to merge results written by Slurm tasks into their run folders.
   */
  mergeAnalyses(runId: string, rows: readonly RawAnalysisRow[]): number {
    checkRunId(runId);
    let written = 0;
    this.guard('merge analysis', () =>
      this.db.transaction(() => {
        const get = this.sql('SELECT summary_json, path FROM analysis WHERE run_id = ? AND epoch = ? AND analyzer = ? AND params = ?');
        const drop = this.sql('DELETE FROM analysis WHERE run_id = ? AND epoch = ? AND analyzer = ?');
        const put = this.sql(
          `INSERT INTO analysis (run_id, epoch, analyzer, params, summary_json, path) VALUES (?, ?, ?, ?, ?, ?)`,
        );
        for (const r of rows) {
          const path = r.path === null ? null : this.toStored(r.path);
          const old = get.get(runId, r.epoch, r.analyzer, r.params) as { summary_json: string; path: string | null } | undefined;
          if (old && old.summary_json === r.summary_json && old.path === path) continue;
          drop.run(runId, r.epoch, r.analyzer); // one row per checkpoint and analyzer, as putAnalysis
          put.run(runId, r.epoch, r.analyzer, r.params, r.summary_json, path);
          written++;
        }
      }).immediate(),
    );
    return written;
  }

  /** The epochs already analysed by `analyzer` with exactly these parameters. */
  analysedEpochs(runId: string, analyzer: string, params: object): Set<number> {
    const rows = this.guard('read analysis', () =>
      this.sql('SELECT epoch FROM analysis WHERE run_id = ? AND analyzer = ? AND params = ?')
        .all(runId, analyzer, canonicalJson(params)) as { epoch: number }[],
    );
    return new Set(rows.map((r) => r.epoch));
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Run a database operation, turning SQLite errors into one-line `failure`s. */
  private guard<T>(what: string, fn: () => T): T {
    if (this.closed) throw failure(`store ${this.dir} is closed`);
    try {
      return fn();
    } catch (err) {
      if (err instanceof GrokbenchError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_READONLY') {
        throw failure(`store ${this.dir}: cannot ${what}: the store is open read-only`);
      }
      throw failure(`store ${this.dir}: cannot ${what}: ${firstLine(err)}`);
    }
  }
}
