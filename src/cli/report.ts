/** `grokbench report [RUN…] --out DIR`: figures, data and one self-contained HTML file. */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { type GlobalOpts, intArg, intListArg, openStore, printJson, say, withCommon } from './common.js';

interface ReportOpts extends GlobalOpts { out: string; lowFreqs: number; epochs?: number[] }

export function register(program: Command): void {
  withCommon(
    program.command('report')
      .argument('[runs...]', 'run ids or unique prefixes (default: every analysed run in the store)')
      .description('write the report: report.html (interactive, self-contained), figures/*.png|svg, data/*.csv')
      .option('--out <dir>', 'output directory', './grokbench-report')
      .option('--low-freqs <K>', 'K: coarseness counts frequencies 1..K', intArg('--low-freqs', 1), 3)
      .option('--epochs <list>', 'neuron gallery epochs, comma-separated (nearest checkpoints; default: 0, memorisation, grokking, last)', intListArg('--epochs')),
  ).action(async (runs: string[], o: ReportOpts) => {
    const store = openStore(o, { create: false });
    try {
      const { writeReport } = await import('../report/index.js'); // Vega loads only here
      const r = await writeReport(store, runs, o.out, { lowFreqs: o.lowFreqs, galleryEpochs: o.epochs });
      const out = resolve(o.out);
      if (o.json) printJson({ out, files: r.files, seconds: Number(r.seconds.toFixed(2)) });
      else say(o, join(out, 'report.html'));
    } finally {
      store.close();
    }
  });
}
