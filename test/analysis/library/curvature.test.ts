import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceKernels } from '../../../src/engine/reference.js';
import { flatness, flatnessStats, hessianVector, LossOracle, topHessianEigenvalue, unitDirections } from '../../../src/analysis/library/curvature.js';
import { symmetricEigenJacobi as symmetricEigen } from '../../../src/math/linalg.js';
import { makeBatch } from '../../../src/model/model.js';
import type { Params } from '../../../src/model/params.js';
import { f64Params, plainLoss, relClose, tiny } from '../further-helpers.js';
import { plainLogits } from '../../helpers/plain-model.js';

const pairs = [0, 2, 5, 9, 12, 16, 19, 23, 27, 30, 33, 36, 40, 44, 47];

/** θ + Σ t_i·v_i on the trainable values (range order) of a copy. */
function moved(params: Params<Float64Array>, ranges: Int32Array, steps: [ArrayLike<number>, number][]): Params<Float64Array> {
  const q = f64Params(params.config, 1);
  q.flat.set(params.flat);
  let o = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    for (let i = ranges[r]; i < ranges[r + 1]; i++, o++) for (const [v, t] of steps) q.flat[i] += t * v[o];
  }
  return q;
}

test('flatness: each direction is unit-norm over the weights and its loss change equals the plain float64 model\'s', () => {
  const k = new ReferenceKernels('f64');
  const params = f64Params(tiny, 3);
  const ranges = params.trainedRanges(false);
  const oracle = new LossOracle(k, params, makeBatch(tiny.p, pairs), ranges);
  const f = flatness(oracle, { directions: 6, epsilon: 0.1, seed: 5 });
  relClose(f.baseline, plainLoss(params, pairs), 1e-12, 'baseline');
  let i = 0;
  for (const u of unitDirections(oracle.size, 6, 5)) {
    relClose(Math.hypot(...u), 1, 1e-6, 'direction norm');
    const want = plainLoss(moved(params, ranges, [[u, 0.1]]), pairs) - f.baseline;
    assert.ok(Math.abs(f.deltas[i] - want) < 1e-12, `direction ${i}: ${f.deltas[i]} vs ${want}`);
    assert.ok(f.deltas[i] !== 0);
    i++;
  }
});

test('flatness statistics are numpy\'s mean, median, population std, linear p90, max and the share below 10 % of the baseline', () => {
  const d = [0.5, -0.1, 0.05, 2, 0.3, 0.15, 0.01, 1];
  const s = flatnessStats(1.2, d);
  relClose(s.mean_delta_loss, 3.91 / 8, 1e-12, 'mean');
  relClose(s.median_delta_loss, (0.15 + 0.3) / 2, 1e-12, 'median');
  const mu = 3.91 / 8;
  relClose(s.std_delta_loss, Math.sqrt(d.reduce((a, x) => a + (x - mu) ** 2, 0) / 8), 1e-12, 'std');
  relClose(s.p90_delta_loss, 1 + 0.3 * (2 - 1), 1e-12, 'p90'); // position 0.9·7 = 6.3 in sorted order
  assert.equal(s.max_delta_loss, 2);
  assert.equal(s.flatness_ratio, 3 / 8); // below 0.1·1.2 = 0.12: −0.1, 0.01, 0.05
  assert.equal(flatnessStats(0, d).flatness_ratio, 3 / 8); // zero baseline: below 0.1 (−0.1, 0.01, 0.05)
});

test('Hessian-vector product (finite differences of the exact gradient) equals the plain model\'s mixed second difference of the loss', () => {
  const k = new ReferenceKernels('f64');
  const params = f64Params(tiny, 8);
  const ranges = params.trainedRanges(false);
  const oracle = new LossOracle(k, params, makeBatch(tiny.p, pairs), ranges);
  const [u0, v0] = [...unitDirections(oracle.size, 2, 9)].map((x) => Float64Array.from(x));
  const Hv = new Float64Array(oracle.size), tmp = new Float64Array(oracle.size);
  hessianVector(oracle, v0, 1e-4, Hv, tmp);
  const uHv = u0.reduce((s, x, i) => s + x * Hv[i], 0);
  const h = 1e-3;
  const L = (a: number, b: number) => plainLoss(moved(params, ranges, [[u0, a], [v0, b]]), pairs);
  const mixed = (L(h, h) - L(h, -h) - L(-h, h) + L(-h, -h)) / (4 * h * h);
  relClose(uHv, mixed, 1e-4, 'uᵀHv');
  const vHv = v0.reduce((s, x, i) => s + x * Hv[i], 0);
  relClose(vHv, (L(0, h) - 2 * L(0, 0) + L(0, -h)) / (h * h), 1e-4, 'vᵀHv');
});

