/**
 * The reference coarseness table (the seed's "comparison baseline"): for each frequency
 * k = 1..(p−1)/2 the coarseness, for K = 1..maxK, of the maps cos(2πk·a/p), cos(2πk(a+b)/p) and
 * cos(2πk·a/p)·cos(2πk·b/p), and of the ReLU of each. The plain maps score 1 when k ≤ K and 0
 * otherwise; ReLU adds harmonics 2k, 3k, … which fold back to low frequencies (mod p) when k is
 * near p/2, p/3, …, so the ReLU rows show which high frequencies look "coarse".
 */
import type { Kernels } from '../../engine/kernels.js';
import { ReferenceKernels } from '../../engine/reference.js';
import { checkOddP, frequencyCount } from '../../math/basis.js';
import { coarsenessFromFractions, neuronFourier } from './coarseness.js';

export interface ReferenceRow {
  k: number;
  pattern: string;
  relu: boolean;
  /** Coarseness for K = 1..maxK (none of these maps is flat). */
  coarseness: number[];
}

export const REFERENCE_PATTERNS: { name: string; map: (a: number, b: number, w: number) => number }[] = [
  { name: 'cos(a)', map: (a, _b, w) => Math.cos(w * a) },
  { name: 'cos(a+b)', map: (a, b, w) => Math.cos(w * (a + b)) },
  { name: 'cos(a)cos(b)', map: (a, b, w) => Math.cos(w * a) * Math.cos(w * b) },
];

export function referenceTable(p: number, maxK = 6, kernels: Kernels = new ReferenceKernels('f64')): ReferenceRow[] {
  checkOddP(p);
  const nF = frequencyCount(p);
  const cols: { k: number; pattern: string; relu: boolean }[] = [];
  for (let k = 1; k <= nF; k++) for (const pat of REFERENCE_PATTERNS) for (const relu of [false, true]) cols.push({ k, pattern: pat.name, relu });
  const m = cols.length;
  const maps = new Float64Array(p * p * m);
  cols.forEach((c, n) => {
    const pat = REFERENCE_PATTERNS.find((x) => x.name === c.pattern)!;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      // Reduce the integer arguments mod p so every angle is computed from a small integer.
      const v = pat.map((c.k * a) % p, (c.k * b) % p, (2 * Math.PI) / p);
      maps[(a * p + b) * m + n] = c.relu ? Math.max(0, v) : v;
    }
  });
  const nf = neuronFourier(kernels, maps, p, m);
  const perK: Float64Array[] = [];
  for (let K = 1; K <= maxK; K++) perK.push(coarsenessFromFractions(nf.frac, nf.flat, nF, m, K));
  return cols.map((c, n) => ({ ...c, coarseness: perK.map((v) => v[n]) }));
}
