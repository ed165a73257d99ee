/**
 * `intragroup_manifold` (issue 26 item 4; MIScope develop analyzers/intragroup_manifold.py, REQ_092), a
 * cross-epoch analyzer that requires `neuron_group_pca`: at every checkpoint, for each frequency group,
 * the quadratic surface fit PC3 ~ PC1, PC2 of its neurons' coordinates on the group's reference PCA
 * axes (neuron_group_pca's `projections`), two-stage (linear, then quadratic; library/shape.ts
 * characterizeSurface): r2_linear, r2_quadratic, r2_curvature = their difference, the quadratic
 * coefficients a (PC1²), b (PC2²), c (PC1·PC2) and the shape: flat/blob when r2_curvature < 0.05,
 * else bowl when 4ab − c² > 0, else saddle (MIScope's code; REQ_092's text says sign(a) = sign(b),
 * the code uses the rotation-invariant Hessian determinant). Groups of fewer than 7 neurons: NaN,
 * flat/blob.
 *
 * Artifact tensors per checkpoint (MIScope's keys, one epoch's slice): group_freqs I32 [n_groups],
 * group_sizes I32, r2_linear, r2_quadratic, r2_curvature, a, b, c F32 [n_groups], shape_int F32
 * [n_groups] (0 flat/blob, 1 bowl, 2 saddle; NaN where the projections are NaN, as MIScope's float
 * array). Summary: { reference_epoch, group_freqs, group_sizes, r2_linear, r2_quadratic,
 * r2_curvature, a, b, c (per group, null for NaN), shape (per group, null where not fitted) }.
 */
import { existsSync } from 'node:fs';
import { failure } from '../../core/errors.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import type { AnalyzerOutput, CrossEpochAnalyzer } from '../protocol/analyzer.js';
import { N_COMPONENTS } from '../library/neuron-group-pca.js';
import { SURFACE_SHAPES, type SurfaceParameters, type SurfaceShape, characterizeSurface } from '../library/shape.js';
import { f32Tensor } from './common.js';
import { epochsToCompute } from './freq-groups.js';
import { NEURON_GROUP_PCA, NEURON_GROUP_PCA_PARAMS, type NeuronGroupPcaSummary } from './neuron-group-pca.js';

export const INTRAGROUP_MANIFOLD = 'intragroup_manifold';
export const INTRAGROUP_MANIFOLD_PARAMS = { version: 1, input: NEURON_GROUP_PCA_PARAMS } as const;
const FIELDS = ['r2_linear', 'r2_quadratic', 'r2_curvature', 'a', 'b', 'c'] as const;

export type IntragroupManifoldSummary = {
  reference_epoch: number;
  group_freqs: number[];
  group_sizes: number[];
  shape: (SurfaceShape | null)[];
} & Record<(typeof FIELDS)[number], (number | null)[]>;

/** One checkpoint's row from neuron_group_pca's projections [d_mlp, 3] and group index [d_mlp]. */
export function manifoldRow(projections: ArrayLike<number>, neuronGroupIdx: ArrayLike<number>, ref: Pick<NeuronGroupPcaSummary, 'reference_epoch' | 'group_freqs' | 'group_sizes'>): AnalyzerOutput {
  const G = ref.group_freqs.length, k = N_COMPONENTS;
  const fits: (SurfaceParameters | null)[] = [];
  for (let g = 0; g < G; g++) {
    const rows: number[] = [];
    for (let n = 0; n < neuronGroupIdx.length; n++) if (neuronGroupIdx[n] === g) for (let c = 0; c < k; c++) rows.push(projections[n * k + c]);
    fits.push(rows.some((v) => Number.isNaN(v)) ? null : characterizeSurface(rows, rows.length / k));
  }
  const summary: Record<string, unknown> = { reference_epoch: ref.reference_epoch, group_freqs: ref.group_freqs, group_sizes: ref.group_sizes, shape: fits.map((f) => f?.shape ?? null) };
  const tensors: AnalyzerOutput['tensors'] = {
    group_freqs: { dtype: 'I32', shape: [G], data: Int32Array.from(ref.group_freqs) },
    group_sizes: { dtype: 'I32', shape: [G], data: Int32Array.from(ref.group_sizes) },
    shape_int: f32Tensor(fits.map((f) => (f ? SURFACE_SHAPES.indexOf(f.shape) : NaN)), [G]),
  };
  for (const key of FIELDS) {
    const v = fits.map((f) => (f ? f[key] : NaN));
    summary[key] = v.map((x) => (Number.isFinite(x) ? x : null));
    tensors[key] = f32Tensor(v, [G]);
  }
  return { summary, tensors };
}

export const intragroupManifoldAnalyzer: CrossEpochAnalyzer = {
  tier: 'cross_epoch',
  name: INTRAGROUP_MANIFOLD,
  version: INTRAGROUP_MANIFOLD_PARAMS.version,
  requires: [NEURON_GROUP_PCA],
  params() { return INTRAGROUP_MANIFOLD_PARAMS; },
  analyseEpochs(ctx, emit) {
    const pca = new Map(ctx.store.getAnalyses<NeuronGroupPcaSummary>(ctx.runId, NEURON_GROUP_PCA, NEURON_GROUP_PCA_PARAMS).map((r) => [r.epoch, r]));
    for (const cp of epochsToCompute(ctx, INTRAGROUP_MANIFOLD, INTRAGROUP_MANIFOLD_PARAMS, (e) => pca.get(e)?.summary.reference_epoch)) {
      const row = pca.get(cp.epoch);
      if (!row?.path || !existsSync(row.path)) throw failure(`epoch ${cp.epoch}: no ${NEURON_GROUP_PCA} artifact to fit the surfaces on`);
      const f = readSafetensorsFile(row.path);
      emit(cp.epoch, manifoldRow(f.getFloat32('projections'), f.getInt32('neuron_group_idx'), row.summary));
    }
  },
};
