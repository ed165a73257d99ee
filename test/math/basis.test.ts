import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fourierBasis, frequencyOfRow } from '../../src/math/basis.js';

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
