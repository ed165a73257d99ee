/**
 * `grokbench collect [RUN…]`: merge what Slurm tasks wrote into their run folders (training:
 * progress.json and metrics segments; analysis: analysis-results/) into the store's database.
 * Every folder is read and checked before anything is written; each run is one transaction.
 */
import type { Command } from 'commander';
import { badInput } from '../core/errors.js';
import { applyAnalyses, readAnalyses, runsWithResults } from '../sweep/analysis-folder.js';
import { applyRunFolders, folderRuns, readRunFolders } from '../sweep/collect.js';
import { type GlobalOpts, openStore, printJson, say, withCommon } from './common.js';

export function register(program: Command): void {
  withCommon(program.command('collect').argument('[runs...]', 'run ids (default: every run with a folder state or analysis results)')
    .description("merge runs trained or analysed by Slurm tasks (their run folders: checkpoints, metrics, analysis results) into the store's database, atomically per run"))
    .action((runArgs: string[], o: GlobalOpts) => {
      const store = openStore(o, { create: false });
      try {
        const trained = new Set(folderRuns(store.dir)), analysed = new Set(runsWithResults(store.dir));
        for (const id of runArgs) {
          if (!trained.has(id) && !analysed.has(id)) throw badInput(`run ${id} has no folder state (runs/${id}/progress.json) or analysis results in store ${store.dir}`);
        }
        const ids = runArgs.length ? runArgs : undefined;
        // Read and check everything first: a damaged folder stops the command before the database changes.
        const folders = readRunFolders(store.dir, ids?.filter((id) => trained.has(id)));
        const analyses = readAnalyses(store.dir, ids?.filter((id) => analysed.has(id)));
        const r = applyRunFolders(store, folders);
        const a = applyAnalyses(store, analyses);
        const inProgress = folders.filter((f) => f.state.run.status !== 'done' && f.state.run.status !== 'diverged')
          .map((f) => ({ run_id: f.id, status: f.state.run.status, epochs_done: f.state.run.epochs_done, epochs: f.state.run.epochs }));
        if (o.json) {
          printJson({ merged: r.merged, unchanged: r.unchanged, newer_in_database: r.newerInDb, in_progress: inProgress, analyses_merged: a.merged, analyses_unchanged: a.unchanged });
          return;
        }
        say(o, `collect: ${r.merged.length} run(s) merged, ${r.unchanged.length} unchanged` +
          `${r.newerInDb.length ? `, ${r.newerInDb.length} left alone (trained locally since: ${r.newerInDb.join(', ')})` : ''}` +
          `${a.merged.length ? `; analysis results of ${a.merged.length} run(s) merged (${a.merged.reduce((n, x) => n + x.rows, 0)} row(s))` : ''}`);
        for (const p of inProgress) say(o, `collect: ${p.run_id} in progress: ${p.epochs_done}/${p.epochs} epochs (up to its last checkpoint)`);
      } finally { store.close(); }
    });
}
