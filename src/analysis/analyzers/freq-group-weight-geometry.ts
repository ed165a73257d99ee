/**
 * `freq_group_weight_geometry` (issue 26 item 4; MIScope develop analyzers/freq_group_weight_geometry.py,
 * REQ_090), a cross-epoch analyzer that requires `neuron_fourier`: the GLUE-style geometry of the
 * frequency groups of MLP neurons in weight space at every checkpoint, neurons as samples and groups
 * as classes (library/freq-group-weight-geometry.ts), in W_in (rows w_n = W_in[:, n], d_model) and in
 * W_out (rows W_out[n, :], d_model). The groups are neuron_group_pca's: argmax of the activation
 * variance fractions at the run's last checkpoint, frequencies with ≥ 2 neurons (freq-groups.ts);
 * MIScope reads them from neuron_freq_norm and its parameter_snapshot artifacts, grokbench from
 * neuron_fourier and the checkpoints.
 *
 * Artifact tensors per checkpoint (MIScope's keys, one epoch's slice): group_freqs I32 [n_groups]
 * (frequency index k − 1), group_sizes I32; for M in Win, Wout: M_centroids F32 [n_groups, d_model],
 * M_radii, M_dimensionality, M_pr3, M_f_top3 F32 [n_groups]. Summary: { reference_epoch,
 * group_freqs, group_sizes, and for M in Win, Wout the scalars M_center_spread, M_mean_radius,
 * M_snr, M_fisher_mean, M_fisher_min, M_circularity and the per-group M_radii, M_dimensionality,
 * M_pr3, M_f_top3 (null for NaN) }.
 */
import { loadCheckpoint } from '../../model/checkpoint.js';
import type { AnalyzerOutput, CrossEpochAnalyzer } from '../protocol/analyzer.js';
import { type WeightGeometry, groupWeightGeometry } from '../library/freq-group-weight-geometry.js';
import { f32Tensor } from './common.js';
import { type ReferenceGroups, epochsToCompute, referenceGroups } from './freq-groups.js';
import { NEURON_FOURIER } from './neuron-fourier.js';

export const FREQ_GROUP_WEIGHT_GEOMETRY = 'freq_group_weight_geometry';
export const FREQ_GROUP_WEIGHT_GEOMETRY_PARAMS = { version: 1, groups: 'argmax neuron_fourier frac at the last checkpoint, >= 2 neurons', matrices: 'W_in,W_out' } as const;
export const WEIGHT_MATRICES = ['Win', 'Wout'] as const;
export type WeightMatrix = (typeof WEIGHT_MATRICES)[number];
export const GEOMETRY_SCALARS = ['center_spread', 'mean_radius', 'snr', 'fisher_mean', 'fisher_min', 'circularity'] as const;
export const GEOMETRY_PER_GROUP = ['radii', 'dimensionality', 'pr3', 'f_top3'] as const;

export type FreqGroupWeightGeometrySummary = {
  reference_epoch: number;
  group_freqs: number[];
  group_sizes: number[];
} & Record<`${WeightMatrix}_${(typeof GEOMETRY_SCALARS)[number]}`, number | null>
  & Record<`${WeightMatrix}_${(typeof GEOMETRY_PER_GROUP)[number]}`, (number | null)[]>;

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** One checkpoint's row from its W_in [d, m], W_out [m, d] and the reference groups. */
export function weightGeometryRow(Win: ArrayLike<number>, Wout: ArrayLike<number>, d: number, ref: ReferenceGroups): AnalyzerOutput {
  const m = ref.d_mlp, G = ref.members.length;
  const geo: Record<WeightMatrix, WeightGeometry> = {
    Win: groupWeightGeometry(Win, d, m, ref.members, true),
    Wout: groupWeightGeometry(Wout, d, m, ref.members, false),
  };
  const summary: Record<string, unknown> = { reference_epoch: ref.reference_epoch, group_freqs: ref.group_freqs, group_sizes: ref.members.map((ns) => ns.length) };
  const tensors: AnalyzerOutput['tensors'] = {
    group_freqs: { dtype: 'I32', shape: [G], data: Int32Array.from(ref.group_freqs) },
    group_sizes: { dtype: 'I32', shape: [G], data: Int32Array.from(ref.members, (ns) => ns.length) },
  };
  for (const M of WEIGHT_MATRICES) {
    for (const s of GEOMETRY_SCALARS) summary[`${M}_${s}`] = num(geo[M][s]);
    for (const s of GEOMETRY_PER_GROUP) { summary[`${M}_${s}`] = geo[M][s].map(num); tensors[`${M}_${s}`] = f32Tensor(geo[M][s], [G]); }
    tensors[`${M}_centroids`] = f32Tensor(geo[M].centroids, [G, d]);
  }
  return { summary, tensors };
}

export const freqGroupWeightGeometryAnalyzer: CrossEpochAnalyzer = {
  tier: 'cross_epoch',
  name: FREQ_GROUP_WEIGHT_GEOMETRY,
  version: FREQ_GROUP_WEIGHT_GEOMETRY_PARAMS.version,
  requires: [NEURON_FOURIER],
  params() { return FREQ_GROUP_WEIGHT_GEOMETRY_PARAMS; },
  analyseEpochs(ctx, emit) {
    const ref = referenceGroups(ctx);
    for (const cp of epochsToCompute(ctx, FREQ_GROUP_WEIGHT_GEOMETRY, FREQ_GROUP_WEIGHT_GEOMETRY_PARAMS, () => ref.reference_epoch)) {
      const params = loadCheckpoint(cp.path).params;
      emit(cp.epoch, weightGeometryRow(params.t['blocks.0.mlp.W_in'], params.t['blocks.0.mlp.W_out'], params.config.dModel, ref));
    }
  },
};
