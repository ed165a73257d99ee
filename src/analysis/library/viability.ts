/**
 * Viability of a frequency set for a prime, without training (issue 14 §8), after MIScope's
 * viability certificate (analysis/viability_certificate.py) and data-compatibility analyzer
 * (analysis/data_compatibility.py):
 *   - aliasing risk of frequency k: k / ((p − 1)/2) (1 at the Nyquist limit); the set's max and
 *     mean; regime `aliasing_failure` when the max is > 0.80, `aliasing_warning` when > 0.72, else
 *     `ok` (MIScope's calibrated thresholds; its coverage and compression checks are not computed);
 *   - the minimum pairwise distance of the ideal Fourier class centroids
 *     C[r] = [cos(2πkr/p), sin(2πkr/p) for k in the set] (MIScope's ambient_min_dist);
 *   - per frequency, data compatibility on a training set (s = (a + b) mod p of its pairs): the
 *     condition number λ_max/max(λ_min, 1e-10) of the 2 × 2 Gram matrix of (cos 2πks/p, sin 2πks/p)
 *     over the pairs, its score 1/(1 + log10 max(1, cond)), the phase uniformity (entropy of the
 *     phases 2πks/p mod 2π in 20 equal bins over [0, 2π), divided by ln 20) and the compatibility
 *     0.5·score + 0.5·uniformity.
 */
import { badInput } from '../../core/errors.js';

export const ALIAS_FAILURE_THRESHOLD = 0.8;
export const ALIAS_WARNING_THRESHOLD = 0.72;
const CONDITION_CLIP = 1e-10;
const PHASE_BINS = 20;

export type AliasRegime = 'aliasing_failure' | 'aliasing_warning' | 'ok';

export interface FrequencyCompatibility {
  frequency: number;
  aliasing_risk: number;
  condition_number: number | null;
  condition_score: number | null;
  phase_uniformity: number | null;
  compatibility_score: number | null;
}

export interface Viability {
  p: number;
  frequencies: number[];
  max_alias: number;
  mean_alias: number;
  regime: AliasRegime;
  min_centroid_distance: number;
  /** Null when no training set was given. */
  n_train_pairs: number | null;
  per_frequency: FrequencyCompatibility[];
}

export function checkFrequencies(p: number, freqs: readonly number[]): void {
  if (freqs.length === 0) throw badInput('--freqs: give at least one frequency');
  const hi = (p - 1) / 2;
  for (const k of freqs) if (!Number.isInteger(k) || k < 1 || k > hi) throw badInput(`--freqs: frequency ${k} is not in 1..${hi} for p=${p}`);
  if (new Set(freqs).size !== freqs.length) throw badInput(`--freqs: repeated frequency in ${freqs.join(',')}`);
}

export const aliasingRisk = (p: number, k: number): number => k / ((p - 1) / 2);

export function aliasRegime(maxAlias: number): AliasRegime {
  return maxAlias > ALIAS_FAILURE_THRESHOLD ? 'aliasing_failure' : maxAlias > ALIAS_WARNING_THRESHOLD ? 'aliasing_warning' : 'ok';
}

/** min over residues r ≠ r' of ‖C[r] − C[r']‖ for the ideal centroids of the set. */
export function minCentroidDistance(p: number, freqs: readonly number[]): number {
  const F = freqs.length;
  const C = new Float64Array(p * 2 * F);
  for (let r = 0; r < p; r++) freqs.forEach((k, j) => {
    const th = (2 * Math.PI * k * r) / p;
    C[r * 2 * F + 2 * j] = Math.cos(th); C[r * 2 * F + 2 * j + 1] = Math.sin(th);
  });
  let best = Infinity;
  for (let r = 0; r < p; r++) for (let s = r + 1; s < p; s++) {
    let d = 0;
    for (let c = 0; c < 2 * F; c++) d += (C[r * 2 * F + c] - C[s * 2 * F + c]) ** 2;
    best = Math.min(best, d);
  }
  return Math.sqrt(best);
}

/** Residue counts of (a + b) mod p over training pair indices a·p + b. */
export function sumCounts(p: number, trainIndices: ArrayLike<number>): Float64Array {
  const c = new Float64Array(p);
  for (let i = 0; i < trainIndices.length; i++) c[(Math.floor(trainIndices[i] / p) + (trainIndices[i] % p)) % p]++;
  return c;
}

/** MIScope's data compatibility of frequency k for residue counts (see the header). */
export function frequencyCompatibility(p: number, k: number, counts: Float64Array): Omit<FrequencyCompatibility, 'frequency' | 'aliasing_risk'> {
  let gaa = 0, gab = 0, gbb = 0, n = 0;
  const bins = new Float64Array(PHASE_BINS);
  for (let s = 0; s < p; s++) {
    if (counts[s] === 0) continue;
    const th = (2 * Math.PI * k * s) / p;
    const c = Math.cos(th), sn = Math.sin(th);
    gaa += counts[s] * c * c; gab += counts[s] * c * sn; gbb += counts[s] * sn * sn; n += counts[s];
    // numpy.histogram over [0, 2π): the phase (2πks/p) mod 2π, the last bin closed.
    const ph = ((2 * Math.PI * k * s) / p) % (2 * Math.PI);
    bins[Math.min(PHASE_BINS - 1, Math.floor((ph / (2 * Math.PI)) * PHASE_BINS))] += counts[s];
  }
  const half = (gaa + gbb) / 2, disc = Math.sqrt(Math.max(((gaa - gbb) / 2) ** 2 + gab * gab, 0));
  const cond = (half + disc) / Math.max(half - disc, CONDITION_CLIP);
  let h = 0;
  for (const b of bins) { const q = b / n; h -= q * Math.log(q + 1e-12); }
  const score = 1 / (1 + Math.log10(Math.max(1, cond)));
  const uni = h / Math.log(PHASE_BINS);
  return { condition_number: cond, condition_score: score, phase_uniformity: uni, compatibility_score: 0.5 * score + 0.5 * uni };
}

export function viability(p: number, freqs: readonly number[], trainIndices: ArrayLike<number> | null): Viability {
  checkFrequencies(p, freqs);
  const counts = trainIndices ? sumCounts(p, trainIndices) : null;
  const per = freqs.map((k): FrequencyCompatibility => ({
    frequency: k, aliasing_risk: aliasingRisk(p, k),
    ...(counts ? frequencyCompatibility(p, k, counts) : { condition_number: null, condition_score: null, phase_uniformity: null, compatibility_score: null }),
  }));
  const alias = per.map((f) => f.aliasing_risk);
  const maxAlias = Math.max(...alias);
  return {
    p, frequencies: [...freqs], max_alias: maxAlias, mean_alias: alias.reduce((a, b) => a + b, 0) / alias.length,
    regime: aliasRegime(maxAlias), min_centroid_distance: minCentroidDistance(p, freqs),
    n_train_pairs: trainIndices ? trainIndices.length : null, per_frequency: per,
  };
}

/** The key frequencies of a stored run (its last analysed embedding_fourier checkpoint) and their viability on its own split. */
export interface RunKeyFrequencies extends Viability { epoch: number; train_set: 'split.json' | 'run.json' | null }
