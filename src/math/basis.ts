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
