/**
 * The centroid-trajectory figures (views/figures/centroid-dmd.ts) on a small real store analysed by
 * the real pipeline: the figures exist for every run, their tables are the stored results, and
 * every spec renders; the views are in the catalog.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { ACTIVATION_DMD, type ActivationDmdSiteSummary, type ActivationDmdSummary } from '../../src/analysis/analyzers/activation-dmd.js';
import { readGlobalCentroidPca } from '../../src/analysis/analyzers/global-centroid-pca.js';
import { CENTROID_SITES } from '../../src/analysis/library/global-centroid-pca.js';
import { activationDmdFigures, globalCentroidPcaFigures, spreadIndices } from '../../src/views/figures/centroid-dmd.js';
import { buildViews, viewEntry } from '../../src/views/index.js';
import { renderSvg } from '../../src/report/render.js';
import type { Store } from '../../src/store/store.js';
import { loadRunModel } from '../../src/views/model.js';
import type { RunData } from '../../src/views/types.js';
import { buildFixtureStore } from './fixture.js';

let store: Store, dir: string, runIds: string[], runs: RunData[];

before(async () => {
  ({ store, dir, runIds } = await buildFixtureStore([
    { p: 13, seed: 1, grokAt: 300, epochs: 600, checkpointEvery: 50, keys: [2, 5] },
    { p: 11, seed: 2, grokAt: null, epochs: 300, checkpointEvery: 50, keys: [3] },
  ]));
  runs = runIds.map((id) => loadRunModel(store, id, 3));
});
after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

test('spreadIndices keeps the first and last and at most max indices', () => {
  assert.deepEqual(spreadIndices(5, 10), [0, 1, 2, 3, 4]);
  const s = spreadIndices(251, 40);
  assert.equal(s.length, 40);
  assert.equal(s[0], 0);
  assert.equal(s.at(-1), 250);
});

test('the global-centroid-PCA figures: the table is readGlobalCentroidPca at the drawn epochs, and the specs render', async () => {
  const figs = globalCentroidPcaFigures(store, runs);
  assert.deepEqual(figs.map((f) => f.name), ['global-centroid-pca', 'global-centroid-pca-variance']);
  const [path, variance] = figs;
  for (const [r, run] of runs.entries()) {
    const g = readGlobalCentroidPca(store, run.runId)!;
    for (const s of CENTROID_SITES) {
      const rows = path.table.rows.filter((x) => x[0] === run.label && x[1] === s);
      assert.equal(rows.length, g.epochs.length * g.n_classes, `${run.label} ${s}: every class at every epoch (fewer than 40)`);
      const k = g.sites[s].n_components;
      for (const row of rows.filter((_, i) => i % 7 === 0)) {
        const e = g.epochs.indexOf(row[4] as number), c = row[3] as number;
        assert.ok(Math.abs((row[6] as number) - g.sites[s].projections[(e * g.n_classes + c) * k]) <= 1e-3 * Math.abs(row[6] as number) + 1e-9);
      }
      assert.equal(variance.table.rows.filter((x) => x[0] === run.label && x[1] === s).length, k);
    }
    assert.ok(r >= 0);
  }
  for (const f of figs) assert.match(await renderSvg(f.spec, f.name), /^<svg/);
});

test('the activation-DMD figures: one eigenvalue row per stored window mode, the residual rows are the stored means, boundaries marked; the specs render', async () => {
  const figs = activationDmdFigures(store, runs);
  assert.deepEqual(figs.map((f) => f.name), ['activation-dmd-eigenvalues', 'activation-dmd-eigenvalues-zoom', 'activation-dmd-residuals']);
  const [eig, zoom, res] = figs;
  assert.deepEqual(zoom.table.rows, eig.table.rows);
  for (const run of runs) {
    const sum = store.getAnalyses<ActivationDmdSummary>(run.runId, ACTIVATION_DMD).at(-1)!.summary;
    assert.ok(sum.sites, `${run.label} has DMD results`);
    for (const s of CENTROID_SITES) {
      const w: ActivationDmdSiteSummary['windowed'] = sum.sites![s].windowed;
      const modes: number = w.n_modes_per_window.reduce((a: number, x: number) => a + x, 0);
      assert.equal(eig.table.rows.filter((x) => x[0] === run.label && x[1] === s && x[3] === 'window').length, modes);
      const rr = res.table.rows.filter((x) => x[0] === run.label && x[1] === s);
      assert.deepEqual(rr.map((x) => x[4]), w.residual_norm_mean.map((x: number) => Number(x.toPrecision(4))));
    }
  }
  for (const f of figs) assert.match(await renderSvg(f.spec, f.name), /^<svg/);
  // In the catalog: the view names build the same figures.
  assert.deepEqual(viewEntry('activation-dmd').needs, ['activation_dmd']);
  assert.deepEqual(buildViews(runs, 3, () => { throw new Error('no kernels needed'); }, ['global-centroid-pca', 'activation-dmd'], store).map((f) => f.name),
    ['global-centroid-pca', 'global-centroid-pca-variance', 'activation-dmd-eigenvalues', 'activation-dmd-eigenvalues-zoom', 'activation-dmd-residuals']);
});
