/**
 * `grokbench repair`: rebuild the store's database from its run folders. Every run folder holds its
 * row, checkpoint index and per-epoch metrics (store/run-folder.ts; written beside the database by
 * every training, import and Slurm task), and its analysis artifacts, from which the analysis rows
 * are derived again. A database that cannot be read, or fails SQLite's integrity check, is moved
 * aside (`grokbench.sqlite.damaged-<time>`), never deleted.
 */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { analyseRuns } from '../analysis/pipeline.js';
import { GrokbenchError, failure } from '../core/errors.js';
import { SQLITE_FILE, Store } from '../store/store.js';
import { applyRunFolders, folderRuns, readRunFolders } from '../sweep/collect.js';
import { type GlobalOpts, printJson, say, storeDirOf, withCommon } from './common.js';

interface RepairOpts extends GlobalOpts { jobs?: number }

/** Open the store's database, or move a damaged one aside and start a new one. */
function openOrSetAside(dir: string): { store: Store; setAside: string | null; reason: string | null } {
  if (!existsSync(join(dir, 'runs'))) throw failure(`no run folders in ${dir} (no runs/ folder): nothing to repair from`);
  let reason: string | null = null;
  try {
    const store = Store.open(dir, { create: true });
    const check = store.integrityCheck();
    if (check === 'ok') return { store, setAside: null, reason: null };
    store.close();
    reason = check;
  } catch (err) {
    if (!(err instanceof GrokbenchError)) throw err;
    reason = err.message;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const aside = join(dir, `${SQLITE_FILE}.damaged-${stamp}`);
  for (const suffix of ['', '-wal', '-shm']) {
    const f = join(dir, SQLITE_FILE + suffix);
    if (existsSync(f)) {
      try { renameSync(f, aside + suffix); } catch (err) { throw failure(`cannot move ${f} aside: ${(err as Error).message.split('\n')[0]}`); }
    }
  }
  return { store: Store.open(dir, { create: true }), setAside: aside, reason };
}

export function register(program: Command): void {
  withCommon(program.command('repair')
    .description("rebuild the store's database from its run folders (rows, checkpoints, metrics; analysis rows from the artifacts); a damaged database is moved aside")
    .option('--jobs <n>', 'analysis worker threads for re-deriving analysis rows (default: the cores)', (v) => Number(v)))
    .action(async (o: RepairOpts) => {
      const dir = storeDirOf(o);
      const { store, setAside, reason } = openOrSetAside(dir);
      try {
        const merged: string[] = [], unchanged: string[] = [], damaged: { run_id: string; error: string }[] = [];
        for (const id of folderRuns(store.dir)) {
          try {
            const res = applyRunFolders(store, readRunFolders(store.dir, [id]));
            merged.push(...res.merged);
            unchanged.push(...res.unchanged, ...res.newerInDb);
          } catch (err) {
            damaged.push({ run_id: id, error: err instanceof Error ? err.message.split('\n')[0] : String(err) });
          }
        }
        // Analysis rows: re-derived from the artifacts where a run has them and the database has none.
        const reanalyse = [...merged, ...unchanged].filter((id) => existsSync(store.analysisDir(id)) && store.artifactFiles(id).length === 0);
        const analysis = reanalyse.length ? await analyseRuns(store, reanalyse, { jobs: o.jobs }) : null;
        const res = {
          store: store.dir, set_aside: setAside, reason, rebuilt: merged, unchanged, damaged_folders: damaged,
          reanalysed: reanalyse, checkpoints_computed: analysis ? analysis.runs.reduce((n, r) => n + r.computed, 0) : 0,
          checkpoints_resummarised: analysis ? analysis.runs.reduce((n, r) => n + r.resummarised, 0) : 0,
        };
        if (o.json) printJson(res);
        else {
          if (setAside) say(o, `the database could not be used (${reason}); moved aside to ${setAside}`);
          say(o, `rebuilt ${merged.length} run(s) from their folders, ${unchanged.length} already up to date; analysis rows re-derived for ${reanalyse.length} run(s) ` +
            `(${res.checkpoints_resummarised} checkpoint(s) from their artifacts, ${res.checkpoints_computed} recomputed)`);
          for (const d of damaged) say(o, `not rebuilt: ${d.error}`);
        }
        if (damaged.length > 0) process.exitCode = 1;
      } finally { store.close(); }
    });
}
