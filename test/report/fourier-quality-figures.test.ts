/**
 * The figures of fourier_frequency_quality and fourier_nucleation (views/figures/fourier-quality.ts)
 * on a small real store analysed by the real pipeline: both views build through the catalog,
 * every spec renders, and their tables are the stored summaries and the epoch-0 artifact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FOURIER_FREQUENCY_QUALITY, type FourierFrequencyQualitySummary } from '../../src/analysis/analyzers/fourier-frequency-quality.js';
import { FOURIER_NUCLEATION, type FourierNucleationSummary } from '../../src/analysis/analyzers/fourier-nucleation.js';
import { readSafetensorsFile } from '../../src/io/safetensors.js';
import { loadRunModel } from '../../src/views/model.js';
import { assertViewsRender, viewFixture } from './view-fixture.js';

const VIEWS = ['further-fourier-quality', 'further-fourier-nucleation'];
const fx = viewFixture(VIEWS);

test('both views have data once analysed, sit in the frequencies tab, build their fx.figures through the catalog, and every spec renders', async () => {
  await assertViewsRender(fx, { 'further-fourier-quality': 'frequencies', 'further-fourier-nucleation': 'frequencies' }, ['further-fourier-quality', 'further-fourier-nucleation', 'further-fourier-nucleation-epochs']);
});

test('the quality table is every checkpoint\'s stored R², 2m/p and k; the nucleation tables are the epoch-0 artifact and the summaries\' last iteration', () => {
  const label = loadRunModel(fx.store, fx.runIds[0], 3).label;
  const q = fx.store.getAnalyses<FourierFrequencyQualitySummary>(fx.runIds[0], FOURIER_FREQUENCY_QUALITY);
  assert.deepEqual(q.map((r) => r.epoch), [0, 100, 200, 300, 400]);
  const rows = fx.figures[0].table.rows;
  for (const r of q) {
    const at = (series: string) => rows.find((x) => x[0] === label && x[1] === r.epoch && x[3] === series)![4] as number;
    assert.ok(Math.abs(at('quality R²') - r.summary.quality_score) <= 1e-3 * Math.max(r.summary.quality_score, 1e-9));
    assert.ok(Math.abs(at('analytic 2m/p') - r.summary.analytic_reference) <= 1e-3 * Math.max(r.summary.analytic_reference, 1e-9));
    assert.equal(at('k'), r.summary.k);
  }
  assert.ok(fx.figures[0].caption.includes(`k = ${q.at(-1)!.summary.k}`), fx.figures[0].caption);
  const nu = fx.store.getAnalyses<FourierNucleationSummary>(fx.runIds[0], FOURIER_NUCLEATION);
  const f0 = readSafetensorsFile(nu[0].path!);
  const agg = f0.getFloat32('aggregate_energy'), [nIt, nF] = f0.info('aggregate_energy').shape;
  assert.equal(fx.figures[1].table.rows.length, nIt * nF);
  for (const x of fx.figures[1].table.rows) {
    assert.equal(x[1], 0);
    assert.ok(Math.abs((x[4] as number) - agg[(x[2] as number) * nF + (x[3] as number) - 1]) < 1e-3);
  }
  const over = fx.figures[2].table.rows;
  assert.deepEqual([...new Set(over.map((x) => x[1]))], nu.map((r) => r.epoch));
  for (const r of nu) r.summary.final_energy.forEach((e, i) => {
    const x = over.find((y) => y[1] === r.epoch && y[2] === i + 1)!;
    assert.ok(Math.abs((x[3] as number) - e) < 1e-3 * Math.max(e, 1e-9));
  });
});
