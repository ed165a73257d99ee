import { test } from 'node:test';
import assert from 'node:assert/strict';
import { characterizeCircularity, characterizeSurface, kasaCircleFit } from '../../../src/analysis/library/shape.js';
import { normal, rng } from '../helpers.js';

/** R² of the plane z = d·x + e·y + f by the 3 × 3 normal equations (Cramer's rule). */
function planeR2(x: number[], y: number[], z: number[]): number {
  const n = x.length, cols = [x, y, x.map(() => 1)];
  const M = cols.map((a) => cols.map((b) => a.reduce((s, v, i) => s + v * b[i], 0)));
  const r = cols.map((a) => a.reduce((s, v, i) => s + v * z[i], 0));
  const det = (A: number[][]) => A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) + A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
  const D = det(M);
  const coef = [0, 1, 2].map((c) => det(M.map((row, i) => row.map((v, j) => (j === c ? r[i] : v)))) / D);
  const mean = z.reduce((a, v) => a + v, 0) / n;
  let res = 0, tot = 0;
  for (let i = 0; i < n; i++) { res += (z[i] - coef[0] * x[i] - coef[1] * y[i] - coef[2]) ** 2; tot += (z[i] - mean) ** 2; }
  return 1 - res / tot;
}

function cloud(n: number, seed: number, z: (x: number, y: number) => number, noise = 0): { P: number[]; x: number[]; y: number[]; zs: number[] } {
  const g = normal(rng(seed));
  const x: number[] = [], y: number[] = [], zs: number[] = [], P: number[] = [];
  for (let i = 0; i < n; i++) { const a = g(), b = 0.7 * g(); const c = z(a, b) + noise * g(); x.push(a); y.push(b); zs.push(c); P.push(a, b, c); }
  return { P, x, y, zs };
}

test('surface: points sampled exactly from z = a·x² + b·y² + c·x·y + tilt give back a, b, c, r2_quadratic = 1 and the shape of 4ab − c²', () => {
  for (const [a, b, c, shape] of [[1, 2, 0.5, 'bowl'], [-0.8, -0.3, 0.2, 'bowl'], [1, -1, 0, 'saddle'], [1, 1, 3, 'saddle']] as const) {
    const { P, x, y, zs } = cloud(60, 7, (u, v) => a * u * u + b * v * v + c * u * v + 0.4 * u - 0.3 * v + 2);
    const s = characterizeSurface(P, 60);
    assert.ok(Math.abs(s.a - a) < 1e-9 && Math.abs(s.b - b) < 1e-9 && Math.abs(s.c - c) < 1e-9, `${a} ${b} ${c}: ${s.a} ${s.b} ${s.c}`);
    assert.ok(Math.abs(s.r2_quadratic - 1) < 1e-12);
    assert.ok(Math.abs(s.r2_linear - planeR2(x, y, zs)) < 1e-9);
    assert.ok(Math.abs(s.r2_curvature - (1 - planeR2(x, y, zs))) < 1e-9);
    assert.equal(s.shape, shape);
  }
});

test('surface: a tilted plane with noise and an isotropic blob are flat/blob (r2_curvature < 0.05); r2_linear is the plane fit', () => {
  const plane = cloud(300, 3, (u, v) => 0.5 * u - 0.2 * v + 1, 0.1);
  const s = characterizeSurface(plane.P, 300);
  assert.ok(Math.abs(s.r2_linear - planeR2(plane.x, plane.y, plane.zs)) < 1e-9);
  assert.ok(s.r2_linear > 0.9 && s.r2_curvature < 0.05);
  assert.equal(s.shape, 'flat/blob');
  const blob = cloud(300, 11, () => 0, 1);
  const t = characterizeSurface(blob.P, 300);
  assert.ok(t.r2_quadratic < 0.05);
  assert.equal(t.shape, 'flat/blob');
});

test('surface: fewer than 7 points give NaN and flat/blob; a constant z gives R² 0', () => {
  const s = characterizeSurface([0, 0, 1, 1, 0, 2, 0, 1, 3, 1, 1, 1, 2, 0, 0, 0, 2, 1], 6);
  assert.ok([s.r2_linear, s.r2_quadratic, s.r2_curvature, s.a, s.b, s.c].every((v) => Number.isNaN(v)));
  assert.equal(s.shape, 'flat/blob');
  const flat = characterizeSurface(cloud(20, 2, () => 5).P, 20);
  assert.equal(flat.r2_quadratic, 0);
  assert.equal(flat.shape, 'flat/blob');
});

test('circularity: a circle scores its var_explained, a line 0; Kåsa finds the centre and radius', () => {
  const n = 24, P: number[] = [];
  for (let i = 0; i < n; i++) { const t = (2 * Math.PI * i) / n; P.push(1 + 2 * Math.cos(t), -1 + 2 * Math.sin(t)); }
  const k = kasaCircleFit(P, n);
  assert.ok(Math.abs(k.cx - 1) < 1e-12 && Math.abs(k.cy + 1) < 1e-12 && Math.abs(k.radius - 2) < 1e-12);
  assert.ok(Math.abs(characterizeCircularity(P, n, 0.8) - 0.8) < 1e-12);
  const line = Array.from({ length: 20 }, (_, i) => [i, 0]).flat();
  assert.equal(characterizeCircularity(line, 20, 1), 0);
});

test('circularity of an ellipse: (1 − msr / var) · ve · var_y/var_x with the Kåsa circle of a direct 3 × 3 solve', () => {
  const n = 36, P: number[] = [];
  for (let i = 0; i < n; i++) { const t = (2 * Math.PI * i) / n; P.push(3 * Math.cos(t), 2 * Math.sin(t)); }
  // By symmetry the Kåsa centre is 0; c = −mean(x² + y²), radius √(mean(x² + y²)).
  let m2 = 0;
  for (let i = 0; i < n; i++) m2 += (P[2 * i] ** 2 + P[2 * i + 1] ** 2) / n;
  const r = Math.sqrt(m2);
  let msr = 0;
  for (let i = 0; i < n; i++) msr += (Math.hypot(P[2 * i], P[2 * i + 1]) - r) ** 2 / n;
  const vx = 4.5, vy = 2; // 9/2, 4/2 for evenly spaced angles
  const want = (1 - msr / (vx + vy)) * 0.9 * (vy / vx);
  assert.ok(Math.abs(characterizeCircularity(P, n, 0.9) - want) < 1e-12);
});
