/**
 * Pizza or clock: distance irrelevance against closed forms and direct sums; gradient symmetricity
 * against central finite differences of the plain float64 model (test/helpers/plain-model.ts) and
 * against uniform attention, where it is exactly 1; the classification's rules; the analyzer's
 * summary from its artifact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceKernels } from '../../../src/engine/reference.js';
import { loadKernels } from '../../../src/engine/index.js';
import { computeTables, forward, makeBatch, Workspace } from '../../../src/model/model.js';
import { Params } from '../../../src/model/params.js';
import type { Kernels } from '../../../src/engine/kernels.js';
import {
  PIZZA_CLOCK_RULES, allPairsAccuracy, classifyAlgorithm, distanceIrrelevance, gradientSymmetricity,
} from '../../../src/analysis/library/pizza-clock.js';
import { pizzaClockAnalyzer, symmetricityClasses } from '../../../src/analysis/analyzers/pizza-clock.js';
import { Scratch } from '../../../src/analysis/library/scratch.js';
import { decodeSafetensors, encodeSafetensors } from '../../../src/io/safetensors.js';
import { plainLogits } from '../../helpers/plain-model.js';
import { f64Params, tiny } from '../further-helpers.js';
import { normal, randomParams, rng } from '../helpers.js';

function allPairs(k: Kernels, params: Params) {
  const p = params.config.p, N = p * p;
  return forward(k, params, computeTables(k, params), makeBatch(p, Int32Array.from({ length: N }, (_, i) => i)), new Workspace(k, params, N), false);
}

/** Logits [p², p] whose correct logit at (a, b) is q(a, b) and every other logit 0. */
function correctOnly(p: number, q: (a: number, b: number) => number): Float64Array {
  const L = new Float64Array(p ** 3);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) L[(a * p + b) * p + (a + b) % p] = q(a, b);
  return L;
}

test('distance irrelevance: 0 when the correct logit depends on a − b only, 1 when on a + b only, and the direct float64 sum for random logits', () => {
  const p = 13;
  const pizza = distanceIrrelevance(correctOnly(p, (a, b) => Math.abs(Math.cos((Math.PI * 3 * (a - b)) / p))), p)!;
  assert.ok(pizza < 1e-12, `a − b only: ${pizza}`);
  const sumOnly = distanceIrrelevance(correctOnly(p, (a, b) => Math.sin((2 * Math.PI * 2 * ((a + b) % p)) / p) + ((a + b) % p) / p), p)!;
  assert.ok(Math.abs(sumOnly - 1) < 1e-12, `a + b only: ${sumOnly}`);
  assert.equal(distanceIrrelevance(correctOnly(p, () => 2), p), null);
  // Random: the notebook's mean over columns d of the std over rows s, over the std of all.
  const g = normal(rng(8));
  const L = Float64Array.from({ length: p ** 3 }, () => g());
  const M: number[][] = Array.from({ length: p }, () => new Array(p).fill(0));
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) M[(a + b) % p][(a - b + p) % p] = L[(a * p + b) * p + (a + b) % p];
  const std = (xs: number[]) => { const m = xs.reduce((s, x) => s + x, 0) / xs.length; return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length); };
  let within = 0;
  for (let d = 0; d < p; d++) within += std(M.map((row) => row[d]));
  const want = within / p / std(M.flat());
  assert.ok(Math.abs(distanceIrrelevance(L, p)! - want) < 1e-12);
});

