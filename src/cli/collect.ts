/** `grokbench collect [RUN…]`: merge runs trained into their folders (Slurm tasks) into the store's database. */
import type { Command } from 'commander';
import { badInput } from '../errors.js';
import { collectRuns, folderRuns } from '../sweep/collect.js';
import { type GlobalOpts, openStore, printJson, say, withCommon } from './common.js';

export function register(program: Command): void {
  withCommon(program.command('collect').argument('[runs...]', 'run ids (default: every run with a folder state)')
    .description("merge runs trained into their folders (Slurm tasks: checkpoints, metrics files) into the store's database, atomically per run"))
    .action((runArgs: string[], o: GlobalOpts) => {
      const store = openStore(o, { create: false });
      try {
        const known = new Set(folderRuns(store.dir));
        for (const id of runArgs) if (!known.has(id)) throw badInput(`run ${id} has no folder state (runs/${id}/progress.json) in store ${store.dir}`);
        const r = collectRuns(store, runArgs.length ? runArgs : undefined);
        if (o.json) { printJson({ merged: r.merged, unchanged: r.unchanged, newer_in_database: r.newerInDb }); return; }
        say(o, `collect: ${r.merged.length} run(s) merged, ${r.unchanged.length} unchanged` +
          `${r.newerInDb.length ? `, ${r.newerInDb.length} left alone (trained locally since: ${r.newerInDb.join(', ')})` : ''}`);
      } finally { store.close(); }
    });
}
