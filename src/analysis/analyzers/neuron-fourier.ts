/**
 * `neuron_fourier`: every neuron's frequency fractions and extras (coarseness.ts), stored whole so
 * that coarseness for any K, dominant frequencies and concentrations need no recomputation.
 * Artifact tensors: frac F32 [(p−1)/2, d_mlp]; variance, a_only, b_only, joint, dominant_fraction
 * F32 [d_mlp]; flat U8 [d_mlp]; dominant_frequency I32 [d_mlp].
 * Summary: the docs/design.md §4 keys at K = low_freqs, plus low_freqs, flat_as_zero, `concentration`
 * (distribution of max_k frac_k over non-flat neurons), mean variance shares (`mean_a_only`,
 * `mean_b_only`, `mean_joint`, non-flat neurons) and `dominant_frequency_counts` (index k−1).
 */
import { failure } from '../../core/errors.js';
import type { SafetensorsFile } from '../../io/safetensors.js';
import type { Analyzer, AnalysisOptions } from '../protocol/analyzer.js';
import { coarsenessFromFractions, concentrationFromFractions, neuronFourier, type NeuronFourier } from '../library/coarseness.js';
import { sharedForward } from '../protocol/shared-forward.js';
import { distributionStats, summaryStats, type DistributionStats, type SummaryStats } from '../../math/summary.js';

export const NEURON_FOURIER = 'neuron_fourier';

export type NeuronFourierArrays = Omit<NeuronFourier, 'p'>;

export interface NeuronFourierSummary extends SummaryStats {
  low_freqs: number;
  flat_as_zero: boolean;
  concentration: DistributionStats;
  mean_a_only: number | null;
  mean_b_only: number | null;
  mean_joint: number | null;
  dominant_frequency_counts: number[];
}

export function summariseNeuronFourier(nf: NeuronFourierArrays, opts: Pick<AnalysisOptions, 'lowFreqs' | 'flatAsZero'>): NeuronFourierSummary {
  const { nFreq, dMlp: m } = nf;
  const c = coarsenessFromFractions(nf.frac, nf.flat, nFreq, m, opts.lowFreqs, opts.flatAsZero);
  const conc = concentrationFromFractions(nf.frac, nf.flat, nFreq, m);
  const counts = new Array<number>(nFreq).fill(0);
  let a = 0, b = 0, j = 0, live = 0;
  for (let n = 0; n < m; n++) {
    if (nf.flat[n]) continue;
    live++; a += nf.aOnly[n]; b += nf.bOnly[n]; j += nf.joint[n];
    if (nf.dominantFrequency[n] > 0) counts[nf.dominantFrequency[n] - 1]++;
  }
  const mean = (s: number): number | null => (live ? s / live : null);
  return {
    ...summaryStats(c), low_freqs: opts.lowFreqs, flat_as_zero: opts.flatAsZero,
    concentration: distributionStats(conc), mean_a_only: mean(a), mean_b_only: mean(b), mean_joint: mean(j),
    dominant_frequency_counts: counts,
  };
}

/** The arrays of an artifact; its shapes are checked. */
export function readNeuronFourierArtifact(f: SafetensorsFile, source: string): NeuronFourierArrays {
  const need = (name: string): number[] => {
    if (!f.has(name)) throw failure(`${source}: no tensor ${name} (not a neuron_fourier artifact)`);
    return f.info(name).shape;
  };
  const [nFreq, dMlp] = need('frac');
  for (const name of ['variance', 'flat', 'a_only', 'b_only', 'joint', 'dominant_frequency', 'dominant_fraction']) {
    const s = need(name);
    if (s.length !== 1 || s[0] !== dMlp) throw failure(`${source}: tensor ${name} has shape [${s.join(', ')}], expected [${dMlp}]`);
  }
  return {
    nFreq, dMlp, frac: f.getFloat32('frac'), variance: f.getFloat32('variance'), flat: Uint8Array.from(f.getInt32('flat')),
    aOnly: f.getFloat32('a_only'), bOnly: f.getFloat32('b_only'), joint: f.getFloat32('joint'),
    dominantFrequency: f.getInt32('dominant_frequency'), dominantFraction: f.getFloat32('dominant_fraction'),
  };
}

export const neuronFourierAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: NEURON_FOURIER,
  version: 1,
  params(opts) { return { version: this.version, low_freqs: opts.lowFreqs, flat_as_zero: opts.flatAsZero }; },
  analyseCheckpoint(ctx) {
    const { p, dMlp: m } = ctx.checkpoint.config;
    const nf = neuronFourier(ctx.kernels, sharedForward(ctx).post, p, m, ctx.scratch);
    const v = (data: Float32Array) => ({ dtype: 'F32' as const, shape: [m], data });
    return {
      summary: summariseNeuronFourier(nf, ctx.options),
      tensors: {
        frac: { dtype: 'F32', shape: [nf.nFreq, m], data: nf.frac },
        variance: v(nf.variance), flat: { dtype: 'U8', shape: [m], data: nf.flat },
        a_only: v(nf.aOnly), b_only: v(nf.bOnly), joint: v(nf.joint),
        dominant_frequency: { dtype: 'I32', shape: [m], data: nf.dominantFrequency },
        dominant_fraction: v(nf.dominantFraction),
      },
    };
  },
  summariseArtifact(file, opts) {
    return summariseNeuronFourier(readNeuronFourierArtifact(file, 'neuron_fourier artifact'), opts);
  },
};
