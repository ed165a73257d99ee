import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { symmetricEigenJacobi as symmetricEigen, symmetricEigensystem } from '../../../src/math/linalg.js';
import {
  TRAJECTORY_GROUPS, assembleSymmetric, deltaFrom, flattenWeights, gramRow, groupLayout, pcaFromGram, trajectoryFromGram,
} from '../../../src/analysis/library/parameter-trajectory.js';
import { PARAMETER_TRAJECTORY, parameterTrajectoryAnalyzer, readParameterTrajectory } from '../../../src/analysis/analyzers/parameter-trajectory.js';
import { DEFAULT_OPTIONS } from '../../../src/analysis/protocol/analyzer.js';
import { analyseRuns } from '../../../src/analysis/pipeline.js';
import { loadCheckpoint, saveCheckpoint } from '../../../src/model/checkpoint.js';
import { Store } from '../../../src/store/store.js';
import { paramsAlong, syntheticRun } from '../synthetic-run.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../../src/io/safetensors.js';
import { normal, randomParams, rng, smallConfig } from '../helpers.js';

/** Orthonormal rows (Gram–Schmidt of random vectors). */
function orthonormal(k: number, P: number, seed: number, first: Float64Array[] = []): Float64Array[] {
  const g = normal(rng(seed));
  const out: Float64Array[] = [...first];
  while (out.length < k) {
    const v = Float64Array.from({ length: P }, () => g());
    for (const u of out) { let d = 0; for (let t = 0; t < P; t++) d += v[t] * u[t]; for (let t = 0; t < P; t++) v[t] -= d * u[t]; }
    const nrm = Math.hypot(...v);
    out.push(v.map((x) => x / nrm));
  }
  return out;
}

test('PCA through the centred Gram matrix: known axes and variances, and direct covariance eigendecomposition (Jacobi, P × P) agree', () => {
  // n = 8 points μ + Σ_c s_c·q_c[i]·u_c with orthonormal axes u_c in P = 6 dimensions and zero-mean,
  // mutually orthogonal unit coefficient sequences q_c (random, orthogonalised against 1), so PC c has variance s_c²/(n − 1)
  // and coordinates s_c·q_c[i] up to sign.
  const n = 8, P = 6;
  const s = [5, 2, 0.5];
  const q = orthonormal(4, n, 3, [Float64Array.from({ length: n }, () => 1 / Math.sqrt(n))]).slice(1);
  const u = orthonormal(3, P, 7);
  const mu = [3, -1, 2, 0.5, 4, -2];
  const X = Array.from({ length: n }, (_, i) => Float64Array.from({ length: P }, (_, t) => mu[t] + s.reduce((acc, sc, c) => acc + sc * q[c][i] * u[c][t], 0)));
  const G = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) G[i * n + j] = X[i].reduce((acc, x, t) => acc + x * X[j][t], 0);
  const pca = pcaFromGram(G, n, 10);
  assert.equal(pca.k, n);
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(pca.explainedVariance[c] - s[c] ** 2 / (n - 1)) < 1e-9, `variance ${c}: ${pca.explainedVariance[c]}`);
    const sign = Math.sign(pca.projections[0 * n + c] || 1) * Math.sign(q[c][0]);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(pca.projections[i * pca.k + c] - sign * s[c] * q[c][i]) < 1e-9, `coordinate ${i},${c}`);
    // Sign convention: the largest |coordinate| is positive.
    const col = Array.from({ length: n }, (_, i) => pca.projections[i * pca.k + c]);
    const big = col.reduce((b, x) => (Math.abs(x) > Math.abs(b) + 1e-12 ? x : b), 0);
    assert.ok(big > 0, `component ${c}: largest |coordinate| ${big}`);
  }
  const tot = s.reduce((a, x) => a + x * x, 0);
  s.forEach((sc, c) => assert.ok(Math.abs(pca.explainedVarianceRatio[c] - (sc * sc) / tot) < 1e-12));
  for (let c = 3; c < n; c++) assert.ok(pca.explainedVariance[c] < 1e-9);

  // Direct: covariance C = X_cᵀX_c/(n − 1) (P × P), eigendecomposed by cyclic Jacobi; coordinates X_c·v.
  const mean = Array.from({ length: P }, (_, t) => X.reduce((a, x) => a + x[t], 0) / n);
  const C = new Float64Array(P * P);
  for (const x of X) for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) C[a * P + b] += ((x[a] - mean[a]) * (x[b] - mean[b])) / (n - 1);
  const { values, vectors } = symmetricEigen(C, P);
  const order = Array.from(values, (_, i) => i).sort((a, b) => values[b] - values[a]);
  for (let c = 0; c < 3; c++) {
    const lam = values[order[c]];
    assert.ok(Math.abs(pca.explainedVariance[c] - lam) < 1e-9 * Math.max(1, lam));
    const proj = X.map((x) => x.reduce((a, xv, t) => a + (xv - mean[t]) * vectors[t * P + order[c]], 0));
    const sg = Math.sign(proj[0]) === Math.sign(pca.projections[c]) ? 1 : -1;
    proj.forEach((v, i) => assert.ok(Math.abs(sg * v - pca.projections[i * pca.k + c]) < 1e-9, `direct coordinate ${i},${c}`));
  }
  // A common shift of the vectors (here: minus the first) leaves the PCA unchanged.
  const Gs = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Gs[i * n + j] = X[i].reduce((acc, x, t) => acc + (x - X[0][t]) * (X[j][t] - X[0][t]), 0);
  const shifted = pcaFromGram(Gs, n, 3);
  for (let i = 0; i < n * 3; i++) assert.ok(Math.abs(shifted.projections[i] - pca.projections[Math.floor(i / 3) * pca.k + (i % 3)]) < 1e-9);
});

