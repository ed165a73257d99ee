/**
 * The geometry of frequency groups of neurons in one weight matrix (issue 26 item 4), after MIScope
 * develop analyzers/freq_group_weight_geometry.py _compute_group_geometry with library/clustering.py:
 * the neurons are the samples (rows w_n: W_in[:, n] or W_out[n, :]), the groups the classes, the
 * neurons of no group left out. Per group g with members S_g, centroid μ_g and the eigenvalues λ of
 * the group's centred scatter (squared singular values of [w_n − μ_g]):
 *   radius_g          √(mean_{n∈S_g} ‖w_n − μ_g‖²)                      (compute_class_radii)
 *   dimensionality_g  (Σλ)² / Σλ², 0 for fewer than 2 neurons or no variance (compute_class_dimensionality)
 *   pr3_g             (f1 + f2 + f3)² / (f1² + f2² + f3²), f_i = λ_i / Σλ (top 3 over all)
 *   f_top3_g          (λ1 + λ2 + λ3) / Σλ; both NaN for fewer than 3 neurons or Σλ = 0
 * and over the groups:
 *   center_spread     √(mean_g ‖μ_g − μ̄‖²)                              (compute_center_spread)
 *   mean_radius       mean_g radius_g;  snr = center_spread² / mean_radius² (0 when mean_radius = 0)
 *   fisher_mean/min   J(r, s) = ‖μ_r − μ_s‖² / (radius_r² + radius_s²) over pairs with a nonzero
 *                     denominator (compute_fisher_discriminant; grouping.ts fisherDiscriminant)
 *   circularity       characterize_circularity (shape.ts) of the centroids' top-2 PCA projection with
 *                     its explained-variance share; 0 with fewer than 2 groups or 2 dimensions.
 */
import { centerSpread } from './global-centroid-pca.js';
import { fisherDiscriminant } from './grouping.js';
import { centred, neuronRows, principalAxes, projectRows, rowMean, squaredSingularValues } from './neuron-group-pca.js';
import { characterizeCircularity } from './shape.js';

export interface WeightGeometry {
  /** [n_groups, f]. */
  centroids: Float64Array;
  radii: number[];
  dimensionality: number[];
  pr3: number[];
  f_top3: number[];
  center_spread: number;
  mean_radius: number;
  snr: number;
  fisher_mean: number;
  fisher_min: number;
  circularity: number;
}

/** One group's rows X [n, f]: radius, participation ratio, PR₃ and top-3 share. */
export function groupShape(X: ArrayLike<number>, n: number, f: number): { centroid: Float64Array; radius: number; dimensionality: number; pr3: number; f_top3: number } {
  const centroid = rowMean(X, n, f), Y = centred(X, n, f, centroid);
  const lam = squaredSingularValues(Y, n, f);
  let total = 0, sq = 0;
  for (const v of lam) { total += v; sq += v * v; }
  const top = lam.subarray(0, 3), fr = Array.from(top, (v) => v / total);
  const fsq = fr.reduce((a, v) => a + v * v, 0), fsum = fr.reduce((a, v) => a + v, 0);
  const enough = n >= 3 && total > 0;
  return {
    centroid, radius: n > 0 ? Math.sqrt(total / n) : 0,
    dimensionality: n >= 2 && sq > 0 ? (total * total) / sq : 0,
    pr3: enough && fsq > 0 ? (fsum * fsum) / fsq : NaN,
    f_top3: enough ? top.reduce((a, v) => a + v, 0) / total : NaN,
  };
}

/** MIScope characterize_circularity of the top-2 PCA projection of the centroids [G, f]. */
export function centroidCircularity(centroids: ArrayLike<number>, G: number, f: number): number {
  if (Math.min(2, G, f) < 2) return 0;
  const lam = squaredSingularValues(centred(centroids, G, f), G, f);
  const total = lam.reduce((a, v) => a + v, 0);
  const ve = total > 0 ? (lam[0] + lam[1]) / total : 0;
  const P = projectRows(centroids, G, f, rowMean(centroids, G, f), principalAxes(centroids, G, f, 2), 2);
  return characterizeCircularity(P, G, ve);
}

/** The geometry of the groups `members` in W (neurons as columns of [f, m], or rows of [m, f]). */
export function groupWeightGeometry(W: ArrayLike<number>, f: number, m: number, members: readonly number[][], neuronsAreColumns: boolean): WeightGeometry {
  const G = members.length, centroids = new Float64Array(G * f);
  const radii: number[] = [], dimensionality: number[] = [], pr3: number[] = [], f_top3: number[] = [];
  members.forEach((ns, g) => {
    const s = groupShape(neuronRows(W, f, m, ns, neuronsAreColumns), ns.length, f);
    centroids.set(s.centroid, g * f);
    radii.push(s.radius); dimensionality.push(s.dimensionality); pr3.push(s.pr3); f_top3.push(s.f_top3);
  });
  const center_spread = G > 0 ? centerSpread(centroids, G, f) : NaN;
  const mean_radius = G > 0 ? radii.reduce((a, v) => a + v, 0) / G : NaN;
  const fisher = fisherDiscriminant(centroids, radii, f);
  return {
    centroids, radii, dimensionality, pr3, f_top3, center_spread, mean_radius,
    snr: mean_radius > 0 ? center_spread ** 2 / mean_radius ** 2 : 0,
    fisher_mean: fisher.mean, fisher_min: fisher.min, circularity: centroidCircularity(centroids, G, f),
  };
}
