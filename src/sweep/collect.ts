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
import { join } from 'node:path';
import { type FolderState, PROGRESS_FILE, RunFolderStore } from '../store/run-folder.js';
import type { RunRow, Store } from '../store/store.js';

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

/** Merge the folders of `runIds` (default: every run with a folder state) into the database. */
export function collectRuns(store: Store, runIds?: readonly string[]): CollectResult {
  const folder = new RunFolderStore(store.dir);
  const res: CollectResult = { merged: [], unchanged: [], newerInDb: [] };
  for (const id of runIds ?? folderRuns(store.dir)) {
    const snap = snapshot(folder, id);
    if (!snap) continue;
    const row = pickRow(snap.state.run);
    const db = store.getRun(id);
    if (db && sameState(pickRow(db), row)) { res.unchanged.push(id); continue; }
    if (db && db.updated_at > row.updated_at) { res.newerInDb.push(id); continue; }
    store.replaceRun(row, snap.metrics, snap.state.checkpoints.map((c) => ({ ...c, path: join(store.dir, c.path) })));
    res.merged.push(id);
  }
  return res;
}

/**
 * A consistent read of a run's folder while its task may be committing: the state, then its
 * metrics, then the state again; retried if a commit landed in between. Undefined without a state.
 */
function snapshot(folder: RunFolderStore, id: string): { state: FolderState; metrics: ReturnType<RunFolderStore['getMetrics']> } | undefined {
  for (let attempt = 0; ; attempt++) {
    const state = folder.readState(id);
    if (!state) return undefined;
    const metrics = folder.metricsUpTo(id, state.run.epochs_done);
    const again = folder.readState(id);
    if (attempt >= 4 || (again && again.run.updated_at === state.run.updated_at)) return { state, metrics };
  }
}
