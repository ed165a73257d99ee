import { test } from 'node:test';
import assert from 'node:assert/strict';
import { complexLstsq, householderQr, realEigen, thinSvd } from '../../src/math/nonsymmetric.js';
import { normal, rng } from '../analysis/helpers.js';
import { similarSystem, type Block } from '../helpers/linear-system.js';

/** ‖A·v − λ·v‖ for column j of the decomposition. */
function eigResidual(A: Float64Array, n: number, e: ReturnType<typeof realEigen>, j: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    let ar = 0, ai = 0;
    for (let k = 0; k < n; k++) { ar += A[i * n + k] * e.vre[k * n + j]; ai += A[i * n + k] * e.vim[k * n + j]; }
    const lr = e.re[j] * e.vre[i * n + j] - e.im[j] * e.vim[i * n + j];
    const li = e.re[j] * e.vim[i * n + j] + e.im[j] * e.vre[i * n + j];
    worst = Math.max(worst, Math.hypot(ar - lr, ai - li));
  }
  return worst;
}

/** A = S·B·S⁻¹ with B block diagonal of the given real eigenvalues and rotation-scaling blocks, S = I + 0.3·G. */
function similar(blocks: Block[], seed: number): { A: Float64Array; n: number; want: [number, number][] } {
  const { A, n, eig } = similarSystem(blocks, seed, 0.3);
  return { A, n, want: eig };
}

/** Every wanted eigenvalue matched to a distinct computed one within tol. */
function matchEigenvalues(re: Float64Array, im: Float64Array, want: [number, number][], tol: number, what: string): void {
  const used = new Set<number>();
  for (const [wr, wi] of want) {
    let best = -1, bd = Infinity;
    for (let j = 0; j < re.length; j++) if (!used.has(j)) { const d = Math.hypot(re[j] - wr, im[j] - wi); if (d < bd) { bd = d; best = j; } }
    assert.ok(bd < tol, `${what}: eigenvalue ${wr} + ${wi}i found at distance ${bd}`);
    used.add(best);
  }
}

test('realEigen recovers the eigenvalues of similarity-transformed rotation-and-decay blocks, and A·v = λ·v for every vector', () => {
  const cases = [
    [{ r: 0.95, theta: 0.3 }, { r: 0.7, theta: 1.9 }, { real: 0.5 }, { real: -0.2 }],
    [{ r: 1, theta: 0.05 }, { r: 1, theta: 0.1 }, { r: 0.99, theta: 2.5 }],
    [{ real: 2 }, { real: 1 }, { real: 3 }],
    [{ real: 0.4 }],
    [{ r: 0.5, theta: Math.PI / 2 }],
  ];
  cases.forEach((blocks, ci) => {
    const { A, n, want } = similar(blocks, 10 + ci);
    const e = realEigen(A, n);
    matchEigenvalues(e.re, e.im, want, 1e-11, `case ${ci}`);
    for (let j = 0; j < n; j++) {
      assert.ok(eigResidual(A, n, e, j) < 1e-11, `case ${ci} vector ${j}: residual ${eigResidual(A, n, e, j)}`);
      let nrm = 0;
      for (let i = 0; i < n; i++) nrm += e.vre[i * n + j] ** 2 + e.vim[i * n + j] ** 2;
      assert.ok(Math.abs(nrm - 1) < 1e-12, 'unit norm');
    }
  });
});

test('realEigen on random matrices: the eigenvalues sum to the trace, multiply to the determinant, and every vector is an eigenvector', () => {
  const g = normal(rng(3));
  for (const n of [2, 3, 6, 12, 30]) {
    const A = Float64Array.from({ length: n * n }, () => g());
    const e = realEigen(A, n);
    let tr = 0;
    for (let i = 0; i < n; i++) tr += A[i * n + i];
    assert.ok(Math.abs(e.re.reduce((a, x) => a + x, 0) - tr) < 1e-9 * n, `n=${n} trace`);
    assert.ok(Math.abs(e.im.reduce((a, x) => a + x, 0)) < 1e-9, `n=${n} imaginary parts cancel`);
    // det by LU with partial pivoting vs the product of eigenvalues.
    const a = Float64Array.from(A);
    let det = 1;
    for (let c = 0; c < n; c++) {
      let piv = c;
      for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
      if (piv !== c) { det = -det; for (let j = 0; j < n; j++) [a[c * n + j], a[piv * n + j]] = [a[piv * n + j], a[c * n + j]]; }
      det *= a[c * n + c];
      for (let r = c + 1; r < n; r++) { const f = a[r * n + c] / a[c * n + c]; for (let j = c; j < n; j++) a[r * n + j] -= f * a[c * n + j]; }
    }
    let pr = 1, pi = 0;
    for (let j = 0; j < n; j++) [pr, pi] = [pr * e.re[j] - pi * e.im[j], pr * e.im[j] + pi * e.re[j]];
    assert.ok(Math.abs(pr - det) < 1e-8 * Math.max(1, Math.abs(det)), `n=${n} det ${pr} vs ${det}`);
    for (let j = 0; j < n; j++) assert.ok(eigResidual(A, n, e, j) < 1e-9 * n, `n=${n} vector ${j}`);
  }
});

