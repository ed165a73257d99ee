import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UNASSIGNED, fisherDiscriminant, fourierWInMagnitudes, groupNeurons, groupNeuronsSummary, kmeans } from '../../../src/analysis/library/grouping.js';
import { groupCheckpoint } from '../../../src/analysis/analyzers/neuron-grouping.js';
import { fourierBasis } from '../../../src/math/basis.js';
import { Params } from '../../../src/model/params.js';
import { normal, rng, smallConfig } from '../helpers.js';

test('argmax_by_basis: each neuron to its largest |feature|, confidence = max f² / Σ f², below the threshold UNASSIGNED, an all-zero row confidence 0', () => {
  const x = Float64Array.from([3, 4, 0, /**/ 0, -2, 1, /**/ 1, 1, 1, /**/ 0, 0, 0]);
  const a = groupNeurons(x, 4, 3, 3, 'argmax_by_basis', 'test', 0.5);
  assert.deepEqual(Array.from(a.confidence!), [16 / 25, 4 / 5, 1 / 3, 0]);
  assert.deepEqual(Array.from(a.assignments), [1, 1, UNASSIGNED, UNASSIGNED]);
  assert.equal(a.n_groups, 3);
  assert.deepEqual(Array.from(groupNeurons(x, 4, 3, 3, 'argmax_by_basis', 'test', null).assignments), [1, 1, 0, 0]);
});

test('kmeans finds four well-separated clusters whatever their order, and the same labels for the same seed', () => {
  const g = normal(rng(5));
  const centres = [[10, 0, 0], [0, 10, 0], [0, 0, 10], [-10, -10, -10]];
  const truth: number[] = [];
  const x: number[] = [];
  for (let i = 0; i < 80; i++) { const c = (i * 7) % 4; truth.push(c); for (let t = 0; t < 3; t++) x.push(centres[c][t] + 0.5 * g()); }
  const a = kmeans(x, 80, 3, 4, 42);
  const map = new Map<number, number>();
  truth.forEach((c, i) => { if (!map.has(c)) map.set(c, a.labels[i]); assert.equal(a.labels[i], map.get(c), `point ${i}`); });
  assert.equal(new Set(map.values()).size, 4);
  assert.deepEqual(Array.from(kmeans(x, 80, 3, 4, 42).labels), Array.from(a.labels));
});

test('group summary and Fisher ratio equal direct float64 sums, empty groups counted as MIScope does (centroid 0, σ² 0)', () => {
  const g = normal(rng(9));
  const n = 30, f = 4, k = 5;
  const x = Float64Array.from({ length: n * f }, () => g());
  // Groups 0, 1 and 3 populated, 2 and 4 empty, neuron 29 unassigned.
  const assignments = Int32Array.from({ length: n }, (_, i) => (i === 29 ? UNASSIGNED : [0, 1, 3][i % 3]));
  const s = groupNeuronsSummary(x, n, f, { assignments, n_groups: k });
  const mu: number[][] = [], v: number[] = [], cnt: number[] = [];
  for (let c = 0; c < k; c++) {
    const members = [...assignments.keys()].filter((i) => assignments[i] === c);
    cnt.push(members.length);
    mu.push(Array.from({ length: f }, (_, t) => (members.length ? members.reduce((acc, i) => acc + x[i * f + t], 0) / members.length : 0)));
    v.push(members.length ? members.reduce((acc, i) => acc + mu[c].reduce((q, m, t) => q + (x[i * f + t] - m) ** 2, 0), 0) / members.length : 0);
  }
  assert.deepEqual(s.n_per_group, cnt);
  assert.equal(s.n_unassigned, 1);
  for (let c = 0; c < k; c++) {
    assert.ok(Math.abs(s.radii[c] - Math.sqrt(v[c])) < 1e-12);
    for (let t = 0; t < f; t++) assert.ok(Math.abs(s.centroids[c * f + t] - mu[c][t]) < 1e-12);
  }
  assert.ok(Math.abs(s.dispersion - v.reduce((acc, y) => acc + Math.sqrt(y), 0) / k) < 1e-12);
  const J: number[] = [];
  for (let r = 0; r < k; r++) for (let q = r + 1; q < k; q++) {
    if (v[r] + v[q] > 0) J.push(mu[r].reduce((acc, m, t) => acc + (m - mu[q][t]) ** 2, 0) / (v[r] + v[q]));
  }
  assert.equal(J.length, 9, '3 populated pairs and 6 (empty, populated) pairs; the (empty, empty) pair has no denominator');
  const fd = fisherDiscriminant(s.centroids, s.radii, f);
  assert.ok(Math.abs(fd.min - Math.min(...J)) < 1e-12 && Math.abs(fd.mean - J.reduce((a, b) => a + b, 0) / J.length) < 1e-12);
  assert.deepEqual(fisherDiscriminant(new Float64Array(2 * f), [0, 0], f), { min: 0, mean: 0 });
});

