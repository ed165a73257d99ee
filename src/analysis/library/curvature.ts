/**
 * Loss-landscape curvature at one set of weights (issue 14 §3), on the training loss.
 *
 * Flatness, as MIScope's landscape_flatness (library/landscape.py) defines it: draw n unit
 * directions u (Gaussian over the trainable parameters, normalised to L2 norm 1), perturb the
 * trainable parameters by ε·u (ε = 0.1) and record Δ = L(θ + ε·u) − L(θ) (signed). Summary: mean,
 * median, std (population), p90 (linear interpolation), max of Δ and the flatness ratio, the share
 * of directions with Δ < 0.1·L(θ) (< 0.1 when L(θ) = 0). Directions come from PyTorch's generator
 * (MT19937, `normal_`) seeded with `seed`, so every checkpoint is probed along the same directions.
 *
 * Top Hessian eigenvalue: the Lanczos iteration (a Krylov refinement of power iteration) on
 * Hessian-vector products over the trainable parameters, each Hv the central finite difference of
 * the exact gradient (model.ts lossAndGrad): Hv ≈ (∇L(θ + h·v) − ∇L(θ − h·v)) / (2h), ‖v‖ = 1.
 * The loss is piecewise smooth: a ReLU pre-activation that changes sign between θ − h·v and θ + h·v
 * adds a jump of the gradient divided by 2h to Hv. At a p=113 initialisation a unit step of
 * h = 1e-4 already flips 4 of the 2·10⁶ training pre-activations and vᵀHv comes out 60× too large
 * (the same in float32 and float64: it is the kinks, not rounding); at h ≤ 1e-5 nothing flips and
 * float64 values agree to 10 digits between h = 1e-5 and 1e-6 along a random direction. But the
 * Lanczos vectors concentrate on the parameters of near-zero pre-activations: with a fixed h = 1e-6
 * the top Ritz vector had 12 flips within ±1e-5 and vᵀHv changed by 12 % between the two steps. So
 * each product uses its own step inside the current linear region along its vector,
 * h = min(1e-6, d/4) with d the first-order distance to the nearest kink (LossOracle.kinkDistance),
 * in float64 (the caller passes an oracle on `ReferenceKernels('f64')`): the Hessian of the current
 * linear region of the ReLUs, which is what autograd's double backward gives. Its accuracy is
 * reported with it: the eigen-residual ‖Hv − λv‖ / |λ| of Lanczos, the agreement of vᵀHv at the
 * Ritz vector's step h and h/4, the number of pre-activations that flip sign within ±h (0: no kink
 * inside the difference), and the second difference of the loss along v,
 * (L(θ + η·v) − 2L(θ) + L(θ − η·v)) / η² (which crosses kinks when η exceeds the kink distance).
 */
import { symmetricEigenJacobi } from '../../math/linalg.js';
import type { Kernels, Vec } from '../../engine/kernels.js';
import { MT19937, torchNormal_ } from '../../core/rng.js';
import { type Batch, computeTables, evaluate, GradWorkspace, lossAndGrad, mlpActivations, type Tables, Workspace } from '../../model/model.js';
import { Params } from '../../model/params.js';
import { median, quantile } from '../../math/stats.js';

export interface FlatnessOptions { directions: number; epsilon: number; seed: number }
export const DEFAULT_FLATNESS: FlatnessOptions = { directions: 50, epsilon: 0.1, seed: 0 };

export interface HessianOptions { maxIters: number; tol: number; h: number; eta: number; seed: number }
export const DEFAULT_HESSIAN: HessianOptions = { maxIters: 20, tol: 1e-3, h: 1e-6, eta: 1e-4, seed: 1 };

/** Loss and gradient evaluations at moved weights, with buffers reused across calls. */
export class LossOracle {
  readonly work: Params;
  private readonly grad: Params;
  private readonly ws: Workspace;
  private readonly gw: GradWorkspace;
  private tables?: Tables;
  constructor(private readonly k: Kernels, readonly params: Params, readonly batch: Batch, readonly ranges: Int32Array) {
    this.work = Params.zeros(params.config, (n) => k.alloc(n));
    this.grad = Params.zeros(params.config, (n) => k.alloc(n));
    this.ws = new Workspace(k, params, batch.n);
    this.gw = new GradWorkspace(k, params, batch.n);
  }

