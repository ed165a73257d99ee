/**
 * The figures of the progress measures (views/figures/further-progress.ts) on a small real store
 * analysed by the real pipeline: both views build through the catalog, every spec renders, and
 * their tables are the stored summaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PIZZA_CLOCK, type PizzaClockSummary } from '../../src/analysis/analyzers/pizza-clock.js';
import { RESTRICTED_LOSS, type RestrictedLossSummary } from '../../src/analysis/analyzers/restricted-loss.js';
import { loadRunModel } from '../../src/views/model.js';
import { assertViewsRender, viewFixture } from './view-fixture.js';

const fx = viewFixture(['further-restricted-loss', 'further-pizza-clock']);

test('both views have data once analysed, build their fx.figures through the catalog, and every spec renders', async () => {
  await assertViewsRender(fx, { 'further-restricted-loss': 'progress measures', 'further-pizza-clock': 'algorithm' }, ['further-restricted-loss', 'further-restricted-loss-shares', 'further-pizza-clock']);
});

test('the tables are the stored rows of every checkpoint, and the captions name the key frequencies and the last algorithm', () => {
  const label = loadRunModel(fx.store, fx.runIds[0], 3).label;
  const rl = fx.store.getAnalyses<RestrictedLossSummary>(fx.runIds[0], RESTRICTED_LOSS);
  const pc = fx.store.getAnalyses<PizzaClockSummary>(fx.runIds[0], PIZZA_CLOCK);
  assert.deepEqual(rl.map((r) => r.epoch), [0, 100, 200, 300, 400]);
  assert.deepEqual(pc.map((r) => r.epoch), [0, 100, 200, 300, 400]);
  const losses = fx.figures[0].table.rows;
  for (const r of rl) {
    const at = (series: string) => losses.find((x) => x[0] === label && x[1] === r.epoch && x[2] === series)![3] as number;
    assert.ok(Math.abs(at('restricted loss') - r.summary.restricted_loss) <= 1e-3 * r.summary.restricted_loss);
    assert.ok(Math.abs(at('excluded loss') - r.summary.excluded_loss!) <= 1e-3 * r.summary.excluded_loss!);
  }
  const keys = rl.at(-1)!.summary.key_frequencies;
  assert.ok(fx.figures[0].caption.includes(`${label}: ${keys.join(', ')}`), fx.figures[0].caption);
  const sym = fx.figures[2].table.rows.filter((x) => x[2] === 'gradient symmetricity');
  assert.deepEqual(sym.map((x) => x[1]), pc.map((r) => r.epoch));
  sym.forEach((x, i) => assert.ok(Math.abs((x[3] as number) - pc[i].summary.gradient_symmetricity!) < 1e-3));
  assert.ok(fx.figures[2].caption.includes(`${label}: ${pc.at(-1)!.summary.algorithm ?? 'none'}`), fx.figures[2].caption);
});
