/**
 * The frequency-group geometry analyzers (neuron_group_pca, freq_group_weight_geometry,
 * intragroup_manifold) on a small real store analysed by the real pipeline, checked against direct
 * computations from the stored checkpoints and neuron_fourier artifacts; another last checkpoint
 * regroups every row; the three views build through the catalog and every spec renders.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { FREQ_GROUP_WEIGHT_GEOMETRY, type FreqGroupWeightGeometrySummary, freqGroupWeightGeometryAnalyzer } from '../../src/analysis/analyzers/freq-group-weight-geometry.js';
import { INTRAGROUP_MANIFOLD, type IntragroupManifoldSummary } from '../../src/analysis/analyzers/intragroup-manifold.js';
import { NEURON_FOURIER } from '../../src/analysis/analyzers/neuron-fourier.js';
import { NEURON_GROUP_PCA, type NeuronGroupPcaSummary, neuronGroupPcaAnalyzer, readNeuronGroupPca } from '../../src/analysis/analyzers/neuron-group-pca.js';
import { resolveOptions } from '../../src/analysis/pipeline.js';
import { loadKernels } from '../../src/engine/index.js';
import { readSafetensorsFile } from '../../src/io/safetensors.js';
import { symmetricEigenJacobi } from '../../src/math/linalg.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { renderSvg } from '../../src/report/render.js';
import type { Store } from '../../src/store/store.js';
import { buildViews, storedResults, viewEntry, viewHasData } from '../../src/views/index.js';
import { loadRunModel } from '../../src/views/model.js';
import type { Figure } from '../../src/views/types.js';
import { buildFixtureStore } from './fixture.js';

let store: Store, dir: string, runId: string, figures: Figure[];
const VIEWS = ['neuron-group-pca', 'freq-group-weight-geometry', 'intragroup-manifold'];

before(async () => {
  let ids: string[];
  ({ store, dir, runIds: ids } = await buildFixtureStore([{ p: 13, seed: 1, grokAt: 300, epochs: 1100, checkpointEvery: 100, keys: [2, 5] }]));
  runId = ids[0];
  figures = buildViews([loadRunModel(store, runId, 3)], 3, () => loadKernels(), VIEWS, store);
});
after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

/** The groups, by a direct argmax of the last checkpoint's stored neuron_fourier fractions. */
function expectedGroups(): { freqs: number[]; members: number[][] } {
  const last = store.getAnalyses(runId, NEURON_FOURIER).at(-1)!;
  const f = readSafetensorsFile(last.path!), [nF, m] = f.info('frac').shape, frac = f.getFloat64('frac');
  const by: number[][] = Array.from({ length: nF }, () => []);
  for (let n = 0; n < m; n++) {
    const col = Array.from({ length: nF }, (_, k) => frac[k * m + n]);
    by[col.indexOf(Math.max(...col))].push(n);
  }
  const freqs = by.flatMap((ns, k) => (ns.length >= 2 ? [k] : []));
  return { freqs, members: freqs.map((k) => by[k]) };
}

/** Group columns of W_in [d, m] as float64 rows. */
function columns(Win: Float32Array, d: number, m: number, ns: number[]): number[][] {
  return ns.map((n) => Array.from({ length: d }, (_, j) => Win[j * m + n]));
}

test('neuron_group_pca: the groups are the argmax of the last neuron_fourier fractions; pc_var and spread equal an eigendecomposition of each group\'s covariance', () => {
  const want = expectedGroups();
  const rows = store.getAnalyses<NeuronGroupPcaSummary>(runId, NEURON_GROUP_PCA);
  assert.equal(rows.length, 12);
  assert.ok(want.freqs.length >= 1);
  for (const r of rows) { assert.equal(r.summary.reference_epoch, 1100); assert.deepEqual(r.summary.group_freqs, want.freqs); }
  for (const r of [rows[3], rows[11]]) {
    const cp = store.listCheckpoints(runId).find((c) => c.epoch === r.epoch)!;
    const params = loadCheckpoint(cp.path).params, d = params.config.dModel, m = params.config.dMlp;
    want.members.forEach((ns, g) => {
      const X = columns(params.t['blocks.0.mlp.W_in'], d, m, ns);
      const mu = Array.from({ length: d }, (_, j) => X.reduce((a, x) => a + x[j], 0) / X.length);
      const C = new Float64Array(d * d);
      for (const x of X) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) C[a * d + b] += (x[a] - mu[a]) * (x[b] - mu[b]);
      const lam = Array.from(symmetricEigenJacobi(C, d).values).sort((a, b) => b - a);
      const tot = lam.reduce((a, v) => a + v, 0);
      for (let c = 0; c < Math.min(3, ns.length); c++) assert.ok(Math.abs(r.summary.pc_var[g][c]! - lam[c] / tot) < 1e-6, `epoch ${r.epoch} group ${g} pc ${c}`);
      const spread = X.reduce((a, x) => a + Math.hypot(...x.map((v, j) => v - mu[j])), 0) / X.length;
      assert.ok(Math.abs(r.summary.mean_spread[g] - spread) < 1e-6 * Math.max(1, spread));
    });
  }
});