  /** Number of trainable values (the length of a direction). */
  get size(): number {
    let n = 0;
    for (let r = 0; r < this.ranges.length; r += 2) n += this.ranges[r + 1] - this.ranges[r];
    return n;
  }

  /** work = θ + t·v (v over the trainable values, in range order). */
  private move(v: ArrayLike<number>, t: number): void {
    this.work.flat.set(this.params.flat);
    let o = 0;
    for (let r = 0; r < this.ranges.length; r += 2) {
      for (let i = this.ranges[r]; i < this.ranges[r + 1]; i++) this.work.flat[i] += t * v[o++];
    }
  }

  loss(v: ArrayLike<number> | null, t: number): number {
    if (v) this.move(v, t); else this.work.flat.set(this.params.flat);
    this.tables = computeTables(this.k, this.work, this.tables);
    return evaluate(this.k, this.work, this.tables, this.batch, this.ws).loss;
  }

  /** Every training MLP pre-activation [N·d_mlp] at θ + t·v (a copy). */
  pre(v: ArrayLike<number> | null, t: number): Float64Array {
    if (v) this.move(v, t); else this.work.flat.set(this.params.flat);
    this.tables = computeTables(this.k, this.work, this.tables);
    mlpActivations(this.k, this.work, this.tables, this.batch, this.ws, true);
    return Float64Array.from(this.ws.pre.subarray(0, this.batch.n * this.params.config.dMlp));
  }

  /** Signs (1: positive) of every training MLP pre-activation at θ + t·v. */
  preSigns(v: ArrayLike<number> | null, t: number): Uint8Array {
    return Uint8Array.from(this.pre(v, t), (x) => (x > 0 ? 1 : 0));
  }

  /**
   * The distance along v to the nearest ReLU kink, to first order: min_i |pre_i| / |∂pre_i/∂t|,
   * the derivative by a central difference of step δ (pre-activations are smooth in θ: no ReLU
   * lies before them).
   */
  kinkDistance(v: ArrayLike<number>, delta = 1e-4): number {
    const p0 = this.pre(null, 0), pp = this.pre(v, delta), pm = this.pre(v, -delta);
    let best = Infinity;
    for (let i = 0; i < p0.length; i++) {
      const d = Math.abs(pp[i] - pm[i]) / (2 * delta);
      if (d > 0) best = Math.min(best, Math.abs(p0[i]) / d);
    }
    return best;
  }

  /** Pre-activations whose sign at θ + t·v or at θ − t·v differs from θ's (counted once each). */
  reluFlips(v: ArrayLike<number>, t: number): number {
    const s0 = this.preSigns(null, 0), sp = this.preSigns(v, t), sm = this.preSigns(v, -t);
    let n = 0;
    for (let i = 0; i < s0.length; i++) if (sp[i] !== s0[i] || sm[i] !== s0[i]) n++;
    return n;
  }

  /** ∇L at θ + t·v, restricted to the trainable values, into out. */
  gradient(v: ArrayLike<number> | null, t: number, out: Float64Array): number {
    if (v) this.move(v, t); else this.work.flat.set(this.params.flat);
    this.tables = computeTables(this.k, this.work, this.tables);
    const r = lossAndGrad(this.k, this.work, this.tables, this.batch, this.ws, this.gw, this.grad);
    let o = 0;
    const g: Vec = this.grad.flat;
    for (let q = 0; q < this.ranges.length; q += 2) for (let i = this.ranges[q]; i < this.ranges[q + 1]; i++) out[o++] = g[i];
    return r.loss;
  }
}

export interface FlatnessResult {
  baseline: number;
  deltas: Float64Array;
  epsilon: number;
}

export interface FlatnessStats {
  baseline_loss: number;
  mean_delta_loss: number;
  median_delta_loss: number;
  std_delta_loss: number;
  p90_delta_loss: number;
  max_delta_loss: number;
  flatness_ratio: number;
}

/** n unit directions of `size` values from PyTorch's generator seeded with `seed`. */
export function* unitDirections(size: number, n: number, seed: number): Generator<Float32Array> {
  const gen = new MT19937(seed);
  const u = new Float32Array(size);
  for (let i = 0; i < n; i++) {
    torchNormal_(u, 0, 1, gen);
    let s = 0;
    for (const x of u) s += x * x;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < size; j++) u[j] *= inv;
    yield u;
  }
}

