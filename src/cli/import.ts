/** `grokbench import`: checkpoints trained elsewhere, or MIScope results folders, as runs of the store. */
import type { Command } from 'commander';
import os from 'node:os';
import { engineDescription, loadKernels } from '../engine/index.js';
import { failure } from '../core/errors.js';
import { type ImportResult, type StagedImport, checkNotInStore, describeMismatch, planImport, stageImport } from '../interop/import.js';
import { type GlobalOpts, openStore, printJson, say, withCommon } from './common.js';
import { ProgressLine } from './progress.js';

interface ImportOpts extends GlobalOpts { metrics?: string; split?: string; name?: string; force?: boolean }

export function register(program: Command): void {
  withCommon(
    program
      .command('import')
      .description('import checkpoints trained elsewhere (one run), or MIScope variant folders or a folder of them (a run each)')
      .argument('<paths...>', 'safetensors checkpoint files, or MIScope variant folders, or folders of variant folders')
      .option('--metrics <file>', 'per-epoch metrics CSV for checkpoint files (epoch,train_loss,train_acc,test_loss,test_acc)')
      .option('--split <file>', 'the split of checkpoint files: JSON array of train pair indices, {"train_indices": [...]}, or a MIScope metadata.json')
      .option('--name <run-id>', 'run id of the imported run (one run only)')
      .option('--force', 'import MIScope runs even if the losses computed here from their checkpoints differ from the recorded ones by more than 1e-4 + 1e-4·|recorded| (a loud warning instead of exit 1)'),
  ).action((paths: string[], o: ImportOpts) => {
    // Everything is read and checked before the store is opened: bad input leaves it untouched.
    const plans = planImport(paths, { metrics: o.metrics, split: o.split, name: o.name });
    const store = openStore(o);
    try {
      checkNotInStore(store, plans);
      const k = loadKernels({ threads: Math.min(2, os.availableParallelism()) });
      const engine = engineDescription(k);
      const bar = ProgressLine.for(o);
      const results: ImportResult[] = [];
      // Every run is staged (read, evaluated, written out of sight) before any is committed:
      // a run whose recorded losses are not reproduced stops them all, unless --force.
      const staged: StagedImport[] = [];
      try {
        for (const plan of plans) {
          staged.push(stageImport(store, k, plan, engine, (p) =>
            bar.update(`importing ${p.runId}: checkpoint ${p.done}/${p.total}`, p.done === p.total)));
          bar.done();
        }
        const off = staged.filter((s) => s.mismatch !== null);
        if (off.length > 0 && !o.force) {
          const more = off.length > 1 ? ` (and ${off.length - 1} more run${off.length > 2 ? 's' : ''})` : '';
          throw failure(`${describeMismatch(off[0].plan.runId, off[0].mismatch!)}${more}; nothing imported (--force imports anyway)`);
        }
        for (const s of off) {
          process.stderr.write(`grokbench: WARNING: --force: importing despite a loss mismatch: ${describeMismatch(s.plan.runId, s.mismatch!)}\n`);
        }
        for (const s of staged) {
          results.push(s.commit());
          if (!o.json) say(o, describe(results[results.length - 1]));
        }
      } finally {
        bar.done();
        for (const s of staged) s.discard();
      }
      if (o.json) printJson(results);
    } finally {
      store.close();
    }
  });
}

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);

function describe(r: ImportResult): string {
  const parts = [
    `imported ${r.run_id} (${r.source === 'miscope' ? 'MIScope folder' : 'checkpoint files'}, p=${r.p}` +
      `${r.seed >= 0 ? `, seed ${r.seed}` : ''}${r.data_seed >= 0 ? `, data seed ${r.data_seed}` : ''}): ` +
      `${r.checkpoints} checkpoint${r.checkpoints === 1 ? '' : 's'}, epochs ${r.first_epoch}..${r.last_epoch}` +
      (r.source === 'miscope' ? ' (MIScope labels; step = epoch + 1)' : ''),
  ];
  if (r.final_test_acc !== null) parts.push(`last checkpoint train acc ${pct(r.final_train_acc)}, test acc ${pct(r.final_test_acc)}`);
  parts.push(`memorised at ${r.memorise_epoch ?? '-'}, grokked at ${r.grok_epoch ?? 'never (test loss never below 0.01)'}`);
  if (r.loss_check) {
    parts.push(`recorded test losses ${r.loss_check.within_tolerance ? 'reproduced' : 'NOT reproduced (imported with --force)'}: ` +
      `largest difference ${r.loss_check.test_max_abs_diff.toExponential(1)}` +
      (r.loss_check.train_max_abs_diff === null ? '' : `, train losses (one step later) to ${r.loss_check.train_max_abs_diff.toExponential(1)}`));
  }
  if (r.split_matches_data_seed !== null) {
    parts.push(`split ${r.split_matches_data_seed ? 'equals' : 'differs from'} torch's randperm split of data seed ${r.data_seed}`);
  }
  return parts.join('; ') + `\n  stored in ${r.dir}`;
}
