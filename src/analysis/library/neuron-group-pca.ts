/**
 * Frequency groups of neurons and their PCA in weight space (issue 26 item 4), after MIScope develop
 * analyzers/neuron_group_pca.py (and the same grouping in freq_group_weight_geometry.py):
 *
 *   groups       every neuron n goes to argmax_k frac[k][n] (MIScope argmax of neuron_freq_norm's
 *                norm_matrix at the reference epoch, no threshold, the first maximum wins); only the
 *                frequencies with at least 2 neurons make a group (PCA needs 2). `group_freqs` holds the
 *                frequency index k − 1 (MIScope's row index of norm_matrix: frequency k = index + 1).
 *   pc_var       for a group's weight vectors w_n (n in the group), X = [w_n − w̄]: σ_i² / Σ σ² for the
 *                top 3 singular values σ of X (NaN when Σ σ² ≤ 1e-10, or for the missing components
 *                of a group with fewer than 3 singular values)
 *   mean_spread  mean_n ‖w_n − w̄‖
 *   axes         the top-3 principal axes of X (MIScope's left singular vectors U[:, :3]); the sign,
 *                which numpy's SVD leaves arbitrary, is fixed here: each axis's largest-|·| entry > 0.
 *
 * Samples are row-major [n, f] float64 (one row per neuron). The spectrum σ² is the eigenvalue list of
 * the smaller Gram matrix (XXᵀ or XᵀX), clamped at 0; the axes come from its eigenvectors too.
 */
import { symmetricEigensystem, symmetricEigenvalues } from '../../math/linalg.js';

export const N_COMPONENTS = 3;

export interface FreqGroups {
  /** Frequency index (k − 1) per group, ascending. */
  group_freqs: number[];
  /** Member neurons per group, ascending. */
  members: number[][];
  /** [d_mlp]: the neuron's group, −1 when its frequency has a single neuron. */
  neuron_group_idx: Int32Array;
}

/** MIScope _assign_groups: argmax over frequencies of frac [nFreq, m] (row k − 1), groups of ≥ 2 neurons. */
export function dominantFrequencyGroups(frac: ArrayLike<number>, nFreq: number, m: number): FreqGroups {
  const byFreq: number[][] = Array.from({ length: nFreq }, () => []);
  for (let n = 0; n < m; n++) {
    let best = 0;
    for (let k = 1; k < nFreq; k++) if (frac[k * m + n] > frac[best * m + n]) best = k;
    byFreq[best].push(n);
  }
  const neuron_group_idx = new Int32Array(m).fill(-1);
  const group_freqs: number[] = [], members: number[][] = [];
  byFreq.forEach((ns, k) => {
    if (ns.length < 2) return;
    for (const n of ns) neuron_group_idx[n] = group_freqs.length;
    group_freqs.push(k);
    members.push(ns);
  });
  return { group_freqs, members, neuron_group_idx };
}

/** The rows of the given neurons: W [f, m] row-major with neurons as columns (W_in), or [m, f] with neurons as rows (W_out). */
export function neuronRows(W: ArrayLike<number>, f: number, m: number, members: readonly number[], neuronsAreColumns: boolean): Float64Array {
  const X = new Float64Array(members.length * f);
  members.forEach((n, i) => {
    for (let j = 0; j < f; j++) X[i * f + j] = neuronsAreColumns ? W[j * m + n] : W[n * f + j];
  });
  return X;
}