/**
 * The directions of `unitDirections`, kept for the next call with the same arguments: every
 * flatness checkpoint of a run uses the same 50 directions, and drawing them (PyTorch's normal
 * generator in TypeScript) costs more than the 51 loss evaluations. One set is kept (50 × n float32).
 */
let kept: { key: string; dirs: Float32Array[] } | null = null;
export function cachedUnitDirections(size: number, n: number, seed: number): Float32Array[] {
  const key = `${size},${n},${seed}`;
  if (kept?.key !== key) kept = { key, dirs: Array.from(unitDirections(size, n, seed), (u) => Float32Array.from(u)) };
  return kept.dirs;
}

export function flatness(oracle: LossOracle, opts: FlatnessOptions = DEFAULT_FLATNESS): FlatnessResult {
  const baseline = oracle.loss(null, 0);
  const deltas = new Float64Array(opts.directions);
  let i = 0;
  for (const u of cachedUnitDirections(oracle.size, opts.directions, opts.seed)) deltas[i++] = oracle.loss(u, opts.epsilon) - baseline;
  return { baseline, deltas, epsilon: opts.epsilon };
}

export function flatnessStats(baseline: number, deltas: ArrayLike<number>): FlatnessStats {
  const n = deltas.length;
  let s = 0, mx = -Infinity, flat = 0;
  const threshold = baseline > 0 ? 0.1 * baseline : 0.1;
  for (let i = 0; i < n; i++) { s += deltas[i]; mx = Math.max(mx, deltas[i]); if (deltas[i] < threshold) flat++; }
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (deltas[i] - mean) ** 2;
  return {
    baseline_loss: baseline, mean_delta_loss: mean, median_delta_loss: median(deltas), std_delta_loss: Math.sqrt(v / n),
    p90_delta_loss: quantile(deltas, 0.9), max_delta_loss: mx, flatness_ratio: flat / n,
  };
}

export interface HessianResult {
  /** The largest eigenvalue (Ritz value of the Lanczos iteration). */
  eigenvalue: number;
  /** The smallest (most negative) Ritz value. */
  minEigenvalue: number;
  iterations: number;
  converged: boolean;
  /** The Lanczos residual bound ‖Hv − λv‖/|λ| of the top Ritz pair. */
  residual: number;
  /** (L(θ+ηv) − 2L(θ) + L(θ−ηv))/η² along the top Ritz vector v: an independent estimate of vᵀHv. */
  secondDifference: number;
  /** |λ − secondDifference| / |λ|. */
  relativeError: number;
  /** |vᵀH_h v − vᵀH_{h/4} v| / |vᵀH_h v| along the Ritz vector v (h its kink-free step): the finite difference's step dependence. */
  stepAgreement: number;
  /** Training pre-activations that change sign within ±h along the Ritz vector (0: no ReLU kink inside its difference). */
  reluFlips: number;
  /** The smallest and largest step the Hessian-vector products used. */
  minStep: number;
  maxStep: number;
  eigenvector: Float64Array;
  /** Gradient evaluations used. */
  gradients: number;
}

/** The smallest step used by kinkFreeHessianVector (float64 rounding then costs ~1e-6 of Hv). */
export const MIN_STEP = 1e-10;

/**
 * Hv by a central difference whose step stays inside the current linear region of the ReLUs along
 * v: h = min(h0, kinkDistance(v)/4, ≥ MIN_STEP). Returns the step used.
 */
export function kinkFreeHessianVector(oracle: LossOracle, v: Float64Array, h0: number, out: Float64Array, tmp: Float64Array): number {
  const h = Math.max(MIN_STEP, Math.min(h0, oracle.kinkDistance(v) / 4));
  hessianVector(oracle, v, h, out, tmp);
  return h;
}

/** Hv by central differences of the exact gradient, ‖v‖ = 1. */
export function hessianVector(oracle: LossOracle, v: Float64Array, h: number, out: Float64Array, tmp: Float64Array): void {
  oracle.gradient(v, h, out);
  oracle.gradient(v, -h, tmp);
  const inv = 1 / (2 * h);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] - tmp[i]) * inv;
}