test('neuron_group_pca: projections are (w − last centroid) on the last checkpoint\'s principal axes; the centroid PCA covers every row', () => {
  const rows = store.getAnalyses<NeuronGroupPcaSummary>(runId, NEURON_GROUP_PCA);
  const { members } = expectedGroups();
  const last = readSafetensorsFile(rows.at(-1)!.path!);
  const bases = last.getFloat64('group_bases'), centers = last.getFloat64('group_centers');
  const [G, , d] = last.info('group_bases').shape;
  const lastCp = loadCheckpoint(store.listCheckpoints(runId).at(-1)!.path).params, m = lastCp.config.dMlp;
  members.forEach((ns, g) => {
    // The centre is the group's mean at the last checkpoint; PC1 is the top eigenvector of its covariance there.
    const X = columns(lastCp.t['blocks.0.mlp.W_in'], d, m, ns);
    const mu = Array.from({ length: d }, (_, j) => X.reduce((a, x) => a + x[j], 0) / X.length);
    mu.forEach((v, j) => assert.ok(Math.abs(centers[g * d + j] - v) < 1e-6));
    if (ns.length < 2) return;
    const C = new Float64Array(d * d);
    for (const x of X) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) C[a * d + b] += (x[a] - mu[a]) * (x[b] - mu[b]);
    const e = symmetricEigenJacobi(C, d), top = [...e.values.keys()].sort((a, b) => e.values[b] - e.values[a])[0];
    let dot = 0;
    for (let j = 0; j < d; j++) dot += bases[g * 3 * d + j] * e.vectors[j * d + top];
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-5, `group ${g} PC1 |dot| ${dot}`);
  });
  const early = readSafetensorsFile(rows[2].path!), P = early.getFloat64('projections'), idx = early.getInt32('neuron_group_idx');
  const cp = loadCheckpoint(store.listCheckpoints(runId)[2].path).params, Win = cp.t['blocks.0.mlp.W_in'];
  for (let n = 0; n < m; n++) {
    const g = idx[n];
    if (g < 0) { assert.ok(Number.isNaN(P[3 * n])); continue; }
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let j = 0; j < d; j++) v += bases[(g * 3 + c) * d + j] * (Win[j * m + n] - centers[g * d + j]);
      assert.ok(Math.abs(P[3 * n + c] - v) < 1e-5, `neuron ${n} pc ${c}`);
    }
  }
  const full = readNeuronGroupPca(store, runId)!;
  assert.deepEqual(full.epochs, rows.map((r) => r.epoch));
  assert.equal(full.centroid_pca_coords.length, 12 * G * 3);
  const v = full.centroid_pca_var;
  assert.ok(v[0] >= v[1] && v[1] >= v[2] && v[0] + v[1] + v[2] <= 1 + 1e-9);
});

