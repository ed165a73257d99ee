/**
 * MIScope's representational geometry (analyzers/repr_geometry.py with library/geometry.py), the
 * per-site statistics of class manifolds: samples X [p², d] (all pairs, row a·p + b, the last
 * position) grouped by class c = (a + b) mod p (p samples each).
 *   centroids μ_c, radii r_c = √(mean over the class ‖x − μ_c‖²) (compute_class_radii), their mean
 *     mean_radius;
 *   dimensionality D_c = (Σλ)² / Σλ² of the class covariance C_c = Σ (x − μ_c)(x − μ_c)ᵀ / n
 *     (compute_class_dimensionality; 0 for fewer than 2 samples or no variance), and mean_dim.
 *     MIScope takes the eigenvalues of the d × d covariance; here Σλ = tr C and Σλ² = ‖C‖²_F =
 *     ‖Y Yᵀ‖²_F / n² with Y the class's centred samples (n × n, the same numbers exactly in
 *     arithmetic: no eigenproblem, and p² · d / 2 products per class instead of d³);
 *   center_spread = √(mean_c ‖μ_c − μ̄‖²) (compute_center_spread), snr = center_spread² / mean_radius²
 *     (0 when mean_radius is 0);
 *   the centroids' PCA (_pca_project: population covariance; here through the p × p Gram matrix of
 *     the centred centroids, whose eigenvalues are the covariance's nonzero ones times p): the
 *     variance fractions of the top 3 components pca_var_pc1..3 (0 when the total variance is below
 *     1e-12) and the projection on the top 2;
 *   circularity (compute_circularity): the Kåsa circle fit x² + y² + ax + by + c = 0 (least squares,
 *     minimum-norm as numpy's lstsq) of the top-2 projection, score = (1 − mean residual² / planar
 *     variance) · (f₁ + f₂) · f₂/f₁ clamped to [0, 1] (f the variance fractions; 0 when the planar
 *     variance is below 1e-12);
 *   fourier_alignment (compute_fourier_alignment): with θ_r the angle of centroid r about the fitted
 *     centre, max over k = 1..p−1 of |mean_r e^{iθ_r} e^{−2πikr/p}|²;
 *   fisher_mean, fisher_min (compute_fisher_discriminant) and the pair of the smallest ratio
 *     fisher_argmin_r < fisher_argmin_s with its circular distance fisher_argmin_diff = min(s − r, p − s + r)
 *     (representation-geometry.ts fisherPairs; MIScope's compute_fisher_matrix uses the radii
 *     squared, here the variances they are the roots of).
 */
import type { Kernels } from '../../engine/kernels.js';
import { symmetricEigensystem } from '../../math/linalg.js';
import { centerSpread, classCentroids } from './global-centroid-pca.js';
import { classVariances, fisherPairs } from './representation-geometry.js';

/** MIScope's _SITES, in its order. */
export const REPR_GEOMETRY_SITES = ['resid_pre', 'attn_out', 'mlp_out', 'resid_post'] as const;
export type ReprGeometrySite = (typeof REPR_GEOMETRY_SITES)[number];

/** MIScope's _SCALAR_KEYS and _PCA_VAR_KEYS: the summary's per-site statistics, `${site}_${key}`. */
export const REPR_SCALAR_KEYS = [
  'mean_radius', 'mean_dim', 'center_spread', 'snr', 'circularity', 'fourier_alignment',
  'fisher_mean', 'fisher_min', 'fisher_argmin_r', 'fisher_argmin_s', 'fisher_argmin_diff',
] as const;
export const REPR_PCA_VAR_KEYS = ['pca_var_pc1', 'pca_var_pc2', 'pca_var_pc3'] as const;
export type ReprScalarKey = (typeof REPR_SCALAR_KEYS)[number] | (typeof REPR_PCA_VAR_KEYS)[number];

export interface ReprSiteMeasures {
  centroids: Float64Array;
  radii: Float64Array;
  dimensionality: Float64Array;
  scalars: Record<ReprScalarKey, number>;
}

/**
 * Participation ratio of each class's covariance, from the Gram matrix G = Y·Yᵀ of its centred
 * samples Y [p, d] (the covariance's non-zero eigenvalues are G's over n): (tr G)² / ‖G‖²_F. The
 * centring, tr G and the squares are float64; with kernels `k` the Gram's off-diagonal products
 * come from the engine's float32 GEMM (p³·d multiply-adds per site, ~80× faster at p = 113,
 * d = 512; relative difference from the float64 loop ~1e-6), without them from a float64 loop.
 */
