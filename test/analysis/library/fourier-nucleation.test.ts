/**
 * Fourier nucleation (MIScope REQ_063): the response (W_E[:p]·W_in)ᵀ by direct sums; the whole
 * iteration against an independent float64 transcription of MIScope's numpy code written here
 * (cos/sin from Math.cos, its sort, threshold and argmax); weights built of exactly m frequencies,
 * which the sharpening finds; the keep count and its ties; the analyzer's summary and artifact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NUCLEATION_DEFAULTS, fourierNucleation, neuronResponse } from '../../../src/analysis/library/fourier-nucleation.js';
import { NUCLEATION_TOP, fourierNucleationAnalyzer } from '../../../src/analysis/analyzers/fourier-nucleation.js';
import { decodeSafetensors, encodeSafetensors } from '../../../src/io/safetensors.js';
import { normal, randomParams, rng, smallConfig } from '../helpers.js';

/** MIScope's _build_fourier_basis, _project, _sharpen and _snapshot on number[][] (float64). */
function miscope(R0: number[][], p: number, iterations: number, sharpness: number) {
  const nF = Math.floor(p / 2);
  const unit = (v: number[]) => { const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)); return v.map((x) => x / n); };
  const cosB = Array.from({ length: nF }, (_, i) => unit(Array.from({ length: p }, (_, x) => Math.cos((2 * Math.PI * (i + 1) * x) / p))));
  const sinB = Array.from({ length: nF }, (_, i) => unit(Array.from({ length: p }, (_, x) => Math.sin((2 * Math.PI * (i + 1) * x) / p))));
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
  let R = R0.map((r) => r.slice());
  const agg: number[][] = [], peak: number[][] = [], committed: number[][] = [];
  for (let it = 0; it <= iterations; it++) {
    const pc = R.map((r) => cosB.map((c) => dot(r, c))), ps = R.map((r) => sinB.map((s) => dot(r, s)));
    const E = pc.map((row, n) => row.map((c, k) => c * c + ps[n][k] ** 2));
    const a = Array.from({ length: nF }, (_, k) => E.reduce((s, e) => s + e[k], 0));
    const mx = Math.max(...a);
    agg.push(mx > 0 ? a.map((x) => x / mx) : a);
    peak.push(E.map((e) => e.indexOf(Math.max(...e)) + 1));
    committed.push(Array.from({ length: nF }, (_, k) => E.filter((e) => e[k] / Math.max(e.reduce((s, x) => s + x, 0), 1e-10) > 0.15).length));
    if (it === iterations) break;
    const keep = Math.max(1, Math.trunc(nF * (1 - sharpness)));
    R = E.map((e, n) => {
      const thr = [...e].sort((x, y) => y - x)[keep - 1];
      const out = new Array<number>(p).fill(0);
      e.forEach((v, k) => { if (v >= thr) for (let x = 0; x < p; x++) out[x] += pc[n][k] * cosB[k][x] + ps[n][k] * sinB[k][x]; });
      return out;
    });
  }
  return { agg, peak, committed };
}

test('the response is (W_E[:p]·W_in)ᵀ by direct sums, the "=" row ignored', () => {
  const p = 7, d = 5, m = 9;
  const g = normal(rng(1));
  const WE = Float64Array.from({ length: (p + 1) * d }, () => g()), Win = Float64Array.from({ length: d * m }, () => g());
  const R = neuronResponse(WE, Win, p, d, m);
  for (let n = 0; n < m; n++) for (let x = 0; x < p; x++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += WE[x * d + j] * Win[j * m + n];
    assert.ok(Math.abs(R[n * p + x] - s) < 1e-12);
  }
  WE[p * d] += 50;
  assert.deepEqual(neuronResponse(WE, Win, p, d, m), R);
});

