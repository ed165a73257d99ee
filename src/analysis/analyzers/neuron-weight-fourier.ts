/**
 * `neuron_weight_fourier` (issue 26 §5): MIScope's `neuron_fourier` analyzer (REQ_049,
 * analyzers/neuron_fourier.py), the Fourier decomposition of each neuron's composed weights
 * θ_m = W_E[:p]·W_in[:, m] and ξ_m = W_out[m, :]·W_U (library/neuron-weight-fourier.ts). grokbench's
 * name `neuron_fourier` is its activation-map analyzer (coarseness, docs/design.md), so this one
 * is registered under another name; its artifact keys are MIScope's.
 * MIScope computes it from its parameter_snapshot artifacts; grokbench reads the checkpoint itself.
 * Artifact tensors: alpha_mk, phi_mk, beta_mk, psi_mk F32 [d_mlp, (p−1)/2], freq_indices I32 [(p−1)/2]
 * (k = 1..(p−1)/2). Summary (grokbench's digest, NeuronWeightFourierDigest): per frequency the
 * neurons whose largest α is there and each layer's power Σ_m α², Σ_m β², and the means over
 * neurons at their dominant input frequency of α, β and He et al.'s phase misalignment |2φ − ψ|.
 * θ's magnitudes are the ones neuron_grouping groups by (grouping.ts fourierWInMagnitudes, the same function).
 */
import { fourierBasis } from '../../math/basis.js';
import type { Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { f32Tensor as f } from './common.js';
import { digestNeuronWeightFourier, neuronWeightFourier, type NeuronWeightFourierDigest } from '../library/neuron-weight-fourier.js';

export const NEURON_WEIGHT_FOURIER = 'neuron_weight_fourier';

export type NeuronWeightFourierSummary = NeuronWeightFourierDigest;

export const neuronWeightFourierAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: NEURON_WEIGHT_FOURIER,
  version: 1,
  params() { return { version: this.version }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const params = ctx.checkpoint.params, { p, dModel: d, dMlp: m } = params.config, K = (p - 1) / 2, t = params.t;
    const r = neuronWeightFourier({ WE: t['embed.W_E'], Win: t['blocks.0.mlp.W_in'], Wout: t['blocks.0.mlp.W_out'], WU: t['unembed.W_U'] }, p, d, m, fourierBasis(p));
    return {
      summary: digestNeuronWeightFourier(r, m, K),
      tensors: {
        alpha_mk: f(r.alpha_mk, [m, K]), phi_mk: f(r.phi_mk, [m, K]), beta_mk: f(r.beta_mk, [m, K]), psi_mk: f(r.psi_mk, [m, K]),
        freq_indices: { dtype: 'I32', shape: [K], data: Int32Array.from({ length: K }, (_, i) => i + 1) },
      },
    };
  },
};