test('Lanczos on finite-difference Hessian-vector products finds the dense Hessian\'s largest and smallest eigenvalues (Jacobi), and the loss\'s second difference confirms the top one', () => {
  const k = new ReferenceKernels('f64');
  const cfg = { p: 5, dModel: 4, nHeads: 1, dHead: 2, dMlp: 6, act: 'relu' as const };
  const params = f64Params(cfg, 21, 0.9);
  const ranges = params.trainedRanges(false);
  const all = Array.from({ length: 25 }, (_, i) => i);
  const oracle = new LossOracle(k, params, makeBatch(cfg.p, all), ranges);
  const n = oracle.size;
  const H = new Float64Array(n * n), col = new Float64Array(n), tmp = new Float64Array(n), e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0); e[j] = 1;
    hessianVector(oracle, e, 1e-5, col, tmp);
    for (let i = 0; i < n; i++) H[i * n + j] = col[i];
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) H[i * n + j] = H[j * n + i] = (H[i * n + j] + H[j * n + i]) / 2;
  const ev = Array.from(symmetricEigen(H, n).values).sort((x, y) => y - x);
  // The dense solver itself: trace and Frobenius norm are invariant.
  relClose(ev.reduce((s, x) => s + x, 0), Array.from({ length: n }, (_, i) => H[i * n + i]).reduce((s, x) => s + x, 0), 1e-9, 'trace');
  const r = topHessianEigenvalue(oracle, { maxIters: n, tol: 1e-10, h: 1e-5, eta: 1e-3, seed: 4 });
  assert.ok(r.converged);
  relClose(r.eigenvalue, ev[0], 1e-6, 'top eigenvalue');
  relClose(r.minEigenvalue, ev[n - 1], 1e-3, 'bottom eigenvalue');
  relClose(r.secondDifference, ev[0], 1e-4, 'second difference along the eigenvector');
  assert.ok(r.residual < 1e-2, `residual ${r.residual}`);
});

test('ReLU sign flips inside a difference are counted exactly as the plain model\'s active neurons change (a neuron is active where zeroing it changes the logits)', () => {
  const k = new ReferenceKernels('f64');
  const params = f64Params(tiny, 8);
  const ranges = params.trainedRanges(false);
  const oracle = new LossOracle(k, params, makeBatch(tiny.p, pairs), ranges);
  const [u] = [...unitDirections(oracle.size, 1, 11)].map((x) => Float64Array.from(x));
  const active = (t: number): boolean[] => {
    const q = moved(params, ranges, [[u, t]]);
    const out: boolean[] = [];
    for (const i of pairs) {
      const a = Math.floor(i / tiny.p), b = i % tiny.p;
      const base = plainLogits(q, a, b);
      for (let n = 0; n < tiny.dMlp; n++) {
        const z = plainLogits(q, a, b, { post: new Map([[n, 0]]) });
        out.push(base.some((v, o) => Math.abs(v - z[o]) > 1e-13));
      }
    }
    return out;
  };
  const flips = (t: number): number => {
    const s0 = active(0), sp = active(t), sm = active(-t);
    return s0.filter((s, i) => sp[i] !== s || sm[i] !== s).length;
  };
  const big = flips(0.6);
  assert.ok(big > 0, 'the large step crosses kinks');
  assert.equal(oracle.reluFlips(u, 0.6), big);
  assert.equal(oracle.reluFlips(u, 1e-6), 0);
  assert.equal(flips(1e-6), 0);
});

test('with no kink inside ±10h the float64 Hessian-vector product is step-independent; across kinks it is not', () => {
  const k = new ReferenceKernels('f64');
  const params = f64Params(tiny, 8);
  const oracle = new LossOracle(k, params, makeBatch(tiny.p, pairs), params.trainedRanges(false));
  const [u] = [...unitDirections(oracle.size, 1, 11)].map((x) => Float64Array.from(x));
  const Hv = new Float64Array(oracle.size), tmp = new Float64Array(oracle.size);
  const vHv = (h: number) => { hessianVector(oracle, u, h, Hv, tmp); return u.reduce((s, x, i) => s + x * Hv[i], 0); };
  assert.equal(oracle.reluFlips(u, 1e-5), 0);
  relClose(vHv(1e-6), vHv(1e-5), 1e-7, 'h = 1e-6 vs 1e-5');
  assert.ok(oracle.reluFlips(u, 0.6) > 0);
  assert.ok(Math.abs(vHv(0.6) - vHv(1e-6)) > 1e-3 * Math.abs(vHv(1e-6)), 'a kink inside the difference moves vᵀHv');
  const r = topHessianEigenvalue(oracle, { maxIters: 30, tol: 1e-8, h: 1e-6, eta: 1e-4, seed: 2 });
  assert.equal(r.reluFlips, 0);
  assert.ok(r.stepAgreement < 1e-6, `step agreement ${r.stepAgreement}`);
  relClose(r.secondDifference, r.eigenvalue, 1e-4, 'second difference along the eigenvector');
});
