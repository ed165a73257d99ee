import { test } from 'node:test';
import { loadKernels } from '../../../src/engine/index.js';
import assert from 'node:assert/strict';
import { ReferenceKernels } from '../../../src/engine/reference.js';
import { computeTables, forward, makeBatch, Workspace } from '../../../src/model/model.js';
import { circularityCrossovers, classDimensionality, reprSiteMeasures } from '../../../src/analysis/library/repr-geometry.js';
import { REPR_GEOMETRY, reprGeometryAnalyzer, reprGeometrySummaryKeys, reprSiteSamples } from '../../../src/analysis/analyzers/repr-geometry.js';
import { classGeometry } from '../../../src/analysis/library/representation-geometry.js';
import { findAnalyzer } from '../../../src/analysis/registry.js';
import { plainLogits } from '../../helpers/plain-model.js';
import { f64Params, relClose, tiny } from '../further-helpers.js';
import { normal, rng } from '../helpers.js';

/**
 * Samples [p², 5] of class c = (a + b) mod p: the centroid R·(cos, sin)(2πkc/p) in dims 0, 1 plus
 * √2·h·cos(2πk₂c/p) in dim 4 (centroid variance h², off the circle's plane), and within the class
 * s√2·(cos, sin)(2πa/p) in dims 2, 3 (mean 0, covariance s²·I₂ over the class's p values of a).
 */
function circleSet(p: number, k: number, R: number, s: number, h = 0, k2 = 2): Float64Array {
  const d = 5, X = new Float64Array(p * p * d);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const o = (a * p + b) * d, c = (a + b) % p, th = (2 * Math.PI * k * c) / p, ph = (2 * Math.PI * a) / p;
    X[o] = R * Math.cos(th) + 0.7; X[o + 1] = R * Math.sin(th) - 0.2;
    X[o + 2] = s * Math.SQRT2 * Math.cos(ph); X[o + 3] = s * Math.SQRT2 * Math.sin(ph);
    X[o + 4] = h * Math.SQRT2 * Math.cos((2 * Math.PI * k2 * c) / p);
  }
  return X;
}

test('centroids on a circle of frequency k with isotropic 2-D class noise s: radius s√2, dimensionality 2, center spread R, SNR R²/2s², circularity and Fourier alignment 1, PCA 1/2, 1/2, 0', () => {
  const p = 13, k = 5, R = 2, s = 0.25;
  const m = reprSiteMeasures(circleSet(p, k, R, s), p, 5);
  for (const r of m.radii) relClose(r, s * Math.SQRT2, 1e-12, 'class radius');
  for (const D of m.dimensionality) relClose(D, 2, 1e-12, 'participation ratio of eigenvalues (s², s²)');
  const S = m.scalars;
  relClose(S.mean_radius, s * Math.SQRT2, 1e-12, 'mean radius');
  relClose(S.mean_dim, 2, 1e-12, 'mean dim');
  relClose(S.center_spread, R, 1e-12, 'center spread');
  relClose(S.snr, (R * R) / (2 * s * s), 1e-12, 'snr');
  relClose(S.circularity, 1, 1e-9, 'circularity');
  relClose(S.fourier_alignment, 1, 1e-12, 'fourier alignment');
  relClose(S.pca_var_pc1, 0.5, 1e-9, 'pc1'); relClose(S.pca_var_pc2, 0.5, 1e-9, 'pc2');
  assert.ok(S.pca_var_pc3 < 1e-12, `pc3 ${S.pca_var_pc3}`);
  // J(r, t) = 4R² sin²(πk(t − r)/p) / (2·2s²); smallest where k(t − r) ≡ ±1 (mod p).
  const J = (r: number, t: number) => (4 * R * R * Math.sin((Math.PI * k * (t - r)) / p) ** 2) / (4 * s * s);
  let sum = 0, n = 0, min = Infinity;
  for (let r = 0; r < p; r++) for (let t = r + 1; t < p; t++) { sum += J(r, t); n++; min = Math.min(min, J(r, t)); }
  relClose(S.fisher_mean, sum / n, 1e-12, 'fisher mean');
  relClose(S.fisher_min, min, 1e-12, 'fisher min');
  const delta = [...Array(p).keys()].find((x) => x > 0 && ((k * x) % p === 1 || (k * x) % p === p - 1))!;
  assert.equal(S.fisher_argmin_diff, Math.min(delta, p - delta));
  assert.ok(S.fisher_argmin_r < S.fisher_argmin_s);
  relClose(J(S.fisher_argmin_r, S.fisher_argmin_s), min, 1e-12, 'J at the argmin pair');
  assert.equal(Math.min(S.fisher_argmin_s - S.fisher_argmin_r, p - S.fisher_argmin_s + S.fisher_argmin_r), S.fisher_argmin_diff);
});

