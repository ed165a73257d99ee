import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digestNeuronWeightFourier, neuronWeightFourier, wrapAngle } from '../../../src/analysis/library/neuron-weight-fourier.js';
import { fourierWInMagnitudes } from '../../../src/analysis/library/grouping.js';
import { NEURON_WEIGHT_FOURIER, neuronWeightFourierAnalyzer } from '../../../src/analysis/analyzers/neuron-weight-fourier.js';
import { findAnalyzer } from '../../../src/analysis/registry.js';
import { fourierBasis } from '../../../src/math/basis.js';
import { normal, rng } from '../helpers.js';

test('one cosine per neuron in θ and in ξ: α = A·√(p/2), φ its phase, β = B·√(p/2), ψ its phase, 0 at every other frequency; the digest in closed form', () => {
  const p = 13, m = 6, d = m, K = (p - 1) / 2;
  const ks = [1, 2, 3, 5, 6, 3], A = [1, 0.5, 2, 1.5, 0.7, 1.1], ph = [0, 0.3, 1.2, -0.8, 2.0, -2.9];
  const Bm = [0.4, 1.3, 0.9, 2.2, 0.6, 1.0], ps = [0.1, -1.1, 2.5, 0.4, -3.0, 1.7];
  // W_in and W_out are identities: θ_n is W_E's column n, ξ_n is W_U's row n; W_E's last row (the = token) is left out.
  const WE = new Float64Array((p + 1) * d), WU = new Float64Array(d * p), I = new Float64Array(d * m);
  for (let t = 0; t < p; t++) for (let j = 0; j < d; j++) {
    WE[t * d + j] = A[j] * Math.cos((2 * Math.PI * ks[j] * t) / p + ph[j]);
    WU[j * p + t] = Bm[j] * Math.cos((2 * Math.PI * ks[j] * t) / p + ps[j]);
  }
  for (let j = 0; j < d; j++) { WE[p * d + j] = 100 + j; I[j * m + j] = 1; }
  const r = neuronWeightFourier({ WE, Win: I, Wout: I, WU }, p, d, m, fourierBasis(p));
  const s = Math.sqrt(p / 2);
  for (let n = 0; n < m; n++) for (let k = 1; k <= K; k++) {
    const i = n * K + k - 1, on = k === ks[n];
    assert.ok(Math.abs(r.alpha_mk[i] - (on ? A[n] * s : 0)) < 1e-10, `α neuron ${n} k ${k}`);
    assert.ok(Math.abs(r.beta_mk[i] - (on ? Bm[n] * s : 0)) < 1e-10, `β neuron ${n} k ${k}`);
    if (on) {
      assert.ok(Math.abs(r.phi_mk[i] - ph[n]) < 1e-10, `φ neuron ${n}: ${r.phi_mk[i]} vs ${ph[n]}`);
      assert.ok(Math.abs(r.psi_mk[i] - ps[n]) < 1e-10, `ψ neuron ${n}: ${r.psi_mk[i]} vs ${ps[n]}`);
    }
  }
  const g = digestNeuronWeightFourier(r, m, K);
  assert.deepEqual(g.dominant_counts, Array.from({ length: K }, (_, k) => ks.filter((x) => x === k + 1).length));
  for (let k = 1; k <= K; k++) {
    const wantA = ks.reduce((acc, x, n) => acc + (x === k ? (A[n] * s) ** 2 : 0), 0), wantB = ks.reduce((acc, x, n) => acc + (x === k ? (Bm[n] * s) ** 2 : 0), 0);
    assert.ok(Math.abs(g.alpha_power[k - 1] - wantA) < 1e-9 && Math.abs(g.beta_power[k - 1] - wantB) < 1e-9, `power at ${k}`);
  }
  assert.ok(Math.abs(g.mean_alpha_dominant - (A.reduce((a, b) => a + b, 0) * s) / m) < 1e-10);
  assert.ok(Math.abs(g.mean_beta_dominant - (Bm.reduce((a, b) => a + b, 0) * s) / m) < 1e-10);
  // |2φ − ψ| taken to the nearest multiple of 2π, written out.
  const D = ph.map((x, n) => { let y = 2 * x - ps[n]; while (y > Math.PI) y -= 2 * Math.PI; while (y <= -Math.PI) y += 2 * Math.PI; return Math.abs(y); });
  assert.ok(Math.abs(g.mean_phase_misalignment - D.reduce((a, b) => a + b, 0) / m) < 1e-10);
});

test('a random model: α, φ, β, ψ equal the DFT of θ = W_E[:p]·W_in and ξ = W_out·W_U written out as sums; θ\'s magnitudes are neuron_grouping\'s features bit for bit', () => {
  const p = 11, d = 5, m = 7, K = (p - 1) / 2, g = normal(rng(12));
  const WE = Float64Array.from({ length: (p + 1) * d }, g), Win = Float64Array.from({ length: d * m }, g);
  const Wout = Float64Array.from({ length: m * d }, g), WU = Float64Array.from({ length: d * p }, g);
  const B = fourierBasis(p);
  const r = neuronWeightFourier({ WE, Win, Wout, WU }, p, d, m, B);
  for (let n = 0; n < m; n++) {
    const theta = Array.from({ length: p }, (_, t) => { let s = 0; for (let j = 0; j < d; j++) s += WE[t * d + j] * Win[j * m + n]; return s; });
    const xi = Array.from({ length: p }, (_, t) => { let s = 0; for (let j = 0; j < d; j++) s += Wout[n * d + j] * WU[j * p + t]; return s; });
    for (let k = 1; k <= K; k++) {
      const proj = (v: number[], f: (x: number) => number) => Math.sqrt(2 / p) * v.reduce((acc, x, t) => acc + x * f((2 * Math.PI * k * t) / p), 0);
      const i = n * K + k - 1;
      for (const [v, mag, pha] of [[theta, r.alpha_mk, r.phi_mk], [xi, r.beta_mk, r.psi_mk]] as const) {
        const sn = proj(v, Math.sin), cs = proj(v, Math.cos);
        assert.ok(Math.abs(mag[i] - Math.hypot(sn, cs)) < 1e-10, `magnitude ${n} ${k}`);
        assert.ok(Math.abs(wrapAngle(pha[i] - Math.atan2(-sn, cs))) < 1e-9, `phase ${n} ${k}`);
      }
    }
  }
  assert.deepEqual(Array.from(fourierWInMagnitudes(WE, Win, p, d, m, B)), Array.from(r.alpha_mk));
});

test('wrapAngle maps to (−π, π]: π stays, −π goes to π, 3π/2 to −π/2', () => {
  assert.equal(wrapAngle(Math.PI), Math.PI);
  assert.equal(wrapAngle(-Math.PI), Math.PI);
  assert.ok(Math.abs(wrapAngle(1.5 * Math.PI) + 0.5 * Math.PI) < 1e-15);
  assert.ok(Math.abs(wrapAngle(-7) - (-7 + 2 * Math.PI)) < 1e-15);
});

test('neuron_weight_fourier (MIScope\'s neuron_fourier) is registered once at the checkpoint tier; neuron_fourier stays the activation analyzer', () => {
  assert.equal(findAnalyzer(NEURON_WEIGHT_FOURIER), neuronWeightFourierAnalyzer);
  assert.equal(neuronWeightFourierAnalyzer.tier, 'checkpoint');
  assert.notEqual(findAnalyzer('neuron_fourier'), neuronWeightFourierAnalyzer);
});
