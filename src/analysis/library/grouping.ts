/**
 * Neuron grouping (issue 26 §3), after MIScope develop library/grouping.py (REQ_118):
 * `groupNeurons` with method 'kmeans' (MIScope _group_kmeans: scipy kmeans2, k-means++ init,
 * fixed seed) or 'argmax_by_basis' (MIScope _group_argmax_by_basis: each neuron to the basis
 * component of largest |feature|, confidence = max f² / Σ f², below the threshold UNASSIGNED = −1),
 * `groupNeuronsSummary` (MIScope group_neurons_summary: centroids, RMS radii, n_per_group,
 * n_unassigned, dispersion = the mean radius over all n_groups, empty groups counting 0),
 * `fisherDiscriminant` (MIScope clustering.compute_fisher_discriminant) and the modular-addition
 * family's features `fourierWInMagnitudes` (MIScope modulo_addition_1layer._neuron_grouping_override).
 *
 * Features are row-major [n_neurons, n_features] float64. The k-means is scipy kmeans2's default
 * (k-means++ start, 10 Lloyd iterations, an emptied cluster keeps its centroid) with a seeded
 * xorshift generator: scipy's generator cannot be reproduced, so the labels of a given seed differ
 * from MIScope's; the partition on well-separated data is the same.
 */
import { basisCoefficients, composeTheta, extractFrequencyPairs } from './neuron-weight-fourier.js';

export const UNASSIGNED = -1;

export interface GroupAssignment {
  assignments: Int32Array;
  n_groups: number;
  method: 'kmeans' | 'argmax_by_basis';
  feature_basis_name: string;
  confidence: Float64Array | null;
}

/** A small seeded generator (xorshift32) in [0, 1). */
function rng(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

function sqDist(x: ArrayLike<number>, i: number, c: ArrayLike<number>, j: number, f: number): number {
  let d = 0;
  for (let t = 0; t < f; t++) { const u = x[i * f + t] - c[j * f + t]; d += u * u; }
  return d;
}

/** k-means (k-means++ start, Lloyd iterations until no label changes or maxIter: scipy kmeans2's iter = 10). */
export function kmeans(features: ArrayLike<number>, n: number, f: number, k: number, seed = 42, maxIter = 10): { labels: Int32Array; centroids: Float64Array } {
  if (k < 1) throw new Error(`n_groups must be >= 1 (got ${k})`);
  const rand = rng(seed);
  const c = new Float64Array(k * f);
  const d2 = new Float64Array(n).fill(Infinity);
  let pick = Math.min(n - 1, Math.floor(rand() * n));
  for (let j = 0; j < k; j++) {
    for (let t = 0; t < f; t++) c[j * f + t] = features[pick * f + t];
    let total = 0;
    for (let i = 0; i < n; i++) { d2[i] = Math.min(d2[i], sqDist(features, i, c, j, f)); total += d2[i]; }
    if (j + 1 === k) break;
    let r = rand() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) { r -= d2[i]; if (r < 0) { pick = i; break; } }
  }
  const labels = new Int32Array(n).fill(-1);
  for (let it = 0; it < maxIter; it++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      let best = 0, bd = Infinity;
      for (let j = 0; j < k; j++) { const d = sqDist(features, i, c, j, f); if (d < bd) { bd = d; best = j; } }
      if (labels[i] !== best) { labels[i] = best; changed = true; }
    }
    if (!changed) break;
    const count = new Float64Array(k);
    const sum = new Float64Array(k * f);
    for (let i = 0; i < n; i++) { count[labels[i]]++; for (let t = 0; t < f; t++) sum[labels[i] * f + t] += features[i * f + t]; }
    for (let j = 0; j < k; j++) if (count[j] > 0) for (let t = 0; t < f; t++) c[j * f + t] = sum[j * f + t] / count[j];
  }
  return { labels, centroids: c };
}