test('thinSvd reconstructs A with orthonormal factors and singular values descending, also for wide and rank-deficient matrices', () => {
  const g = normal(rng(8));
  for (const [m, n, rank] of [[7, 4, 4], [4, 7, 4], [30, 9, 3], [5, 5, 5], [1, 3, 1]] as const) {
    const L = Float64Array.from({ length: m * rank }, () => g()), Rr = Float64Array.from({ length: rank * n }, () => g());
    const A = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let l = 0; l < rank; l++) for (let j = 0; j < n; j++) A[i * n + j] += L[i * rank + l] * Rr[l * n + j];
    const { U, s, V, k } = thinSvd(A, m, n);
    assert.equal(k, Math.min(m, n));
    for (let c = 1; c < k; c++) assert.ok(s[c] <= s[c - 1]);
    for (let c = rank; c < k; c++) assert.ok(s[c] < 1e-12 * s[0], `${m}×${n}: σ${c} = ${s[c]}`);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let x = 0;
      for (let c = 0; c < k; c++) x += U[i * k + c] * s[c] * V[j * k + c];
      assert.ok(Math.abs(x - A[i * n + j]) < 1e-12 * s[0] * 10, `${m}×${n} reconstruction`);
    }
    for (let a = 0; a < rank; a++) for (let b = 0; b < rank; b++) {
      let du = 0, dv = 0;
      for (let i = 0; i < m; i++) du += U[i * k + a] * U[i * k + b];
      for (let j = 0; j < n; j++) dv += V[j * k + a] * V[j * k + b];
      assert.ok(Math.abs(du - (a === b ? 1 : 0)) < 1e-12 && Math.abs(dv - (a === b ? 1 : 0)) < 1e-12, `${m}×${n} orthonormal`);
    }
  }
});

test('householderQr: A = Q·R, Q has orthonormal columns, R is upper triangular', () => {
  const g = normal(rng(4));
  for (const [m, n] of [[9, 4], [4, 9], [6, 6]] as const) {
    const A = Float64Array.from({ length: m * n }, () => g());
    const { Q, R, k } = householderQr(A, m, n);
    for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) assert.equal(R[i * n + j], 0);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let x = 0;
      for (let l = 0; l < k; l++) x += Q[i * k + l] * R[l * n + j];
      assert.ok(Math.abs(x - A[i * n + j]) < 1e-12, 'A = QR');
    }
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
      let d = 0;
      for (let i = 0; i < m; i++) d += Q[i * k + a] * Q[i * k + b];
      assert.ok(Math.abs(d - (a === b ? 1 : 0)) < 1e-12);
    }
  }
});

test('complexLstsq: the exact solution of a full-rank complex system, and the minimum-norm one when columns repeat', () => {
  const g = normal(rng(6));
  const m = 6, n = 3;
  const Ar = Float64Array.from({ length: m * n }, () => g()), Ai = Float64Array.from({ length: m * n }, () => g());
  const xr = [1, -2, 0.5], xi = [0.25, 1, -1];
  const br = new Float64Array(m), bi = new Float64Array(m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    br[i] += Ar[i * n + j] * xr[j] - Ai[i * n + j] * xi[j];
    bi[i] += Ar[i * n + j] * xi[j] + Ai[i * n + j] * xr[j];
  }
  const x = complexLstsq(Ar, Ai, m, n, br, bi, 1, 1e-15);
  for (let j = 0; j < n; j++) assert.ok(Math.abs(x.re[j] - xr[j]) < 1e-12 && Math.abs(x.im[j] - xi[j]) < 1e-12);
  // Two equal columns [a, a]: the minimum-norm solution of [a a]·x = a splits evenly, x = (1/2, 1/2).
  const a2r = new Float64Array(m * 2), a2i = new Float64Array(m * 2);
  for (let i = 0; i < m; i++) { a2r[i * 2] = a2r[i * 2 + 1] = Ar[i * n]; a2i[i * 2] = a2i[i * 2 + 1] = Ai[i * n]; }
  const y = complexLstsq(a2r, a2i, m, 2, Float64Array.from({ length: m }, (_, i) => Ar[i * n]), Float64Array.from({ length: m }, (_, i) => Ai[i * n]), 1, 1e-12);
  for (let j = 0; j < 2; j++) assert.ok(Math.abs(y.re[j] - 0.5) < 1e-12 && Math.abs(y.im[j]) < 1e-12, `min-norm ${y.re[j]} ${y.im[j]}`);
});
