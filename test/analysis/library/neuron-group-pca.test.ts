import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dominantFrequencyGroups, groupPcaStats, neuronRows, principalAxes, projectRows } from '../../../src/analysis/library/neuron-group-pca.js';
import { normal, rng } from '../helpers.js';

/** Orthonormal columns (Gram–Schmidt, float64) [rows, cols] from random vectors, the first `fixed` given. */
function orthonormal(rows: number, cols: number, g: () => number, fixed: number[][] = []): number[][] {
  const out: number[][] = [];
  const cand = [...fixed, ...Array.from({ length: cols + 4 }, () => Array.from({ length: rows }, () => g()))];
  for (const v of cand) {
    const w = [...v];
    for (const u of out) { const d = w.reduce((a, x, i) => a + x * u[i], 0); for (let i = 0; i < rows; i++) w[i] -= d * u[i]; }
    const nrm = Math.hypot(...w);
    if (nrm > 1e-8) out.push(w.map((x) => x / nrm));
    if (out.length === cols + fixed.length) break;
  }
  return out.slice(fixed.length);
}

/** Rows X = mean + U·diag(s)·Vᵀ with U's columns orthonormal and centred: the PCA is known in closed form. */
function known(n: number, f: number, s: number[], seed: number): { X: Float64Array; V: number[][]; mean: number[] } {
  const g = normal(rng(seed));
  const U = orthonormal(n, s.length, g, [Array.from({ length: n }, () => 1)]);
  const V = orthonormal(f, s.length, g);
  const mean = Array.from({ length: f }, () => 3 * g());
  const X = new Float64Array(n * f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) {
    let v = mean[j];
    s.forEach((sv, c) => { v += U[c][i] * sv * V[c][j]; });
    X[i * f + j] = v;
  }
  return { X, V, mean };
}

test('groups: every neuron to its largest fraction (first on ties, an all-zero neuron to index 0), only frequencies with at least 2 neurons', () => {
  // 4 frequencies × 7 neurons, frac[k][n].
  const rows = [
    [0.9, 0.1, 0.0, 0.2, 0.0, 0.5, 0.0],
    [0.0, 0.8, 0.7, 0.2, 0.0, 0.5, 0.0],
    [0.1, 0.1, 0.3, 0.6, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
  ];
  const g = dominantFrequencyGroups(rows.flat(), 4, 7);
  // Neurons → 0, 1, 1, 2, 0 (all zero), 0 (tie 0/1: first), 0 (all zero): frequency 2 has one neuron only.
  assert.deepEqual(g.group_freqs, [0, 1]);
  assert.deepEqual(g.members, [[0, 4, 5, 6], [1, 2]]);
  assert.deepEqual(Array.from(g.neuron_group_idx), [0, 1, 1, -1, 0, 0, 0]);
});

test('pc_var and mean_spread equal the closed form of a group built from known singular values (n < f and n > f)', () => {
  for (const [n, f, s, seed] of [[6, 9, [5, 2, 1, 0.5], 1], [40, 7, [9, 4, 3, 1, 0.2], 2]] as const) {
    const { X, mean } = known(n, f, [...s], seed);
    const r = groupPcaStats(X, n, f);
    const tot = s.reduce((a, v) => a + v * v, 0);
    r.pc_var.forEach((v, c) => assert.ok(Math.abs(v - s[c] ** 2 / tot) < 1e-10, `pc ${c}: ${v}`));
    let spread = 0;
    for (let i = 0; i < n; i++) { let q = 0; for (let j = 0; j < f; j++) q += (X[i * f + j] - mean[j]) ** 2; spread += Math.sqrt(q); }
    assert.ok(Math.abs(r.mean_spread - spread / n) < 1e-10);
  }
});

test('pc_var: NaN for a group without variance and for the components a 2-neuron group has not', () => {
  const same = Float64Array.from([1, 2, 3, 1, 2, 3, 1, 2, 3]);
  assert.ok(groupPcaStats(same, 3, 3).pc_var.every((v) => Number.isNaN(v)));
  const two = groupPcaStats(Float64Array.from([0, 0, 2, 0]), 2, 2);
  assert.deepEqual(two.pc_var.map((v) => (Number.isNaN(v) ? 'nan' : Math.round(v * 1e9) / 1e9)), [1, 0, 'nan']);
  assert.equal(two.mean_spread, 1);
});

test('principal axes are the known right singular vectors (up to sign, largest entry positive; n > f and n < f) and the projections direct dot products', () => {
  for (const [n0, f0, seed] of [[5, 9, 8], [12, 6, 4]] as const) {
    const { X: X0, V: V0 } = known(n0, f0, [6, 3, 1], seed);
    const ax = principalAxes(X0, n0, f0);
    for (let c = 0; c < 3; c++) {
      const a = Array.from(ax.subarray(c * f0, c * f0 + f0));
      const dot = a.reduce((acc, v, j) => acc + v * V0[c][j], 0);
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-9, `n ${n0} axis ${c}: |dot| ${dot}`);
      const big = a.reduce((b, v) => (Math.abs(v) > Math.abs(b) ? v : b), 0);
      assert.ok(big > 0);
    }
  }
  const n = 12, f = 6;
  const { X } = known(n, f, [6, 3, 1], 4);
  const axes = principalAxes(X, n, f);
  const center = Array.from({ length: f }, (_, j) => j - 2);
  const P = projectRows(X, n, f, center, axes);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) {
    let d = 0;
    for (let j = 0; j < f; j++) d += axes[c * f + j] * (X[i * f + j] - center[j]);
    assert.ok(Math.abs(P[i * 3 + c] - d) < 1e-12);
  }
  // A group of 2 neurons has one axis (PC1 along their difference), then zero rows.
  const two = principalAxes(Float64Array.from([0, 0, 1, 3, 4, 1]), 2, 3);
  assert.deepEqual(Array.from(two.subarray(0, 3), (v) => Math.round(v * 1e12) / 1e12), [0.6, 0.8, 0]);
  assert.deepEqual(Array.from(two.subarray(6)), [0, 0, 0]);
});

test('neuron rows: W_in [f, m] by column, W_out [m, f] by row', () => {
  const W = Float64Array.from({ length: 12 }, (_, i) => i); // [3, 4] or [4, 3]
  assert.deepEqual(Array.from(neuronRows(W, 3, 4, [1, 3], true)), [1, 5, 9, 3, 7, 11]);
  assert.deepEqual(Array.from(neuronRows(W, 3, 4, [1, 3], false)), [3, 4, 5, 9, 10, 11]);
});
