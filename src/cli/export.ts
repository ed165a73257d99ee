/** `grokbench export RUN… --miscope DIR`: runs as MIScope variant folders (src/interop/export.ts). */
import type { Command } from 'commander';
import { badInput } from '../core/errors.js';
import { type ExportResult, planExport, writeMiscopeVariant } from '../interop/export.js';
import { type GlobalOpts, openStore, printJson, say, withCommon } from './common.js';

interface ExportOpts extends GlobalOpts { miscope?: string }

export function register(program: Command): void {
  withCommon(
    program
      .command('export')
      .description("write runs as MIScope variant folders (checkpoints, metadata.json, config.json in MIScope's label convention: label L = epoch L + 1)")
      .argument('<runs...>', 'run ids (or unique prefixes)')
      .option('--miscope <dir>', "MIScope's results folder: each run goes to DIR/modulo_addition_1layer/modulo_addition_1layer_p{P}_seed{S}_dseed{D}/"),
  ).action((runs: string[], o: ExportOpts) => {
    if (o.miscope === undefined) throw badInput('export needs --miscope DIR (the only export format)');
    const store = openStore(o, { readonly: true });
    try {
      // Every run is checked before any folder is written.
      const plans = planExport(store, runs, o.miscope);
      const results: ExportResult[] = [];
      for (const plan of plans) {
        for (const w of plan.warnings) process.stderr.write(`grokbench: warning: ${w}\n`);
        const r = writeMiscopeVariant(store, plan);
        results.push(r);
        if (!o.json) say(o, `exported ${r.run_id}: ${r.checkpoints} checkpoints, ${r.num_epochs} epochs → ${r.folder}`);
      }
      if (o.json) printJson(results);
    } finally {
      store.close();
    }
  });
}
