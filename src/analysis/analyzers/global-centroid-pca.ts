/**
 * `global_centroid_pca` (issue 26 §1; MIScope develop analyzers/global_centroid_pca.py), a
 * cross-epoch analyzer that requires `representation_geometry`, as MIScope's requires its
 * repr_geometry: per checkpoint, the class centroids at the four sites (library/global-centroid-pca.ts)
 * from that checkpoint's stored resid_mid and resid_post centroids and its W_E[p] + W_pos[2].
 * Artifact tensors: S_centroids F32 [p, d_model] for S in resid_pre, attn_out, mlp_out,
 * resid_post. Summary: { sites: { S: { center_spread } } } (MIScope compute_center_spread), and
 * the RMS displacement of the centroids since the previous checkpoint, { displacement } per site
 * (null at the first).
 *
 * The one PCA basis across all epochs is not stored: it depends on every checkpoint of the run,
 * so `readGlobalCentroidPca` fits it on the stored centroids of all analysed checkpoints when they
 * are read (as readParameterTrajectory does its PCA), and it always covers every one of them;
 * its result has MIScope's cross_epoch.npz fields (epochs, S__projections, S__basis, S__mean,
 * S__explained_variance_ratio).
 *
 * Memory: the call holds one checkpoint's centroids and the previous one's (4 · 2 · p · d_model
 * float64, 0.9 MB at p = 113); the reader holds every checkpoint's centroids as float32
 * (n · 4 · p · d_model · 4 bytes: 58 MB for 251 checkpoints at p = 113) and one site's
 * projections at a time (n · p · k float64).
 */
import { existsSync } from 'node:fs';
import { failure } from '../../core/errors.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import { loadCheckpoint } from '../../model/checkpoint.js';
import type { Store } from '../../store/store.js';
import type { AnalyzerOutput, CrossEpochAnalyzer } from '../protocol/analyzer.js';
import { CENTROID_SITES, type CentroidSite, type PooledPca, VARIANCE_THRESHOLD, centerSpread, pooledCentroidPca, siteCentroids } from '../library/global-centroid-pca.js';
import { REPRESENTATION_GEOMETRY, representationGeometryAnalyzer } from './representation-geometry.js';
import { f32Tensor } from './common.js';

export const GLOBAL_CENTROID_PCA = 'global_centroid_pca';

export const GLOBAL_CENTROID_PCA_PARAMS = { version: 1, sites: CENTROID_SITES.join(','), classes: '(a+b) mod p', position: 'last' } as const;

export interface GlobalCentroidPcaSummary {
  previous_epoch: number | null;
  sites: Record<CentroidSite, { center_spread: number; displacement: number | null }>;
}

export const globalCentroidPcaAnalyzer: CrossEpochAnalyzer = {
  tier: 'cross_epoch',
  name: GLOBAL_CENTROID_PCA,
  version: GLOBAL_CENTROID_PCA_PARAMS.version,
  requires: [REPRESENTATION_GEOMETRY],
  params() { return GLOBAL_CENTROID_PCA_PARAMS; },
  analyseEpochs(ctx, emit) {
    const geometry = new Map(ctx.store.getAnalyses(ctx.runId, REPRESENTATION_GEOMETRY, representationGeometryAnalyzer.params(ctx.options)).map((r) => [r.epoch, r.path]));
    const last = Math.max(...ctx.todo);
    let previous: { epoch: number; c: Record<CentroidSite, Float64Array> } | null = null;
    for (let i = 0; i < ctx.checkpoints.length; i++) {
      const cp = ctx.checkpoints[i], next = ctx.checkpoints[i + 1];
      if (cp.epoch > last) break;
      // A checkpoint's row needs the previous one's centroids: compute those it needs, the rest are skipped.
      if (!ctx.todo.has(cp.epoch) && !(next && ctx.todo.has(next.epoch))) { previous = null; continue; }
      const path = geometry.get(cp.epoch);
      if (!path || !existsSync(path)) throw failure(`epoch ${cp.epoch}: no ${REPRESENTATION_GEOMETRY} artifact to read the centroids from`);
      const g = readSafetensorsFile(path);
      const params = loadCheckpoint(cp.path).params;
      const { p, dModel: d } = params.config;
      const WE = params.t['embed.W_E'], Wpos = params.t['pos_embed.W_pos'];
      const x2 = Float64Array.from({ length: d }, (_, j) => WE[p * d + j] + Wpos[2 * d + j]);
      const c = siteCentroids(g.getFloat64('resid_mid_centroids'), g.getFloat64('resid_post_centroids'), x2, p, d);
      if (ctx.todo.has(cp.epoch)) emit(cp.epoch, centroidRow(c, p, d, previous));
      previous = { epoch: cp.epoch, c };
    }
  },
};

