/**
 * `neuron_group_pca` (issue 26 item 4; MIScope develop analyzers/neuron_group_pca.py), a cross-epoch
 * analyzer that requires `neuron_fourier`: the MLP neurons grouped by dominant frequency at the run's
 * last checkpoint (MIScope: argmax of neuron_freq_norm's norm_matrix at the final epoch, no threshold,
 * groups of ≥ 2 neurons; here neuron_fourier's `frac`, the same variance fractions: freq-groups.ts),
 * then for every checkpoint each group's W_in vectors w_n = W_in[:, n] (d_model): the top-3 PCA
 * variance fractions `pc_var` and mean distance to the centroid `mean_spread`
 * (library/neuron-group-pca.ts), the group's centroid, and each grouped neuron's coordinates on its
 * group's reference PCA axes (the last checkpoint's, centred on the last checkpoint's centroid).
 *
 * Not neuron_grouping's partition: that one (MIScope's REQ_118 grouping) takes the Fourier magnitudes
 * of θ = W_E·W_in with a 0.3 confidence threshold, while MIScope's neuron_group_pca (and
 * freq_group_weight_geometry) take the activation variance fractions with no threshold.
 *
 * Artifact tensors per checkpoint (MIScope's cross-epoch keys, one epoch's slice): pc_var F32
 * [n_groups, 3], mean_spread F32 [n_groups], projections F32 [d_mlp, 3] (NaN if ungrouped),
 * centroid_traj F32 [n_groups, d_model]; and the reference quantities, the same in every row:
 * group_freqs I32 [n_groups] (frequency index k − 1), group_sizes I32, neuron_group_idx I32 [d_mlp]
 * (−1 ungrouped), group_bases F32 [n_groups, 3, d_model], group_centers F32 [n_groups, d_model].
 * MIScope's centroid_pca_* (one PCA of every epoch's group centroids) depends on every checkpoint:
 * `readNeuronGroupPca` fits it when the rows are read (as readGlobalCentroidPca does).
 * Summary: { reference_epoch, group_freqs, group_sizes, pc_var [group][3], mean_spread [group] }.
 * Signs of the axes: numpy's SVD leaves them arbitrary; here each axis's largest entry is positive.
 */
import { existsSync } from 'node:fs';
import { failure } from '../../core/errors.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import { loadCheckpoint } from '../../model/checkpoint.js';
import type { Store } from '../../store/store.js';
import type { AnalyzerOutput, CrossEpochAnalyzer } from '../protocol/analyzer.js';
import { pooledCentroidPca } from '../library/global-centroid-pca.js';
import { N_COMPONENTS, groupPcaStats, neuronRows, principalAxes, projectRows, rowMean } from '../library/neuron-group-pca.js';
import { f32Tensor } from './common.js';
import { type ReferenceGroups, epochsToCompute, referenceGroups } from './freq-groups.js';
import { NEURON_FOURIER } from './neuron-fourier.js';

export const NEURON_GROUP_PCA = 'neuron_group_pca';
export const NEURON_GROUP_PCA_PARAMS = { version: 1, groups: 'argmax neuron_fourier frac at the last checkpoint, >= 2 neurons', matrix: 'W_in', n_components: N_COMPONENTS } as const;

export interface NeuronGroupPcaSummary {
  reference_epoch: number;
  group_freqs: number[];
  group_sizes: number[];
  /** [group][3]; null for NaN. */
  pc_var: (number | null)[][];
  mean_spread: number[];
}

interface Reference extends ReferenceGroups { d: number; bases: Float64Array[]; centers: Float64Array[] }

function reference(ctx: Parameters<CrossEpochAnalyzer['analyseEpochs']>[0]): Reference {
  const g = referenceGroups(ctx);
  const params = loadCheckpoint(ctx.checkpoints[ctx.checkpoints.length - 1].path).params;
  const d = params.config.dModel, Win = params.t['blocks.0.mlp.W_in'];
  const rows = g.members.map((ns) => neuronRows(Win, d, g.d_mlp, ns, true));
  return { ...g, d, bases: rows.map((X, i) => principalAxes(X, g.members[i].length, d)), centers: rows.map((X, i) => rowMean(X, g.members[i].length, d)) };
}

