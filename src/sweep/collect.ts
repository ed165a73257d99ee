/**
 * Merging runs trained into their folders (Slurm tasks; see store/run-folder.ts) into the store's
 * database: each run's row, metrics and checkpoint index replace the database's in one
 * transaction, so a reader sees a run's old state or its new one, never a mix. Finished and
 * in-progress runs alike (an in-progress run up to its last checkpoint).
 *
 * A run whose database row is newer than its folder (trained by a local `train` since) is left
 * alone; an unchanged one is skipped, so collecting is cheap to repeat.
 */
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { failure } from '../core/errors.js';
import { type FolderState, PROGRESS_FILE, RunFolderStore } from '../store/run-folder.js';
import type { MetricRow, RunRow, Store } from '../store/store.js';

export interface CollectResult {
  /** Runs whose folder was merged now. */
  merged: string[];
  /** Runs whose database row already matched their folder. */
  unchanged: string[];
  /** Runs left alone because the database is newer (trained locally since). */
  newerInDb: string[];
}

const ROW_KEYS: (keyof RunRow)[] = ['run_id', 'p', 'seed', 'data_seed', 'epochs', 'epochs_done', 'status', 'config_json', 'engine',
  'source', 'memorise_epoch', 'grok_epoch', 'created_at', 'updated_at'];

function pickRow(r: RunRow): RunRow {
  return Object.fromEntries(ROW_KEYS.map((k) => [k, r[k] ?? null])) as unknown as RunRow;
}

function sameState(a: RunRow, b: RunRow): boolean {
  return ROW_KEYS.every((k) => a[k] === b[k]);
}

/** The run ids of the store with a folder state. */
export function folderRuns(storeDir: string): string[] {
  const runs = join(storeDir, 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs).filter((id) => !id.startsWith('.') && existsSync(join(runs, id, PROGRESS_FILE))).sort();
}

interface Snapshot { id: string; state: FolderState; metrics: ReturnType<RunFolderStore['getMetrics']> }

/** The folder states of `runIds` (default: every run with one), read and checked before anything is written. */
export function readRunFolders(storeDir: string, runIds?: readonly string[]): Snapshot[] {
  const folder = new RunFolderStore(storeDir);
  const out: Snapshot[] = [];
  for (const id of runIds ?? folderRuns(storeDir)) {
    let snap: ReturnType<typeof snapshot>;
    try {
      snap = snapshot(folder, id);
    } catch (err) {
      throw failure(`run folder ${join(storeDir, 'runs', id)} is damaged: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}; nothing was merged`);
    }
    if (!snap) continue;
    checkSnapshot(storeDir, id, snap.state, snap.metrics);
    out.push({ id, ...snap });
  }
  return out;
}

/** Merge folders read by readRunFolders, one transaction per run. */
export function applyRunFolders(store: Store, snaps: readonly Snapshot[]): CollectResult {
  const res: CollectResult = { merged: [], unchanged: [], newerInDb: [] };
  for (const { id, state, metrics } of snaps) {
    const row = pickRow(state.run);
    const db = store.getRun(id);
    if (db && sameState(pickRow(db), row)) { res.unchanged.push(id); continue; }
    if (db && db.updated_at > row.updated_at) { res.newerInDb.push(id); continue; }
    store.replaceRun(row, metrics, state.checkpoints.map((c) => ({ ...c, path: join(store.dir, c.path) })));
    res.merged.push(id);
  }
  return res;
}

/**
 * Merge the folders of `runIds` (default: every run with a folder state) into the database. Every
 * folder is read and checked first: a damaged one is a one-line failure and nothing is written.
 */
export function collectRuns(store: Store, runIds?: readonly string[]): CollectResult {
  return applyRunFolders(store, readRunFolders(store.dir, runIds));
}

const STATUSES = new Set(['created', 'training', 'done', 'diverged', 'imported']);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A folder state that the database can take as it is: a one-line failure naming the run and the fault otherwise. */
function checkSnapshot(storeDir: string, id: string, s: FolderState, metrics: readonly MetricRow[]): void {
  const bad = (why: string): never => { throw failure(`run folder ${join(storeDir, 'runs', id)} is damaged: ${why}; nothing was merged`); };
  const r = s.run as unknown as Record<string, unknown>;
  if (r.run_id !== id) bad(`its progress.json is for run ${JSON.stringify(r.run_id)}`);
  for (const k of ['p', 'seed', 'data_seed', 'epochs', 'epochs_done'] as const) if (!isCount(r[k])) bad(`${k} is ${JSON.stringify(r[k])}, not a count`);
  for (const k of ['memorise_epoch', 'grok_epoch'] as const) if (r[k] !== null && r[k] !== undefined && !isCount(r[k])) bad(`${k} is ${JSON.stringify(r[k])}`);
  for (const k of ['config_json', 'engine', 'source', 'created_at', 'updated_at'] as const) if (typeof r[k] !== 'string') bad(`${k} is missing`);
  if (!STATUSES.has(r.status as string)) bad(`status ${JSON.stringify(r.status)} is unknown`);
  try { JSON.parse(r.config_json as string); } catch { bad('config_json is not JSON'); }
  const done = s.run.epochs_done;
  for (const c of s.checkpoints as unknown as Record<string, unknown>[]) {
    if (c === null || typeof c !== 'object' || !isCount(c.epoch) || !isCount(c.step) || typeof c.path !== 'string') { bad('a checkpoint entry is malformed'); return; }
    if ((c.epoch as number) > done) bad(`checkpoint ${c.epoch} is past epochs_done ${done}`);
    const rel = c.path as string;
    if (isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) bad(`checkpoint ${c.epoch}'s path ${rel} is outside the store`);
    if (!existsSync(join(storeDir, rel))) bad(`checkpoint file ${rel} is missing`);
  }
  for (const m of metrics) {
    const okNum = (v: unknown) => typeof v === 'number' || v === null;
    if (!isCount(m.epoch) || !okNum(m.train_loss) || !okNum(m.train_acc) || !okNum(m.test_loss) || !okNum(m.test_acc)) bad(`a metrics row (epoch ${JSON.stringify(m.epoch)}) is malformed`);
  }
}

/**
 * A consistent read of a run's folder while its task may be committing: the state, then its
 * metrics, then the state again, then its checkpoint files; retried if a commit landed in between
 * or a file is gone (a resuming task drops checkpoints from the index before it removes their
 * files, so a file found gone means a newer state is already written). Undefined without a state.
 */
function snapshot(folder: RunFolderStore, id: string): { state: FolderState; metrics: ReturnType<RunFolderStore['getMetrics']> } | undefined {
  for (let attempt = 0; ; attempt++) {
    const state = folder.readState(id);
    if (!state) return undefined;
    const metrics = folder.metricsUpTo(id, state.run.epochs_done);
    const again = folder.readState(id);
    const settled = again !== undefined && JSON.stringify(again) === JSON.stringify(state) &&
      state.checkpoints.every((c) => typeof c?.path !== 'string' || existsSync(resolve(folder.dir, c.path)));
    if (attempt >= 4 || settled) return { state, metrics };
  }
}