test('gradient symmetricity: each pair\'s cosine is that of the central-difference gradients of the plain float64 model with respect to the inputs at positions 0 and 1', () => {
  const params = f64Params(tiny, 11, 0.6);
  for (const name of ['blocks.0.attn.W_K', 'blocks.0.attn.W_Q'] as const) params.t[name].forEach((v, i, x) => { x[i] = 3 * v; }); // far from uniform attention
  const p = tiny.p, N = p * p, d = tiny.dModel;
  const r = rng(2);
  const classes = Int32Array.from({ length: N }, () => Math.floor(r() * p));
  const k = new ReferenceKernels('f64');
  const got = gradientSymmetricity(k, params, allPairs(k, params), classes);
  // ∂Q_c/∂x_j by perturbing W_pos[j] (it enters x_j only, even when a = b).
  const Wpos = params.t['pos_embed.W_pos'];
  const h = 1e-6;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const a = Math.floor(i / p), b = i % p, c = classes[i];
    const grad = (pos: number) => Array.from({ length: d }, (_, j) => {
      const x = Wpos[pos * d + j];
      Wpos[pos * d + j] = x + h; const up = plainLogits(params, a, b)[c];
      Wpos[pos * d + j] = x - h; const dn = plainLogits(params, a, b)[c];
      Wpos[pos * d + j] = x;
      return (up - dn) / (2 * h);
    });
    const g0 = grad(0), g1 = grad(1);
    const dot = g0.reduce((s, v, j) => s + v * g1[j], 0);
    const cos = dot / Math.sqrt(g0.reduce((s, v) => s + v * v, 0) * g1.reduce((s, v) => s + v * v, 0));
    assert.ok(Math.abs(got.cosine[i] - cos) < 1e-6, `pair ${i}: got ${got.cosine[i]}, finite differences ${cos}`);
    sum += cos;
  }
  assert.ok(Math.abs(got.mean! - sum / N) < 1e-6);
  assert.ok(got.mean! < 0.95, `random attention is not symmetric (mean ${got.mean})`);
  // The native float32 engine agrees with the float64 reference to float32 rounding.
  const f32 = Params.zeros(tiny, (n) => new Float32Array(n));
  f32.flat.set(params.flat);
  const kn = loadKernels();
  const native = gradientSymmetricity(kn, f32, allPairs(kn, f32), classes, new Scratch());
  assert.ok(Math.abs(native.mean! - got.mean!) < 1e-4, `native ${native.mean} vs float64 ${got.mean}`);
});

test('uniform attention (W_K = 0, b_K = 0): the two gradients coincide, gradient symmetricity is 1 on every pair', () => {
  const params = f64Params(tiny, 4, 0.6);
  params.t['blocks.0.attn.W_K'].fill(0);
  params.t['blocks.0.attn.b_K'].fill(0);
  const k = new ReferenceKernels('f64');
  const r = rng(6);
  const classes = Int32Array.from({ length: tiny.p ** 2 }, () => Math.floor(r() * tiny.p));
  const g = gradientSymmetricity(k, params, allPairs(k, params), classes);
  for (let i = 0; i < g.cosine.length; i++) assert.ok(Math.abs(g.cosine[i] - 1) < 1e-12, `pair ${i}: ${g.cosine[i]}`);
  assert.ok(Math.abs(g.mean! - 1) < 1e-12);
});

test('classification: pizza needs symmetricity ≥ 0.98 and irrelevance < 0.6, clock the reverse, mixed when they disagree, none below 99 % accuracy', () => {
  const R = PIZZA_CLOCK_RULES;
  assert.equal(classifyAlgorithm(R.symmetricity, R.irrelevance - 1e-9, 1), 'pizza');
  assert.equal(classifyAlgorithm(R.symmetricity - 1e-9, R.irrelevance, 1), 'clock');
  assert.equal(classifyAlgorithm(0.999, 0.9, 1), 'mixed');
  assert.equal(classifyAlgorithm(0.5, 0.2, 1), 'mixed');
  assert.equal(classifyAlgorithm(0.999, 0.1, R.accuracy - 1e-9), null);
  assert.equal(classifyAlgorithm(null, 0.1, 1), null);
  assert.equal(allPairsAccuracy(correctOnly(5, () => 1), 5), 1);
  assert.equal(allPairsAccuracy(correctOnly(5, () => -1), 5), 0);
});

test('pizza_clock analyzer: its summary is the library\'s measures on the checkpoint, and survives its artifact', () => {
  const c = { ...tiny, p: 11 };
  const params = randomParams(c, 3, 1.5 / Math.sqrt(c.dModel));
  const k = loadKernels();
  const ctx = { kernels: k, scratch: new Scratch(), checkpoint: { params, config: c }, epoch: 0, runId: null, options: {}, activations: () => { throw new Error('unused'); } };
  const out = pizzaClockAnalyzer.analyseCheckpoint(ctx as never);
  const s = out.summary as Record<string, unknown>;
  const f = allPairs(k, params);
  const gs = gradientSymmetricity(k, params, f, symmetricityClasses(c.p));
  assert.deepEqual(s, {
    gradient_symmetricity: gs.mean, distance_irrelevance: distanceIrrelevance(f.logits, c.p), accuracy: allPairsAccuracy(f.logits, c.p),
    algorithm: null, samples: c.p * c.p,
  });
  // The classes are uniform over 0..p−1 (seeded): every class appears.
  assert.equal(new Set(symmetricityClasses(c.p)).size, c.p);
  const file = decodeSafetensors(Buffer.from(encodeSafetensors(out.tensors)), 'mem');
  assert.deepEqual(pizzaClockAnalyzer.summariseArtifact!(file, {} as never), s);
});