/** The mean row of X [n, f]. */
export function rowMean(X: ArrayLike<number>, n: number, f: number): Float64Array {
  const mu = new Float64Array(f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mu[j] += X[i * f + j];
  for (let j = 0; j < f; j++) mu[j] /= Math.max(n, 1);
  return mu;
}

/** X − its mean row. */
export function centred(X: ArrayLike<number>, n: number, f: number, mu = rowMean(X, n, f)): Float64Array {
  const Y = new Float64Array(n * f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) Y[i * f + j] = X[i * f + j] - mu[j];
  return Y;
}

/** The squared singular values σ² (descending, min(n, f) of them) of Y [n, f]: eigenvalues of the smaller Gram matrix. */
export function squaredSingularValues(Y: ArrayLike<number>, n: number, f: number): Float64Array {
  const s = Math.min(n, f), G = new Float64Array(s * s);
  for (let a = 0; a < s; a++) for (let b = a; b < s; b++) {
    let acc = 0;
    if (n <= f) for (let j = 0; j < f; j++) acc += Y[a * f + j] * Y[b * f + j];
    else for (let i = 0; i < n; i++) acc += Y[i * f + a] * Y[i * f + b];
    G[a * s + b] = acc; G[b * s + a] = acc;
  }
  return symmetricEigenvalues(G, s).map((v) => Math.max(v, 0));
}

/** MIScope _group_pca_stats on a group's rows X [n, f]: the top-3 variance fractions and the mean distance to the centroid. */
export function groupPcaStats(X: ArrayLike<number>, n: number, f: number): { pc_var: number[]; mean_spread: number } {
  const Y = centred(X, n, f);
  let spread = 0;
  for (let i = 0; i < n; i++) { let sq = 0; for (let j = 0; j < f; j++) sq += Y[i * f + j] ** 2; spread += Math.sqrt(sq); }
  const s2 = squaredSingularValues(Y, n, f);
  const total = s2.reduce((a, v) => a + v, 0);
  const pc_var = Array.from({ length: N_COMPONENTS }, (_, c) => (total > 1e-10 && c < s2.length ? s2[c] / total : NaN));
  return { pc_var, mean_spread: n > 0 ? spread / n : NaN };
}

/**
 * The top-k principal axes of a group's rows X [n, f] as rows [k, f] (k = N_COMPONENTS), each with
 * its largest-|·| entry positive. From the eigenvectors of the smaller Gram matrix: XᵀX's directly
 * (n ≥ f), or for n < f those v of XXᵀ mapped to Xᵀv / ‖Xᵀv‖. Rows past min(n, f), and axes of
 * singular values below 1e-12 of the largest's (undetermined: numpy returns an arbitrary
 * orthonormal completion), are 0, as MIScope's zero-padded bases past min(n, f).
 */
export function principalAxes(X: ArrayLike<number>, n: number, f: number, k = N_COMPONENTS): Float64Array {
  const Y = centred(X, n, f), s = Math.min(n, f), byRows = n < f;
  const C = new Float64Array(s * s);
  for (let a = 0; a < s; a++) for (let b = a; b < s; b++) {
    let acc = 0;
    if (byRows) for (let j = 0; j < f; j++) acc += Y[a * f + j] * Y[b * f + j];
    else for (let i = 0; i < n; i++) acc += Y[i * f + a] * Y[i * f + b];
    C[a * s + b] = acc; C[b * s + a] = acc;
  }
  const { values, vectors } = symmetricEigensystem(C, s);
  const axes = new Float64Array(k * f), u = new Float64Array(f);
  for (let c = 0; c < Math.min(k, s); c++) {
    if (!(values[c] > 1e-24 * values[0])) continue;
    if (byRows) { u.fill(0); for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) u[j] += Y[i * f + j] * vectors[i * s + c]; }
    else for (let j = 0; j < f; j++) u[j] = vectors[j * s + c];
    let big = 0, nrm = 0;
    for (let j = 0; j < f; j++) { nrm += u[j] * u[j]; if (Math.abs(u[j]) > Math.abs(big)) big = u[j]; }
    const sc = (big < 0 ? -1 : 1) / Math.sqrt(nrm);
    for (let j = 0; j < f; j++) axes[c * f + j] = sc * u[j];
  }
  return axes;
}

/** Each row of X [n, f] minus `center`, on the axes [k, f]: [n, k] (MIScope _compute_all_projections for one group). */
export function projectRows(X: ArrayLike<number>, n: number, f: number, center: ArrayLike<number>, axes: ArrayLike<number>, k = N_COMPONENTS): Float64Array {
  const P = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) {
    let acc = 0;
    for (let j = 0; j < f; j++) acc += axes[c * f + j] * (X[i * f + j] - center[j]);
    P[i * k + c] = acc;
  }
  return P;
}
