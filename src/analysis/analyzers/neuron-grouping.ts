/**
 * `neuron_grouping` (issue 26 §3; MIScope develop analyzers/neuron_grouping.py, REQ_118), a
 * cross-epoch analyzer that requires `neuron_fourier`: per checkpoint, a partition of the MLP
 * neurons into groups (library/grouping.ts).
 *
 * How the grouping is chosen (as MIScope): a family override first — for modular addition
 * (MIScope modulo_addition_1layer._neuron_grouping_override, the only family grokbench trains)
 * `argmax_by_basis` on per-frequency features, so a neuron's group is its dominant frequency
 * (group g = frequency g + 1), confidence = the dominant frequency's share of the neuron's Fourier
 * variance, below 0.3 (MIScope _DEFAULT_FOURIER_GROUPING_THRESHOLD) UNASSIGNED (−1); grokbench's
 * features are √frac from the stored neuron_fourier artifact (frac: the share of the neuron's
 * activation variance at frequency k), so confidence = frac_max / Σ_k frac_k; flat neurons are
 * UNASSIGNED. Without the override (option neuronGrouping = 'kmeans', MIScope's universal path):
 * k-means (k = 8, seed 42) on the weight signature [W_in[:, n], W_out[n, :]] (d_mlp × 2·d_model).
 *
 * It is cross-epoch, not a checkpoint analyzer, only because it reads neuron_fourier's stored
 * artifact (checkpoint analyzers have no `requires`); each row depends on its checkpoint alone,
 * so rows are computed once per new checkpoint. Cost: reading one artifact (Fourier path) or one
 * checkpoint plus k-means (kmeans path) per checkpoint.
 *
 * Artifact tensors: assignments I32 [d_mlp]; confidence F32 [d_mlp] (argmax path); centroids F32
 * [n_groups, n_features]; radii F32 [n_groups]. Summary: { n_groups, method, feature_basis_name,
 * n_per_group, n_unassigned, fisher_min, fisher_mean, dispersion, had_family_override } (MIScope's
 * npz scalar keys).
 */
import { existsSync } from 'node:fs';
import { failure } from '../../core/errors.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import { loadCheckpoint } from '../../model/checkpoint.js';
import type { Params } from '../../model/params.js';
import type { AnalysisOptions, AnalyzerOutput, CrossEpochAnalyzer } from '../protocol/analyzer.js';
import { type GroupAssignment, UNASSIGNED, fisherDiscriminant, groupNeurons, groupNeuronsSummary } from '../library/grouping.js';
import { NEURON_FOURIER, neuronFourierAnalyzer, readNeuronFourierArtifact } from './neuron-fourier.js';
import { f32Tensor } from './common.js';

export const NEURON_GROUPING = 'neuron_grouping';

/** MIScope's defaults: the modadd override's confidence threshold, the universal path's k and seed. */
export const FOURIER_GROUPING_THRESHOLD = 0.3;
export const KMEANS_N_GROUPS = 8;
export const KMEANS_SEED = 42;

export function neuronGroupingParams(opts: Pick<AnalysisOptions, 'neuronGrouping' | 'lowFreqs' | 'flatAsZero'>): Record<string, unknown> {
  return (opts.neuronGrouping ?? 'fourier') === 'fourier'
    ? { version: 1, method: 'argmax_by_basis', feature_basis_name: 'fourier_activation', confidence_threshold: FOURIER_GROUPING_THRESHOLD }
    : { version: 1, method: 'kmeans', feature_basis_name: 'weight_signature', n_groups: KMEANS_N_GROUPS, seed: KMEANS_SEED };
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

/** The Fourier-path features: √frac as [d_mlp, n_freq] (flat neurons all zero, so UNASSIGNED). */
export function fourierFeatures(frac: ArrayLike<number>, flat: ArrayLike<number>, nFreq: number, m: number): Float64Array {
  const x = new Float64Array(m * nFreq);
  for (let n = 0; n < m; n++) if (!flat[n]) for (let k = 0; k < nFreq; k++) x[n * nFreq + k] = Math.sqrt(Math.max(0, frac[k * m + n]));
  return x;
}

/** The universal path's features: [W_in[:, n], W_out[n, :]] per neuron, [d_mlp, 2·d_model]. */
export function weightSignature(params: Params): Float64Array {
  const { dModel: d, dMlp: m } = params.config;
  const Win = params.t['blocks.0.mlp.W_in'], Wout = params.t['blocks.0.mlp.W_out'];
  const x = new Float64Array(m * 2 * d);
  for (let n = 0; n < m; n++) for (let j = 0; j < d; j++) { x[n * 2 * d + j] = Win[j * m + n]; x[n * 2 * d + d + j] = Wout[n * d + j]; }
  return x;
}

/** One checkpoint's row from a feature matrix and its assignment. */
export function groupingRow(features: Float64Array, m: number, f: number, a: GroupAssignment, override: boolean): AnalyzerOutput {
  const s = groupNeuronsSummary(features, m, f, a);
  const fisher = fisherDiscriminant(s.centroids, s.radii, s.n_per_group, f);
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

export const neuronGroupingAnalyzer: CrossEpochAnalyzer = {
  tier: 'cross_epoch',
  name: NEURON_GROUPING,
  version: 1,
  requires: [NEURON_FOURIER],
  params(opts) { return neuronGroupingParams(opts); },
  analyseEpochs(ctx, emit) {
    const fourier = (ctx.options.neuronGrouping ?? 'fourier') === 'fourier';
    const nf = fourier ? new Map(ctx.store.getAnalyses(ctx.runId, NEURON_FOURIER, neuronFourierAnalyzer.params(ctx.options)).map((r) => [r.epoch, r.path])) : null;
    for (const cp of ctx.checkpoints) {
      if (!ctx.todo.has(cp.epoch)) continue;
      if (nf) {
        const path = nf.get(cp.epoch);
        if (!path || !existsSync(path)) throw failure(`epoch ${cp.epoch}: no ${NEURON_FOURIER} artifact to group the neurons by`);
        const a = readNeuronFourierArtifact(readSafetensorsFile(path), path);
        const x = fourierFeatures(a.frac, a.flat, a.nFreq, a.dMlp);
        emit(cp.epoch, groupingRow(x, a.dMlp, a.nFreq, groupNeurons(x, a.dMlp, a.nFreq, a.nFreq, 'argmax_by_basis', 'fourier_activation', FOURIER_GROUPING_THRESHOLD), true));
      } else {
        const params = loadCheckpoint(cp.path).params;
        const { dModel: d, dMlp: m } = params.config;
        const x = weightSignature(params);
        emit(cp.epoch, groupingRow(x, m, 2 * d, groupNeurons(x, m, 2 * d, KMEANS_N_GROUPS, 'kmeans', 'weight_signature', null, KMEANS_SEED), false));
      }
    }
  },
};

export { UNASSIGNED };