test('Householder + QL eigensystem equals cyclic Jacobi and its vectors are orthonormal eigenvectors', () => {
  const r = rng(11);
  for (const n of [1, 2, 5, 30, 90]) {
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = r() * 2 - 1;
    if (n === 5) A.fill(0, 0, n); // a zero row/column exercises the scale = 0 branch
    if (n === 5) for (let i = 0; i < n; i++) A[i * n] = 0;
    const { values, vectors } = symmetricEigensystem(A, n);
    const want = Array.from(symmetricEigen(A, n).values).sort((x, y) => y - x);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(values[i] - want[i]) < 1e-10, `n=${n} λ${i}: ${values[i]} vs ${want[i]}`);
    for (let c = 0; c < n; c++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += A[i * n + j] * vectors[j * n + c];
        assert.ok(Math.abs(av - values[c] * vectors[i * n + c]) < 1e-10, `n=${n} (Av − λv)[${i}] for λ${c}`);
      }
      for (let d = 0; d <= c; d++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vectors[i * n + c] * vectors[i * n + d];
        assert.ok(Math.abs(dot - (c === d ? 1 : 0)) < 1e-10);
      }
    }
  }
});

test('Gram rows per part equal float64 dot products, and the groups partition the nine weight matrices', () => {
  const c = smallConfig(11, 16, 32);
  const layout = groupLayout(c);
  const sizes = { embedding: 12 * 16 + 3 * 16 + 16 * 11, attention: 4 * 2 * 16 * 8, mlp: 2 * 16 * 32 };
  for (const part of ['embedding', 'attention', 'mlp'] as const) assert.equal(layout.bounds[part][1] - layout.bounds[part][0], sizes[part]);
  const thetas = [0, 1, 2, 3, 4, 5].map((sd) => flattenWeights(randomParams(c, sd)));
  const ref = thetas[0];
  const ds = thetas.map((t) => deltaFrom(t, ref));
  const row = gramRow(ds[5], ds, layout);
  for (const part of ['embedding', 'attention', 'mlp'] as const) {
    const [s, e] = layout.bounds[part];
    ds.forEach((d, j) => {
      let want = 0;
      for (let t = s; t < e; t++) want += (thetas[5][t] - ref[t]) * (thetas[j][t] - ref[t]);
      assert.ok(Math.abs(row[part][j] - want) <= 1e-6 * Math.abs(want) + 1e-9, `${part} j=${j}: ${row[part][j]} vs ${want}`);
    });
  }
  // Velocity: ‖θ_{i+1} − θ_i‖/Δepoch; the "all" group sums the parts.
  const epochs = [0, 10, 30];
  const gram = { embedding: new Float64Array(9), attention: new Float64Array(9), mlp: new Float64Array(9) };
  const stepSq = { embedding: [4, 9], attention: [0, 16], mlp: [5, 0] };
  const tr = trajectoryFromGram(epochs, gram, stepSq);
  assert.deepEqual(Array.from(tr.groups.all.velocity), [3 / 10, 5 / 20]);
  assert.deepEqual(Array.from(tr.groups.embedding.velocity), [2 / 10, 3 / 20]);
  assert.deepEqual(Array.from(tr.groups.mlp.velocity), [Math.sqrt(5) / 10, 0]);
});

