/**
 * Point-cloud shape scores after MIScope develop library/shape.py:
 *
 * `characterizeCircularity` (characterize_circularity): for 2-D points (a top-2 PCA projection),
 *   the Kåsa circle fit (least squares of x² + y² + a·x + b·y + c = 0: centre (−a/2, −b/2),
 *   r = √max(cx² + cy² − c, 0)), msr = mean (‖x − centre‖ − r)², raw = 1 − msr / (var_x + var_y)
 *   (population variances), balance = var_y / var_x, score = clip(raw · var_explained · balance, 0, 1);
 *   0 when var_x + var_y < 1e-12 or var_x < 1e-12.
 *
 * `characterizeSurface` (characterize_surface, REQ_092): z = PC3 against x = PC1, y = PC2 of n ≥ 7
 *   points, two least-squares fits: linear z = d·x + e·y + f (r2_linear) and quadratic
 *   z = a·x² + b·y² + c·x·y + d·x + e·y + f (r2_quadratic, and its a, b, c); R² = clip(1 − SS_res /
 *   SS_tot, 0, 1), 0 when SS_tot < 1e-12; r2_curvature = clip(r2_quadratic − r2_linear, 0, 1).
 *   Shape: 'flat/blob' when r2_curvature < 0.05, else 'bowl' when the Hessian determinant 4ab − c² > 0,
 *   else 'saddle'. Fewer than 7 points: every number NaN and 'flat/blob'.
 *
 * Least squares as numpy's lstsq with rcond = None: the minimum-norm solution, singular values below
 * max(rows, cols)·ε·σ_max dropped (complexLstsq with a zero imaginary part).
 */
import { complexLstsq } from '../../math/nonsymmetric.js';

export const SURFACE_FLAT_THRESHOLD = 0.05;
export const SURFACE_MIN_POINTS = 7;
export const SURFACE_SHAPES = ['flat/blob', 'bowl', 'saddle'] as const;
export type SurfaceShape = (typeof SURFACE_SHAPES)[number];

/** The minimum-norm x of A·x ≈ b, A [rows, cols] row-major (numpy lstsq, rcond = None). */
export function realLstsq(A: ArrayLike<number>, rows: number, cols: number, b: ArrayLike<number>): Float64Array {
  return complexLstsq(A, new Float64Array(rows * cols), rows, cols, b, new Float64Array(rows), 1, Math.max(rows, cols) * 2 ** -52).re;
}

/** MIScope _kasa_circle_fit on points [n, 2]. */
export function kasaCircleFit(P: ArrayLike<number>, n: number): { cx: number; cy: number; radius: number } {
  const A = new Float64Array(n * 3), b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = P[2 * i], y = P[2 * i + 1];
    A[3 * i] = x; A[3 * i + 1] = y; A[3 * i + 2] = 1; b[i] = -(x * x + y * y);
  }
  const [a, bb, c] = realLstsq(A, n, 3, b);
  const cx = -a / 2, cy = -bb / 2;
  return { cx, cy, radius: Math.sqrt(Math.max(cx * cx + cy * cy - c, 0)) };
}

function variance(P: ArrayLike<number>, n: number, col: number, stride: number): number {
  let m = 0, s = 0;
  for (let i = 0; i < n; i++) m += P[i * stride + col];
  m /= n;
  for (let i = 0; i < n; i++) s += (P[i * stride + col] - m) ** 2;
  return s / n;
}

/** MIScope characterize_circularity on points [n, 2] and the projection's share of the variance. */
export function characterizeCircularity(P: ArrayLike<number>, n: number, varExplained: number): number {
  const vx = variance(P, n, 0, 2), vy = variance(P, n, 1, 2), v = vx + vy;
  if (v < 1e-12 || vx < 1e-12) return 0;
  const { cx, cy, radius } = kasaCircleFit(P, n);
  let msr = 0;
  for (let i = 0; i < n; i++) msr += (Math.hypot(P[2 * i] - cx, P[2 * i + 1] - cy) - radius) ** 2;
  const score = (1 - msr / n / v) * varExplained * (vy / vx);
  return Math.min(1, Math.max(0, score));
}

export interface SurfaceParameters {
  r2_linear: number;
  r2_quadratic: number;
  r2_curvature: number;
  a: number;
  b: number;
  c: number;
  shape: SurfaceShape;
}

function fitR2(A: Float64Array, n: number, cols: number, z: ArrayLike<number>): { r2: number; coef: Float64Array } {
  const coef = realLstsq(A, n, cols, z);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += z[i];
  mean /= n;
  let res = 0, tot = 0;
  for (let i = 0; i < n; i++) {
    let zh = 0;
    for (let j = 0; j < cols; j++) zh += A[i * cols + j] * coef[j];
    res += (z[i] - zh) ** 2; tot += (z[i] - mean) ** 2;
  }
  return { r2: tot < 1e-12 ? 0 : Math.min(1, Math.max(0, 1 - res / tot)), coef };
}

/** MIScope characterize_surface on points [n, 3] (PC1, PC2, PC3 per row). */
export function characterizeSurface(P: ArrayLike<number>, n: number): SurfaceParameters {
  if (n < SURFACE_MIN_POINTS) return { r2_linear: NaN, r2_quadratic: NaN, r2_curvature: NaN, a: NaN, b: NaN, c: NaN, shape: 'flat/blob' };
  const L = new Float64Array(n * 3), Q = new Float64Array(n * 6), z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = P[3 * i], y = P[3 * i + 1];
    z[i] = P[3 * i + 2];
    L.set([x, y, 1], 3 * i);
    Q.set([x * x, y * y, x * y, x, y, 1], 6 * i);
  }
  const lin = fitR2(L, n, 3, z), quad = fitR2(Q, n, 6, z);
  const [a, b, c] = quad.coef;
  const r2_curvature = Math.min(1, Math.max(0, quad.r2 - lin.r2));
  const shape: SurfaceShape = r2_curvature < SURFACE_FLAT_THRESHOLD ? 'flat/blob' : 4 * a * b - c * c > 0 ? 'bowl' : 'saddle';
  return { r2_linear: lin.r2, r2_quadratic: quad.r2, r2_curvature, a, b, c, shape };
}
