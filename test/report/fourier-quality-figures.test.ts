/**
 * The figures of fourier_frequency_quality and fourier_nucleation (views/figures/fourier-quality.ts)
 * on a small real store analysed by the real pipeline: both views build through the catalog,
 * every spec renders, and their tables are the stored summaries and the epoch-0 artifact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { FOURIER_FREQUENCY_QUALITY, type FourierFrequencyQualitySummary } from '../../src/analysis/analyzers/fourier-frequency-quality.js';
import { FOURIER_NUCLEATION, type FourierNucleationSummary } from '../../src/analysis/analyzers/fourier-nucleation.js';
import { loadKernels } from '../../src/engine/index.js';
import { readSafetensorsFile } from '../../src/io/safetensors.js';
import { renderSvg } from '../../src/report/render.js';
import type { Store } from '../../src/store/store.js';
import { buildViews, storedResults, viewEntry, viewHasData } from '../../src/views/index.js';
import { loadRunModel } from '../../src/views/model.js';
import type { Figure } from '../../src/views/types.js';
import { buildFixtureStore } from './fixture.js';

const VIEWS = ['further-fourier-quality', 'further-fourier-nucleation'];
let store: Store, dir: string, runIds: string[], figures: Figure[];

before(async () => {
  ({ store, dir, runIds } = await buildFixtureStore([{ p: 13, seed: 1, grokAt: 300, epochs: 400, checkpointEvery: 100, keys: [2, 5] }]));
  figures = buildViews(runIds.map((id) => loadRunModel(store, id, 3)), 3, () => loadKernels(), VIEWS, store);
});
after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

test('both views have data once analysed, sit in the frequencies tab, build their figures through the catalog, and every spec renders', async () => {
  const has = storedResults(store, runIds[0]);
  for (const name of VIEWS) {
    assert.ok(viewHasData(viewEntry(name), has, true), name);
    assert.equal(viewEntry(name).family, 'frequencies');
  }
  assert.deepEqual(figures.map((f) => f.name), ['further-fourier-quality', 'further-fourier-nucleation', 'further-fourier-nucleation-epochs']);
  for (const f of figures) {
    const svg = await renderSvg(f.spec, f.name);
    assert.match(svg, /^<svg/, f.name);
    assert.ok(f.table.rows.length > 0, `${f.name} has data`);
  }
});

test('the quality table is every checkpoint\'s stored R², 2m/p and k; the nucleation tables are the epoch-0 artifact and the summaries\' last iteration', () => {
  const label = loadRunModel(store, runIds[0], 3).label;
  const q = store.getAnalyses<FourierFrequencyQualitySummary>(runIds[0], FOURIER_FREQUENCY_QUALITY);
  assert.deepEqual(q.map((r) => r.epoch), [0, 100, 200, 300, 400]);
  const rows = figures[0].table.rows;
  for (const r of q) {
    const at = (series: string) => rows.find((x) => x[0] === label && x[1] === r.epoch && x[3] === series)![4] as number;
    assert.ok(Math.abs(at('quality R²') - r.summary.quality_score) <= 1e-3 * Math.max(r.summary.quality_score, 1e-9));
    assert.ok(Math.abs(at('analytic 2m/p') - r.summary.analytic_reference) <= 1e-3 * Math.max(r.summary.analytic_reference, 1e-9));
    assert.equal(at('k'), r.summary.k);
  }
  assert.ok(figures[0].caption.includes(`k = ${q.at(-1)!.summary.k}`), figures[0].caption);
  const nu = store.getAnalyses<FourierNucleationSummary>(runIds[0], FOURIER_NUCLEATION);
  const f0 = readSafetensorsFile(nu[0].path!);
  const agg = f0.getFloat32('aggregate_energy'), [nIt, nF] = f0.info('aggregate_energy').shape;
  assert.equal(figures[1].table.rows.length, nIt * nF);
  for (const x of figures[1].table.rows) {
    assert.equal(x[1], 0);
    assert.ok(Math.abs((x[4] as number) - agg[(x[2] as number) * nF + (x[3] as number) - 1]) < 1e-3);
  }
  const over = figures[2].table.rows;
  assert.deepEqual([...new Set(over.map((x) => x[1]))], nu.map((r) => r.epoch));
  for (const r of nu) r.summary.final_energy.forEach((e, i) => {
    const x = over.find((y) => y[1] === r.epoch && y[2] === i + 1)!;
    assert.ok(Math.abs((x[3] as number) - e) < 1e-3 * Math.max(e, 1e-9));
  });
});
