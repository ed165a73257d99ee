import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CENTROID_SITES, type CentroidSite, classCentroids, pooledCentroidPca } from '../../../src/analysis/library/global-centroid-pca.js';
import { GLOBAL_CENTROID_PCA, type GlobalCentroidPcaSummary, readGlobalCentroidPca } from '../../../src/analysis/analyzers/global-centroid-pca.js';
import { ACTIVATION_DMD, type ActivationDmdSummary } from '../../../src/analysis/analyzers/activation-dmd.js';
import { analyseRuns } from '../../../src/analysis/pipeline.js';
import { Params } from '../../../src/model/params.js';
import { Store } from '../../../src/store/store.js';
import { paramsAlong, syntheticRun } from '../synthetic-run.js';
import { normal, randomParams, rng, smallConfig } from '../helpers.js';

/** The last position's activations at the four sites for input (a, b), float64, written from docs/design.md §1 (not src/model). */
function sitesAt(params: Params, a: number, b: number): Record<CentroidSite, number[]> {
  const { p, dModel: d, nHeads: H, dHead: dh, dMlp: m } = params.config;
  const t = params.t;
  const x = [a, b, p].map((tok, pos) => Array.from({ length: d }, (_, j) => t['embed.W_E'][tok * d + j] + t['pos_embed.W_pos'][pos * d + j]));
  const lin = (W: ArrayLike<number>, bias: ArrayLike<number>, h: number, v: number[]) => Array.from({ length: dh }, (_, e) => {
    let s = bias[h * dh + e];
    for (let j = 0; j < d; j++) s += v[j] * W[(h * d + j) * dh + e];
    return s;
  });
  const attn = Array.from({ length: d }, (_, j) => t['blocks.0.attn.b_O'][j]);
  for (let h = 0; h < H; h++) {
    const q = lin(t['blocks.0.attn.W_Q'], t['blocks.0.attn.b_Q'], h, x[2]);
    const sc = x.map((xs) => lin(t['blocks.0.attn.W_K'], t['blocks.0.attn.b_K'], h, xs).reduce((acc, k, e) => acc + k * q[e], 0) / Math.sqrt(dh));
    const mx = Math.max(...sc), w = sc.map((s) => Math.exp(s - mx)), z = w.reduce((u, v) => u + v, 0);
    const mix = new Array<number>(dh).fill(0);
    x.forEach((xs, s) => lin(t['blocks.0.attn.W_V'], t['blocks.0.attn.b_V'], h, xs).forEach((v, e) => { mix[e] += (w[s] / z) * v; }));
    for (let j = 0; j < d; j++) for (let e = 0; e < dh; e++) attn[j] += mix[e] * t['blocks.0.attn.W_O'][(h * dh + e) * d + j];
  }
  const mid = x[2].map((v, j) => v + attn[j]);
  const post = Array.from({ length: m }, (_, n) => {
    let s = t['blocks.0.mlp.b_in'][n];
    for (let j = 0; j < d; j++) s += mid[j] * t['blocks.0.mlp.W_in'][j * m + n];
    return Math.max(0, s);
  });
  const mlp = Array.from({ length: d }, (_, j) => {
    let s = t['blocks.0.mlp.b_out'][j];
    for (let n = 0; n < m; n++) s += post[n] * t['blocks.0.mlp.W_out'][n * d + j];
    return s;
  });
  return { resid_pre: x[2], attn_out: attn, mlp_out: mlp, resid_post: mid.map((v, j) => v + mlp[j]) };
}

/** Eigenvalues (descending) of a symmetric 3 × 3 matrix in closed form (the trigonometric solution of its characteristic cubic). */
function eig3(A: number[][]): number[] {
  const q = (A[0][0] + A[1][1] + A[2][2]) / 3;
  const p1 = A[0][1] ** 2 + A[0][2] ** 2 + A[1][2] ** 2;
  const p2 = (A[0][0] - q) ** 2 + (A[1][1] - q) ** 2 + (A[2][2] - q) ** 2 + 2 * p1;
  const pp = Math.sqrt(p2 / 6);
  const Bm = A.map((row, i) => row.map((v, j) => (v - (i === j ? q : 0)) / pp));
  const det = Bm[0][0] * (Bm[1][1] * Bm[2][2] - Bm[1][2] * Bm[2][1]) - Bm[0][1] * (Bm[1][0] * Bm[2][2] - Bm[1][2] * Bm[2][0]) + Bm[0][2] * (Bm[1][0] * Bm[2][1] - Bm[1][1] * Bm[2][0]);
  const phi = Math.acos(Math.max(-1, Math.min(1, det / 2))) / 3;
  const l1 = q + 2 * pp * Math.cos(phi), l3 = q + 2 * pp * Math.cos(phi + (2 * Math.PI) / 3);
  return [l1, 3 * q - l1 - l3, l3];
}

