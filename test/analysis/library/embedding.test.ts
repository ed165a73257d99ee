import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embeddingFourier, gini, keyFrequencies } from '../../../src/analysis/library/embedding.js';
import { normal, rng } from '../helpers.js';

test('Gini coefficient of known vectors', () => {
  assert.ok(Math.abs(gini([1, 1, 1, 1])) < 1e-15);
  assert.ok(Math.abs(gini([0, 0, 0, 1]) - 0.75) < 1e-15); // (n−1)/n
  // Σ|xi − xj| over ordered pairs of [1, 2, 3, 4] = 20; 2·n²·mean = 2·16·2.5 = 80.
  assert.ok(Math.abs(gini([3, 1, 4, 2]) - 0.25) < 1e-15);
  assert.equal(gini([0, 0]), 0);
});

test('key frequencies: the fewest strongest frequencies holding at least half of the energy', () => {
  assert.deepEqual(keyFrequencies([1, 0, 3, 0, 2]), [3]);          // 9 of 14 ≥ 7
  assert.deepEqual(keyFrequencies([2, 0, 2, 0, 2, 2]), [1, 3]);    // ties broken by lower k
  assert.deepEqual(keyFrequencies([1, 2, 3], 0.9), [2, 3]);        // (4 + 9)/14 = 0.93
  assert.deepEqual(keyFrequencies([0, 0]), []);
});

test('an embedding made of pure cosines of frequencies 4, 9 and 14 (p=31) has exactly those key frequencies', () => {
  const p = 31, d = 12;
  const WE = new Float32Array((p + 1) * d); // the "=" row (index p) is ignored
  const amp: Record<number, number> = { 4: 3, 9: 2.5, 14: 2 };
  for (let a = 0; a < p; a++) {
    Object.entries(amp).forEach(([k, A], i) => { // frequency k in columns 2i (cos) and 2i+1 (sin)
      WE[a * d + 2 * i] = A * Math.cos((2 * Math.PI * Number(k) * a) / p);
      WE[a * d + 2 * i + 1] = A * Math.sin((2 * Math.PI * Number(k) * a) / p);
    });
    WE[a * d + 11] = 5; // a constant column: no frequency
  }
  for (let j = 0; j < d; j++) WE[p * d + j] = 100;
  const e = embeddingFourier(WE, p, d);
  assert.deepEqual(e.keyFrequencies, [4, 9]); // 9 + 6.25 = 15.25 of 19.25 ≥ half; 4 alone (9) is not
  const full = embeddingFourier(WE, p, d, 0.99);
  assert.deepEqual(full.keyFrequencies, [4, 9, 14]);
  // A cos column of amplitude A over p points has norm A·√(p/2) on the cos row, and likewise sin.
  for (const [k, A] of Object.entries(amp)) {
    const i = Number(k) - 1;
    assert.ok(Math.abs(e.cosNorms[i] - A * Math.sqrt(p / 2)) < 1e-4);
    assert.ok(Math.abs(e.sinNorms[i] - A * Math.sqrt(p / 2)) < 1e-4);
    assert.ok(Math.abs(e.norms[i] - A * Math.sqrt(p)) < 1e-4);
  }
  for (let i = 0; i < e.norms.length; i++) if (![3, 8, 13].includes(i)) assert.ok(e.norms[i] < 1e-4);
  assert.ok(e.gini > 0.8, `gini ${e.gini}`);
});

test('a random embedding spreads its energy: many key frequencies and a low Gini', () => {
  const p = 113, d = 128;
  const g = normal(rng(5));
  const WE = Float32Array.from({ length: (p + 1) * d }, g);
  const e = embeddingFourier(WE, p, d);
  assert.ok(e.keyFrequencies.length > 15, `${e.keyFrequencies.length} key frequencies`);
  assert.ok(e.gini < 0.2, `gini ${e.gini}`);
});
