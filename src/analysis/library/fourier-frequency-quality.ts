/**
 * Fourier frequency quality (MIScope REQ_052: packages/miscope/src/miscope/analysis/analyzers/
 * fourier_frequency_quality.py, reading the artifact of dominant_frequencies.py): how much of the
 * ideal mod-p addition tensor the embedding's dominant basis rows can express.
 *
 * Coefficients (MIScope's `dominant_frequencies`): c_x = ‖B[x] · W_E[:p]‖ for every row x = 0..p−1
 * of the modular Fourier basis B (math/basis.ts: row 0 constant, 2k−1 sin k, 2k cos k; MIScope's
 * `get_fourier_basis` orders and normalises its rows the same), W_E's number rows only (its
 * `W_E[:-1]` drops the "=" row).
 * Dominant rows D: c_x > factor · mean_x c_x (factor 3 by default; the mean over all p rows, the
 * constant's included), ascending. At initialisation the c_x are about equal and D is empty.
 *
 * Quality. T[a, b, c] = 1 iff (a + b) mod p = c, ‖T‖² = p². Its projection on the span of
 * {B[i] ⊗ B[j] : i, j ∈ D} over (a, b), for each c, has coefficients
 *   T₂[i, j, c] = Σ_a Σ_b B[i, a] B[j, b] T[a, b, c] = Σ_b B[j, b] · B[i, (c − b) mod p],
 * and R² = Σ_{i,j∈D} Σ_c T₂[i, j, c]² / p² (reconstruction error 1 − R²), computed numerically as
 * MIScope does (m²·p² products for m = |D|), so partial pairs count correctly.
 * Closed form (the convolution of two basis rows is zero unless they share a frequency): each
 * ordered pair (i, j) of rows of the same frequency k ≥ 1 contributes p/2, the constant with
 * itself p, so R² = (2·[0 ∈ D] + Σ_k n_k²) / (2p) with n_k ∈ {0, 1, 2} the rows of frequency k in
 * D; m complete sin/cos pairs alone give MIScope's analytic 2m/p (`analyticReference`).
 */
import { failure } from '../../core/errors.js';
import { checkOddP, fourierBasis, frequencyOfRow } from '../../math/basis.js';
import { basisCoefficientNorms } from './embedding.js';

/** MIScope's threshold_factor. */
export const DEFAULT_THRESHOLD_FACTOR = 3;


/** The rows x with c_x > factor · mean(c), ascending. */
export function dominantBasisRows(coefficients: ArrayLike<number>, factor = DEFAULT_THRESHOLD_FACTOR): number[] {
  let mean = 0;
  for (let i = 0; i < coefficients.length; i++) mean += coefficients[i];
  mean /= coefficients.length;
  const threshold = factor * mean;
  const rows: number[] = [];
  for (let i = 0; i < coefficients.length; i++) if (coefficients[i] > threshold) rows.push(i);
  return rows;
}

/** R² of the ideal tensor on the span of B[i] ⊗ B[j], i, j ∈ rows (0 for no rows), by the sum above. */
export function idealTensorR2(p: number, rows: readonly number[], B: Float64Array = fourierBasis(p)): number {
  checkOddP(p);
  for (const r of rows) if (!(Number.isInteger(r) && r >= 0 && r < p)) throw failure(`basis row ${r} outside 0..${p - 1}`);
  if (rows.length === 0) return 0;
  let energy = 0;
  for (const i of rows) {
    const Fi = B.subarray(i * p, (i + 1) * p);
    for (const j of rows) {
      const Fj = B.subarray(j * p, (j + 1) * p);
      for (let c = 0; c < p; c++) {
        let t = 0; // Σ_b Fj[b]·Fi[(c − b) mod p], split where c − b wraps
        for (let b = 0; b <= c; b++) t += Fj[b] * Fi[c - b];
        for (let b = c + 1; b < p; b++) t += Fj[b] * Fi[c - b + p];
        energy += t * t;
      }
    }
  }
  return energy / (p * p);
}

/** The frequencies k ≥ 1 whose sin and cos rows are both in `rows`. */
export function completePairs(rows: readonly number[]): number[] {
  const seen = new Map<number, number>();
  for (const r of rows) if (r > 0) seen.set(frequencyOfRow(r), (seen.get(frequencyOfRow(r)) ?? 0) + 1);
  return [...seen].filter(([, n]) => n === 2).map(([k]) => k).sort((a, b) => a - b);
}

/** MIScope's analytic reference: 2m/p for m complete sin/cos pairs. */
export function analyticReference(p: number, m: number): number {
  return (2 * m) / p;
}

export interface FrequencyQuality {
  /** c_x per basis row (p). */
  coefficients: Float64Array;
  /** Dominant basis rows, ascending (MIScope's dominant_frequencies: basis indices, not frequencies). */
  dominantRows: number[];
  qualityScore: number;
  reconstructionError: number;
  /** Frequencies with both rows dominant, and 2m/p for their number m. */
  completePairs: number[];
  analyticReference: number;
}

/** The whole measure on one checkpoint's W_E [rows ≥ p, d]. */
export function frequencyQuality(WE: ArrayLike<number>, p: number, d: number, factor = DEFAULT_THRESHOLD_FACTOR): FrequencyQuality {
  const B = fourierBasis(p);
  const coefficients = basisCoefficientNorms(WE, p, d, B);
  return qualityFromCoefficients(coefficients, p, factor, B);
}

/** The measure from stored coefficients (the artifact's), without W_E. */
export function qualityFromCoefficients(coefficients: ArrayLike<number>, p: number, factor = DEFAULT_THRESHOLD_FACTOR, B: Float64Array = fourierBasis(p)): FrequencyQuality {
  if (coefficients.length !== p) throw failure(`${coefficients.length} coefficients, expected p = ${p}`);
  const dominantRows = dominantBasisRows(coefficients, factor);
  const qualityScore = idealTensorR2(p, dominantRows, B);
  const pairs = completePairs(dominantRows);
  return {
    coefficients: Float64Array.from(coefficients), dominantRows, qualityScore, reconstructionError: 1 - qualityScore,
    completePairs: pairs, analyticReference: analyticReference(p, pairs.length),
  };
}
