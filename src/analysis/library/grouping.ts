/**
 * Neuron grouping (issue 26 §3), after MIScope develop library/grouping.py (REQ_118):
 * `groupNeurons` with method 'kmeans' (MIScope _group_kmeans: scipy kmeans2, k-means++ init,
 * fixed seed) or 'argmax_by_basis' (MIScope _group_argmax_by_basis: each neuron to the basis
 * component of largest |feature|, confidence = max f² / Σ f², below the threshold UNASSIGNED = −1),
 * and `groupNeuronsSummary` (MIScope group_neurons_summary: centroids, radii, n_per_group,
 * n_unassigned, dispersion = mean radius; the Fisher terms are not computed here).
 *
 * Features are row-major [n_neurons, n_features] float64. The k-means is Lloyd's algorithm from a
 * k-means++ start with a seeded xorshift generator (scipy's generator cannot be reproduced, so the
 * labels of a given seed differ from MIScope's; the partition on well-separated data is the same).
 */
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

/** k-means (k-means++ start, Lloyd iterations to convergence or maxIter). */
export function kmeans(features: ArrayLike<number>, n: number, f: number, k: number, seed = 42, maxIter = 300): { labels: Int32Array; centroids: Float64Array } {
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
 * MIScope compute_fisher_discriminant over the populated groups: J(r, s) = ‖μ_r − μ_s‖² / (σ_r² + σ_s²),
 * σ² the group's mean squared distance to its centroid (radius²); min and mean over the pairs with a
 * nonzero denominator, 0 when there is none.
 */
export function fisherDiscriminant(centroids: ArrayLike<number>, radii: readonly number[], nPerGroup: readonly number[], f: number): { min: number; mean: number } {
  const live = nPerGroup.flatMap((c, g) => (c > 0 ? [g] : []));
  let min = Infinity, sum = 0, pairs = 0;
  for (let a = 0; a < live.length; a++) for (let b = a + 1; b < live.length; b++) {
    const r = live[a], s = live[b];
    const den = radii[r] ** 2 + radii[s] ** 2;
    if (!(den > 0)) continue;
    const j = sqDist(centroids, r, centroids, s, f) / den;
    min = Math.min(min, j); sum += j; pairs++;
  }
  return pairs ? { min, mean: sum / pairs } : { min: 0, mean: 0 };
}