test('parameter_trajectory through the pipeline: stored rows give the float64 PCA and velocity of the checkpoints, and appending checkpoints analyses only the new ones', async () => {
  const c = smallConfig(11, 16, 32);
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-trajectory-'));
  const store = Store.open(dir);
  try {
    const runId = 'traj';
    // A curved path: θ(t) = θ_0 + sin(t)·A + (1 − cos t)·B + small noise, t over the epochs.
    const A = randomParams(c, 101), B = randomParams(c, 102), base = randomParams(c, 100);
    const g = normal(rng(5));
    const all = [0, 100, 200, 300, 500, 700, 900];
    const add = syntheticRun(store, runId, c, 900, (epoch) => {
      const t = epoch / 300;
      return paramsAlong(c, (i) => base.flat[i] + Math.sin(t) * A.flat[i] + (1 - Math.cos(t)) * 0.5 * B.flat[i] + 0.01 * g());
    });
    add(all.slice(0, 4));
    await analyseRuns(store, [runId], { jobs: 2 });
    add(all.slice(4));
    const second = await analyseRuns(store, [runId], { jobs: 1 });
    assert.equal(second.tasks, 3, 'only the appended checkpoints are analysed');
    const tr = readParameterTrajectory(store, runId, 4)!;
    assert.equal(tr.rowsLeftOut, 0);
    assert.deepEqual(tr.epochs, all);

    // Independent: float64 vectors from the checkpoint files, centred, Gram and steps directly.
    const layout = groupLayout(c);
    const thetas = all.map((e) => Float64Array.from(flattenWeights(loadCheckpoint(store.checkpointPath(runId, e)).params)));
    const n = all.length;
    for (const group of TRAJECTORY_GROUPS) {
      const ranges = group === 'all' ? [[0, layout.size]] : [layout.bounds[group]];
      const mean = new Float64Array(layout.size);
      for (const th of thetas) for (let t = 0; t < th.length; t++) mean[t] += th[t] / n;
      const rows = thetas.map((x, i) => Float64Array.from({ length: i + 1 }, (_, j) => {
        let d = 0;
        for (const [s, e] of ranges) for (let t = s; t < e; t++) d += (x[t] - mean[t]) * (thetas[j][t] - mean[t]);
        return d;
      }));
      const want = pcaFromGram(assembleSymmetric(rows), n, 4);
      const got = tr.groups[group].pca;
      for (let k = 0; k < 4; k++) {
        assert.ok(Math.abs(got.explainedVarianceRatio[k] - want.explainedVarianceRatio[k]) < 1e-5, `${group} ratio ${k}`);
        assert.ok(Math.abs(got.explainedVariance[k] - want.explainedVariance[k]) < 1e-5 * want.explainedVariance[0], `${group} variance ${k}`);
      }
      for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) {
        const scale = Math.sqrt(want.explainedVariance[0]);
        assert.ok(Math.abs(got.projections[i * 4 + k] - want.projections[i * 4 + k]) < 1e-4 * scale, `${group} coordinate ${i},${k}`);
      }
      for (let i = 0; i + 1 < n; i++) {
        let sq = 0;
        for (const [s, e] of ranges) for (let t = s; t < e; t++) sq += (thetas[i + 1][t] - thetas[i][t]) ** 2;
        const v = Math.sqrt(sq) / (all[i + 1] - all[i]);
        assert.ok(Math.abs(tr.groups[group].velocity[i] - v) < 1e-9 * v, `${group} velocity ${i}`);
      }
    }
    // The curve dominates: two components carry most of the variance of "all".
    assert.ok(tr.groups.all.pca.explainedVarianceRatio[0] + tr.groups.all.pca.explainedVarianceRatio[1] > 0.9);
    // Stored rows are readable as artifacts: the last row has one entry per checkpoint.
    const last = store.getAnalyses(runId, PARAMETER_TRAJECTORY).at(-1)!;
    assert.equal(last.epoch, 900);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('F64 artifact tensors (the Gram rows) read back exactly with getFloat64', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-f64-'));
  try {
    const x = Float64Array.of(1 / 3, Math.PI * 1e10, -(2 ** -40) - 2 ** -80, 0);
    const path = join(dir, 'a.safetensors');
    writeSafetensorsFile(path, { g: { dtype: 'F64', shape: [4], data: x }, h: { dtype: 'F32', shape: [2], data: Float32Array.of(0.1, 2) } }, {});
    const f = readSafetensorsFile(path);
    assert.deepEqual(Array.from(f.getFloat64('g')), Array.from(x));
    assert.notEqual(f.getFloat32('g')[0], x[0]);
    assert.deepEqual(Array.from(f.getFloat64('h')), [Math.fround(0.1), 2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the cross-epoch pass emits exactly the epochs asked for, in order, with the rows a full pass gives them', () => {
  const c = smallConfig(7, 8, 16);
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-trajectory-pass-'));
  const store = Store.open(join(dir, 'store'));
  try {
    const checkpoints = [0, 50, 100, 250, 400].map((epoch, i) => {
      const path = join(dir, `epoch-${String(epoch).padStart(6, '0')}.safetensors`);
      saveCheckpoint(path, randomParams(c, 40 + i), { epoch: String(epoch) });
      return { epoch, path };
    });
    const pass = (todo: number[]) => {
      const out: { epoch: number; gram: number[]; prev: number | null }[] = [];
      parameterTrajectoryAnalyzer.analyseEpochs({ runId: 'x', checkpoints, todo: new Set(todo), options: DEFAULT_OPTIONS, store }, (epoch, o) => {
        out.push({ epoch, gram: Array.from(o.tensors.gram_mlp.data as Float64Array), prev: (o.summary as { previous_epoch: number | null }).previous_epoch });
      });
      return out;
    };
    const full = pass([0, 50, 100, 250, 400]);
    assert.deepEqual(full.map((r) => r.epoch), [0, 50, 100, 250, 400]);
    assert.deepEqual(full.map((r) => r.prev), [null, 0, 50, 100, 250]);
    assert.deepEqual(full.map((r) => r.gram.length), [1, 2, 3, 4, 5]);
    const some = pass([250, 50]);
    assert.deepEqual(some, [full[1], full[3]]);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