/** Top eigenpairs of a symmetric matrix by power iteration with deflation (an independent route). */
function powerEigen(C: Float64Array, d: number, count: number, seed: number): { values: number[]; vectors: Float64Array[] } {
  const g = normal(rng(seed));
  const A = Float64Array.from(C);
  const values: number[] = [], vectors: Float64Array[] = [];
  for (let c = 0; c < count; c++) {
    let v = Float64Array.from({ length: d }, () => g());
    let lam = 0;
    for (let it = 0; it < 20000; it++) {
      const w = new Float64Array(d);
      for (let i = 0; i < d; i++) { let s = 0; for (let j = 0; j < d; j++) s += A[i * d + j] * v[j]; w[i] = s; }
      for (const u of vectors) { let dd = 0; for (let i = 0; i < d; i++) dd += w[i] * u[i]; for (let i = 0; i < d; i++) w[i] -= dd * u[i]; }
      const nr = Math.hypot(...w);
      const next = w.map((x) => x / nr);
      const change = Math.min(Math.hypot(...next.map((x, i) => x - v[i])), Math.hypot(...next.map((x, i) => x + v[i])));
      v = next; lam = nr;
      if (change < 1e-13) break;
    }
    values.push(lam); vectors.push(v);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) A[i * d + j] -= lam * v[i] * v[j];
  }
  return { values, vectors };
}

test('pooledCentroidPca: points on known orthogonal axes give those axes, variances and the 95 % cut; no variance gives one component', () => {
  // 3 epochs × 4 classes in d = 5: μ + s1·q1·u1 + s2·q2·u2 + s3·q3·u3 with tiny s3.
  const d = 5, p = 4, n = 3;
  const u = [[1, 0, 0, 0, 0], [0, 0.6, 0.8, 0, 0], [0, 0.8, -0.6, 0, 0]];
  const mu = [2, -1, 0.5, 3, 1];
  const coef = Array.from({ length: n * p }, (_, i) => [Math.cos(i), Math.sin(2 * i), Math.cos(3 * i + 1)]);
  const s = [10, 3, 0.1];
  const epochs = Array.from({ length: n }, (_, e) => Float64Array.from({ length: p * d }, (_, k) => {
    const i = e * p + Math.floor(k / d), j = k % d;
    return mu[j] + s.reduce((acc, sc, c) => acc + sc * coef[i][c] * u[c][j], 0);
  }));
  const r = pooledCentroidPca(epochs, p, d, 0.95);
  // Direct: centred coefficients, their covariance in the u basis.
  const N = n * p;
  const cm = [0, 1, 2].map((c) => coef.reduce((a, x) => a + x[c], 0) / N);
  const cov = [0, 1, 2].map((a) => [0, 1, 2].map((b) => coef.reduce((acc, x) => acc + s[a] * (x[a] - cm[a]) * s[b] * (x[b] - cm[b]), 0) / (N - 1)));
  const total = cov[0][0] + cov[1][1] + cov[2][2];
  assert.ok(r.explained_variance_ratio.reduce((a, x) => a + x, 0) >= 0.95);
  assert.ok(r.n_components <= 3 && r.n_components >= 1);
  // The variances are the covariance's eigenvalues: with the three axes orthonormal, those of the 3 × 3 coefficient covariance.
  const ev = eig3(cov);
  for (let c = 0; c < r.n_components; c++) {
    assert.ok(Math.abs(r.explained_variance[c] - ev[c]) < 1e-9 * total, `variance ${c}: ${r.explained_variance[c]} vs ${ev[c]}`);
    assert.ok(Math.abs(r.explained_variance_ratio[c] - ev[c] / total) < 1e-12);
  }
  let cumWant = 0, kWant = 3;
  for (let c = 0; c < 3; c++) { cumWant += ev[c] / total; if (cumWant >= 0.95) { kWant = c + 1; break; } }
  assert.equal(r.n_components, kWant);
  for (let j = 0; j < d; j++) assert.ok(Math.abs(r.mean[j] - (mu[j] + s.reduce((acc, sc, c) => acc + sc * cm[c] * u[c][j], 0))) < 1e-12);
  // Each kept axis lies in span(u) and projections reproduce the centred points' components on it.
  for (let c = 0; c < r.n_components; c++) {
    let inSpan = 0;
    for (const ax of u) { let dd = 0; for (let j = 0; j < d; j++) dd += ax[j] * r.basis[j * r.n_components + c]; inSpan += dd * dd; }
    assert.ok(Math.abs(inSpan - 1) < 1e-12, `axis ${c} in span`);
  }
  for (let i = 0; i < N; i++) for (let c = 0; c < r.n_components; c++) {
    let want = 0;
    for (let j = 0; j < d; j++) want += (epochs[Math.floor(i / p)][(i % p) * d + j] - r.mean[j]) * r.basis[j * r.n_components + c];
    assert.ok(Math.abs(r.projections[i * r.n_components + c] - want) < 1e-12);
  }
  const flat = pooledCentroidPca([new Float64Array(p * d).fill(1), new Float64Array(p * d).fill(1)], p, d);
  assert.equal(flat.n_components, 1);
  assert.deepEqual(Array.from(flat.explained_variance_ratio), [0]);
  // Class centroids: the mean of each class's p pairs.
  const P = 5;
  const X = Float64Array.from({ length: P * P * 2 }, (_, k) => (Math.floor(k / 2) % P) * 10 + Math.floor(k / (2 * P)) + (k % 2));
  const c = classCentroids(X, P, 2);
  for (let cl = 0; cl < P; cl++) {
    let want = 0;
    for (let a = 0; a < P; a++) want += X[(a * P + ((cl - a + P) % P)) * 2] / P;
    assert.ok(Math.abs(c[cl * 2] - want) < 1e-12);
  }
});

