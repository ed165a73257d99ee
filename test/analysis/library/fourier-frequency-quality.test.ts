/**
 * Fourier frequency quality (MIScope REQ_052): the R² of the ideal mod-p addition tensor on the
 * dominant basis rows' subspace against a brute-force float64 projection of the p×p×p one-hot
 * tensor and against its closed form; MIScope's 2m/p for complete pairs; the coefficients against
 * direct sums; an embedding built of exactly m frequencies; the analyzer's summary and artifact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_THRESHOLD_FACTOR, analyticReference, completePairs, dominantBasisRows, frequencyQuality, idealTensorR2,
} from '../../../src/analysis/library/fourier-frequency-quality.js';
import { basisCoefficientNorms } from '../../../src/analysis/library/embedding.js';
import { fourierFrequencyQualityAnalyzer } from '../../../src/analysis/analyzers/fourier-frequency-quality.js';
import { decodeSafetensors, encodeSafetensors } from '../../../src/io/safetensors.js';
import { basisRows } from '../further-helpers.js';
import { normal, randomParams, rng, smallConfig } from '../helpers.js';

/** Σ_c Σ_{i,j∈rows} (Σ_{a,b} F_i[a] F_j[b] T[a,b,c])² / ‖T‖², T built in full, F from its definition. */
function bruteR2(p: number, rows: number[]): number {
  const F = basisRows(p);
  const T = new Float64Array(p ** 3);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) T[(a * p + b) * p + (a + b) % p] = 1;
  let norm2 = 0;
  for (const v of T) norm2 += v * v;
  let e = 0;
  for (const i of rows) for (const j of rows) for (let c = 0; c < p; c++) {
    let t = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) t += F[i][a] * F[j][b] * T[(a * p + b) * p + c];
    e += t * t;
  }
  return e / norm2;
}

/** (2·[0 ∈ D] + Σ_k n_k²) / (2p). */
function closedForm(p: number, rows: number[]): number {
  const n = new Map<number, number>();
  for (const r of rows) if (r > 0) n.set(Math.ceil(r / 2), (n.get(Math.ceil(r / 2)) ?? 0) + 1);
  let s = rows.includes(0) ? 2 : 0;
  for (const v of n.values()) s += v * v;
  return s / (2 * p);
}

function randomRows(p: number, r: () => number): number[] {
  return Array.from({ length: p }, (_, x) => x).filter(() => r() < 0.35);
}

test('R² is the brute-force float64 projection of the full one-hot tensor T[a, b, c] = [(a + b) mod p = c] for random row sets, partial pairs and the constant included', () => {
  const r = rng(5);
  for (const p of [5, 7, 11]) {
    for (let trial = 0; trial < 4; trial++) {
      const rows = randomRows(p, r);
      const got = idealTensorR2(p, rows), want = bruteR2(p, rows);
      assert.ok(Math.abs(got - want) < 1e-12, `p=${p} rows ${rows}: ${got} vs ${want}`);
    }
  }
  assert.ok(Math.abs(idealTensorR2(7, [0, 1, 2, 3, 4, 5, 6]) - 1) < 1e-12, 'every row: R² = 1');
  assert.equal(idealTensorR2(7, []), 0);
});

test('R² is the closed form (2·[constant] + Σ_k n_k²)/(2p): m complete sin/cos pairs give MIScope\'s 2m/p, a lone sin or cos 1/(2p)', () => {
  const r = rng(9);
  for (const p of [13, 31]) for (let trial = 0; trial < 5; trial++) {
    const rows = randomRows(p, r);
    assert.ok(Math.abs(idealTensorR2(p, rows) - closedForm(p, rows)) < 1e-12, `p=${p} rows ${rows}`);
  }
  const p = 113, keys = [4, 14, 35, 41, 52];
  const rows = keys.flatMap((k) => [2 * k - 1, 2 * k]).sort((a, b) => a - b);
  assert.deepEqual(completePairs(rows), keys);
  assert.equal(analyticReference(p, keys.length), 10 / 113);
  assert.ok(Math.abs(idealTensorR2(p, rows) - 10 / 113) < 1e-12);
  assert.ok(Math.abs(idealTensorR2(p, [2 * 17 - 1]) - 1 / 226) < 1e-12, 'a lone sin');
  assert.ok(Math.abs(idealTensorR2(p, [2 * 17]) - 1 / 226) < 1e-12, 'a lone cos');
  assert.deepEqual(completePairs([0, 1, 4, 5, 6]), [3]);
});