test('fourierWInMagnitudes: θ = W_E[:p]·W_in made of one cosine per neuron has magnitude A·√(p/2) at that frequency, 0 elsewhere; a random model equals a direct DFT of θ', () => {
  const p = 13, d = 6, m = 6, K = (p - 1) / 2;
  // W_E's column j is A_j·cos(2π k_j t / p + φ_j); W_in is the identity, so θ[:, n] is that cosine.
  const ks = [1, 2, 3, 5, 6, 4], amp = [1, 0.5, 2, 1.5, 0.7, 1.1], ph = [0, 0.3, 1.2, -0.8, 2.0, 0.1];
  const WE = new Float64Array((p + 1) * d), Win = new Float64Array(d * m);
  for (let t = 0; t < p + 1; t++) for (let j = 0; j < d; j++) WE[t * d + j] = amp[j] * Math.cos((2 * Math.PI * ks[j] * t) / p + ph[j]);
  for (let j = 0; j < d; j++) Win[j * m + j] = 1;
  const B = fourierBasis(p);
  const mag = fourierWInMagnitudes(WE, Win, p, d, m, B);
  for (let n = 0; n < m; n++) for (let k = 1; k <= K; k++) {
    const want = k === ks[n] ? amp[n] * Math.sqrt(p / 2) : 0;
    assert.ok(Math.abs(mag[n * K + k - 1] - want) < 1e-10, `neuron ${n} k ${k}: ${mag[n * K + k - 1]} vs ${want}`);
  }
  const a = groupNeurons(mag, m, K, K, 'argmax_by_basis', 'fourier_w_in', 0.3);
  assert.deepEqual(Array.from(a.assignments), ks.map((k) => k - 1));
  // A random model: the DFT of θ written out, |Σ_t θ_t e^{−2πikt/p}| · √(2/p) is the pair magnitude.
  const g = normal(rng(3));
  const We = Float64Array.from({ length: (p + 1) * d }, () => g()), Wi = Float64Array.from({ length: d * m }, () => g());
  const got = fourierWInMagnitudes(We, Wi, p, d, m, B);
  for (let n = 0; n < m; n++) for (let k = 1; k <= K; k++) {
    let re = 0, im = 0;
    for (let t = 0; t < p; t++) {
      let th = 0;
      for (let j = 0; j < d; j++) th += We[t * d + j] * Wi[j * m + n];
      re += th * Math.cos((2 * Math.PI * k * t) / p); im += th * Math.sin((2 * Math.PI * k * t) / p);
    }
    const want = Math.hypot(re, im) * Math.sqrt(2 / p);
    assert.ok(Math.abs(got[n * K + k - 1] - want) < 1e-9 * (1 + want), `random neuron ${n} k ${k}`);
  }
});

test('neuron_grouping on a model whose neurons read one frequency each groups every neuron at its frequency; the kmeans path splits two weight signatures apart', () => {
  const c = smallConfig(11, 16, 32);
  const p = c.p, d = c.dModel, m = c.dMlp;
  const params = Params.zeros(c, (k) => new Float32Array(k));
  const WE = params.t['embed.W_E'], Win = params.t['blocks.0.mlp.W_in'], Wout = params.t['blocks.0.mlp.W_out'];
  // Embedding dims 2k−2, 2k−1 carry cos and sin of frequency k (k = 1..5); neuron n reads frequency 1 + n mod 5.
  for (let t = 0; t <= p; t++) for (let k = 1; k <= 5; k++) {
    WE[t * d + 2 * k - 2] = Math.cos((2 * Math.PI * k * t) / p); WE[t * d + 2 * k - 1] = Math.sin((2 * Math.PI * k * t) / p);
  }
  for (let n = 0; n < m; n++) { const k = 1 + (n % 5); Win[(2 * k - 2) * m + n] = 1; Win[(2 * k - 1) * m + n] = 0.5; }
  const g = groupCheckpoint(params, 'fourier');
  assert.equal(g.assignment.n_groups, 5);
  assert.deepEqual(Array.from(g.assignment.assignments), Array.from({ length: m }, (_, n) => n % 5));
  assert.ok(g.assignment.confidence!.every((x) => Math.abs(x - 1) < 1e-6));
  // kmeans path: half the neurons write +1 on dim 0, half −1: those two signatures end in different groups.
  for (let n = 0; n < m; n++) Wout[n * d] = n < m / 2 ? 5 : -5;
  const km = groupCheckpoint(params, 'kmeans');
  assert.equal(km.assignment.n_groups, 8);
  for (let n = 0; n < m / 2; n++) for (let q = m / 2; q < m; q++) assert.notEqual(km.assignment.assignments[n], km.assignment.assignments[q]);
});
