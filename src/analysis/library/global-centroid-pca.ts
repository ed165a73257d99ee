/**
 * Global centroid PCA, after MIScope develop's analyzers/global_centroid_pca.py (REQ_050) and the
 * class centroids of its repr_geometry (library/clustering.py compute_class_centroids): at each
 * checkpoint, the mean activation of each class c = (a + b) mod p over all p² pairs at the last
 * position, at the four sites resid_pre (W_E[=] + W_pos[2], the same for every input), attn_out
 * (the attention output, b_O included), mlp_out (the MLP output, b_out included) and resid_post;
 * then, per site, one PCA of the centroids of all checkpoints pooled (n_epochs · p rows × d_model),
 * truncated at 95 % cumulative explained variance, and every checkpoint's centroids projected in
 * that one frame: the centroid trajectories (MIScope _pca_with_variance_threshold).
 * The PCA is mean-centred with eigenvalues σ²/(N − 1), as MIScope's SVD gives; here it is the
 * eigen-decomposition of the pooled d × d covariance (the same basis and variances; the components
 * a PCA cuts at 95 % have eigenvalues far above its rounding). Signs: each basis vector's
 * largest-magnitude entry is positive (MIScope keeps whatever numpy's SVD returns).
 */
import { symmetricEigensystem } from '../../math/linalg.js';

export const CENTROID_SITES = ['resid_pre', 'attn_out', 'mlp_out', 'resid_post'] as const;
export type CentroidSite = (typeof CENTROID_SITES)[number];

/** MIScope _VARIANCE_THRESHOLD. */
export const VARIANCE_THRESHOLD = 0.95;

/** Class centroids [p, d] of samples X [p², d] (row a·p + b) by c = (a + b) mod p, accumulated in float64. */
export function classCentroids(X: ArrayLike<number>, p: number, d: number): Float64Array {
  const mu = new Float64Array(p * d);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const o = (a * p + b) * d, m = ((a + b) % p) * d;
    for (let j = 0; j < d; j++) mu[m + j] += X[o + j];
  }
  for (let i = 0; i < p * d; i++) mu[i] /= p;
  return mu;
}

/**
 * The four sites' centroids [p, d] from the centroids of the residual after the attention
 * (resid_mid) and after the MLP (resid_post) and the last position's input x2 = W_E[p] + W_pos[2]:
 * centroids are means, so attn_out = resid_mid − x2 and mlp_out = resid_post − resid_mid exactly.
 */
export function siteCentroids(residMid: ArrayLike<number>, residPost: ArrayLike<number>, x2: ArrayLike<number>, p: number, d: number): Record<CentroidSite, Float64Array> {
  const pre = new Float64Array(p * d), attn = new Float64Array(p * d), mlp = new Float64Array(p * d), post = Float64Array.from(residPost);
  for (let c = 0; c < p; c++) for (let j = 0; j < d; j++) {
    const i = c * d + j;
    pre[i] = x2[j];
    attn[i] = residMid[i] - x2[j];
    mlp[i] = residPost[i] - residMid[i];
  }
  return { resid_pre: pre, attn_out: attn, mlp_out: mlp, resid_post: post };
}

/** MIScope compute_center_spread: √(mean_c ‖μ_c − μ̄‖²). */
export function centerSpread(mu: ArrayLike<number>, p: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let c = 0; c < p; c++) m += mu[c * d + j];
    m /= p;
    for (let c = 0; c < p; c++) s += (mu[c * d + j] - m) ** 2;
  }
  return Math.sqrt(s / p);
}

export interface PooledPca {
  /** n_components k: the smallest with cumulative explained variance ≥ the threshold (1 when there is no variance). */
  n_components: number;
  /** [n_epochs, n_classes, k] row-major: each checkpoint's centroids in the global frame. */
  projections: Float64Array;
  /** [d, k]: the principal axes as columns. */
  basis: Float64Array;
  /** [d]: the mean of all pooled centroids. */
  mean: Float64Array;
  /** (k): explained variance ratio of the kept components. */
  explained_variance_ratio: Float64Array;
  /** (k): their variances (eigenvalues of the covariance, N − 1 denominator). */
  explained_variance: Float64Array;
}

/**
 * One PCA of the centroids of all epochs pooled (each [p, d], in epoch order), truncated at
 * `threshold` of cumulative explained variance, with every epoch's centroids projected on it.
 */
export function pooledCentroidPca(perEpoch: readonly ArrayLike<number>[], p: number, d: number, threshold = VARIANCE_THRESHOLD): PooledPca {
  const n = perEpoch.length, N = n * p;
  if (n === 0) throw new Error('pooledCentroidPca needs at least one epoch');
  const mean = new Float64Array(d);
  for (const C of perEpoch) for (let i = 0; i < p; i++) for (let j = 0; j < d; j++) mean[j] += C[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= N;
  // Upper triangle of Σ (x − μ)(x − μ)ᵀ, row by row.
  const cov = new Float64Array(d * d), y = new Float64Array(d);
  for (const C of perEpoch) for (let i = 0; i < p; i++) {
    for (let j = 0; j < d; j++) y[j] = C[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ya = y[a];
      if (ya === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b] += ya * y[b];
    }
  }
  const denom = Math.max(N - 1, 1);
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) { const v = cov[a * d + b] / denom; cov[a * d + b] = v; cov[b * d + a] = v; }
  const { values, vectors } = symmetricEigensystem(cov, d);
  const lam = Array.from(values, (v) => Math.max(v, 0));
  const total = lam.reduce((a, v) => a + v, 0);
  // MIScope: one component when the ratios sum to < 1e-12 (no variance), else the first reaching the threshold (all if none).
  let k = 1;
  if (total > 0) {
    k = lam.length;
    let cum = 0;
    for (let c = 0; c < lam.length; c++) { cum += lam[c] / total; if (cum >= threshold) { k = c + 1; break; } }
  }
  const basis = new Float64Array(d * k);
  for (let c = 0; c < k; c++) {
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(vectors[j * d + c]) > Math.abs(big)) big = vectors[j * d + c];
    const sg = big < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) basis[j * k + c] = sg * vectors[j * d + c];
  }
  const projections = new Float64Array(N * k);
  perEpoch.forEach((C, e) => {
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < d; j++) y[j] = C[i * d + j] - mean[j];
      const o = (e * p + i) * k;
      for (let j = 0; j < d; j++) { const yj = y[j]; if (yj === 0) continue; for (let c = 0; c < k; c++) projections[o + c] += yj * basis[j * k + c]; }
    }
  });
  return {
    n_components: k, projections, basis, mean,
    explained_variance_ratio: Float64Array.from({ length: k }, (_, c) => (total > 0 ? lam[c] / total : 0)),
    explained_variance: Float64Array.from(lam.slice(0, k)),
  };
}
