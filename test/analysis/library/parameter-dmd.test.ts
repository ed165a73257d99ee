import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PARAMETER_DMD, type ParameterDmdSummary, groupGrams, parameterDmdFromGram } from '../../../src/analysis/analyzers/parameter-dmd.js';
import { NEURON_GROUPING, type NeuronGroupingSummary } from '../../../src/analysis/analyzers/neuron-grouping.js';
import { UNASSIGNED } from '../../../src/analysis/library/grouping.js';
import { analyseRuns } from '../../../src/analysis/pipeline.js';
import { Store } from '../../../src/store/store.js';
import { paramsAlong, syntheticRun } from '../synthetic-run.js';
import { normal, randomParams, rng, smallConfig } from '../helpers.js';

test('groupGrams: every (group, matrix) Gram entry is the dot product of the flattened group slices W_in[:, group] and W_out[group, :], unassigned neurons in none', () => {
  const g = normal(rng(2));
  const d = 5, m = 7, n = 4;
  const Win = Array.from({ length: n }, () => Float32Array.from({ length: d * m }, () => g()));
  const Wout = Array.from({ length: n }, () => Float32Array.from({ length: m * d }, () => g()));
  const groupOf = Int32Array.from([0, 2, 0, UNASSIGNED, 2, 2, 0]);
  const G = groupGrams(Win, Wout, d, m, groupOf, [0, 2]);
  for (const grp of [0, 2]) {
    const members = [...groupOf.keys()].filter((q) => groupOf[q] === grp);
    const sliceIn = (t: number) => members.flatMap((q) => Array.from({ length: d }, (_, j) => Win[t][j * m + q]));
    const sliceOut = (t: number) => members.flatMap((q) => Array.from({ length: d }, (_, j) => Wout[t][q * d + j]));
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
      const a = sliceIn(i), b = sliceIn(k), c = sliceOut(i), e = sliceOut(k);
      const wantIn = a.reduce((s, x, z) => s + x * b[z], 0), wantOut = c.reduce((s, x, z) => s + x * e[z], 0);
      assert.ok(Math.abs(G.get(grp)!.W_in[i * n + k] - wantIn) < 1e-9, `W_in ${grp} ${i},${k}`);
      assert.ok(Math.abs(G.get(grp)!.W_out[i * n + k] - wantOut) < 1e-9, `W_out ${grp} ${i},${k}`);
    }
  }
  assert.equal(G.size, 2);
});

test('parameterDmdFromGram: a group slice rotating in two planes at whole periods of the run (zero mean) gives 4 PCA components and, in every window, the eigenvalues e^{±iθ₁}, e^{±iθ₂}', () => {
  const n = 20, D = 40;
  const th = [(2 * Math.PI * 3) / n, (2 * Math.PI * 7) / n];
  // Four orthonormal directions in D dims (Gram–Schmidt of random vectors).
  const g = normal(rng(4));
  const E: Float64Array[] = [];
  while (E.length < 4) {
    const v = Float64Array.from({ length: D }, () => g());
    for (const u of E) { const c = v.reduce((s, x, i) => s + x * u[i], 0); for (let i = 0; i < D; i++) v[i] -= c * u[i]; }
    const nv = Math.hypot(...v); E.push(v.map((x) => x / nv));
  }
  const traj = Array.from({ length: n }, (_, t) => {
    const z = [Math.cos(th[0] * t), Math.sin(th[0] * t), 0.6 * Math.cos(th[1] * t + 0.4), 0.6 * Math.sin(th[1] * t + 0.4)];
    return Float64Array.from({ length: D }, (_, i) => z.reduce((s, zc, c) => s + zc * E[c][i], 0));
  });
  const G = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) G[i * n + k] = traj[i].reduce((s, x, z) => s + x * traj[k][z], 0);
  const r = parameterDmdFromGram(G, n);
  assert.equal(r.n_components, 4);
  assert.ok(Math.abs(r.explained_variance_ratio.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  const want = [th[0], -th[0], th[1], -th[1]].map((t) => [Math.cos(t), Math.sin(t)]);
  assert.ok(r.windowed.eigenvalues_re.length >= 1);
  r.windowed.eigenvalues_re.forEach((res, w) => {
    const ims = r.windowed.eigenvalues_im[w];
    assert.equal(res.length, 4, `window ${w}: 4 modes`);
    for (const [wr, wi] of want) assert.ok(res.some((x, j) => Math.hypot(x - wr, ims[j] - wi) < 1e-6), `window ${w}: eigenvalue ${wr} + ${wi}i`);
    assert.ok(r.windowed.residual_norm_max[w] < 1e-8);
  });
});

test('parameter_dmd through the pipeline: one row from the last checkpoint\'s grouping, recomputed when a checkpoint is added, a pinned reference epoch takes the nearest grouping', async () => {
  const c = smallConfig(11, 16, 32);
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-pdmd-'));
  const store = Store.open(dir);
  try {
    const runId = 'pdmd';
    const A = randomParams(c, 301), base = randomParams(c, 300);
    const add = syntheticRun(store, runId, c, 1300, (epoch) => paramsAlong(c, (i) => base.flat[i] + Math.sin(epoch / 300) * A.flat[i]));
    add([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100]);
    store.appendMetrics(runId, [{ epoch: 1100, train_loss: 1, train_acc: 0, test_loss: 1, test_acc: 0 }]);
    await analyseRuns(store, [runId], { jobs: 1 });
    const groupings = store.getAnalyses<NeuronGroupingSummary>(runId, NEURON_GROUPING);
    assert.equal(groupings.length, 12);
    const first = store.getAnalyses<ParameterDmdSummary>(runId, PARAMETER_DMD).at(-1)!.summary;
    assert.equal(first.reference_epoch, 1100);
    assert.equal(first.epochs.length, 12);
    const last = groupings.at(-1)!.summary;
    assert.deepEqual(first.populated_groups, last.n_per_group.flatMap((x, g) => (x > 0 ? [g] : [])));
    assert.deepEqual(first.group_n_neurons, first.populated_groups.map((g) => last.n_per_group[g]));
    for (const g of first.populated_groups) for (const M of ['W_in', 'W_out'] as const) {
      const s = first.groups[String(g)][M];
      assert.ok(s.n_components >= 1 && s.windowed.eigenvalues_re.length === 3, `group ${g} ${M}: 3 windows of 10 over 12 checkpoints`);
    }
    add([1200]);
    store.appendMetrics(runId, [{ epoch: 1200, train_loss: 1, train_acc: 0, test_loss: 1, test_acc: 0 }]);
    await analyseRuns(store, [runId], { jobs: 1 });
    const second = store.getAnalyses<ParameterDmdSummary>(runId, PARAMETER_DMD).at(-1)!.summary;
    assert.equal(second.reference_epoch, 1200);
    assert.equal(second.epochs.length, 13);
    assert.notEqual(second.input_fingerprint, first.input_fingerprint);
    await analyseRuns(store, [runId], { jobs: 1, parameterDmdReferenceEpoch: 260 });
    const pinned = store.getAnalyses<ParameterDmdSummary>(runId, PARAMETER_DMD, undefined).find((r) => (r.summary as ParameterDmdSummary).reference_epoch === 300);
    assert.ok(pinned, 'a row with the grouping of epoch 300, the nearest to 260');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
