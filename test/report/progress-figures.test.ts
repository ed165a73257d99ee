/**
 * The figures of the progress measures (views/figures/further-progress.ts) on a small real store
 * analysed by the real pipeline: both views build through the catalog, every spec renders, and
 * their tables are the stored summaries.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { PIZZA_CLOCK, type PizzaClockSummary } from '../../src/analysis/analyzers/pizza-clock.js';
import { RESTRICTED_LOSS, type RestrictedLossSummary } from '../../src/analysis/analyzers/restricted-loss.js';
import { loadKernels } from '../../src/engine/index.js';
import { renderSvg } from '../../src/report/render.js';
import type { Store } from '../../src/store/store.js';
import { buildViews, storedResults, viewEntry, viewHasData } from '../../src/views/index.js';
import { loadRunModel } from '../../src/views/model.js';
import type { Figure } from '../../src/views/types.js';
import { buildFixtureStore } from './fixture.js';

let store: Store, dir: string, runIds: string[], figures: Figure[];

before(async () => {
  ({ store, dir, runIds } = await buildFixtureStore([{ p: 13, seed: 1, grokAt: 300, epochs: 400, checkpointEvery: 100, keys: [2, 5] }]));
  figures = buildViews(runIds.map((id) => loadRunModel(store, id, 3)), 3, () => loadKernels(), ['further-restricted-loss', 'further-pizza-clock'], store);
});
after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });

test('both views have data once analysed, build their figures through the catalog, and every spec renders', async () => {
  const has = storedResults(store, runIds[0]);
  for (const name of ['further-restricted-loss', 'further-pizza-clock']) assert.ok(viewHasData(viewEntry(name), has, true), name);
  assert.equal(viewEntry('further-restricted-loss').family, 'progress measures');
  assert.equal(viewEntry('further-pizza-clock').family, 'algorithm');
  assert.deepEqual(figures.map((f) => f.name), ['further-restricted-loss', 'further-restricted-loss-shares', 'further-pizza-clock']);
  for (const f of figures) {
    const svg = await renderSvg(f.spec, f.name);
    assert.match(svg, /^<svg/, f.name);
    assert.ok(f.table.rows.length > 0, `${f.name} has data`);
  }
});

test('the tables are the stored rows of every checkpoint, and the captions name the key frequencies and the last algorithm', () => {
  const label = loadRunModel(store, runIds[0], 3).label;
  const rl = store.getAnalyses<RestrictedLossSummary>(runIds[0], RESTRICTED_LOSS);
  const pc = store.getAnalyses<PizzaClockSummary>(runIds[0], PIZZA_CLOCK);
  assert.deepEqual(rl.map((r) => r.epoch), [0, 100, 200, 300, 400]);
  assert.deepEqual(pc.map((r) => r.epoch), [0, 100, 200, 300, 400]);
  const losses = figures[0].table.rows;
  for (const r of rl) {
    const at = (series: string) => losses.find((x) => x[0] === label && x[1] === r.epoch && x[2] === series)![3] as number;
    assert.ok(Math.abs(at('restricted loss') - r.summary.restricted_loss) <= 1e-3 * r.summary.restricted_loss);
    assert.ok(Math.abs(at('excluded loss') - r.summary.excluded_loss!) <= 1e-3 * r.summary.excluded_loss!);
  }
  const keys = rl.at(-1)!.summary.key_frequencies;
  assert.ok(figures[0].caption.includes(`${label}: ${keys.join(', ')}`), figures[0].caption);
  const sym = figures[2].table.rows.filter((x) => x[2] === 'gradient symmetricity');
  assert.deepEqual(sym.map((x) => x[1]), pc.map((r) => r.epoch));
  sym.forEach((x, i) => assert.ok(Math.abs((x[3] as number) - pc[i].summary.gradient_symmetricity!) < 1e-3));
  assert.ok(figures[2].caption.includes(`${label}: ${pc.at(-1)!.summary.algorithm ?? 'none'}`), figures[2].caption);
});
