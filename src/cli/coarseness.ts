/** `grokbench coarseness FILE.safetensors`: per-neuron coarseness and the summary of one checkpoint. */
import type { Command } from 'commander';
import { activationMaps } from '../analysis/library/activations.js';
import { coarsenessFromFractions, concentrationFromFractions, neuronFourier } from '../analysis/library/coarseness.js';
import { summaryStats } from '../math/summary.js';
import { loadKernels } from '../engine/index.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { type GlobalOpts, intArg, printJson, withCommon } from './common.js';

interface CoarsenessOpts extends GlobalOpts { lowFreqs: number; flatAsZero?: boolean }

const f3 = (v: number | null): string => (v === null ? '-' : v.toFixed(3));

export function register(program: Command): void {
  withCommon(program.command('coarseness').argument('<file>', 'a checkpoint (.safetensors, grokbench or TransformerLens names)')
    .description('per-neuron coarseness, dominant frequency and the summary statistics of one checkpoint')
    .option('--low-freqs <K>', 'K, the number of low frequencies in coarseness', intArg('--low-freqs', 1), 3)
    .option('--flat-as-zero', 'score flat (constant) neurons 0 as MIScope does, instead of null'))
    .action((file: string, o: CoarsenessOpts) => {
      const ck = loadCheckpoint(file);
      const { p, dMlp: m } = ck.config;
      const epoch = /^\d+$/.test(ck.metadata.epoch ?? '') ? Number(ck.metadata.epoch) : null;
      const k = loadKernels();
      const nf = neuronFourier(k, activationMaps(k, ck.params), p, m);
      const c = coarsenessFromFractions(nf.frac, nf.flat, nf.nFreq, m, o.lowFreqs, !!o.flatAsZero);
      const conc = concentrationFromFractions(nf.frac, nf.flat, nf.nFreq, m);
      const summary = summaryStats(c);
      const coarseness = Array.from(c, (v) => (Number.isNaN(v) ? null : v));
      const dominant = Array.from(nf.dominantFrequency, (d, n) => (nf.flat[n] ? null : d));
      if (o.json) {
        printJson({ p, low_freqs: o.lowFreqs, epoch, coarseness, dominant_frequency: dominant, summary });
        return;
      }
      const out: string[] = [];
      out.push(`${file}: p=${p}, d_mlp=${m}, epoch ${epoch ?? '?'}, K=${o.lowFreqs}${o.flatAsZero ? ', flat neurons as 0' : ''}`);
      out.push(`coarseness  mean ${f3(summary.mean_coarseness)} ± ${f3(summary.std_coarseness)}  median ${f3(summary.median_coarseness)}  ` +
        `p25 ${f3(summary.p25_coarseness)}  p75 ${f3(summary.p75_coarseness)}  min ${f3(summary.min_coarseness)}  max ${f3(summary.max_coarseness)}`);
      out.push(`neurons     ${m - summary.num_flat_neurons} non-flat, ${summary.num_flat_neurons} flat; blob (≥0.7) ${summary.blob_count}; ` +
        `>0.5 ${summary['num_blob_neurons_0.5']}  >0.6 ${summary['num_blob_neurons_0.6']}  >0.7 ${summary['num_blob_neurons_0.7']}  >0.8 ${summary['num_blob_neurons_0.8']}`);
      out.push(`classes     plaid (<0.5) ${f3(summary.frac_low_coarseness)}  mid ${f3(summary.frac_mid_coarseness)}  blob (≥0.7) ${f3(summary.frac_high_coarseness)}`);
      out.push(`histogram   ${summary.coarseness_histogram.join(' ')}  (20 bins on [0, 1])`);
      out.push('');
      const cells = coarseness.map((v, n) => `${String(n).padStart(4)} ${v === null ? ' flat' : v.toFixed(3)} k=${dominant[n] === null ? '-' : String(dominant[n]).padEnd(3)} ${Number.isNaN(conc[n]) ? '     ' : conc[n].toFixed(2)}`);
      out.push('neuron coarseness, dominant frequency k, its fraction:');
      for (let i = 0; i < cells.length; i += 4) out.push(cells.slice(i, i + 4).join('   ').trimEnd());
      process.stdout.write(out.join('\n') + '\n');
    });
}
