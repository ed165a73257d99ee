/**
 * `neuron_grouping` (issue 26 §3; MIScope develop analyzers/neuron_grouping.py, REQ_118), a
 * checkpoint analyzer: a partition of the MLP neurons into groups at each checkpoint
 * (library/grouping.ts), from that checkpoint's weights alone.
 *
 * The path (as MIScope): the family override first. For modular addition (MIScope
 * modulo_addition_1layer._neuron_grouping_override, the only family grokbench trains; option
 * neuronGrouping = 'fourier', the default) `argmax_by_basis` on the per-frequency magnitudes of
 * θ = W_E[:p]·W_in on the Fourier basis (`fourierWInMagnitudes`, feature_basis_name
 * 'fourier_w_in'): group g is frequency g + 1, n_groups = (p−1)/2, confidence = the dominant
 * frequency's share of the neuron's squared magnitudes, below 0.3 (MIScope
 * _DEFAULT_FOURIER_GROUPING_THRESHOLD) UNASSIGNED (−1). Without the override (neuronGrouping =
 * 'kmeans', MIScope's universal path): k-means (k = 8, seed 42) on the weight signature
 * [W_in[:, n], W_out[n, :]] (d_mlp × 2·d_model), 'weight_signature'.
 *
 * Artifact tensors: assignments I32 [d_mlp]; confidence F32 [d_mlp] (argmax path); centroids F32
 * [n_groups, n_features]; radii F32 [n_groups]. Summary: { n_groups, method, feature_basis_name,
 * n_per_group, n_unassigned, fisher_min, fisher_mean, dispersion, had_family_override } (MIScope's
 * npz keys). Cost at p = 113 (d_model 128, d_mlp 512): see docs/neuron-groups.md.
 */
import { fourierBasis } from '../../math/basis.js';
import type { Params } from '../../model/params.js';
import type { AnalysisOptions, Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { type GroupAssignment, UNASSIGNED, fisherDiscriminant, fourierWInMagnitudes, groupNeurons, groupNeuronsSummary } from '../library/grouping.js';
import { f32Tensor } from './common.js';

export const NEURON_GROUPING = 'neuron_grouping';

/** MIScope's defaults: the modadd override's confidence threshold, the universal path's k and seed. */
export const FOURIER_GROUPING_THRESHOLD = 0.3;
export const KMEANS_N_GROUPS = 8;
export const KMEANS_SEED = 42;

export function neuronGroupingParams(opts: Pick<AnalysisOptions, 'neuronGrouping'>): Record<string, unknown> {
  return (opts.neuronGrouping ?? 'fourier') === 'fourier'
    ? { version: 2, method: 'argmax_by_basis', feature_basis_name: 'fourier_w_in', confidence_threshold: FOURIER_GROUPING_THRESHOLD }
    : { version: 2, method: 'kmeans', feature_basis_name: 'weight_signature', n_groups: KMEANS_N_GROUPS, seed: KMEANS_SEED };
}

export interface NeuronGroupingSummary {
  n_groups: number;
  method: GroupAssignment['method'];
  feature_basis_name: string;
  n_per_group: number[];
  n_unassigned: number;
  fisher_min: number;
  fisher_mean: number;
  dispersion: number;
  had_family_override: boolean;
}

/** The universal path's features: [W_in[:, n], W_out[n, :]] per neuron, [d_mlp, 2·d_model]. */
export function weightSignature(params: Params): Float64Array {
  const { dModel: d, dMlp: m } = params.config;
  const Win = params.t['blocks.0.mlp.W_in'], Wout = params.t['blocks.0.mlp.W_out'];
  const x = new Float64Array(m * 2 * d);
  for (let n = 0; n < m; n++) for (let j = 0; j < d; j++) { x[n * 2 * d + j] = Win[j * m + n]; x[n * 2 * d + d + j] = Wout[n * d + j]; }
  return x;
}

/** One checkpoint's grouping by the chosen path: the features it was made from and the assignment. */
export function groupCheckpoint(params: Params, path: 'fourier' | 'kmeans'): { features: Float64Array; f: number; assignment: GroupAssignment; override: boolean } {
  const { p, dModel: d, dMlp: m } = params.config;
  if (path === 'fourier') {
    const features = fourierWInMagnitudes(params.t['embed.W_E'], params.t['blocks.0.mlp.W_in'], p, d, m, fourierBasis(p));
    const f = (p - 1) / 2;
    return { features, f, assignment: groupNeurons(features, m, f, f, 'argmax_by_basis', 'fourier_w_in', FOURIER_GROUPING_THRESHOLD), override: true };
  }
  const features = weightSignature(params);
  return { features, f: 2 * d, assignment: groupNeurons(features, m, 2 * d, KMEANS_N_GROUPS, 'kmeans', 'weight_signature', null, KMEANS_SEED), override: false };
}

/** One checkpoint's row from a feature matrix and its assignment. */
export function groupingRow(features: Float64Array, m: number, f: number, a: GroupAssignment, override: boolean): AnalyzerOutput {
  const s = groupNeuronsSummary(features, m, f, a);
  const fisher = fisherDiscriminant(s.centroids, s.radii, f);
  const summary: NeuronGroupingSummary = {
    n_groups: a.n_groups, method: a.method, feature_basis_name: a.feature_basis_name, n_per_group: s.n_per_group, n_unassigned: s.n_unassigned,
    fisher_min: fisher.min, fisher_mean: fisher.mean, dispersion: s.dispersion, had_family_override: override,
  };
  const tensors: AnalyzerOutput['tensors'] = {
    assignments: { dtype: 'I32', shape: [m], data: Int32Array.from(a.assignments) },
    centroids: f32Tensor(s.centroids, [a.n_groups, f]),
    radii: f32Tensor(s.radii, [a.n_groups]),
  };
  if (a.confidence) tensors.confidence = f32Tensor(a.confidence, [m]);
  return { summary, tensors };
}

export const neuronGroupingAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: NEURON_GROUPING,
  version: 2,
  params(opts) { return neuronGroupingParams(opts); },
  analyseCheckpoint(ctx) {
    const params = ctx.checkpoint.params;
    const g = groupCheckpoint(params, ctx.options.neuronGrouping ?? 'fourier');
    return groupingRow(g.features, params.config.dMlp, g.f, g.assignment, g.override);
  },
};

export { UNASSIGNED };
