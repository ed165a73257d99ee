/**
 * Independent float64 oracles for the further analyzers' tests: the plain three-position model's
 * mean cross-entropy (test/helpers/plain-model.ts), its gradient by central finite differences,
 * the modular Fourier basis written out from its definition, and dense matrix helpers.
 */
import type { ModelConfig } from '../../src/config/config.js';
import { Params, type ParamName } from '../../src/model/params.js';
import { fillRandom, plainLogits } from '../helpers/plain-model.js';

export const tiny: ModelConfig = { p: 7, dModel: 8, nHeads: 2, dHead: 4, dMlp: 12, act: 'relu' };

export function f64Params(c: ModelConfig, seed: number, scale = 0.5): Params<Float64Array> {
  const params = Params.zeros(c, (n) => new Float64Array(n));
  fillRandom(params.flat, seed, scale);
  return params;
}

/** Mean cross-entropy of the plain model over pairs (a·p + b), in float64. */
export function plainLoss(params: Params, pairs: ArrayLike<number>): number {
  const p = params.config.p;
  let s = 0;
  for (let i = 0; i < pairs.length; i++) {
    const a = Math.floor(pairs[i] / p), b = pairs[i] % p, t = (a + b) % p;
    const l = plainLogits(params, a, b);
    let mx = -Infinity;
    for (const v of l) mx = Math.max(mx, v);
    let z = 0;
    for (const v of l) z += Math.exp(v - mx);
    s += Math.log(z) - (l[t] - mx);
  }
  return s / pairs.length;
}

/** ∂L/∂θ_i by central differences for the entries of one tensor. */
export function fdGrad(params: Params<Float64Array>, name: ParamName, pairs: ArrayLike<number>, h = 1e-5): Float64Array {
  const v = params.t[name];
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    v[i] = x + h; const up = plainLoss(params, pairs);
    v[i] = x - h; const dn = plainLoss(params, pairs);
    v[i] = x;
    out[i] = (up - dn) / (2 * h);
  }
  return out;
}

/** Row r of the modular Fourier basis at x, from its definition (docs/design.md §3), unit norm. */
export function basisRows(p: number): number[][] {
  const rows: number[][] = [Array.from({ length: p }, () => 1 / Math.sqrt(p))];
  for (let k = 1; k <= (p - 1) / 2; k++) {
    rows.push(Array.from({ length: p }, (_, x) => Math.sin((2 * Math.PI * k * x) / p) * Math.sqrt(2 / p)));
    rows.push(Array.from({ length: p }, (_, x) => Math.cos((2 * Math.PI * k * x) / p) * Math.sqrt(2 / p)));
  }
  return rows;
}

/** C = A·B for dense row-major arrays A [n, k], B [k, m]. */
export function matmul(A: ArrayLike<number>, B: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let l = 0; l < k; l++) for (let j = 0; j < m; j++) C[i * m + j] += A[i * k + l] * B[l * m + j];
  return C;
}

export function relClose(got: number, want: number, tol: number, what: string): void {
  const err = Math.abs(got - want) / Math.max(1e-12, Math.abs(want));
  if (!(err <= tol)) throw new Error(`${what}: got ${got}, want ${want} (relative error ${err.toExponential(2)} > ${tol})`);
}