test('global_centroid_pca through the pipeline equals direct float64 centroids of a plain forward pass and a covariance eigen-decomposition by power iteration (subspaces up to sign), and activation_dmd reads it', async () => {
  const c = smallConfig(11, 16, 32);
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-gcpca-'));
  const store = Store.open(dir);
  try {
    const runId = 'gcp';
    const A = randomParams(c, 201), B = randomParams(c, 202), base = randomParams(c, 200);
    const all = [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300];
    const params: Params<Float32Array>[] = [];
    const add = syntheticRun(store, runId, c, 1400, (epoch) => {
      const t = epoch / 500;
      const pr = paramsAlong(c, (i) => base.flat[i] + Math.sin(t) * A.flat[i] + (1 - Math.cos(t)) * B.flat[i]);
      params.push(pr);
      return pr;
    });
    add(all.slice(0, 9));
    await analyseRuns(store, [runId], { jobs: 1 });
    add(all.slice(9));
    store.appendMetrics(runId, [{ epoch: 1300, train_loss: 1, train_acc: 0, test_loss: 1, test_acc: 0 }]);
    await analyseRuns(store, [runId], { jobs: 1 });
    const rows = store.getAnalyses<GlobalCentroidPcaSummary>(runId, GLOBAL_CENTROID_PCA);
    assert.deepEqual(rows.map((r) => r.epoch), all);
    const got = readGlobalCentroidPca(store, runId)!;
    assert.deepEqual(got.epochs, all);
    assert.equal(got.rowsLeftOut, 0);

    // Independent: each checkpoint's centroids from the plain float64 forward pass.
    const p = c.p, d = c.dModel, n = all.length;
    const direct = params.map((pr) => {
      const sums = Object.fromEntries(CENTROID_SITES.map((s) => [s, new Float64Array(p * d)])) as Record<CentroidSite, Float64Array>;
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
        const acts = sitesAt(pr, a, b), cl = (a + b) % p;
        for (const s of CENTROID_SITES) for (let j = 0; j < d; j++) sums[s][cl * d + j] += acts[s][j] / p;
      }
      return sums;
    });
    for (const s of CENTROID_SITES) {
      // Displacement summary: RMS over classes of the centroids' move since the previous checkpoint.
      for (let e = 1; e < n; e++) {
        let sq = 0;
        for (let i = 0; i < p * d; i++) sq += (direct[e][s][i] - direct[e - 1][s][i]) ** 2;
        const want = Math.sqrt(sq / p), have = rows[e].summary.sites[s].displacement!;
        assert.ok(Math.abs(have - want) <= 1e-4 * want + 1e-6, `${s} displacement at ${all[e]}: ${have} vs ${want}`);
      }
      assert.equal(rows[0].summary.sites[s].displacement, null);
      // Pooled covariance directly, its eigenpairs by power iteration.
      const mean = new Float64Array(d);
      for (const C of direct) for (let i = 0; i < p * d; i++) mean[i % d] += C[s][i] / (n * p);
      const cov = new Float64Array(d * d);
      for (const C of direct) for (let cl = 0; cl < p; cl++) for (let x = 0; x < d; x++) for (let y = 0; y < d; y++) {
        cov[x * d + y] += ((C[s][cl * d + x] - mean[x]) * (C[s][cl * d + y] - mean[y])) / (n * p - 1);
      }
      let total = 0;
      for (let x = 0; x < d; x++) total += cov[x * d + x];
      const g = got.sites[s];
      const pe = powerEigen(cov, d, Math.min(d, g.n_components + 1), 17);
      let cum = 0, want_k = pe.values.length;
      for (let k = 0; k < pe.values.length; k++) { cum += pe.values[k] / total; if (cum >= 0.95) { want_k = k + 1; break; } }
      assert.equal(g.n_components, want_k, `${s}: components at 95 %`);
      const scale = Math.sqrt(pe.values[0]);
      for (let k = 0; k < g.n_components; k++) {
        assert.ok(Math.abs(g.explained_variance_ratio[k] - pe.values[k] / total) < 1e-4, `${s} ratio ${k}: ${g.explained_variance_ratio[k]} vs ${pe.values[k] / total}`);
        // Axis k up to sign (eigenvalues here are distinct: power iteration found them apart).
        let dot = 0;
        for (let j = 0; j < d; j++) dot += g.basis[j * g.n_components + k] * pe.vectors[k][j];
        assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-3, `${s} axis ${k}: |cos| = ${Math.abs(dot)}`);
        const sg = Math.sign(dot);
        for (let e = 0; e < n; e += 3) for (let cl = 0; cl < p; cl += 2) {
          let want = 0;
          for (let j = 0; j < d; j++) want += (direct[e][s][cl * d + j] - mean[j]) * pe.vectors[k][j];
          const have = g.projections[(e * p + cl) * g.n_components + k];
          assert.ok(Math.abs(sg * have - want) < 2e-3 * scale, `${s} projection e=${all[e]} c=${cl} pc${k}: ${sg * have} vs ${want}`);
        }
      }
      // resid_pre is one point per checkpoint: every class has the same coordinates.
      if (s === 'resid_pre') for (let cl = 1; cl < p; cl++) assert.ok(Math.abs(g.projections[cl * g.n_components] - g.projections[0]) < 1e-9 * scale);
    }

    // activation_dmd (a run analyzer) ran on the stored rows: one row, every site, windows of 10 over 14 checkpoints.
    const dmd = store.getAnalyses<ActivationDmdSummary>(runId, ACTIVATION_DMD);
    assert.equal(dmd.length, 1);
    const sum = dmd[0].summary;
    assert.deepEqual(sum.epochs, all);
    for (const s of CENTROID_SITES) {
      const site = sum.sites![s];
      assert.equal(site.n_components, got.sites[s].n_components);
      assert.deepEqual(site.windowed.window_starts, [0, 1, 2, 3, 4]);
      assert.equal(site.per_regime.segment_starts.length, site.regimes.boundary_indices.length + 1);
    }
    // A third analysis with nothing new reuses the row (same fingerprint).
    await analyseRuns(store, [runId], { jobs: 1 });
    assert.equal(store.getAnalyses<ActivationDmdSummary>(runId, ACTIVATION_DMD)[0].summary.input_fingerprint, sum.input_fingerprint);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