test('centroid variance h² off the circle plane: circularity = the plane\'s variance share R²/(R² + h²), PCA (R²/2, R²/2, h²)/(R² + h²)', () => {
  const p = 11, k = 3, R = 1.5, h = 0.6, s = 0.1;
  const S = reprSiteMeasures(circleSet(p, k, R, s, h, 2), p, 5).scalars;
  const tot = R * R + h * h;
  relClose(S.circularity, (R * R) / tot, 1e-9, 'circularity');
  relClose(S.fourier_alignment, 1, 1e-9, 'fourier alignment');
  relClose(S.pca_var_pc1, (R * R) / 2 / tot, 1e-9, 'pc1');
  relClose(S.pca_var_pc2, (R * R) / 2 / tot, 1e-9, 'pc2');
  relClose(S.pca_var_pc3, (h * h) / tot, 1e-9, 'pc3');
  relClose(S.center_spread, Math.sqrt(tot), 1e-12, 'center spread');
});

test('a site with the same vector for every pair (resid_pre) has every statistic 0, MIScope\'s argmin pair (0, 1)', () => {
  const p = 7, d = 3, X = new Float64Array(p * p * d);
  for (let i = 0; i < p * p; i++) X.set([0.5, -1.25, 2], i * d); // exact in binary: the class means are these values exactly
  const m = reprSiteMeasures(X, p, d);
  assert.ok(m.radii.every((r) => r === 0) && m.dimensionality.every((x) => x === 0));
  const S = m.scalars;
  for (const key of ['mean_radius', 'mean_dim', 'center_spread', 'snr', 'circularity', 'fisher_mean', 'fisher_min', 'pca_var_pc1', 'pca_var_pc2', 'pca_var_pc3'] as const) assert.equal(S[key], 0, key);
  assert.ok(S.fourier_alignment < 1e-20, `alignment ${S.fourier_alignment}`);
  assert.deepEqual([S.fisher_argmin_r, S.fisher_argmin_s, S.fisher_argmin_diff], [0, 1, 1]);
});

test('dimensionality equals (tr C)² / ‖C‖²_F of each class\'s d × d covariance written out, on random samples', () => {
  const p = 7, d = 9, g = normal(rng(4));
  const X = Float64Array.from({ length: p * p * d }, () => g());
  const mu = new Float64Array(p * d);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) for (let j = 0; j < d; j++) mu[((a + b) % p) * d + j] += X[(a * p + b) * d + j] / p;
  const dims = classDimensionality(X, mu, p, d);
  const dims32 = classDimensionality(X, mu, p, d, loadKernels({ quiet: true }));
  for (let c = 0; c < p; c++) {
    const C = new Float64Array(d * d);
    for (let a = 0; a < p; a++) {
      const o = (a * p + ((c - a + p) % p)) * d;
      for (let u = 0; u < d; u++) for (let w = 0; w < d; w++) C[u * d + w] += ((X[o + u] - mu[c * d + u]) * (X[o + w] - mu[c * d + w])) / p;
    }
    let tr = 0, fro = 0;
    for (let u = 0; u < d; u++) { tr += C[u * d + u]; for (let w = 0; w < d; w++) fro += C[u * d + w] ** 2; }
    relClose(dims[c], (tr * tr) / fro, 1e-12, `class ${c}`);
    relClose(dims32[c], (tr * tr) / fro, 1e-5, `class ${c}, the engine's float32 Gram`);
    assert.ok(dims[c] > 1 && dims[c] <= p - 1, 'p centred samples span at most p − 1 dimensions');
  }
});

