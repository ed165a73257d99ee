import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceKernels, loadKernels } from '../../../src/engine/index.js';
import {
  coarsenessFromFractions, concentrationFromFractions, fourierTransform, neuronFourier,
} from '../../../src/analysis/library/coarseness.js';
import { mapsFrom, normal, rng } from '../helpers.js';

const f64 = new ReferenceKernels('f64');
const TAU = 2 * Math.PI;

/** The basis written out from docs/design.md §3, independently of src/math/basis.ts. */
function basisByHand(p: number): number[][] {
  const rows: number[][] = [Array.from({ length: p }, () => 1 / Math.sqrt(p))];
  for (let k = 1; k <= (p - 1) / 2; k++) {
    rows.push(Array.from({ length: p }, (_, x) => Math.sqrt(2 / p) * Math.sin((TAU * k * x) / p)));
    rows.push(Array.from({ length: p }, (_, x) => Math.sqrt(2 / p) * Math.cos((TAU * k * x) / p)));
  }
  return rows;
}

function randomMaps(p: number, m: number, seed: number): Float64Array {
  const g = normal(rng(seed));
  const out = new Float64Array(p * p * m);
  for (let i = 0; i < out.length; i++) out[i] = g() + 0.5 * (i % m); // neuron-dependent mean
  return out;
}

/** Direct definition: F = B·A·Bᵀ by a double sum, F[0][0] = 0, then fractions and shares. */
function direct(maps: Float64Array, p: number, m: number, n: number) {
  const B = basisByHand(p);
  const A = (a: number, b: number) => maps[(a * p + b) * m + n];
  const F: number[][] = [];
  for (let x = 0; x < p; x++) {
    F.push([]);
    for (let y = 0; y < p; y++) {
      let s = 0;
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) s += B[x][a] * A(a, b) * B[y][b];
      F[x].push(s);
    }
  }
  F[0][0] = 0;
  let total = 0, aOnly = 0, bOnly = 0;
  for (let x = 0; x < p; x++) for (let y = 0; y < p; y++) total += F[x][y] ** 2;
  for (let x = 1; x < p; x++) aOnly += F[x][0] ** 2;
  for (let y = 1; y < p; y++) bOnly += F[0][y] ** 2;
  const frac: number[] = [];
  for (let k = 1; k <= (p - 1) / 2; k++) {
    const I = [0, 2 * k - 1, 2 * k];
    let s = 0;
    for (const x of I) for (const y of I) s += F[x][y] ** 2;
    frac.push(s / total);
  }
  let mean = 0;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) mean += A(a, b) / (p * p);
  let variance = 0;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) variance += (A(a, b) - mean) ** 2;
  return { F, total, frac, aOnly: aOnly / total, bOnly: bOnly / total, variance };
}

for (const p of [7, 11]) {
  test(`the batched GEMM transform equals the direct double sum B·A·Bᵀ (p=${p}, 4 neurons)`, () => {
    const m = 4;
    const maps = randomMaps(p, m, p);
    const F = fourierTransform(f64, maps, p, m);
    let worst = 0;
    for (let n = 0; n < m; n++) {
      const d = direct(maps, p, m, n);
      for (let x = 0; x < p; x++) for (let y = 0; y < p; y++) worst = Math.max(worst, Math.abs(F[(x * p + y) * m + n] - d.F[x][y]));
    }
    assert.ok(worst < 1e-10, `max |F − direct| = ${worst}`);
  });

  test(`fractions, shares and the denominator match the definition and Σ F² equals Σ (A − mean)² (p=${p})`, () => {
    const m = 5;
    const maps = randomMaps(p, m, 100 + p);
    const nf = neuronFourier(f64, maps, p, m);
    const F = fourierTransform(f64, maps, p, m);
    for (let n = 0; n < m; n++) {
      const d = direct(maps, p, m, n);
      let sumF2 = 0;
      for (let i = 0; i < p * p; i++) sumF2 += F[i * m + n] ** 2;
      assert.ok(Math.abs(sumF2 - d.variance) < 1e-9 * d.variance, `Σ F² ${sumF2} vs variance ${d.variance}`);
      assert.ok(Math.abs(nf.variance[n] - d.variance) < 1e-6 * d.variance);
      for (let k = 0; k < nf.nFreq; k++) assert.ok(Math.abs(nf.frac[k * m + n] - d.frac[k]) < 1e-6, `frac ${k + 1}`);
      assert.ok(Math.abs(nf.aOnly[n] - d.aOnly) < 1e-6);
      assert.ok(Math.abs(nf.bOnly[n] - d.bOnly) < 1e-6);
      assert.ok(Math.abs(nf.joint[n] - (1 - d.aOnly - d.bOnly)) < 1e-6);
      const best = d.frac.indexOf(Math.max(...d.frac));
      assert.equal(nf.dominantFrequency[n], best + 1);
      assert.ok(Math.abs(nf.dominantFraction[n] - d.frac[best]) < 1e-6);
      assert.equal(nf.flat[n], 0);
    }
  });
}

