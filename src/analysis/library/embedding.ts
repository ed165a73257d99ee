/**
 * Fourier structure of the token embedding. W_E's first p rows (the number tokens, p × d_model)
 * are projected on the modular Fourier basis: c_x = B[x] · W_E (a d_model vector per basis row x).
 * Per frequency k = 1..(p−1)/2: sinNorm_k = ‖c_{2k−1}‖, cosNorm_k = ‖c_{2k}‖ and the combined
 * norm_k = √(sinNorm_k² + cosNorm_k²).
 *
 * Key frequencies (rule): take frequencies in decreasing order of norm_k and keep the smallest
 * prefix whose energies norm_k² sum to at least `keyShare` (default 0.5) of Σ_k norm_k² (the
 * embedding's energy outside the constant row); reported in ascending order. A trained model puts
 * most of its energy in a handful of frequencies, so the set is small; a random embedding needs
 * about half of all frequencies.
 * Gini coefficient of the norms (not squared): Σ_i Σ_j |x_i − x_j| / (2 n² mean), via the sorted
 * formula; 0 when all frequencies are equal, (n−1)/n when one holds everything, 0 for all-zero.
 */
import { failure } from '../../core/errors.js';
import { fourierBasis, frequencyCount } from '../../math/basis.js';

export interface EmbeddingFourier {
  /** Per frequency k = 1..(p−1)/2 (index k−1). */
  norms: Float64Array; cosNorms: Float64Array; sinNorms: Float64Array;
  keyFrequencies: number[];
  gini: number;
}

export const DEFAULT_KEY_SHARE = 0.5;

/** Gini coefficient of non-negative values. */
export function gini(values: ArrayLike<number>): number {
  const xs = Float64Array.from(values).sort();
  const n = xs.length;
  let total = 0, weighted = 0;
  for (let i = 0; i < n; i++) { total += xs[i]; weighted += (i + 1) * xs[i]; }
  if (n === 0 || total <= 0) return 0;
  return (2 * weighted) / (n * total) - (n + 1) / n;
}

/** The key frequencies (1-based, ascending) under the rule above. */
export function keyFrequencies(norms: ArrayLike<number>, keyShare = DEFAULT_KEY_SHARE): number[] {
  const order = Array.from({ length: norms.length }, (_, i) => i).sort((i, j) => norms[j] - norms[i] || i - j);
  let total = 0;
  for (let i = 0; i < norms.length; i++) total += norms[i] ** 2;
  if (total <= 0) return [];
  const keys: number[] = [];
  let acc = 0;
  for (const i of order) {
    if (acc >= keyShare * total) break;
    keys.push(i + 1);
    acc += norms[i] ** 2;
  }
  return keys.sort((x, y) => x - y);
}

/** c_x = ‖B[x] · W_E[:p]‖ for x = 0..p−1 (W_E is [rows ≥ p, d] row-major). */
export function basisCoefficientNorms(WE: ArrayLike<number>, p: number, d: number, B: Float64Array = fourierBasis(p)): Float64Array {
  if (WE.length < p * d) throw failure(`embedding has ${WE.length} values, fewer than p·d_model = ${p * d}`);
  const out = new Float64Array(p), c = new Float64Array(d);
  for (let x = 0; x < p; x++) {
    c.fill(0);
    for (let a = 0; a < p; a++) {
      const w = B[x * p + a];
      for (let j = 0; j < d; j++) c[j] += w * WE[a * d + j];
    }
    let s = 0;
    for (let j = 0; j < d; j++) s += c[j] * c[j];
    out[x] = Math.sqrt(s);
  }
  return out;
}

/** W_E is [rows ≥ p, d] row-major; only its first p rows are used. */
export function embeddingFourier(WE: ArrayLike<number>, p: number, d: number, keyShare = DEFAULT_KEY_SHARE): EmbeddingFourier {
  const nF = frequencyCount(p);
  const rowNorm = basisCoefficientNorms(WE, p, d);
  const norms = new Float64Array(nF), cosNorms = new Float64Array(nF), sinNorms = new Float64Array(nF);
  for (let k = 1; k <= nF; k++) {
    sinNorms[k - 1] = rowNorm[2 * k - 1];
    cosNorms[k - 1] = rowNorm[2 * k];
    norms[k - 1] = Math.hypot(sinNorms[k - 1], cosNorms[k - 1]);
  }
  return { norms, cosNorms, sinNorms, keyFrequencies: keyFrequencies(norms, keyShare), gini: gini(norms) };
}
