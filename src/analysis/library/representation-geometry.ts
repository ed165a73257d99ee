/**
 * Representation geometry (issue 14 §7), after MIScope's repr_geometry analyzer (library/geometry.py),
 * at two sites of the last position's residual stream over all p² pairs: after the attention
 * (resid_mid) and after the MLP (resid_post). Samples are grouped by class c = (a + b) mod p.
 *   centroids μ_c (mean of the class's p samples) [p, d];
 *   centroid_radius = √(mean_c ‖μ_c − μ̄‖²); class radius r_c = √(mean over the class ‖x − μ_c‖²)
 *     (MIScope compute_class_radii) and their mean;
 *   Fisher J(r, s) = ‖μ_r − μ_s‖² / (r_r² + r_s²) over class pairs r < s (MIScope
 *     compute_fisher_discriminant: pairs with zero within-class variance left out), mean and min;
 *   per frequency k = 1..(p−1)/2, the centroids' Fourier plane: F_k = Σ_c μ_c·e^{−2πikc/p} (a complex
 *     d-vector). Its share of the centroids' variance, share_k = (2/p)‖F_k‖² / Σ_c ‖μ_c − μ̄‖²
 *     (the shares sum to 1, Parseval), and its circularity, the ratio σ_min/σ_max of the two
 *     singular values of [Re F_k, Im F_k] (1: the centroids' projection on the plane is a circle
 *     run through once per k steps of c; 0: a line). MIScope's Kåsa-fit circularity and Fourier
 *     alignment in the top-2 PCA plane are not computed.
 */
import type { Kernels } from '../../engine/kernels.js';
import { computeTables, forward, makeBatch, Workspace, type Forward } from '../../model/model.js';
import type { Params } from '../../model/params.js';
import { classCentroids } from './global-centroid-pca.js';

export const GEOMETRY_SITES = ['resid_mid', 'resid_post'] as const;
export type GeometrySite = (typeof GEOMETRY_SITES)[number];

export interface SiteGeometry {
  centroids: Float64Array;
  classRadius: Float64Array;
  centroidRadius: number;
  meanClassRadius: number;
  fisherMean: number;
  fisherMin: number;
  share: Float64Array;
  circularity: Float64Array;
}

/**
 * Per-class mean squared distance to the class centroid, v_c = mean over the class ‖x − μ_c‖²
 * (MIScope compute_class_radii before its square root), of samples X [p², d] (row a·p + b) by
 * c = (a + b) mod p, with centroids μ [p, d].
 */
export function classVariances(X: ArrayLike<number>, mu: ArrayLike<number>, p: number, d: number): Float64Array {
  const ss = new Float64Array(p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const c = (a + b) % p, o = (a * p + b) * d, m = c * d;
    let acc = 0;
    for (let j = 0; j < d; j++) { const e = X[o + j] - mu[m + j]; acc += e * e; }
    ss[c] += acc;
  }
  return ss.map((s) => s / p);
}

export interface FisherPairs {
  /** Mean and min of J(r, s) over the pairs r < s with v_r + v_s > 0 (0 when there is none). */
  mean: number; min: number;
  /** The pair r < s of the smallest entry of MIScope's compute_fisher_matrix (J, 0 where v_r + v_s = 0), first in row-major order. */
  argmin_r: number; argmin_s: number;
}

/**
 * Fisher ratios J(r, s) = ‖μ_r − μ_s‖² / (v_r + v_s) of n classes' centroids μ [n, d] and
 * within-class variances v: MIScope compute_fisher_discriminant (pairs without within-class
 * variance left out) and the argmin of compute_fisher_matrix's upper triangle (where they are 0).
 */
export function fisherPairs(mu: ArrayLike<number>, v: ArrayLike<number>, n: number, d: number): FisherPairs {
  let fs = 0, fn = 0, fmin = Infinity, best = Infinity, br = 0, bs = n > 1 ? 1 : 0;
  for (let r = 0; r < n; r++) for (let s = r + 1; s < n; s++) {
    const w = v[r] + v[s];
    let J = 0;
    if (w > 0) {
      let b = 0;
      const ro = r * d, so = s * d;
      for (let j = 0; j < d; j++) { const e = mu[ro + j] - mu[so + j]; b += e * e; }
      J = b / w;
      fs += J; fn++; fmin = Math.min(fmin, J);
    }
    if (J < best) { best = J; br = r; bs = s; }
  }
  return { mean: fn ? fs / fn : 0, min: fn ? fmin : 0, argmin_r: br, argmin_s: bs };
}

/** The geometry of samples X [p², d] (row a·p + b) grouped by (a + b) mod p. */
export function classGeometry(X: ArrayLike<number>, p: number, d: number): SiteGeometry {
  const mu = classCentroids(X, p, d);
  const v = classVariances(X, mu, p, d);
  const classRadius = v.map(Math.sqrt);
  const mean = new Float64Array(d);
  for (let c = 0; c < p; c++) for (let j = 0; j < d; j++) mean[j] += mu[c * d + j] / p;
  let total = 0;
  for (let c = 0; c < p; c++) for (let j = 0; j < d; j++) { const e = mu[c * d + j] - mean[j]; total += e * e; }
  const fisher = fisherPairs(mu, v, p, d);
  const nF = (p - 1) / 2;
  const share = new Float64Array(nF), circularity = new Float64Array(nF);
  const re = new Float64Array(d), im = new Float64Array(d);
  for (let k = 1; k <= nF; k++) {
    re.fill(0); im.fill(0);
    for (let c = 0; c < p; c++) {
      const th = (2 * Math.PI * ((k * c) % p)) / p, co = Math.cos(th), si = Math.sin(th);
      for (let j = 0; j < d; j++) { re[j] += mu[c * d + j] * co; im[j] -= mu[c * d + j] * si; }
    }
    let aa = 0, bb = 0, ab = 0;
    for (let j = 0; j < d; j++) { aa += re[j] * re[j]; bb += im[j] * im[j]; ab += re[j] * im[j]; }
    share[k - 1] = total > 0 ? ((2 / p) * (aa + bb)) / total : 0;
    const half = (aa + bb) / 2, disc = Math.sqrt(((aa - bb) / 2) ** 2 + ab * ab);
    const lmax = half + disc, lmin = Math.max(half - disc, 0);
    circularity[k - 1] = lmax > 0 ? Math.sqrt(lmin / lmax) : 0;
  }
  return {
    centroids: mu, classRadius, centroidRadius: Math.sqrt(total / p), meanClassRadius: classRadius.reduce((a, b) => a + b, 0) / p,
    fisherMean: fisher.mean, fisherMin: fisher.min, share, circularity,
  };
}

/** Both sites' geometry at one set of weights. */
/** `fwd`: the forward pass over all p² pairs when already computed (shared-forward.ts), else run here. */
export function representationGeometry(k: Kernels, params: Params, fwd?: Pick<Forward, 'r' | 'f'>): Record<GeometrySite, SiteGeometry> {
  const { p, dModel: d } = params.config;
  const N = p * p;
  const f = fwd ?? forward(k, params, computeTables(k, params), makeBatch(p, Int32Array.from({ length: N }, (_, i) => i)), new Workspace(k, params, N), false);
  return { resid_mid: classGeometry(f.r.subarray(0, N * d), p, d), resid_post: classGeometry(f.f.subarray(0, N * d), p, d) };
}