/** A checkpoint's row: its centroids, their spread and their RMS displacement from the previous checkpoint's. */
export function centroidRow(c: Record<CentroidSite, Float64Array>, p: number, d: number, previous: { epoch: number; c: Record<CentroidSite, Float64Array> } | null): AnalyzerOutput {
  const sites = {} as GlobalCentroidPcaSummary['sites'];
  const tensors: AnalyzerOutput['tensors'] = {};
  for (const s of CENTROID_SITES) {
    let displacement: number | null = null;
    if (previous) {
      let sq = 0;
      for (let i = 0; i < p * d; i++) sq += (c[s][i] - previous.c[s][i]) ** 2;
      displacement = Math.sqrt(sq / p);
    }
    sites[s] = { center_spread: centerSpread(c[s], p, d), displacement };
    tensors[`${s}_centroids`] = f32Tensor(c[s], [p, d]);
  }
  return { summary: { previous_epoch: previous?.epoch ?? null, sites } satisfies GlobalCentroidPcaSummary, tensors };
}

export interface GlobalCentroidPca {
  epochs: number[];
  n_classes: number;
  d_model: number;
  sites: Record<CentroidSite, PooledPca>;
  /** Rows not used (their artifact is missing or does not fit the others'). */
  rowsLeftOut: number;
}

/**
 * The run's global centroid PCA from its stored rows: per site one PCA of the centroids of every
 * analysed checkpoint, cut at `threshold` of explained variance, and each checkpoint's centroids
 * in that frame. Null when the run has no rows.
 */
export function readGlobalCentroidPca(store: Store, runId: string, threshold = VARIANCE_THRESHOLD): GlobalCentroidPca | null {
  const rows = store.getAnalyses<GlobalCentroidPcaSummary>(runId, GLOBAL_CENTROID_PCA, GLOBAL_CENTROID_PCA_PARAMS);
  const epochs: number[] = [];
  const per = Object.fromEntries(CENTROID_SITES.map((s) => [s, [] as Float32Array[]])) as Record<CentroidSite, Float32Array[]>;
  let shape: number[] | null = null;
  for (const r of rows) {
    if (!r.path || !existsSync(r.path)) continue;
    const f = readSafetensorsFile(r.path);
    const sh = f.info('resid_post_centroids').shape;
    shape ??= sh;
    if (sh.length !== 2 || sh[0] !== shape[0] || sh[1] !== shape[1]) continue;
    for (const s of CENTROID_SITES) per[s].push(f.getFloat32(`${s}_centroids`));
    epochs.push(r.epoch);
  }
  if (!shape || epochs.length === 0) return null;
  const [p, d] = shape;
  const sites = {} as Record<CentroidSite, PooledPca>;
  for (const s of CENTROID_SITES) {
    sites[s] = pooledCentroidPca(per[s], p, d, threshold);
    per[s] = []; // free the site's centroids once its projections are made
  }
  return { epochs, n_classes: p, d_model: d, sites, rowsLeftOut: rows.length - epochs.length };
}
