/**
 * `grokbench viability --p P --freqs K,…`: MIScope's viability of a frequency set for a prime, no
 * training (analysis/viability.ts): aliasing risk and its regime, the ideal centroids' minimum
 * distance, and per frequency the data compatibility of the seeded split (--data-seed, --frac-train).
 */
import type { Command } from 'commander';
import { viability } from '../analysis/library/viability.js';
import { makeSplit } from '../data/dataset.js';
import { badInput } from '../core/errors.js';
import { DEFAULTS, isPrime } from '../config/config.js';
import { type GlobalOpts, intArg, intListArg, numArg, printJson, withCommon } from './common.js';

interface ViabilityOpts extends GlobalOpts { p: number; freqs: number[]; dataSeed: number; fracTrain: number }

export function register(program: Command): void {
  withCommon(program.command('viability')
    .description('aliasing risk and data compatibility of a frequency set for a prime (no training)')
    .requiredOption('--p <P>', 'modulus p (prime, 3..2000)', intArg('--p', 3))
    .requiredOption('--freqs <K,…>', 'frequencies k in 1..(p−1)/2', intListArg('--freqs'))
    .option('--data-seed <D>', 'data seed of the split whose training set is checked', intArg('--data-seed', 0), DEFAULTS.dataSeed)
    .option('--frac-train <F>', 'train fraction of the split', numArg('--frac-train'), DEFAULTS.fracTrain))
    .action((o: ViabilityOpts) => {
      if (o.p > 2000 || !isPrime(o.p)) throw badInput(`--p must be a prime between 3 and 2000, got ${o.p}`);
      if (!(o.fracTrain > 0 && o.fracTrain <= 1)) throw badInput(`--frac-train must be in (0, 1], got ${o.fracTrain}`);
      const v = { data_seed: o.dataSeed, frac_train: o.fracTrain, ...viability(o.p, o.freqs, makeSplit(o.p, o.fracTrain, o.dataSeed).train) };
      if (o.json) { printJson(v); return; }
      const f = (x: number | null, d = 3) => (x === null ? '-' : x.toFixed(d));
      const lines = [
        `p=${v.p}, frequencies ${v.frequencies.join(',')}: max aliasing risk ${f(v.max_alias)} (mean ${f(v.mean_alias)}) → ${v.regime} ` +
          `(> 0.80 failure, > 0.72 warning); ideal centroids' min distance ${f(v.min_centroid_distance, 4)}`,
        `training set: data seed ${v.data_seed}, frac ${v.frac_train}, ${v.n_train_pairs} pairs`,
        'k     alias   cond(Gram)   cond score   phase uniformity   compatibility',
        ...v.per_frequency.map((r) => `${String(r.frequency).padEnd(5)} ${f(r.aliasing_risk)}   ${(r.condition_number ?? NaN).toPrecision(4).padEnd(10)}   ` +
          `${f(r.condition_score)}        ${f(r.phase_uniformity)}              ${f(r.compatibility_score)}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
