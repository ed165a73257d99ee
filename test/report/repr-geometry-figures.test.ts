/**
 * The figures of repr_geometry (views/figures/repr-geometry.ts) on a small real store analysed by
 * the real pipeline: the view builds through the catalog, every spec renders, and its tables are
 * the stored summaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPR_GEOMETRY, type ReprGeometrySummary } from '../../src/analysis/analyzers/repr-geometry.js';
import { readSafetensorsFile } from '../../src/io/safetensors.js';
import { loadRunModel } from '../../src/views/model.js';
import type { Figure } from '../../src/views/types.js';
import { assertViewsRender, viewFixture } from './view-fixture.js';

const VIEWS = ['repr-geometry'];
const fx = viewFixture(VIEWS);

test('repr-geometry has data once analysed, sits in the geometry tab, builds its three fx.figures and every spec renders', async () => {
  await assertViewsRender(fx, { 'repr-geometry': 'geometry' }, ['repr-geometry', 'repr-geometry-pca', 'repr-geometry-circularity']);
});

test('the repr-geometry tables are every checkpoint\'s stored statistics, the artifact has MIScope\'s per-site arrays, resid_pre is 0', () => {
  const label = loadRunModel(fx.store, fx.runIds[0], 3).label;
  const rows = fx.store.getAnalyses<ReprGeometrySummary>(fx.runIds[0], REPR_GEOMETRY);
  assert.deepEqual(rows.map((r) => r.epoch), [0, 100, 200, 300, 400]);
  for (const r of rows) for (const site of ['attn_out', 'mlp_out', 'resid_post']) {
    const at = (fig: Figure, k: string) => fig.table.rows.find((x) => x[0] === label && x[1] === r.epoch && x[2] === site && x[3] === k)![4] as number;
    for (const k of ['snr', 'mean_dim', 'circularity', 'fisher_min']) {
      const want = r.summary[`${site}_${k}`];
      assert.ok(Math.abs(at(fx.figures[0], k) - want) <= 1e-3 * Math.max(Math.abs(want), 1e-9), `${site}_${k} at ${r.epoch}`);
    }
    const pcs = ['pca_var_pc1', 'pca_var_pc2', 'pca_var_pc3'].map((k) => at(fx.figures[1], k));
    assert.ok(pcs[0] >= pcs[1] && pcs[1] >= pcs[2] && pcs[0] + pcs[1] + pcs[2] <= 1 + 1e-3, `PCA fractions ${pcs}`);
    assert.equal(r.summary.resid_pre_snr, 0);
    assert.equal(r.summary.resid_pre_mean_radius, 0);
  }
  const f = readSafetensorsFile(rows[0].path!);
  assert.deepEqual(f.info('mlp_out_centroids').shape.length, 2);
  assert.deepEqual(f.info('resid_post_radii').shape, [13]);
  assert.deepEqual(f.info('attn_out_dimensionality').shape, [13]);
  assert.equal(f.info('mlp_out_centroids').shape[0], 13);
  // The crossover rows are MIScope's sign changes of attn_out − mlp_out and attn_out − resid_post, written out.
  const circ = (site: string) => rows.map((r) => r.summary[`${site}_circularity`]);
  const want: string[] = [];
  for (const ref of ['mlp_out', 'resid_post']) {
    const sg = circ('attn_out').map((a, i) => Math.sign(a - circ(ref)[i]));
    for (let i = 0; i + 1 < sg.length; i++) {
      if (sg[i] <= 0 && sg[i + 1] > 0) want.push(`${rows[i + 1].epoch} ${ref} attn_out rises above`);
      else if (sg[i] >= 0 && sg[i + 1] < 0) want.push(`${rows[i + 1].epoch} ${ref} attn_out falls below`);
    }
  }
  const got = fx.figures[2].table.rows.filter((x) => x[4] !== '').map((x) => `${x[1]} ${x[2]} ${x[4]}`);
  assert.deepEqual(got.sort(), want.sort());
  assert.equal(fx.figures[2].table.rows.filter((x) => x[4] === '').length, 3 * rows.length);
});
