/**
 * `representation_geometry` (issue 14 §7): representation-geometry.ts per checkpoint, at resid_mid
 * (after the attention) and resid_post (after the MLP), last position, all p² pairs.
 * Artifact tensors per site S: S_centroids F32 [p, d_model], S_class_radius F32 [p],
 * S_share, S_circularity F32 [(p−1)/2]. Summary: { sites: { S: { centroid_radius,
 * mean_class_radius, fisher_mean, fisher_min, top_frequency, top_share, top_circularity } } } with
 * top_frequency the frequency of the largest centroid-variance share.
 */
import type { Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { argmax1, f32Tensor as f } from './common.js';
import { GEOMETRY_SITES, representationGeometry } from '../library/representation-geometry.js';
import { sharedForward } from '../protocol/shared-forward.js';

export const REPRESENTATION_GEOMETRY = 'representation_geometry';

export interface SiteGeometrySummary {
  centroid_radius: number; mean_class_radius: number; fisher_mean: number; fisher_min: number;
  top_frequency: number; top_share: number; top_circularity: number;
}

export const representationGeometryAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: REPRESENTATION_GEOMETRY,
  version: 1,
  params() { return { version: this.version }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const { p, dModel: d } = ctx.checkpoint.config;
    const nF = (p - 1) / 2;
    const g = representationGeometry(ctx.kernels, ctx.checkpoint.params, sharedForward(ctx));
    const sites: Record<string, SiteGeometrySummary> = {};
    const tensors: AnalyzerOutput['tensors'] = {};
    for (const s of GEOMETRY_SITES) {
      const r = g[s], top = argmax1(r.share);
      sites[s] = {
        centroid_radius: r.centroidRadius, mean_class_radius: r.meanClassRadius, fisher_mean: r.fisherMean, fisher_min: r.fisherMin,
        top_frequency: top, top_share: r.share[top - 1], top_circularity: r.circularity[top - 1],
      };
      tensors[`${s}_centroids`] = f(r.centroids, [p, d]);
      tensors[`${s}_class_radius`] = f(r.classRadius, [p]);
      tensors[`${s}_share`] = f(r.share, [nF]);
      tensors[`${s}_circularity`] = f(r.circularity, [nF]);
    }
    return { summary: { sites }, tensors };
  },
};