test('every snapshot (aggregate energy, peak frequency, committed counts) is that of an independent transcription of MIScope\'s numpy iteration', () => {
  const g = normal(rng(7));
  for (const [p, m, iterations, sharpness] of [[13, 10, 3, 0.7], [17, 6, 2, 0.5], [11, 5, 4, 1], [11, 4, 2, 0]] as const) {
    const R = Array.from({ length: m }, () => Array.from({ length: p }, () => g()));
    const got = fourierNucleation(Float64Array.from(R.flat()), p, m, iterations, sharpness);
    const want = miscope(R, p, iterations, sharpness);
    const nF = (p - 1) / 2;
    assert.deepEqual(Array.from(got.frequencies), Array.from({ length: nF }, (_, i) => i + 1));
    for (let it = 0; it <= iterations; it++) {
      for (let k = 0; k < nF; k++) assert.ok(Math.abs(got.aggregateEnergy[it * nF + k] - want.agg[it][k]) < 1e-12, `p=${p} it ${it} k ${k + 1}`);
      assert.deepEqual(Array.from(got.peakFrequency.subarray(it * m, (it + 1) * m)), want.peak[it], `peaks p=${p} it ${it}`);
      assert.deepEqual(Array.from(got.committedCount.subarray(it * nF, (it + 1) * nF)), want.committed[it], `committed p=${p} it ${it}`);
    }
  }
});

test('W_E and W_in built of exactly m frequencies: all energy is on them from iteration 0, the sharpening keeps exactly them, and keeping one frequency commits every neuron to its peak', () => {
  const p = 41, keys = [3, 9, 16], d = 2 * keys.length, m = 24;
  const g = normal(rng(12));
  const WE = new Float64Array((p + 1) * d);
  for (let x = 0; x < p; x++) keys.forEach((k, i) => { WE[x * d + 2 * i] = Math.cos((2 * Math.PI * k * x) / p); WE[x * d + 2 * i + 1] = Math.sin((2 * Math.PI * k * x) / p); });
  const Win = Float64Array.from({ length: d * m }, () => g());
  const R = neuronResponse(WE, Win, p, d, m);
  const nF = (p - 1) / 2;
  const nu = fourierNucleation(R, p, m); // MIScope's defaults: 12 iterations keeping ⌊20 · 0.3⌋ = 6
  for (let it = 0; it <= nu.iterations; it++) {
    for (let k = 1; k <= nF; k++) if (!keys.includes(k)) assert.ok(nu.aggregateEnergy[it * nF + k - 1] < 1e-20, `iteration ${it}: frequency ${k} has energy`);
    for (let n = 0; n < m; n++) assert.ok(keys.includes(nu.peakFrequency[it * m + n]));
  }
  // Closed form of the aggregate energy: neuron n's energy at key i is (p/2)·(W_in[2i, n]² + W_in[2i+1, n]²).
  const e = keys.map((_, i) => { let s = 0; for (let n = 0; n < m; n++) s += Win[2 * i * m + n] ** 2 + Win[(2 * i + 1) * m + n] ** 2; return s; });
  const mx = Math.max(...e);
  keys.forEach((k, i) => assert.ok(Math.abs(nu.aggregateEnergy[nu.iterations * nF + k - 1] - e[i] / mx) < 1e-9, `key ${k}`));
  // Sharpness 1 keeps one frequency per neuron: after one sharpening each neuron is its peak alone.
  const one = fourierNucleation(R, p, m, 2, 1);
  for (const it of [1, 2]) {
    let total = 0;
    for (let k = 0; k < nF; k++) total += one.committedCount[it * nF + k];
    assert.equal(total, m, `iteration ${it}: every neuron committed to exactly one frequency`);
    assert.deepEqual(Array.from(one.peakFrequency.subarray(it * m, (it + 1) * m)), Array.from(one.peakFrequency.subarray(0, m)));
  }
});

