import { test } from 'node:test';
import assert from 'node:assert/strict';
import { participationRatio, singularValues, weightSpectra } from '../../../src/analysis/library/effective-dimensionality.js';
import { symmetricEigenJacobi as symmetricEigen, symmetricEigenvalues } from '../../../src/math/linalg.js';
import { basisRows, f64Params, relClose, tiny } from '../further-helpers.js';
import { rng } from '../helpers.js';

test('singular values of U·diag(s)·Vᵀ built from orthonormal Fourier rows are exactly s, and PR = (Σσ²)²/Σσ⁴', () => {
  const p = 13; // U: 5 orthonormal rows of the basis (as columns), V: 5 other rows
  const B = basisRows(p);
  const s = [5, 3, 2, 0.5, 0];
  const rowsU = [1, 2, 5, 6, 9], rowsV = [0, 3, 4, 7, 8];
  const A = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
    let x = 0;
    for (let r = 0; r < s.length; r++) x += B[rowsU[r]][i] * s[r] * B[rowsV[r]][j];
    A[i * p + j] = x;
  }
  const sv = singularValues(A, p, p);
  for (let r = 0; r < s.length; r++) assert.ok(Math.abs(sv[r] - s[r]) < 1e-6, `σ${r} = ${sv[r]}, want ${s[r]}`);
  for (let r = s.length; r < p; r++) assert.ok(sv[r] < 1e-6);
  const s2 = s.map((x) => x * x);
  relClose(participationRatio(sv), s2.reduce((a, b) => a + b) ** 2 / s2.reduce((a, b) => a + b * b, 0), 1e-9, 'PR');
  assert.equal(participationRatio([3, 0, 0]), 1);
  relClose(participationRatio([2, 2, 2, 2]), 4, 1e-15, 'PR of 4 equal');
});

test('Householder + QL eigenvalues equal cyclic Jacobi on random symmetric matrices (including a wide matrix\'s Gram)', () => {
  const r = rng(3);
  for (const n of [1, 2, 7, 40]) {
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = r() * 2 - 1;
    const want = Array.from(symmetricEigen(A, n).values).sort((x, y) => y - x);
    const got = symmetricEigenvalues(Float64Array.from(A), n);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-10, `n=${n} λ${i}: ${got[i]} vs ${want[i]}`);
  }
  // A wide 3×9 matrix: σ² are the eigenvalues of A·Aᵀ.
  const W = Float64Array.from({ length: 27 }, () => r() - 0.5);
  const G = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let c = 0; c < 9; c++) G[i * 3 + j] += W[i * 9 + c] * W[j * 9 + c];
  const want = Array.from(symmetricEigen(G, 3).values).sort((x, y) => y - x).map(Math.sqrt);
  singularValues(W, 3, 9).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12));
});

test('weight spectra: per-head attention matrices and whole matrices, Σσ² equals the squared Frobenius norm', () => {
  const params = f64Params(tiny, 4);
  const sp = weightSpectra(params);
  assert.equal(sp.W_Q.length, tiny.nHeads);
  assert.equal(sp.W_in.length, 1);
  const { dModel: d, dHead: dh } = tiny;
  const h1 = params.t['blocks.0.attn.W_O'].subarray(dh * d, 2 * dh * d);
  relClose(sp.W_O[1].reduce((s, x) => s + x * x, 0), h1.reduce((s, x) => s + x * x, 0), 1e-10, 'W_O head 1');
  const we = params.t['embed.W_E'];
  relClose(sp.W_E[0].reduce((s, x) => s + x * x, 0), we.reduce((s, x) => s + x * x, 0), 1e-10, 'W_E');
});
