/**
 * Linear systems whose eigenvalues are known, for the eigen-solver and DMD tests: A = S·B·S⁻¹ with
 * B block diagonal (real eigenvalues and rotation-scaling blocks r·R(θ), eigenvalues r·e^{±iθ}) and
 * S = I + spread·G (G standard normal, seeded), so A is not normal and its eigenvectors not
 * orthogonal. Plain float64 loops, independent of src/math.
 */
import { normal, rng } from '../analysis/helpers.js';

export type Block = { real: number } | { r: number; theta: number };

/** Z = X·Y for X of a × b and Y of b × c, row-major. */
export function matmul(X: ArrayLike<number>, Y: ArrayLike<number>, a: number, b: number, c: number): Float64Array {
  const Z = new Float64Array(a * c);
  for (let i = 0; i < a; i++) for (let k = 0; k < b; k++) for (let j = 0; j < c; j++) Z[i * c + j] += X[i * b + k] * Y[k * c + j];
  return Z;
}

/** X⁻¹ by Gauss–Jordan with partial pivoting (n × n). */
export function inverse(X: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(X), inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
    for (let j = 0; j < n; j++) { [a[c * n + j], a[piv * n + j]] = [a[piv * n + j], a[c * n + j]]; [inv[c * n + j], inv[piv * n + j]] = [inv[piv * n + j], inv[c * n + j]]; }
    const d = a[c * n + c];
    for (let j = 0; j < n; j++) { a[c * n + j] /= d; inv[c * n + j] /= d; }
    for (let r = 0; r < n; r++) if (r !== c) {
      const f = a[r * n + c];
      for (let j = 0; j < n; j++) { a[r * n + j] -= f * a[c * n + j]; inv[r * n + j] -= f * inv[c * n + j]; }
    }
  }
  return inv;
}

/** A = S·B·S⁻¹ of the given blocks (n × n) and its eigenvalues [re, im], in block order. */
export function similarSystem(blocks: Block[], seed: number, spread: number): { A: Float64Array; n: number; eig: [number, number][] } {
  const n = blocks.reduce((acc, b) => acc + ('real' in b ? 1 : 2), 0);
  const B = new Float64Array(n * n);
  const eig: [number, number][] = [];
  let o = 0;
  for (const b of blocks) {
    if ('real' in b) { B[o * n + o] = b.real; eig.push([b.real, 0]); o++; continue; }
    const c = b.r * Math.cos(b.theta), s = b.r * Math.sin(b.theta);
    B[o * n + o] = c; B[o * n + o + 1] = -s; B[(o + 1) * n + o] = s; B[(o + 1) * n + o + 1] = c;
    eig.push([c, s], [c, -s]);
    o += 2;
  }
  const g = normal(rng(seed));
  const S = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0) + spread * g());
  return { A: matmul(matmul(S, B, n, n, n), inverse(S, n), n, n, n), n, eig };
}
