import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fourierBasis, frequencyOfRow, powerShares } from '../../src/math/basis.js';
import { ReferenceKernels } from '../../src/engine/reference.js';
import { powerSpectrum } from '../../src/views/maps.js';

for (const p of [3, 7, 11, 113]) {
  test(`the modular Fourier basis for p=${p} is orthonormal (B·Bᵀ = I)`, () => {
    const B = fourierBasis(p);
    let worst = 0;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
      let s = 0;
      for (let x = 0; x < p; x++) s += B[i * p + x] * B[j * p + x];
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
    assert.ok(worst < 1e-12, `max |B·Bᵀ − I| = ${worst}`);
  });
}

test('basis rows are the constant, then sin and cos of frequency k at rows 2k−1 and 2k', () => {
  const p = 11;
  const B = fourierBasis(p);
  const c = Math.sqrt(2 / p);
  for (let x = 0; x < p; x++) {
    assert.ok(Math.abs(B[x] - 1 / Math.sqrt(p)) < 1e-14);
    for (let k = 1; k <= 5; k++) {
      assert.ok(Math.abs(B[(2 * k - 1) * p + x] - c * Math.sin((2 * Math.PI * k * x) / p)) < 1e-13);
      assert.ok(Math.abs(B[2 * k * p + x] - c * Math.cos((2 * Math.PI * k * x) / p)) < 1e-13);
    }
  }
  assert.deepEqual([0, 1, 2, 3, 4, 9, 10].map(frequencyOfRow), [0, 1, 1, 2, 2, 5, 5]);
});

test('an even or too small p is refused', () => {
  assert.throws(() => fourierBasis(8), /odd p/);
  assert.throws(() => fourierBasis(1), /odd p/);
});

test('the 2-D power shares of a map equal |F|² of F = B·A·Bᵀ by direct sums, per frequency pair, summing to 1', () => {
  const p = 7, S = (p + 1) / 2, B = fourierBasis(p);
  let x = 12345;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const A = Float64Array.from({ length: p * p }, rand);
  const mean = A.reduce((s, v) => s + v, 0) / (p * p);
  const want = new Float64Array(S * S);
  let tot = 0;
  for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) {
    let f = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) f += B[r * p + a] * (A[a * p + b] - mean) * B[c * p + b];
    if (r === 0 && c === 0) continue;
    want[frequencyOfRow(r) * S + frequencyOfRow(c)] += f * f;
    tot += f * f;
  }
  const got = powerShares(A, p);
  for (let i = 0; i < S * S; i++) assert.ok(Math.abs(got[i] - want[i] / tot) < 1e-12, `cell ${i}`);
  assert.ok(Math.abs(got.reduce((s, v) => s + v, 0) - 1) < 1e-12);
  assert.ok(got[0] < 1e-20, 'the mean is removed');
  const flat = powerShares(new Float64Array(p * p).fill(3), p);
  assert.ok(flat.every((v) => v === 0), 'a flat map has no shares');
});

test("the page's power shares (report gallery) equal the server's engine spectrum of the same map", () => {
  const p = 13, m = 2;
  const maps = new Float32Array(p * p * m);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    maps[(a * p + b) * m] = Math.cos((2 * Math.PI * 3 * a) / p) + 0.3 * Math.sin((2 * Math.PI * 5 * (a + b)) / p) + 0.01 * ((a * 7 + b * 3) % 5);
    maps[(a * p + b) * m + 1] = Math.max(0, Math.cos((2 * Math.PI * 2 * (a + b)) / p));
  }
  for (let n = 0; n < m; n++) {
    const one = Float64Array.from({ length: p * p }, (_, i) => maps[i * m + n]);
    const page = powerShares(one, p), engine = powerSpectrum(new ReferenceKernels('f64'), maps, p, m, n);
    assert.equal(page.length, engine.length);
    for (let i = 0; i < page.length; i++) assert.ok(Math.abs(page[i] - engine[i]) < 1e-6, `neuron ${n} cell ${i}: ${page[i]} vs ${engine[i]}`);
  }
});