test('coefficients are ‖Σ_a B[x, a]·W_E[a]‖ over the p number rows by direct sums; the "=" row is ignored', () => {
  const p = 11, d = 6;
  const g = normal(rng(3));
  const WE = Float64Array.from({ length: (p + 1) * d }, () => g());
  const F = basisRows(p);
  const got = basisCoefficientNorms(WE, p, d);
  for (let x = 0; x < p; x++) {
    let s = 0;
    for (let j = 0; j < d; j++) { let c = 0; for (let a = 0; a < p; a++) c += F[x][a] * WE[a * d + j]; s += c * c; }
    assert.ok(Math.abs(got[x] - Math.sqrt(s)) < 1e-12, `row ${x}`);
  }
  const moved = Float64Array.from(WE);
  for (let j = 0; j < d; j++) moved[p * d + j] += 100;
  assert.deepEqual(basisCoefficientNorms(moved, p, d), got);
});

test('dominant rows: strictly above factor × the mean of all p coefficients; none when the coefficients are equal', () => {
  assert.deepEqual(dominantBasisRows([1, 1, 1, 1, 1, 1]), []);
  // mean 2 → threshold 6: 6 itself is not dominant, 6.5 is.
  assert.deepEqual(dominantBasisRows([0, 6, 0, 0, 0, 0, 6.5, 0, 0.5, 0, 0, 11]), [6, 11]);
  assert.deepEqual(dominantBasisRows([0, 6, 0, 0, 0, 0, 6.5, 0, 0.5, 0, 0, 11], 2), [1, 6, 11]);
  assert.equal(DEFAULT_THRESHOLD_FACTOR, 3);
});

test('an embedding made of exactly m frequencies: their 2m rows are the dominant ones and R² = 2m/p', () => {
  const p = 31, keys = [3, 8, 14], d = 2 * keys.length + 2;
  const WE = new Float64Array((p + 1) * d);
  for (let a = 0; a < p; a++) keys.forEach((k, i) => {
    WE[a * d + 2 * i] = 2 * Math.cos((2 * Math.PI * k * a) / p) + 0.3 * Math.sin((2 * Math.PI * k * a) / p);
    WE[a * d + 2 * i + 1] = Math.sin((2 * Math.PI * k * a) / p) - 0.5 * Math.cos((2 * Math.PI * k * a) / p);
  });
  const q = frequencyQuality(WE, p, d);
  assert.deepEqual(q.dominantRows, keys.flatMap((k) => [2 * k - 1, 2 * k]));
  assert.deepEqual(q.completePairs, keys);
  assert.ok(Math.abs(q.qualityScore - 6 / 31) < 1e-12, `${q.qualityScore}`);
  assert.equal(q.analyticReference, 6 / 31);
  assert.ok(Math.abs(q.reconstructionError - 25 / 31) < 1e-12);
});

test('fourier_frequency_quality analyzer: its summary is the library\'s measure of the checkpoint\'s W_E, and survives its artifact', () => {
  const c = smallConfig(17, 8, 16);
  const params = randomParams(c, 4, 0.05);
  // Put frequencies 2 and 5 into the embedding (two columns per basis row) so that they are dominant.
  const WE = params.t['embed.W_E'];
  const wave = [(a: number) => Math.cos((2 * Math.PI * 5 * a) / c.p), (a: number) => Math.sin((2 * Math.PI * 5 * a) / c.p),
    (a: number) => Math.cos((2 * Math.PI * 2 * a) / c.p), (a: number) => Math.sin((2 * Math.PI * 2 * a) / c.p)];
  for (let a = 0; a < c.p; a++) for (let j = 0; j < c.dModel; j++) WE[a * c.dModel + j] += 3 * wave[j % 4](a);
  const out = fourierFrequencyQualityAnalyzer.analyseCheckpoint({ checkpoint: { params, config: c } } as never);
  const q = frequencyQuality(WE, c.p, c.dModel);
  assert.deepEqual(out.summary, {
    quality_score: q.qualityScore, reconstruction_error: q.reconstructionError, k: q.dominantRows.length, dominant_frequencies: q.dominantRows,
    complete_pairs: q.completePairs, analytic_reference: q.analyticReference, threshold_factor: 3,
  });
  assert.deepEqual(q.completePairs, [2, 5]);
  assert.equal(fourierFrequencyQualityAnalyzer.tier, 'checkpoint');
  const file = decodeSafetensors(Buffer.from(encodeSafetensors(out.tensors)), 'mem');
  assert.deepEqual(fourierFrequencyQualityAnalyzer.summariseArtifact!(file, {} as never), out.summary);
});
