import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupShape, groupWeightGeometry } from '../../../src/analysis/library/freq-group-weight-geometry.js';
import { normal, rng } from '../helpers.js';

const close = (a: number, b: number, tol = 1e-10, what = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('per-group and global geometry of W_in columns and W_out rows equal direct float64 sums', () => {
  const g = normal(rng(21));
  const f = 5, m = 14;
  const members = [[0, 3, 4, 9], [1, 2, 7], [5, 6, 8, 10, 11], [12, 13]];
  const Win = Float64Array.from({ length: f * m }, () => g()); // [f, m]
  const Wout = Float64Array.from({ length: m * f }, () => g()); // [m, f]
  for (const [W, cols] of [[Win, true], [Wout, false]] as const) {
    const at = (n: number, j: number) => (cols ? W[j * m + n] : W[n * f + j]);
    const r = groupWeightGeometry(W, f, m, members, cols);
    const mu = members.map((ns) => Array.from({ length: f }, (_, j) => ns.reduce((a, n) => a + at(n, j), 0) / ns.length));
    const rad = members.map((ns, gi) => Math.sqrt(ns.reduce((a, n) => a + mu[gi].reduce((b, v, j) => b + (at(n, j) - v) ** 2, 0), 0) / ns.length));
    members.forEach((_, gi) => { for (let j = 0; j < f; j++) close(r.centroids[gi * f + j], mu[gi][j], 1e-12, 'centroid'); close(r.radii[gi], rad[gi], 1e-10, 'radius'); });
    const gm = Array.from({ length: f }, (_, j) => mu.reduce((a, c) => a + c[j], 0) / mu.length);
    const cs = Math.sqrt(mu.reduce((a, c) => a + c.reduce((b, v, j) => b + (v - gm[j]) ** 2, 0), 0) / mu.length);
    close(r.center_spread, cs, 1e-12, 'center_spread');
    const mr = rad.reduce((a, v) => a + v, 0) / rad.length;
    close(r.mean_radius, mr, 1e-10, 'mean_radius');
    close(r.snr, cs * cs / (mr * mr), 1e-9, 'snr');
    const J: number[] = [];
    for (let a = 0; a < mu.length; a++) for (let b = a + 1; b < mu.length; b++) J.push(mu[a].reduce((s, v, j) => s + (v - mu[b][j]) ** 2, 0) / (rad[a] ** 2 + rad[b] ** 2));
    close(r.fisher_mean, J.reduce((a, v) => a + v, 0) / J.length, 1e-9, 'fisher_mean');
    close(r.fisher_min, Math.min(...J), 1e-9, 'fisher_min');
    // The 2-neuron group: PR 1 (one direction), PR₃ and f_top3 NaN (MIScope: fewer than 3 neurons).
    close(r.dimensionality[3], 1, 1e-9, 'PR of 2 neurons');
    assert.ok(Number.isNaN(r.pr3[3]) && Number.isNaN(r.f_top3[3]));
    assert.ok(r.circularity >= 0 && r.circularity <= 1);
  }
});

test('participation ratio, PR₃ and f_top3 of a group built from known singular values', () => {
  // Rows ±s_c·e_c (c = 0..3) in 6 dimensions plus an offset: centred scatter eigenvalues 2·s_c².
  const s = [4, 2, 1, 0.5], f = 6;
  const rows: number[] = [];
  s.forEach((v, c) => { for (const sg of [1, -1]) rows.push(...Array.from({ length: f }, (_, j) => (j === c ? sg * v : 0) + 0.25 * j)); });
  const r = groupShape(rows, 8, f);
  const lam = s.map((v) => 2 * v * v), tot = lam.reduce((a, v) => a + v, 0);
  close(r.dimensionality, tot ** 2 / lam.reduce((a, v) => a + v * v, 0), 1e-12, 'PR');
  const fr = lam.slice(0, 3).map((v) => v / tot);
  close(r.pr3, fr.reduce((a, v) => a + v, 0) ** 2 / fr.reduce((a, v) => a + v * v, 0), 1e-12, 'PR3');
  close(r.f_top3, fr.reduce((a, v) => a + v, 0), 1e-12, 'f_top3');
  close(r.radius, Math.sqrt(tot / 8), 1e-12, 'radius');
});

test('circularity: group centroids on a circle in a plane of the weight space score 1; on a line 0', () => {
  const f = 4, G = 8, per = 3, m = G * per;
  const W = new Float64Array(m * f);
  const members = Array.from({ length: G }, (_, gi) => Array.from({ length: per }, (_, i) => gi * per + i));
  // Neurons as rows: the centroid of group gi at angle 2π·gi/G in the plane of dimensions 1 and 3; ±0.1 along dimension 0 around it (mean 0).
  members.forEach((ns, gi) => ns.forEach((n, i) => {
    W[n * f + 1] = Math.cos((2 * Math.PI * gi) / G); W[n * f + 3] = Math.sin((2 * Math.PI * gi) / G); W[n * f] = [0.1, -0.1, 0][i];
  }));
  close(groupWeightGeometry(W, f, m, members, false).circularity, 1, 1e-9, 'circle');
  const L = new Float64Array(m * f);
  members.forEach((ns, gi) => ns.forEach((n, i) => { L[n * f + 2] = gi; L[n * f] = [0.1, -0.1, 0][i]; }));
  assert.ok(groupWeightGeometry(L, f, m, members, false).circularity < 1e-9);
});