/** One checkpoint's row from its W_in [d, m] and the reference groups. */
export function neuronGroupPcaRow(Win: ArrayLike<number>, ref: Reference): AnalyzerOutput {
  const { d, d_mlp: m, members } = ref, G = members.length, k = N_COMPONENTS;
  const pcVar = new Float64Array(G * k), spread = new Float64Array(G), cent = new Float64Array(G * d);
  const proj = new Float64Array(m * k).fill(NaN);
  members.forEach((ns, g) => {
    const X = neuronRows(Win, d, m, ns, true);
    const s = groupPcaStats(X, ns.length, d);
    s.pc_var.forEach((v, c) => { pcVar[g * k + c] = v; });
    spread[g] = s.mean_spread;
    cent.set(rowMean(X, ns.length, d), g * d);
    const P = projectRows(X, ns.length, d, ref.centers[g], ref.bases[g]);
    ns.forEach((n, i) => { for (let c = 0; c < k; c++) proj[n * k + c] = P[i * k + c]; });
  });
  const bases = new Float64Array(G * k * d), centers = new Float64Array(G * d);
  ref.bases.forEach((b, g) => bases.set(b, g * k * d));
  ref.centers.forEach((c, g) => centers.set(c, g * d));
  const summary: NeuronGroupPcaSummary = {
    reference_epoch: ref.reference_epoch, group_freqs: ref.group_freqs, group_sizes: members.map((ns) => ns.length),
    pc_var: members.map((_, g) => Array.from(pcVar.subarray(g * k, g * k + k), (v) => (Number.isFinite(v) ? v : null))),
    mean_spread: Array.from(spread),
  };
  return {
    summary,
    tensors: {
      group_freqs: { dtype: 'I32', shape: [G], data: Int32Array.from(ref.group_freqs) },
      group_sizes: { dtype: 'I32', shape: [G], data: Int32Array.from(summary.group_sizes) },
      neuron_group_idx: { dtype: 'I32', shape: [m], data: Int32Array.from(ref.neuron_group_idx) },
      pc_var: f32Tensor(pcVar, [G, k]), mean_spread: f32Tensor(spread, [G]), projections: f32Tensor(proj, [m, k]),
      centroid_traj: f32Tensor(cent, [G, d]), group_bases: f32Tensor(bases, [G, k, d]), group_centers: f32Tensor(centers, [G, d]),
    },
  };
}

export const neuronGroupPcaAnalyzer: CrossEpochAnalyzer = {
  tier: 'cross_epoch',
  name: NEURON_GROUP_PCA,
  version: NEURON_GROUP_PCA_PARAMS.version,
  requires: [NEURON_FOURIER],
  params() { return NEURON_GROUP_PCA_PARAMS; },
  analyseEpochs(ctx, emit) {
    const ref = reference(ctx);
    for (const cp of epochsToCompute(ctx, NEURON_GROUP_PCA, NEURON_GROUP_PCA_PARAMS, () => ref.reference_epoch)) {
      emit(cp.epoch, neuronGroupPcaRow(loadCheckpoint(cp.path).params.t['blocks.0.mlp.W_in'], ref));
    }
  },
};

/** MIScope's cross-epoch arrays, stacked from the stored rows (those of the latest reference epoch). */
export interface NeuronGroupPca {
  epochs: number[];
  reference_epoch: number;
  group_freqs: number[];
  group_sizes: number[];
  neuron_group_idx: Int32Array;
  d_model: number;
  /** [n_epochs][n_groups·3]. */
  pc_var: Float32Array[];
  /** [n_epochs][n_groups]. */
  mean_spread: Float32Array[];
  /** [n_epochs][d_mlp·3]. */
  projections: Float32Array[];
  /** The shared PCA of every (epoch, group) centroid (MIScope _fit_centroid_pca): coords [n_epochs, n_groups, 3], var (3), basis [3, d]. */
  centroid_pca_coords: Float64Array;
  centroid_pca_var: number[];
  centroid_pca_basis: Float64Array;
}

/** The run's neuron_group_pca rows read back, with the centroid PCA fitted on them; null when there are none. */
export function readNeuronGroupPca(store: Store, runId: string): NeuronGroupPca | null {
  const rows = store.getAnalyses<NeuronGroupPcaSummary>(runId, NEURON_GROUP_PCA, NEURON_GROUP_PCA_PARAMS).filter((r) => r.path && existsSync(r.path));
  if (rows.length === 0) return null;
  const ref = Math.max(...rows.map((r) => r.summary.reference_epoch));
  const use = rows.filter((r) => r.summary.reference_epoch === ref);
  const files = use.map((r) => readSafetensorsFile(r.path!));
  const first = files[0], G = first.info('group_freqs').shape[0], d = first.info('group_centers').shape[1] ?? 0;
  const k = N_COMPONENTS;
  const cents = files.map((f) => f.getFloat64('centroid_traj'));
  const coords = new Float64Array(use.length * G * k), basis = new Float64Array(k * d);
  let variance = [0, 0, 0];
  if (G > 0 && d > 0) {
    const pca = pooledCentroidPca(cents, G, d, Infinity);
    const kk = Math.min(k, pca.n_components);
    for (let i = 0; i < use.length * G; i++) for (let c = 0; c < kk; c++) coords[i * k + c] = pca.projections[i * pca.n_components + c];
    for (let c = 0; c < kk; c++) for (let j = 0; j < d; j++) basis[c * d + j] = pca.basis[j * pca.n_components + c];
    variance = Array.from({ length: k }, (_, c) => (c < kk ? pca.explained_variance_ratio[c] : 0));
  }
  if (!files.every((f) => f.info('group_freqs').shape[0] === G)) throw failure(`${runId}: ${NEURON_GROUP_PCA} rows of reference epoch ${ref} disagree on the groups`);
  return {
    epochs: use.map((r) => r.epoch), reference_epoch: ref, group_freqs: use[0].summary.group_freqs, group_sizes: use[0].summary.group_sizes,
    neuron_group_idx: first.getInt32('neuron_group_idx'), d_model: d,
    pc_var: files.map((f) => f.getFloat32('pc_var')), mean_spread: files.map((f) => f.getFloat32('mean_spread')), projections: files.map((f) => f.getFloat32('projections')),
    centroid_pca_coords: coords, centroid_pca_var: variance, centroid_pca_basis: basis,
  };
}
