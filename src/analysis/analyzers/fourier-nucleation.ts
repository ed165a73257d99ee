/**
 * `fourier_nucleation` (issue 26 item 5; MIScope REQ_063,
 * packages/miscope/src/miscope/analysis/analyzers/fourier_nucleation.py): at every checkpoint,
 * each MLP neuron's response over the token values, (W_E[:p]·W_in)ᵀ, projected on the Fourier basis
 * and sharpened iteratively (12 iterations keeping the top 30 % of frequencies per neuron; library/
 * fourier-nucleation.ts). MIScope's dashboard reads it at epoch 0 (the initialisation's latent
 * frequency bias); over epochs it is a frequency-commitment trajectory.
 * Artifact tensors, MIScope's names and shapes: aggregate_energy F32 [iterations + 1, (p−1)/2],
 * neuron_peak_freq I32 [iterations + 1, d_mlp], neuron_committed_count I32 [iterations + 1,
 * (p−1)/2], frequencies I32 [(p−1)/2], prime I32 [1], iterations I32 [1], sharpness F32 [1].
 * Summary: { iterations, sharpness, initial_energy and final_energy (aggregate energy per
 * frequency at iteration 0 and at the last), final_committed (committed neurons per frequency at
 * the last iteration), top_frequencies (the 8 of highest final energy, highest first: MIScope's
 * convergence traces) }.
 * Cost at p = 113, d_model = 128, d_mlp = 512 (AMD EPYC family 26 model 2, one thread): 27–40 ms
 * per checkpoint (the response ~8 ms, then two projections and two sharpenings: the snapshots that
 * repeat are copied, library/fourier-nucleation.ts); 117–140 ms when every iteration was carried out.
 * 7–10 s for 251 checkpoints.
 */
import type { SafetensorsFile } from '../../io/safetensors.js';
import type { Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { NUCLEATION_DEFAULTS, fourierNucleation, neuronResponse } from '../library/fourier-nucleation.js';

export const FOURIER_NUCLEATION = 'fourier_nucleation';

/** MIScope's _TOP_N_CONVERGENCE. */
export const NUCLEATION_TOP = 8;

export interface FourierNucleationSummary {
  iterations: number;
  sharpness: number;
  /** Per frequency k = 1..(p−1)/2 (index k−1). */
  initial_energy: number[];
  final_energy: number[];
  final_committed: number[];
  top_frequencies: number[];
}

function summaryOf(agg: ArrayLike<number>, committed: ArrayLike<number>, nF: number, iterations: number, sharpness: number): FourierNucleationSummary {
  const row = (x: ArrayLike<number>, t: number) => Array.from({ length: nF }, (_, k) => x[t * nF + k]);
  const final = row(agg, iterations);
  const top = final.map((e, k) => [e, k + 1] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, NUCLEATION_TOP).map(([, k]) => k);
  return { iterations, sharpness, initial_energy: row(agg, 0), final_energy: final, final_committed: row(committed, iterations), top_frequencies: top };
}

export const fourierNucleationAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: FOURIER_NUCLEATION,
  version: 1,
  params() { return { version: this.version, iterations: NUCLEATION_DEFAULTS.iterations, sharpness: NUCLEATION_DEFAULTS.sharpness }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const { p, dModel, dMlp } = ctx.checkpoint.config;
    const t = ctx.checkpoint.params.t;
    const R = neuronResponse(t['embed.W_E'], t['blocks.0.mlp.W_in'], p, dModel, dMlp);
    const nu = fourierNucleation(R, p, dMlp);
    const nF = nu.frequencies.length, rows = nu.iterations + 1;
    const agg = Float32Array.from(nu.aggregateEnergy); // stored and summarised as float32, as MIScope
    return {
      summary: summaryOf(agg, nu.committedCount, nF, nu.iterations, nu.sharpness),
      tensors: {
        aggregate_energy: { dtype: 'F32', shape: [rows, nF], data: agg },
        neuron_peak_freq: { dtype: 'I32', shape: [rows, dMlp], data: nu.peakFrequency },
        neuron_committed_count: { dtype: 'I32', shape: [rows, nF], data: nu.committedCount },
        frequencies: { dtype: 'I32', shape: [nF], data: nu.frequencies },
        prime: { dtype: 'I32', shape: [1], data: Int32Array.of(p) },
        iterations: { dtype: 'I32', shape: [1], data: Int32Array.of(nu.iterations) },
        sharpness: { dtype: 'F32', shape: [1], data: Float32Array.of(nu.sharpness) },
      },
    };
  },
  summariseArtifact(file: SafetensorsFile) {
    const [rows, nF] = file.info('aggregate_energy').shape;
    return summaryOf(file.getFloat32('aggregate_energy'), file.getInt32('neuron_committed_count'), nF, rows - 1, NUCLEATION_DEFAULTS.sharpness);
  },
};