test('the reference maps of DESIGN §3 put all their variance in block k: coarseness 1 if k ≤ K, else 0', () => {
  for (const p of [11, 13]) {
    const ks = [1, 2, 3, 4, (p - 1) / 2];
    const fns: ((a: number, b: number) => number)[] = [];
    const kOf: number[] = [];
    for (const k of ks) {
      const w = (TAU * k) / p;
      fns.push((a) => Math.cos(w * a), (_a, b) => Math.sin(w * b), (a, b) => Math.cos(w * (a + b)), (a, b) => Math.cos(w * a) * Math.cos(w * b));
      kOf.push(k, k, k, k);
    }
    const m = fns.length;
    const nf = neuronFourier(f64, mapsFrom(p, fns), p, m);
    for (const K of [1, 2, 3, 4, 6]) {
      const c = coarsenessFromFractions(nf.frac, nf.flat, nf.nFreq, m, K);
      for (let n = 0; n < m; n++) {
        const want = kOf[n] <= K ? 1 : 0;
        assert.ok(Math.abs(c[n] - want) < 1e-12, `p=${p} K=${K} map ${n} (k=${kOf[n]}): ${c[n]}`);
      }
    }
    for (let n = 0; n < m; n++) {
      assert.equal(nf.dominantFrequency[n], kOf[n]);
      assert.ok(Math.abs(nf.dominantFraction[n] - 1) < 1e-12);
    }
  }
});

test('cos(2πj·a/p)·cos(2πk·b/p) with j ≠ k lies in no block: every fraction is 0', () => {
  const p = 11;
  const pairs = [[1, 2], [2, 1], [1, 5], [3, 4]];
  const fns = pairs.map(([j, k]) => (a: number, b: number) => Math.cos((TAU * j * a) / p) * Math.cos((TAU * k * b) / p));
  const nf = neuronFourier(f64, mapsFrom(p, fns), p, fns.length);
  for (let i = 0; i < nf.frac.length; i++) assert.ok(Math.abs(nf.frac[i]) < 1e-12);
  const c = coarsenessFromFractions(nf.frac, nf.flat, nf.nFreq, fns.length, 5);
  for (const v of c) assert.ok(Math.abs(v) < 1e-12);
  for (let n = 0; n < fns.length; n++) assert.ok(Math.abs(nf.joint[n] - 1) < 1e-12, 'all variance is joint');
});

test('a-only, b-only and joint shares separate lines from a two-dimensional pattern', () => {
  const p = 11;
  const w = TAU / p;
  const fns = [(a: number) => Math.cos(3 * w * a), (_a: number, b: number) => Math.sin(2 * w * b),
    (a: number, b: number) => Math.cos(w * a) + Math.cos(w * b), (a: number, b: number) => Math.cos(w * (a + b))];
  const nf = neuronFourier(f64, mapsFrom(p, fns), p, 4);
  const close = (x: number, y: number) => Math.abs(x - y) < 1e-12;
  assert.ok(close(nf.aOnly[0], 1) && close(nf.bOnly[0], 0) && close(nf.joint[0], 0));
  assert.ok(close(nf.aOnly[1], 0) && close(nf.bOnly[1], 1) && close(nf.joint[1], 0));
  assert.ok(close(nf.aOnly[2], 0.5) && close(nf.bOnly[2], 0.5) && close(nf.joint[2], 0));
  assert.ok(close(nf.aOnly[3], 0) && close(nf.bOnly[3], 0) && close(nf.joint[3], 1));
});

