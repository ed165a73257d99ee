/**
 * `activation_dmd` (issue 26 §2; MIScope develop analyzers/activation_dmd.py, REQ_117), a run
 * analyzer that requires `global_centroid_pca`: per site (resid_pre, attn_out, mlp_out,
 * resid_post) the trajectory of the class centroids in the run's global PCA frame
 * (readGlobalCentroidPca: [n_epochs, p · n_components], MIScope's projections.reshape(n_epochs, −1)),
 * then library/dmd.ts's four stages with MIScope's defaults: sliding-window exact DMD (window
 * min(10, n_epochs), stride 1, energy threshold 0.99), greedy eigenvalue tracks, regime
 * boundaries at prominent peaks of the windows' mean residual (median + 3·MAD), and DMD per regime.
 *
 * It is a run analyzer, not a cross-epoch one, because every number of it depends on the frame,
 * which depends on all of the run's checkpoints: it has no per-checkpoint value that a later
 * checkpoint leaves valid. Its one row (stored at the run's last metrics epoch, as every run
 * analyzer's) is recomputed when the centroid rows it read have changed (their epochs and artifact
 * checksums, `input_fingerprint`), and reused otherwise.
 *
 * Summary (MIScope's cross_epoch.npz keys, nested: S__windowed__eigenvalues is
 * sites[S].windowed.eigenvalues_re / _im): { epochs, input_fingerprint, sites: { S: { n_classes,
 * n_components, explained_variance_ratio, windowed: { window_starts, window_ends,
 * n_modes_per_window, max_modes, eigenvalues_re, eigenvalues_im, residual_norms,
 * residual_norm_mean, residual_norm_max }, tracks: { track_ids, n_tracks }, regimes: {
 * segment_starts, segment_ends, boundary_indices, threshold_used, min_prominence_used,
 * peak_prominences }, per_regime: { segment_starts, segment_ends, n_modes_per_segment, max_modes,
 * eigenvalues_re, eigenvalues_im, amplitudes_re, amplitudes_im, residual_norms,
 * residual_norm_mean, residual_norm_max } } } }. Per window and segment the lists hold its own
 * modes (MIScope pads to max_modes with NaN). Not kept: the trajectory itself (readGlobalCentroidPca
 * gives it), the modes Φ (state_dim × modes per window) and the windows' amplitudes.
 *
 * Memory: readGlobalCentroidPca's (58 MB of centroids for 251 checkpoints at p = 113, then one
 * site's projections, n · p · k float64) plus one site's trajectory copy; the DMD itself works on
 * one window (state_dim × window) at a time.
 */
import { createHash } from 'node:crypto';
import { readChecksums } from '../../io/checksum.js';
import type { RunAnalyzer } from '../protocol/analyzer.js';
import { activationDmdSite, type ActivationDmdSite } from '../library/dmd.js';
import { CENTROID_SITES, type CentroidSite, VARIANCE_THRESHOLD } from '../library/global-centroid-pca.js';
import { GLOBAL_CENTROID_PCA, GLOBAL_CENTROID_PCA_PARAMS, readGlobalCentroidPca } from './global-centroid-pca.js';

export const ACTIVATION_DMD = 'activation_dmd';

/** MIScope's defaults (REQ_117 phase 1a). */
export const ACTIVATION_DMD_PARAMS = {
  version: 1, window_size: 10, window_stride: 1, energy_threshold: 0.99, variance_threshold: VARIANCE_THRESHOLD, input: GLOBAL_CENTROID_PCA_PARAMS,
} as const;

type WindowedOut = Omit<ActivationDmdSite['windowed'], 'amplitudes_re' | 'amplitudes_im'>;

export interface ActivationDmdSiteSummary extends Omit<ActivationDmdSite, 'windowed'> {
  n_classes: number;
  n_components: number;
  explained_variance_ratio: number[];
  windowed: WindowedOut;
}

export interface ActivationDmdSummary {
  epochs: number[];
  input_fingerprint: string;
  /** Null when the run has fewer than 2 analysed checkpoints (DMD needs a pair). */
  sites: Record<CentroidSite, ActivationDmdSiteSummary> | null;
}

export const activationDmdAnalyzer: RunAnalyzer = {
  tier: 'run',
  name: ACTIVATION_DMD,
  version: ACTIVATION_DMD_PARAMS.version,
  requires: [GLOBAL_CENTROID_PCA],
  params() { return ACTIVATION_DMD_PARAMS; },
  analyseRun(ctx): ActivationDmdSummary {
    const rows = ctx.store.getAnalyses(ctx.runId, GLOBAL_CENTROID_PCA, GLOBAL_CENTROID_PCA_PARAMS);
    const h = createHash('sha256');
    for (const r of rows) h.update(`${r.epoch}:${r.path ? (readChecksums(r.path) ?? ['-']).join(',') : '-'}\n`);
    const fingerprint = h.digest('hex');
    const before = ctx.store.getAnalyses<ActivationDmdSummary>(ctx.runId, ACTIVATION_DMD, ACTIVATION_DMD_PARAMS).at(-1)?.summary;
    if (before && before.input_fingerprint === fingerprint) return before;
    return activationDmd(ctx.store, ctx.runId, fingerprint);
  },
};

/** The run's activation DMD from its stored centroid rows. */
export function activationDmd(store: Parameters<typeof readGlobalCentroidPca>[0], runId: string, fingerprint = ''): ActivationDmdSummary {
  const pca = readGlobalCentroidPca(store, runId, ACTIVATION_DMD_PARAMS.variance_threshold);
  if (!pca || pca.epochs.length < 2) return { epochs: pca?.epochs ?? [], input_fingerprint: fingerprint, sites: null };
  const n = pca.epochs.length, p = pca.n_classes;
  const sites = {} as Record<CentroidSite, ActivationDmdSiteSummary>;
  for (const s of CENTROID_SITES) {
    const g = pca.sites[s];
    const k = g.n_components;
    // projections [n, p, k] is already the trajectory [n, p·k] row-major.
    const r = activationDmdSite(g.projections, n, p * k, ACTIVATION_DMD_PARAMS.window_size, ACTIVATION_DMD_PARAMS.window_stride, ACTIVATION_DMD_PARAMS.energy_threshold);
    const { amplitudes_re: _ar, amplitudes_im: _ai, ...windowed } = r.windowed;
    sites[s] = { n_classes: p, n_components: k, explained_variance_ratio: Array.from(g.explained_variance_ratio), windowed, tracks: r.tracks, regimes: r.regimes, per_regime: r.per_regime };
  }
  return { epochs: pca.epochs, input_fingerprint: fingerprint, sites };
}