export function classDimensionality(X: ArrayLike<number>, mu: ArrayLike<number>, p: number, d: number, k?: Kernels): Float64Array {
  const dims = new Float64Array(p);
  if (p < 2) return dims;
  const Y = new Float64Array(p * d), sq = new Float64Array(p);
  const Y32 = k ? k.alloc(p * d) : null, G = k ? k.alloc(p * p) : null;
  for (let c = 0; c < p; c++) {
    let tr = 0;
    for (let a = 0; a < p; a++) {
      const o = (a * p + ((c - a + p) % p)) * d, y = a * d;
      let s2 = 0;
      for (let j = 0; j < d; j++) { const e = X[o + j] - mu[c * d + j]; Y[y + j] = e; s2 += e * e; }
      sq[a] = s2; tr += s2;
    }
    if (!(tr > 0)) continue; // no variance: MIScope's 0
    let fro = 0;
    for (let i = 0; i < p; i++) fro += sq[i] * sq[i];
    if (k && Y32 && G) {
      Y32.set(Y);
      k.gemm(false, true, p, p, d, 1, Y32, Y32, 0, G);
      for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) { const g = G[i * p + j]; fro += 2 * g * g; }
    } else fro += 2 * offDiagonalGramSquares(Y, p, d);
    dims[c] = (tr * tr) / fro;
  }
  return dims;
}

/** Σ_{i<k} (y_i · y_k)² over the rows of Y [n, d], in float64. */
function offDiagonalGramSquares(Y: Float64Array, n: number, d: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const io = i * d;
    for (let k = i + 1; k < n; k++) {
      const ko = k * d;
      let g0 = 0, g1 = 0, g2 = 0, g3 = 0, j = 0;
      for (; j + 3 < d; j += 4) {
        g0 += Y[io + j] * Y[ko + j]; g1 += Y[io + j + 1] * Y[ko + j + 1];
        g2 += Y[io + j + 2] * Y[ko + j + 2]; g3 += Y[io + j + 3] * Y[ko + j + 3];
      }
      for (; j < d; j++) g0 += Y[io + j] * Y[ko + j];
      const g = g0 + g1 + g2 + g3;
      s += g * g;
    }
  }
  return s;
}

/** MIScope _pca_project of n points [n, d]: the top-`nc` variance fractions and the points' coordinates [n, nc] on those components. */
export function pcaProject(points: ArrayLike<number>, n: number, d: number, nc: number): { fractions: Float64Array; projected: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += points[i * d + j] / n;
  const G = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = i; k < n; k++) {
    let g = 0;
    for (let j = 0; j < d; j++) g += (points[i * d + j] - mean[j]) * (points[k * d + j] - mean[j]);
    G[i * n + k] = g; G[k * n + i] = g;
  }
  const { values, vectors } = symmetricEigensystem(G, n);
  const total = values.reduce((a, v) => a + Math.max(v, 0), 0) / n;
  const fractions = new Float64Array(nc), projected = new Float64Array(n * nc);
  for (let c = 0; c < Math.min(nc, n, d); c++) {
    const lam = Math.max(values[c], 0);
    fractions[c] = total < 1e-12 ? 0 : lam / n / total;
    const s = Math.sqrt(lam);
    for (let i = 0; i < n; i++) projected[i * nc + c] = vectors[i * n + c] * s;
  }
  return { fractions, projected };
}

/** MIScope _kasa_circle_fit of 2-D points [n, 2]: the minimum-norm least-squares (a, b, c) of x² + y² + ax + by + c = 0. */
export function kasaCircleFit(xy: ArrayLike<number>, n: number): { cx: number; cy: number; radius: number } {
  const M = new Float64Array(9), r = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const row = [xy[2 * i], xy[2 * i + 1], 1], rhs = -(xy[2 * i] ** 2 + xy[2 * i + 1] ** 2);
    for (let u = 0; u < 3; u++) { r[u] += row[u] * rhs; for (let w = 0; w < 3; w++) M[u * 3 + w] += row[u] * row[w]; }
  }
  // Pseudo-inverse of the normal matrix (numpy's lstsq cut-off: singular values below ε·max·n of A).
  const { values, vectors } = symmetricEigensystem(M, 3);
  const cut = Math.max(values[0], 0) * (Number.EPSILON * Math.max(n, 3)) ** 2;
  const sol = new Float64Array(3);
  for (let c = 0; c < 3; c++) {
    if (!(values[c] > cut)) continue;
    let proj = 0;
    for (let u = 0; u < 3; u++) proj += vectors[u * 3 + c] * r[u];
    for (let u = 0; u < 3; u++) sol[u] += (vectors[u * 3 + c] * proj) / values[c];
  }
  const cx = -sol[0] / 2, cy = -sol[1] / 2;
  return { cx, cy, radius: Math.sqrt(Math.max(cx * cx + cy * cy - sol[2], 0)) };
}

