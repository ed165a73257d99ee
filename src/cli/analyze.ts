/** `grokbench analyze [RUN…]`: analyse every checkpoint not yet analysed (incremental, parallel). */
import type { Command } from 'commander';
import { listAnalyzers } from '../analysis/analyzer.js';
import type { NeuronFourierSummary } from '../analysis/analyzers/neuron-fourier.js';
import type { EmbeddingFourierSummary } from '../analysis/analyzers/embedding-fourier.js';
import { type AnalyseOptions, analyseRuns } from '../analysis/pipeline.js';
import type { Store } from '../store/store.js';
import { type GlobalOpts, intArg, numArg, openStore, printJson, say, withCommon } from './common.js';
import { ProgressLine, formatDuration } from './progress.js';

interface AnalyzeOpts extends GlobalOpts { lowFreqs: number; flatAsZero?: boolean; jobs?: number; grokLoss: number; curvatureEvery?: number }

function bar(done: number, total: number, width = 24): string {
  const f = total === 0 ? 1 : done / total;
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '-' : v.toFixed(digits));

/** First and last stored neuron_fourier summary and the last embedding key frequencies of a run. */
function endpoints(store: Store, runId: string, o: AnalyzeOpts) {
  const [nf, ef] = listAnalyzers();
  const opts = { lowFreqs: o.lowFreqs, flatAsZero: !!o.flatAsZero, grokLoss: o.grokLoss };
  const rows = store.getAnalyses<NeuronFourierSummary>(runId, nf.name, nf.params(opts));
  const emb = store.getAnalyses<EmbeddingFourierSummary>(runId, ef.name, ef.params(opts));
  const pick = (r: (typeof rows)[number] | undefined) => r && {
    epoch: r.epoch, mean_coarseness: r.summary.mean_coarseness, blob_count: r.summary.blob_count,
    num_flat_neurons: r.summary.num_flat_neurons, mean_concentration: r.summary.concentration.mean,
  };
  return { first: pick(rows[0]) ?? null, last: pick(rows[rows.length - 1]) ?? null, key_frequencies: emb.length ? emb[emb.length - 1].summary.key_frequencies : null };
}

export function register(program: Command): void {
  withCommon(program.command('analyze').argument('[runs...]', 'run ids or unique prefixes (default: every run)')
    .description('analyse every checkpoint not yet analysed: activation maps, coarseness, Fourier structure, grokking time')
    .option('--low-freqs <K>', 'K, the number of low frequencies in coarseness', intArg('--low-freqs', 1), 3)
    .option('--flat-as-zero', 'score flat (constant) neurons 0 as MIScope does, instead of leaving them out')
    .option('--jobs <N>', 'worker threads (default: number of cores)', intArg('--jobs', 1))
    .option('--grok-loss <X>', 'test-loss threshold of grok_epoch', numArg('--grok-loss'), 0.01)
    .option('--curvature-every <N>', 'loss-landscape flatness at epoch 0 and every N epochs (1: every checkpoint; default 2500)', intArg('--curvature-every', 1)))
    .action(async (runArgs: string[], o: AnalyzeOpts) => {
      const store = openStore(o, { create: false });
      try {
        const ids = runArgs.length ? [...new Set(runArgs.map((r) => store.resolveRun(r).run_id))] : store.listRuns().map((r) => r.run_id);
        const progress = ProgressLine.for(o);
        const t0 = performance.now();
        const opts: AnalyseOptions = {
          lowFreqs: o.lowFreqs, flatAsZero: !!o.flatAsZero, grokLoss: o.grokLoss, jobs: o.jobs, curvatureEvery: o.curvatureEvery,
          onProgress: ({ done, total, runId, epoch }) => {
            const el = (performance.now() - t0) / 1000;
            const eta = done > 0 ? (el / done) * (total - done) : NaN;
            progress.update(`${bar(done, total)} ${done}/${total} checkpoints  ${runId} epoch ${epoch}  ${formatDuration(el)} elapsed, ${formatDuration(eta)} left`, done === total);
          },
        };
        const res = await analyseRuns(store, ids, opts);
        progress.done();
        const runs = res.runs.map((r) => ({
          run_id: r.runId, checkpoints: r.checkpoints, analysed: r.computed, resummarised: r.resummarised, already_done: r.alreadyDone,
          grokking: r.runSummaries.grokking ?? null, ...endpoints(store, r.runId, o),
        }));
        if (o.json) {
          printJson({ low_freqs: o.lowFreqs, flat_as_zero: !!o.flatAsZero, jobs: res.jobs, seconds: res.seconds, checkpoints_analysed: res.tasks, runs });
          return;
        }
        if (runs.length === 0) { say(o, `no runs in ${store.dir}`); return; }
        say(o, `analysed ${res.tasks} checkpoint(s) in ${res.seconds.toFixed(1)} s with ${res.jobs} job(s); coarseness at K=${o.lowFreqs}${o.flatAsZero ? ', flat neurons as 0' : ''}`);
        const table = [['run', 'checkpoints', 'new', 'mean coarseness first→last', 'blobs first→last', 'flat last', 'grok epoch', 'key freqs (last)']];
        for (const r of runs) {
          const g = r.grokking as { grok_epoch?: number | null } | null;
          table.push([r.run_id, String(r.checkpoints), String(r.analysed + r.resummarised),
            `${fmt(r.first?.mean_coarseness)} → ${fmt(r.last?.mean_coarseness)}`,
            `${r.first?.blob_count ?? '-'} → ${r.last?.blob_count ?? '-'}`, String(r.last?.num_flat_neurons ?? '-'),
            String(g?.grok_epoch ?? '-'), r.key_frequencies ? r.key_frequencies.join(',') : '-']);
        }
        const w = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
        for (const row of table) say(o, row.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd());
      } finally { store.close(); }
    });
}
