/**
 * `grokbench demo`: the first thing a new user runs. Trains a small model that really groks in
 * about a minute on a 2-core machine (p=59, half the pairs for training, lr 3e-3, 1000 epochs,
 * default d_model/d_mlp), analyses every checkpoint, prints the coarseness summary at the first
 * and last checkpoint, writes the report, and says what to run next.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import os from 'node:os';
import { analyseRuns } from '../analysis/pipeline.js';
import { coarsenessValues, concentrationValues, readNeuronFourier, summaryStats } from '../analysis/results.js';
import { DEFAULTS, type TrainConfig } from '../config/config.js';
import { type GlobalOpts, openStore, printJson, say, withCommon } from './common.js';
import { ProgressLine } from './progress.js';
import { trainWithProgress } from './train.js';

/** The demo's preset: small and fast, and it groks (test loss < 0.01) at about epoch 440. */
export const DEMO_CONFIG: TrainConfig = {
  ...DEFAULTS, p: 59, fracTrain: 0.5, lr: 3e-3, epochs: 1000, checkpointEvery: 50,
};

export function register(program: Command): void {
  withCommon(program.command('demo').description('train a small model that groks, analyse it and write its report'))
    .option('--out <dir>', 'report directory', './grokbench-report/demo')
    .action(async (o: GlobalOpts & { out: string }) => {
      const store = openStore(o);
      try {
        say(o, `grokbench demo: p=${DEMO_CONFIG.p}, ${DEMO_CONFIG.fracTrain * 100}% of pairs for training, lr ${DEMO_CONFIG.lr}, ${DEMO_CONFIG.epochs} epochs`);
        const r = trainWithProgress(store, DEMO_CONFIG, { ...o, threads: os.availableParallelism() });
        const runDir = store.runDir(r.run_id);
        const bar = ProgressLine.for(o);
        const a = await analyseRuns(store, [r.run_id], {
          onProgress: (p) => bar.update(`analysing ${p.runId}: checkpoint ${p.done}/${p.total}`, p.done === p.total),
        });
        bar.done();
        const nf = readNeuronFourier(store, r.run_id);
        const first = nf.epochs[0], last = nf.epochs[nf.epochs.length - 1];
        const at = (e: typeof first) => {
          const s = summaryStats(coarsenessValues(e, nf.nFreq, nf.dMlp, 3));
          const conc = concentrationValues(e, nf.nFreq, nf.dMlp);
          const live = Array.from(conc).filter((x) => !Number.isNaN(x));
          const meanConc = live.reduce((x, y) => x + y, 0) / Math.max(1, live.length);
          return { epoch: e.epoch, mean_coarseness: s.mean_coarseness, median_coarseness: s.median_coarseness,
            blob_count: s.blob_count, num_flat_neurons: s.num_flat_neurons, mean_concentration: meanConc };
        };
        const summaries = [at(first), at(last)];
        const out = resolve(o.out);
        const { writeReport } = await import('../report/index.js');
        const rep = await writeReport(store, [r.run_id], out, { title: `grokbench demo: ${r.run_id}` });
        const reportPath = resolve(out, 'report.html');
        if (o.json) {
          printJson({ run_id: r.run_id, run_dir: runDir, memorise_epoch: r.memorise_epoch, grok_epoch: r.grok_epoch,
            final: r.final, coarseness: summaries, analysis_seconds: a.seconds, report: reportPath, report_seconds: rep.seconds });
          return;
        }
        say(o, `run stored in ${runDir}`);
        say(o, `memorised (train acc ≥ 99%) at epoch ${r.memorise_epoch ?? 'never'}; grokked (test loss < 0.01) at epoch ${r.grok_epoch ?? 'never'}; final test accuracy ${((r.final.test_acc ?? 0) * 100).toFixed(2)}%`);
        for (const s of summaries) {
          say(o, `epoch ${s.epoch}: mean coarseness (K=3) ${s.mean_coarseness?.toFixed(3) ?? "-"}, median ${s.median_coarseness?.toFixed(3) ?? "-"}, ` +
            `${s.blob_count} blob neurons (≥ 0.7), ${s.num_flat_neurons} flat; mean frequency concentration ${s.mean_concentration.toFixed(3)}`);
        }
        say(o, `report: ${reportPath}`);
        say(o, 'next:');
        say(o, `  grokbench runs                                   # what the store holds`);
        say(o, `  grokbench train --p 113 --seed 999               # the standard 25,000-epoch run (about 20 minutes here)`);
        say(o, `  grokbench sweep --preset seed-experiment         # the researcher's 8 runs, analysed and reported`);
        say(o, `  grokbench import PATH                            # checkpoints or MIScope results trained elsewhere`);
      } finally {
        store.close();
      }
    });
}