/**
 * compute_circularity and compute_fourier_alignment of p class centroids, from their PCA (pcaProject
 * with at least 2 components: its fractions f and coordinates [p, nc]).
 */
export function circularityAndAlignment(pca: { fractions: Float64Array; projected: Float64Array }, p: number): { circularity: number; fourier_alignment: number } {
  const f = pca.fractions, nc = f.length;
  const projected = new Float64Array(2 * p);
  for (let i = 0; i < p; i++) { projected[2 * i] = pca.projected[i * nc]; projected[2 * i + 1] = pca.projected[i * nc + 1]; }
  const quality = (f[0] + f[1]) * (f[0] > 1e-12 ? f[1] / f[0] : 0);
  const { cx, cy, radius } = kasaCircleFit(projected, p);
  let msr = 0, mx = 0, my = 0;
  for (let i = 0; i < p; i++) { mx += projected[2 * i] / p; my += projected[2 * i + 1] / p; }
  let variance = 0;
  for (let i = 0; i < p; i++) {
    const x = projected[2 * i], y = projected[2 * i + 1];
    msr += (Math.hypot(x - cx, y - cy) - radius) ** 2 / p;
    variance += ((x - mx) ** 2 + (y - my) ** 2) / p;
  }
  const circularity = variance < 1e-12 ? 0 : Math.min(Math.max((1 - msr / variance) * quality, 0), 1);
  const angle = Float64Array.from({ length: p }, (_, i) => Math.atan2(projected[2 * i + 1] - cy, projected[2 * i] - cx));
  let fourier_alignment = 0;
  for (let k = 1; k < p; k++) {
    let re = 0, im = 0;
    for (let r = 0; r < p; r++) { const t = angle[r] - (2 * Math.PI * ((k * r) % p)) / p; re += Math.cos(t); im += Math.sin(t); }
    fourier_alignment = Math.max(fourier_alignment, (re / p) ** 2 + (im / p) ** 2);
  }
  return { circularity, fourier_alignment };
}

/** MIScope _compute_site_measures (and compute_summary's PCA variance fractions) of one site's samples X [p², d]. */
export function reprSiteMeasures(X: ArrayLike<number>, p: number, d: number, k?: Kernels): ReprSiteMeasures {
  const centroids = classCentroids(X, p, d);
  const v = classVariances(X, centroids, p, d);
  const radii = v.map(Math.sqrt);
  const dimensionality = classDimensionality(X, centroids, p, d, k);
  const mean_radius = radii.reduce((a, b) => a + b, 0) / p;
  const center_spread = centerSpread(centroids, p, d);
  const fisher = fisherPairs(centroids, v, p, d);
  const raw = fisher.argmin_s - fisher.argmin_r;
  const pcaAll = pcaProject(centroids, p, d, 3), pca = pcaAll.fractions;
  return {
    centroids, radii, dimensionality,
    scalars: {
      mean_radius, mean_dim: dimensionality.reduce((a, b) => a + b, 0) / p, center_spread,
      snr: mean_radius > 0 ? center_spread ** 2 / mean_radius ** 2 : 0,
      ...circularityAndAlignment(pcaAll, p),
      fisher_mean: fisher.mean, fisher_min: fisher.min,
      fisher_argmin_r: fisher.argmin_r, fisher_argmin_s: fisher.argmin_s, fisher_argmin_diff: Math.min(raw, p - raw),
      pca_var_pc1: pca[0], pca_var_pc2: pca[1], pca_var_pc3: pca[2],
    },
  };
}

export interface CircularityCrossover { epoch: number; direction: 'rise' | 'fall'; site: string }

/**
 * MIScope find_circularity_crossovers: every epoch where attn_out's circularity crosses a reference
 * site's (mlp_out, resid_post): with s_i the sign of attn − ref at epoch i, a rise at epoch i+1 when
 * s_i ≤ 0 < s_{i+1}, else a fall when s_i ≥ 0 > s_{i+1}; all sites' events sorted by epoch (stably).
 */
export function circularityCrossovers(epochs: readonly number[], attn: readonly number[], refs: Record<string, readonly number[]>): CircularityCrossover[] {
  const out: CircularityCrossover[] = [];
  for (const [site, ref] of Object.entries(refs)) {
    const s = attn.map((a, i) => Math.sign(a - ref[i]));
    for (let i = 0; i + 1 < s.length; i++) {
      if (s[i] <= 0 && s[i + 1] > 0) out.push({ epoch: epochs[i + 1], direction: 'rise', site });
      else if (s[i] >= 0 && s[i + 1] < 0) out.push({ epoch: epochs[i + 1], direction: 'fall', site });
    }
  }
  return out.sort((a, b) => a.epoch - b.epoch);
}