/**
 * The top (algebraically largest) Hessian eigenvalue by the Lanczos iteration with full
 * reorthogonalisation on finite-difference Hessian-vector products (`opts.maxIters` products,
 * fewer once the Ritz value's residual bound β_j·|s_j| falls below tol·|λ|). Plain power iteration
 * is not used because at initialisation the Hessian's most negative eigenvalue is about as large
 * as its top one and the power iterate oscillates between them; Lanczos resolves both ends.
 */
export function topHessianEigenvalue(oracle: LossOracle, opts: HessianOptions = DEFAULT_HESSIAN): HessianResult {
  const n = oracle.size;
  const Q: Float64Array[] = [];
  const alpha: number[] = [], beta: number[] = [];
  const w = new Float64Array(n), tmp = new Float64Array(n);
  const [u0] = unitDirections(n, 1, opts.seed);
  let q = Float64Array.from(u0);
  let top = 0, bottom = 0, resid = Infinity, converged = false, gradients = 0;
  let ritz = new Float64Array(0), steps = 0, minStep = Infinity, maxStep = 0;
  for (let j = 0; j < opts.maxIters; j++) {
    Q.push(q);
    const hq = kinkFreeHessianVector(oracle, q, opts.h, w, tmp);
    minStep = Math.min(minStep, hq); maxStep = Math.max(maxStep, hq);
    gradients += 2;
    let a = 0;
    for (let i = 0; i < n; i++) a += q[i] * w[i];
    alpha.push(a);
    // Full reorthogonalisation (twice is enough) against every Lanczos vector.
    for (let pass = 0; pass < 2; pass++) {
      for (const qq of Q) {
        let c = 0;
        for (let i = 0; i < n; i++) c += qq[i] * w[i];
        for (let i = 0; i < n; i++) w[i] -= c * qq[i];
      }
    }
    let b = 0;
    for (let i = 0; i < n; i++) b += w[i] * w[i];
    b = Math.sqrt(b);
    steps = j + 1;
    const m = steps;
    const T = new Float64Array(m * m);
    for (let i = 0; i < m; i++) { T[i * m + i] = alpha[i]; if (i + 1 < m) T[i * m + i + 1] = T[(i + 1) * m + i] = beta[i]; }
    const { values, vectors } = symmetricEigenJacobi(T, m);
    let it = 0, ib = 0;
    for (let i = 1; i < m; i++) { if (values[i] > values[it]) it = i; if (values[i] < values[ib]) ib = i; }
    top = values[it]; bottom = values[ib];
    resid = Math.abs(b * vectors[(m - 1) * m + it]);
    ritz = Float64Array.from({ length: m }, (_, i) => vectors[i * m + it]);
    if (resid <= opts.tol * Math.abs(top) || b === 0) { converged = true; break; }
    beta.push(b);
    q = new Float64Array(n);
    for (let i = 0; i < n; i++) q[i] = w[i] / b;
  }
  const v = new Float64Array(n);
  for (let j = 0; j < ritz.length; j++) for (let i = 0; i < n; i++) v[i] += ritz[j] * Q[j][i];
  let nv = 0;
  for (const x of v) nv += x * x;
  nv = Math.sqrt(nv);
  for (let i = 0; i < n; i++) v[i] /= nv;
  const L0 = oracle.loss(null, 0);
  const sd = (oracle.loss(v, opts.eta) - 2 * L0 + oracle.loss(v, -opts.eta)) / (opts.eta * opts.eta);
  const hv = Math.max(MIN_STEP, Math.min(opts.h, oracle.kinkDistance(v) / 4));
  const vHv = (h: number): number => {
    hessianVector(oracle, v, h, w, tmp);
    let s = 0;
    for (let i = 0; i < n; i++) s += v[i] * w[i];
    return s;
  };
  const r1 = vHv(hv), r4 = vHv(hv / 4);
  gradients += 4;
  return {
    eigenvalue: top, minEigenvalue: bottom, iterations: steps, converged, residual: resid / Math.abs(top || 1),
    secondDifference: sd, relativeError: Math.abs(top - sd) / Math.abs(top || 1), eigenvector: v, gradients,
    stepAgreement: Math.abs(r1 - r4) / Math.abs(r1 || 1), reluFlips: oracle.reluFlips(v, hv), minStep, maxStep,
  };
}