/** MIScope group_neurons. */
export function groupNeurons(features: ArrayLike<number>, n: number, f: number, nGroups: number, method: 'kmeans' | 'argmax_by_basis' = 'kmeans', featureBasisName = 'features', confidenceThreshold: number | null = null, seed = 42): GroupAssignment {
  if (method === 'kmeans') {
    return { assignments: kmeans(features, n, f, nGroups, seed).labels, n_groups: nGroups, method, feature_basis_name: featureBasisName, confidence: null };
  }
  const assignments = new Int32Array(n), confidence = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0, sq = 0, top = 0;
    for (let t = 0; t < f; t++) {
      const v = features[i * f + t];
      sq += v * v;
      if (Math.abs(v) > Math.abs(features[i * f + best])) best = t;
    }
    top = features[i * f + best] ** 2;
    confidence[i] = sq > 0 ? top / sq : 0;
    assignments[i] = confidenceThreshold !== null && confidence[i] < confidenceThreshold ? UNASSIGNED : best;
  }
  return { assignments, n_groups: f, method, feature_basis_name: featureBasisName, confidence };
}

export interface GroupSummary {
  centroids: Float64Array;
  radii: number[];
  n_per_group: number[];
  n_unassigned: number;
  dispersion: number;
}

/** MIScope group_neurons_summary without the Fisher terms: radius = RMS distance to the group's centroid. */
export function groupNeuronsSummary(features: ArrayLike<number>, n: number, f: number, a: Pick<GroupAssignment, 'assignments' | 'n_groups'>): GroupSummary {
  const k = a.n_groups;
  const centroids = new Float64Array(k * f), count = new Array<number>(k).fill(0), sq = new Array<number>(k).fill(0);
  let unassigned = 0;
  for (let i = 0; i < n; i++) {
    const g = a.assignments[i];
    if (g === UNASSIGNED) { unassigned++; continue; }
    count[g]++;
    for (let t = 0; t < f; t++) centroids[g * f + t] += features[i * f + t];
  }
  for (let g = 0; g < k; g++) if (count[g] > 0) for (let t = 0; t < f; t++) centroids[g * f + t] /= count[g];
  for (let i = 0; i < n; i++) { const g = a.assignments[i]; if (g !== UNASSIGNED) sq[g] += sqDist(features, i, centroids, g, f); }
  const radii = sq.map((s, g) => (count[g] > 0 ? Math.sqrt(s / count[g]) : 0));
  const dispersion = radii.length ? radii.reduce((x, y) => x + y, 0) / radii.length : 0;
  return { centroids, radii, n_per_group: count, n_unassigned: unassigned, dispersion };
}

/**
 * MIScope compute_fisher_discriminant over all n_groups classes, as MIScope calls it from
 * group_neurons_summary: J(r, s) = ‖μ_r − μ_s‖² / (σ_r² + σ_s²) for every pair r < s whose
 * denominator is nonzero, σ² the class's mean squared distance to its centroid (radius²). An empty
 * group takes part with centroid 0 and σ² = 0 (MIScope's zero row), so on the Fourier path (56
 * groups at p = 113, a few populated) most pairs are (empty, populated): ‖μ_s‖² / σ_s². min and
 * mean over those pairs; both 0 when there is none.
 */
export function fisherDiscriminant(centroids: ArrayLike<number>, radii: readonly number[], f: number): { min: number; mean: number } {
  let min = Infinity, sum = 0, pairs = 0;
  for (let r = 0; r < radii.length; r++) for (let s = r + 1; s < radii.length; s++) {
    const den = radii[r] ** 2 + radii[s] ** 2;
    if (!(den > 0)) continue;
    const j = sqDist(centroids, r, centroids, s, f) / den;
    min = Math.min(min, j); sum += j; pairs++;
  }
  return pairs ? { min, mean: sum / pairs } : { min: 0, mean: 0 };
}

/**
 * The modular-addition family's grouping features (MIScope _neuron_grouping_override with
 * library/fourier.py compose_neuron_fourier_weights and extract_frequency_pairs): θ = W_E[:p]·W_in
 * (p × d_mlp, each neuron's input weight per token), its coefficients c = B·θ on the normalised
 * Fourier basis B (math/basis.ts, MIScope's get_fourier_basis), and per neuron and frequency
 * k = 1..(p−1)/2 the magnitude √(c[2k−1]² + c[2k]²). Returns [d_mlp, (p−1)/2] row-major (column k−1
 * for frequency k). W_E [p+1, d] and W_in [d, d_mlp] row-major (TransformerLens layout).
 */
export function fourierWInMagnitudes(WE: ArrayLike<number>, Win: ArrayLike<number>, p: number, d: number, m: number, B: ArrayLike<number>): Float64Array {
  return extractFrequencyPairs(basisCoefficients(composeTheta(WE, Win, p, d, m), p, m, B), p, m).magnitudes;
}
