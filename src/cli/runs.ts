/** `grokbench runs` and `grokbench metrics RUN`: read the store. */
import type { Command } from 'commander';
import { outcomeOfRun } from '../analysis/outcome.js';
import { type GlobalOpts, openStore, printJson, withCommon } from './common.js';
import { classCell, runIdentity } from './outcome.js';

export function register(program: Command): void {
  withCommon(program.command('runs').description('list the runs in the store')).action((o: GlobalOpts) => {
    const store = openStore(o, { readonly: false, create: false });
    try {
      const rows = store.listRuns().map((r) => {
        // The state now (done, training only with a live lock holder, interrupted, failed with its error).
        const { state, error } = store.runState(r);
        return {
        run_id: r.run_id, p: r.p, seed: r.seed, data_seed: r.data_seed, jitter: runIdentity(r).jitter, epochs_done: r.epochs_done,
        epochs: r.epochs, status: state, ...(error === null ? {} : { error }), memorise_epoch: r.memorise_epoch, grok_epoch: r.grok_epoch,
        // MIScope's outcome of the loss curves so far (analysis/outcome.ts; see `grokbench outcome`).
        outcome: outcomeOfRun(store, r),
        };
      });
      if (o.json) { printJson(rows); return; }
      if (rows.length === 0) { process.stdout.write(`no runs in ${store.dir}\n`); return; }
      const table = [['run', 'p', 'seed', 'epochs', 'status', 'memorised', 'grokked', 'class', 'onset'],
        ...rows.map((r) => [r.run_id, String(r.p), String(r.seed), `${r.epochs_done}/${r.epochs}`, r.status,
          String(r.memorise_epoch ?? '-'), String(r.grok_epoch ?? '-'), classCell(r.outcome),
          String(r.outcome?.second_descent_onset_epoch ?? '-')])];
      const w = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
      for (const row of table) process.stdout.write(row.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd() + '\n');
      for (const r of rows) if ('error' in r) process.stdout.write(`${r.run_id} failed: ${r.error}\n`);
    } finally { store.close(); }
  });

  withCommon(program.command('metrics').argument('<run>', 'run id (or a unique prefix)').description('per-epoch metrics of a run')
    .option('--csv', 'CSV (the default without --json)')).action((run: string, o: GlobalOpts & { csv?: boolean }) => {
    const store = openStore(o, { create: false });
    try {
      const r = store.resolveRun(run);
      const rows = store.getMetrics(r.run_id).map((m) => ({
        epoch: m.epoch, train_loss: Number.isNaN(m.train_loss) ? null : m.train_loss,
        train_acc: Number.isNaN(m.train_acc) ? null : m.train_acc, test_loss: m.test_loss, test_acc: m.test_acc,
      }));
      if (o.json) { printJson(rows); return; }
      const out = ['epoch,train_loss,train_acc,test_loss,test_acc'];
      for (const m of rows) out.push([m.epoch, m.train_loss, m.train_acc, m.test_loss, m.test_acc].map((v) => v ?? '').join(','));
      process.stdout.write(out.join('\n') + '\n');
    } finally { store.close(); }
  });
}