test('constant and all-zero maps are flat: coarseness null (NaN), 0 only with flatAsZero', () => {
  const p = 7;
  const fns = [() => 0, () => 3.7, (a: number) => Math.cos((TAU * a) / p), () => -1e-3];
  const maps = Float32Array.from(mapsFrom(p, fns));
  for (const k of [f64, new ReferenceKernels('f32')]) {
    const nf = neuronFourier(k, maps, p, 4);
    assert.deepEqual(Array.from(nf.flat), [1, 1, 0, 1]);
    const c = coarsenessFromFractions(nf.frac, nf.flat, nf.nFreq, 4, 3);
    assert.ok(Number.isNaN(c[0]) && Number.isNaN(c[1]) && Number.isNaN(c[3]));
    assert.ok(Math.abs(c[2] - 1) < 1e-6);
    assert.deepEqual(Array.from(coarsenessFromFractions(nf.frac, nf.flat, nf.nFreq, 4, 3, true)).map((v) => Math.round(v)), [0, 0, 1, 0]);
    const conc = concentrationFromFractions(nf.frac, nf.flat, nf.nFreq, 4);
    assert.ok(Number.isNaN(conc[0]) && Math.abs(conc[2] - 1) < 1e-6);
    assert.equal(nf.dominantFrequency[0], 0);
  }
});

test('a tiny real pattern on a large mean is not flat, and float32 keeps its fractions (also beside a spike)', () => {
  const p = 11;
  const fns = [(a: number) => 1000 + 1e-2 * Math.cos((TAU * 2 * a) / p),
    (a: number, b: number) => (a === 0 && b === 0 ? 50 : 0) + Math.cos((TAU * 3 * b) / p)];
  const maps = Float32Array.from(mapsFrom(p, fns));
  const x = neuronFourier(new ReferenceKernels('f32'), maps, p, 2), y = neuronFourier(f64, maps, p, 2);
  assert.deepEqual(Array.from(x.flat), [0, 0]);
  assert.equal(x.dominantFrequency[0], 2);
  assert.ok(x.dominantFraction[0] > 0.99, `${x.dominantFraction[0]}`);
  for (let i = 0; i < x.frac.length; i++) assert.ok(Math.abs(x.frac[i] - y.frac[i]) < 1e-5, `frac ${i}: ${x.frac[i]} vs ${y.frac[i]}`);
});

function agreeWithF64(k: ReturnType<typeof loadKernels>): void {
  const p = 23, m = 64;
  // ReLU-like maps: random low-rank pre-activations through max(0, ·), plus a dead neuron.
  const g = normal(rng(7));
  const maps = new Float32Array(p * p * m);
  const ua = Array.from({ length: m * p }, g), ub = Array.from({ length: m * p }, g);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) for (let n = 1; n < m; n++) {
    maps[(a * p + b) * m + n] = Math.max(0, ua[n * p + a] + ub[n * p + b] + 0.3 * ua[n * p + a] * ub[n * p + b] - 0.2);
  }
  const x = neuronFourier(k, maps, p, m), y = neuronFourier(f64, maps, p, m);
  assert.deepEqual(Array.from(x.flat), Array.from(y.flat));
  assert.equal(x.flat[0], 1);
  let worst = 0;
  for (const key of ['frac', 'aOnly', 'bOnly', 'joint', 'dominantFraction'] as const) {
    for (let i = 0; i < x[key].length; i++) worst = Math.max(worst, Math.abs(x[key][i] - y[key][i]));
  }
  for (let n = 0; n < m; n++) worst = Math.max(worst, Math.abs(x.variance[n] - y.variance[n]) / Math.max(1e-30, y.variance[n]));
  assert.ok(worst < 1e-5, `max difference ${worst}`);
}

test('the float32 TypeScript engine agrees with the float64 reference to 1e-5', () => {
  agreeWithF64(new ReferenceKernels('f32'));
});

test('the native engine (float32 OpenBLAS) agrees with the float64 reference to 1e-5', (t) => {
  const k = loadKernels({ quiet: true });
  if (k.name !== 'native') { t.skip('the native engine is not in use'); return; }
  agreeWithF64(k);
});