test('the four sites are the plain float64 model\'s resid_pre, hook_attn_out, post-ReLU neurons and resid_post: class centroids agree', () => {
  const k = new ReferenceKernels('f64');
  const params = f64Params(tiny, 21, 0.8);
  const { p, dModel: d, dMlp: m } = tiny;
  const N = p * p;
  const f = forward(k, params, computeTables(k, params), makeBatch(p, Int32Array.from({ length: N }, (_, i) => i)), new Workspace(k, params, N), false);
  const S = reprSiteSamples(params, f);
  const t = params.t;
  const x2 = Array.from({ length: d }, (_, j) => t['embed.W_E'][p * d + j] + t['pos_embed.W_pos'][2 * d + j]);
  const want = { resid_pre: new Float64Array(p * d), attn_out: new Float64Array(p * d), mlp_out: new Float64Array(p * m), resid_post: new Float64Array(p * d) };
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    let attn: number[] = [];
    const logits = plainLogits(params, a, b, { attnOut: (x) => (attn = x.slice(), x) }); // the last call is the last position's
    const c = (a + b) % p, r = x2.map((v, j) => v + attn[j]), post = new Float64Array(m), fin = r.slice();
    for (let n = 0; n < m; n++) {
      let pre = t['blocks.0.mlp.b_in'][n];
      for (let j = 0; j < d; j++) pre += r[j] * t['blocks.0.mlp.W_in'][j * m + n];
      post[n] = Math.max(0, pre);
      for (let j = 0; j < d; j++) fin[j] += post[n] * t['blocks.0.mlp.W_out'][n * d + j];
    }
    for (let j = 0; j < d; j++) fin[j] += t['blocks.0.mlp.b_out'][j];
    for (let o = 0; o < p; o++) { let z = t['unembed.b_U'][o]; for (let j = 0; j < d; j++) z += fin[j] * t['unembed.W_U'][j * p + o]; relClose(z, logits[o], 1e-9, 'the written-out pass is the plain model'); }
    for (let j = 0; j < d; j++) { want.resid_pre[c * d + j] += x2[j] / p; want.attn_out[c * d + j] += attn[j] / p; want.resid_post[c * d + j] += fin[j] / p; }
    for (let n = 0; n < m; n++) want.mlp_out[c * m + n] += post[n] / p;
  }
  for (const site of ['resid_pre', 'attn_out', 'mlp_out', 'resid_post'] as const) {
    assert.equal(S[site].d, site === 'mlp_out' ? m : d);
    const got = reprSiteMeasures(S[site].X, p, S[site].d).centroids;
    for (let i = 0; i < want[site].length; i++) assert.ok(Math.abs(got[i] - want[site][i]) < 1e-9, `${site} ${i}: ${got[i]} vs ${want[site][i]}`);
  }
  // The radius statistic is the one representation_geometry computes at resid_post (one shared function).
  const rp = reprSiteMeasures(S.resid_post.X, p, d), g = classGeometry(S.resid_post.X, p, d);
  assert.deepEqual(Array.from(rp.radii), Array.from(g.classRadius));
  assert.equal(rp.scalars.fisher_mean, g.fisherMean);
});

test('repr_geometry is registered once, at the checkpoint tier, with MIScope\'s 56 summary keys in its order', () => {
  assert.equal(findAnalyzer(REPR_GEOMETRY), reprGeometryAnalyzer);
  assert.equal(reprGeometryAnalyzer.tier, 'checkpoint');
  const keys = reprGeometrySummaryKeys();
  assert.equal(keys.length, 4 * 11 + 4 * 3);
  assert.deepEqual(keys.slice(0, 2), ['resid_pre_mean_radius', 'resid_pre_mean_dim']);
  assert.equal(keys[44], 'resid_pre_pca_var_pc1');
});

test('circularity crossovers: attn_out rising above and falling below each reference site, a tie counted as MIScope counts it, events sorted by epoch', () => {
  const epochs = [0, 10, 20, 30, 40, 50];
  const attn = [0.1, 0.5, 0.5, 0.2, 0.9, 0.9];
  const mlp = [0.3, 0.3, 0.3, 0.3, 0.3, 0.3];  // below, above, above, below, above, above
  const post = [0.1, 0.4, 0.6, 0.6, 0.6, 1.0]; // equal, above, below, below, above, below
  const ev = circularityCrossovers(epochs, attn, { mlp_out: mlp, resid_post: post });
  assert.deepEqual(ev, [
    { epoch: 10, direction: 'rise', site: 'mlp_out' }, { epoch: 10, direction: 'rise', site: 'resid_post' },
    { epoch: 20, direction: 'fall', site: 'resid_post' },
    { epoch: 30, direction: 'fall', site: 'mlp_out' },
    { epoch: 40, direction: 'rise', site: 'mlp_out' }, { epoch: 40, direction: 'rise', site: 'resid_post' },
    { epoch: 50, direction: 'fall', site: 'resid_post' },
  ]);
});

test('collinear centroids (class c at (c − (p−1)/2)·u): no circle, circularity 0 (the top-2 plane has no second axis); PC1 holds all the variance', () => {
  const p = 11, d = 3, X = new Float64Array(p * p * d);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const c = (a + b) % p, o = (a * p + b) * d;
    X[o] = (c - (p - 1) / 2) * 0.6; X[o + 1] = (c - (p - 1) / 2) * 0.8; X[o + 2] = 0.25 * Math.cos((2 * Math.PI * a) / p);
  }
  const S = reprSiteMeasures(X, p, d).scalars;
  assert.ok(S.circularity < 1e-12, `circularity ${S.circularity}`);
  relClose(S.pca_var_pc1, 1, 1e-12, 'pc1');
  // Centroid variance mean_c (c − 5)² = (p² − 1)/12 along u; class noise 0.25²/2 in one dimension: dim 1.
  relClose(S.center_spread, Math.sqrt((p * p - 1) / 12), 1e-12, 'center spread');
  relClose(S.mean_dim, 1, 1e-12, 'mean dim');
  relClose(S.snr, ((p * p - 1) / 12) / (0.25 ** 2 / 2), 1e-12, 'snr');
});