test('freq_group_weight_geometry: radii and centre spread in W_in and W_out equal direct sums over the checkpoint\'s weights', () => {
  const { freqs, members } = expectedGroups();
  const rows = store.getAnalyses<FreqGroupWeightGeometrySummary>(runId, FREQ_GROUP_WEIGHT_GEOMETRY);
  assert.equal(rows.length, 12);
  const r = rows[6], cp = loadCheckpoint(store.listCheckpoints(runId)[6].path).params;
  const d = cp.config.dModel, m = cp.config.dMlp;
  assert.deepEqual(r.summary.group_freqs, freqs);
  const Wout = cp.t['blocks.0.mlp.W_out'];
  for (const [M, X] of [['Win', members.map((ns) => columns(cp.t['blocks.0.mlp.W_in'], d, m, ns))], ['Wout', members.map((ns) => ns.map((n) => Array.from(Wout.subarray(n * d, n * d + d))))]] as const) {
    const mus = X.map((rowsG) => Array.from({ length: d }, (_, j) => rowsG.reduce((a, x) => a + x[j], 0) / rowsG.length));
    X.forEach((rowsG, g) => {
      const rad = Math.sqrt(rowsG.reduce((a, x) => a + x.reduce((b, v, j) => b + (v - mus[g][j]) ** 2, 0), 0) / rowsG.length);
      assert.ok(Math.abs(r.summary[`${M}_radii`][g]! - rad) < 1e-6 * Math.max(1, rad), `${M} group ${g}`);
    });
    const gm = Array.from({ length: d }, (_, j) => mus.reduce((a, c) => a + c[j], 0) / mus.length);
    const cs = Math.sqrt(mus.reduce((a, c) => a + c.reduce((b, v, j) => b + (v - gm[j]) ** 2, 0), 0) / mus.length);
    assert.ok(Math.abs(r.summary[`${M}_center_spread`]! - cs) < 1e-6 * Math.max(1, cs), `${M} spread`);
  }
});

test('intragroup_manifold: every row fitted on neuron_group_pca\'s projections, groups under 7 neurons left unfitted, shapes from the three labels', () => {
  const rows = store.getAnalyses<IntragroupManifoldSummary>(runId, INTRAGROUP_MANIFOLD);
  assert.equal(rows.length, 12);
  for (const r of rows) r.summary.group_sizes.forEach((n, g) => {
    if (n < 7) { assert.equal(r.summary.r2_quadratic[g], null); assert.equal(r.summary.shape[g], 'flat/blob'); return; }
    const s = r.summary;
    assert.ok(['flat/blob', 'bowl', 'saddle'].includes(s.shape[g]!));
    assert.ok(Math.abs(s.r2_curvature[g]! - Math.max(0, s.r2_quadratic[g]! - s.r2_linear[g]!)) < 1e-9);
    assert.equal(s.shape[g] === 'flat/blob', s.r2_curvature[g]! < 0.05);
    if (s.shape[g] !== 'flat/blob') assert.equal(s.shape[g] === 'bowl', 4 * s.a[g]! * s.b[g]! - s.c[g]! ** 2 > 0);
  });
});

test('a later last checkpoint regroups: the rows of another reference epoch are recomputed with the todo ones, the others not', () => {
  const all = store.listCheckpoints(runId).map((c) => ({ epoch: c.epoch, path: c.path })), options = resolveOptions({});
  for (const a of [neuronGroupPcaAnalyzer, freqGroupWeightGeometryAnalyzer]) {
    // The stored rows were made with reference 1100: a run whose last checkpoint is 1000 (todo: 1000 alone) redoes them all on 1000.
    const got: [number, number][] = [];
    a.analyseEpochs({ runId, checkpoints: all.slice(0, -1), todo: new Set([1000]), options, store }, (e, out) => got.push([e, (out.summary as { reference_epoch: number }).reference_epoch]));
    assert.deepEqual(got, all.slice(0, -1).map((c) => [c.epoch, 1000]), a.name);
    const again: number[] = [];
    a.analyseEpochs({ runId, checkpoints: all, todo: new Set([1100]), options, store }, (e) => again.push(e));
    assert.deepEqual(again, [1100], a.name);
  }
});

test('the three views have data once analysed, build their figures through the catalog, and every spec renders with data', async () => {
  const has = storedResults(store, runId);
  for (const name of VIEWS) { assert.ok(viewHasData(viewEntry(name), has, true), name); assert.equal(viewEntry(name).family, 'neuron groups'); }
  assert.deepEqual(figures.map((f) => f.name), ['neuron-group-pca-cohesion', 'neuron-group-pca-spread', 'neuron-group-pca-scatter', 'neuron-group-pca-centroids',
    'freq-group-weight-geometry', 'freq-group-weight-geometry-pr3', 'intragroup-manifold-curvature', 'intragroup-manifold-final']);
  for (const f of figures) {
    const svg = await renderSvg(f.spec, f.name);
    assert.match(svg, /^<svg/, f.name);
    assert.ok(f.table.rows.length > 0, `${f.name} has data`);
  }
  assert.match(figures[0].caption, /groups of epoch 1100/);
});
