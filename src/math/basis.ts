/**
 * The modular Fourier basis of docs/design.md §3 for odd p: a p × p orthonormal matrix B, row-major.
 * Row 0 is the constant; for k = 1..(p−1)/2 row 2k−1 is sin(2πk·x/p) and row 2k is cos(2πk·x/p),
 * x = 0..p−1; every row is scaled to unit L2 norm.
 */
import { badInput } from '../core/errors.js';

/** Number of non-constant frequencies, (p−1)/2. */
export function frequencyCount(p: number): number {
  return (p - 1) / 2;
}

/** The frequency k of basis row x (0 for the constant row): ⌈x/2⌉. */
export function frequencyOfRow(x: number): number {
  return (x + 1) >> 1;
}

export function checkOddP(p: number): void {
  if (!Number.isInteger(p) || p < 3 || p % 2 === 0) throw badInput(`the modular Fourier basis needs an odd p ≥ 3, got ${p}`);
}

/** B as a p × p row-major Float64Array. */
export function fourierBasis(p: number): Float64Array {
  checkOddP(p);
  const B = new Float64Array(p * p);
  for (let x = 0; x < p; x++) B[x] = 1;
  for (let k = 1; k <= frequencyCount(p); k++) {
    for (let x = 0; x < p; x++) {
      // Reduce k·x mod p first so the angle stays small and exact in the integers.
      const angle = (2 * Math.PI * ((k * x) % p)) / p;
      B[(2 * k - 1) * p + x] = Math.sin(angle);
      B[2 * k * p + x] = Math.cos(angle);
    }
  }
  for (let r = 0; r < p; r++) {
    let s = 0;
    for (let x = 0; x < p; x++) s += B[r * p + x] ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let x = 0; x < p; x++) B[r * p + x] *= inv;
  }
  return B;
}

/**
 * The 2-D power spectrum of a p × p map A (row a, column b) in float64: F = B·(A − mean)·Bᵀ, |F|²
 * summed over the sin and cos rows of each frequency, as an S × S matrix (S = (p+1)/2, row k_a,
 * column k_b) of shares of the total (0 everywhere for a flat map). The report's neuron gallery
 * computes it in the page; the views compute the same through the engine (views/maps.ts).
 */
export function powerShares(values: ArrayLike<number>, p: number, B: Float64Array = fourierBasis(p)): Float64Array {
  const n = p * p;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  const G = new Float64Array(n); // G[x][b] = Σ_a B[x][a]·(A[a][b] − mean)
  for (let x = 0; x < p; x++) {
    for (let a = 0; a < p; a++) {
      const w = B[x * p + a];
      if (w === 0) continue;
      for (let b = 0; b < p; b++) G[x * p + b] += w * (values[a * p + b] - mean);
    }
  }
  const S = (p + 1) / 2, out = new Float64Array(S * S);
  let tot = 0;
  for (let x = 0; x < p; x++) {
    for (let y = 0; y < p; y++) {
      if (x === 0 && y === 0) continue;
      let f = 0;
      for (let b = 0; b < p; b++) f += G[x * p + b] * B[y * p + b];
      out[frequencyOfRow(x) * S + frequencyOfRow(y)] += f * f;
      tot += f * f;
    }
  }
  if (tot > 0) for (let i = 0; i < out.length; i++) out[i] /= tot;
  return out;
}
