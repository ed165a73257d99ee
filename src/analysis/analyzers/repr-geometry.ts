/**
 * `repr_geometry` (issue 26 §6): MIScope's RepresentationalGeometryAnalyzer
 * (analyzers/repr_geometry.py, library/geometry.py) per checkpoint, with its name, sites and keys;
 * the statistics are library/repr-geometry.ts. grokbench's own `representation_geometry`
 * (issue 14, two sites, Fourier-plane shares) is a different analyzer and stays as it is.
 *
 * Sites (MIScope _SITES), the last position over all p² pairs, from the one shared forward pass
 * (protocol/shared-forward.ts):
 *   resid_pre   W_E[=] + W_pos[2], the same for every pair (TransformerLens hook_resid_pre);
 *   attn_out    the attention output, b_O included: the residual after the attention minus resid_pre
 *               (the forward pass does not keep the attention output apart; the subtraction rounds
 *               at float32 of |resid_pre|, where MIScope reads hook_attn_out);
 *   mlp_out     MIScope's "mlp" extractor, bundle.mlp_post: the d_mlp post-ReLU neuron activations
 *               (not the MLP's d_model output; global_centroid_pca's mlp_out is that output);
 *   resid_post  the final residual.
 * Artifact tensors per site S (MIScope's npz keys): S_centroids F32 [p, d_S], S_radii F32 [p],
 * S_dimensionality F32 [p]. Summary (MIScope compute_summary, flat): S_K for every scalar key K of
 * REPR_SCALAR_KEYS and REPR_PCA_VAR_KEYS (the fisher_argmin_* as numbers, as MIScope stores them).
 */
import type { Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { f32Tensor as f } from './common.js';
import { REPR_GEOMETRY_SITES, REPR_PCA_VAR_KEYS, REPR_SCALAR_KEYS, reprSiteMeasures, type ReprGeometrySite } from '../library/repr-geometry.js';
import { sharedForward } from '../protocol/shared-forward.js';
import type { Params } from '../../model/params.js';
import type { Forward } from '../../model/model.js';

export const REPR_GEOMETRY = 'repr_geometry';

/** The flat summary: `${site}_${key}` → number. */
export type ReprGeometrySummary = Record<string, number>;

/** MIScope's summary keys (_get_summary_keys), in its order. */
export function reprGeometrySummaryKeys(): string[] {
  return [
    ...REPR_GEOMETRY_SITES.flatMap((s) => REPR_SCALAR_KEYS.map((k) => `${s}_${k}`)),
    ...REPR_GEOMETRY_SITES.flatMap((s) => REPR_PCA_VAR_KEYS.map((k) => `${s}_${k}`)),
  ];
}

/** The four sites' samples [p², d_S] (row a·p + b) and their widths. */
export function reprSiteSamples(params: Params, fwd: Pick<Forward, 'r' | 'post' | 'f'>): Record<ReprGeometrySite, { X: ArrayLike<number>; d: number }> {
  const { p, dModel: d, dMlp: m } = params.config;
  const N = p * p;
  const WE = params.t['embed.W_E'], Wpos = params.t['pos_embed.W_pos'];
  // At the activations' precision (float32 as TransformerLens's hook_resid_pre): the class sums of p
  // copies are then exact, the centroid is x2 itself and the radii are exactly 0.
  const round = fwd.r instanceof Float32Array ? Math.fround : (x: number) => x;
  const x2 = Float64Array.from({ length: d }, (_, j) => round(WE[p * d + j] + Wpos[2 * d + j]));
  const pre = new Float64Array(N * d), attn = new Float64Array(N * d);
  for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) { pre[i * d + j] = x2[j]; attn[i * d + j] = fwd.r[i * d + j] - x2[j]; }
  return {
    resid_pre: { X: pre, d }, attn_out: { X: attn, d },
    mlp_out: { X: fwd.post.subarray(0, N * m), d: m }, resid_post: { X: fwd.f.subarray(0, N * d), d },
  };
}

export const reprGeometryAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: REPR_GEOMETRY,
  version: 2,
  params() { return { version: this.version }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const params = ctx.checkpoint.params, p = params.config.p;
    const samples = reprSiteSamples(params, sharedForward(ctx));
    const summary: ReprGeometrySummary = {};
    const tensors: AnalyzerOutput['tensors'] = {};
    for (const s of REPR_GEOMETRY_SITES) {
      const { X, d } = samples[s];
      const r = reprSiteMeasures(X, p, d, ctx.kernels);
      for (const [k, v] of Object.entries(r.scalars)) summary[`${s}_${k}`] = v;
      tensors[`${s}_centroids`] = f(r.centroids, [p, d]);
      tensors[`${s}_radii`] = f(r.radii, [p]);
      tensors[`${s}_dimensionality`] = f(r.dimensionality, [p]);
    }
    const ordered: ReprGeometrySummary = {};
    for (const k of reprGeometrySummaryKeys()) ordered[k] = summary[k];
    return { summary: ordered, tensors };
  },
};