test('the sharpening is a projection: snapshots 2..iterations repeat snapshot 1', () => {
  const p = 29, m = 16;
  const g = normal(rng(21));
  const R = Float64Array.from({ length: m * p }, () => g());
  const nu = fourierNucleation(R, p, m, 5, NUCLEATION_DEFAULTS.sharpness);
  const nF = (p - 1) / 2;
  for (let it = 2; it <= 5; it++) {
    for (let k = 0; k < nF; k++) assert.ok(Math.abs(nu.aggregateEnergy[it * nF + k] - nu.aggregateEnergy[nF + k]) < 1e-12);
    assert.deepEqual(nu.committedCount.subarray(it * nF, (it + 1) * nF), nu.committedCount.subarray(nF, 2 * nF));
  }
  // …and it changed something: the first sharpening dropped 70 % of the frequencies of each neuron.
  let differs = false;
  for (let k = 0; k < nF; k++) if (Math.abs(nu.aggregateEnergy[k] - nu.aggregateEnergy[nF + k]) > 1e-6) differs = true;
  assert.ok(differs);
});

test('the keep count is max(1, ⌊n_freqs·(1 − sharpness)⌋) frequencies per neuron, the highest-energy ones', () => {
  const p = 23, nF = 11;
  // One neuron with energies 11, 10, …, 1 at k = 1..11 (cos only, amplitude √e).
  const cos = (k: number, x: number) => Math.cos((2 * Math.PI * k * x) / p) * Math.sqrt(2 / p);
  const R = Float64Array.from({ length: p }, (_, x) => { let s = 0; for (let k = 1; k <= nF; k++) s += Math.sqrt(nF + 1 - k) * cos(k, x); return s; });
  const nonzero = (nu: ReturnType<typeof fourierNucleation>) => Array.from(nu.aggregateEnergy.subarray(nF, 2 * nF)).filter((v) => v > 1e-9).length;
  assert.equal(nonzero(fourierNucleation(R, p, 1, 1, 0.7)), 3); // ⌊11 · 0.3⌋
  assert.equal(nonzero(fourierNucleation(R, p, 1, 1, 0.5)), 5); // ⌊5.5⌋
  assert.equal(nonzero(fourierNucleation(R, p, 1, 1, 1)), 1);
  assert.equal(nonzero(fourierNucleation(R, p, 1, 1, 0.99)), 1); // max(1, 0)
});

test('fourier_nucleation analyzer: its artifact has MIScope\'s tensors, its summary the first and last snapshots, and the summary survives the artifact', () => {
  const c = smallConfig(13, 8, 16);
  const params = randomParams(c, 2);
  const out = fourierNucleationAnalyzer.analyseCheckpoint({ checkpoint: { params, config: c } } as never);
  const nu = fourierNucleation(neuronResponse(params.t['embed.W_E'], params.t['blocks.0.mlp.W_in'], c.p, c.dModel, c.dMlp), c.p, c.dMlp);
  const nF = 6, last = 12;
  const s = out.summary as Record<string, number[]>;
  assert.deepEqual(s.initial_energy, Array.from(Float32Array.from(nu.aggregateEnergy.subarray(0, nF))));
  assert.deepEqual(s.final_energy, Array.from(Float32Array.from(nu.aggregateEnergy.subarray(last * nF))));
  assert.deepEqual(s.final_committed, Array.from(nu.committedCount.subarray(last * nF)));
  assert.equal(s.top_frequencies.length, Math.min(NUCLEATION_TOP, nF));
  assert.equal(s.top_frequencies[0], s.final_energy.indexOf(1) + 1);
  for (let i = 1; i < s.top_frequencies.length; i++) assert.ok(s.final_energy[s.top_frequencies[i - 1] - 1] >= s.final_energy[s.top_frequencies[i] - 1]);
  assert.deepEqual(Object.keys(out.tensors).sort(), ['aggregate_energy', 'frequencies', 'iterations', 'neuron_committed_count', 'neuron_peak_freq', 'prime', 'sharpness']);
  assert.deepEqual((out.tensors.aggregate_energy as { shape: number[] }).shape, [13, nF]);
  assert.deepEqual((out.tensors.neuron_peak_freq as { shape: number[] }).shape, [13, c.dMlp]);
  const file = decodeSafetensors(Buffer.from(encodeSafetensors(out.tensors)), 'mem');
  assert.deepEqual(fourierNucleationAnalyzer.summariseArtifact!(file, {} as never), out.summary);
});
