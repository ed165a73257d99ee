/**
 * The figure of variant_summary (views/figures/variant-summary.ts) on a small real store analysed by
 * the real pipeline: the view builds through the catalog, its spec renders, its table is the stored
 * summary's windows, and the stored windows follow from the run's metrics and checkpoints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VARIANT_SUMMARY } from '../../src/analysis/analyzers/variant-summary.js';
import { PHASE_WINDOWS, type WindowSummary } from '../../src/analysis/library/variant-summary.js';
import { runOutcome } from '../../src/metrics/outcome.js';
import { assertViewsRender, viewFixture } from './view-fixture.js';

const fx = viewFixture(['variant-summary'], 50);

test('variant-summary has data once analysed, sits in the training tab, builds one figure that renders, with its windows and failure mode', async () => {
  await assertViewsRender(fx, { 'variant-summary': 'training' }, ['variant-summary']);
  const s = fx.store.getAnalyses<Record<string, unknown>>(fx.runIds[0], VARIANT_SUMMARY).at(-1)!.summary;
  const rows = fx.figures[0].table.rows;
  assert.equal(rows.length, PHASE_WINDOWS.length);
  for (const [i, w] of PHASE_WINDOWS.entries()) {
    const x = s[`${w}_window`] as WindowSummary;
    assert.deepEqual(rows[i].slice(1, 5), [w, x.start_epoch, x.end_epoch, x.skipped ? 'skipped' : '']);
    assert.equal(rows[i][11], s.failure_mode);
  }
});

test('the stored second-descent and final windows are the onset, the first test loss ≤ 1e-6 (else the minimum) and the last checkpoint, each at the nearest checkpoint', () => {
  const metrics = fx.store.getMetrics(fx.runIds[0]);
  const cps = fx.store.listCheckpoints(fx.runIds[0]).map((c) => c.epoch);
  const near = (e: number) => cps.reduce((b, c) => (Math.abs(c - e) < Math.abs(b - e) ? c : b), cps[0]);
  // The onset written out: the first test loss at or after the peak that is ≥ 80 % below it.
  const test = metrics.filter((m) => m.test_loss !== null) as { epoch: number; test_loss: number }[];
  const peak = test.reduce((b, m) => (m.test_loss > b.test_loss ? m : b));
  const onset = test.find((m) => m.epoch >= peak.epoch && (peak.test_loss - m.test_loss) / peak.test_loss >= 0.8)?.epoch ?? null;
  assert.equal(onset, runOutcome(metrics).second_descent_onset_epoch);
  const s = fx.store.getAnalyses<Record<string, unknown>>(fx.runIds[0], VARIANT_SUMMARY).at(-1)!.summary;
  const sd = s.second_descent_window as WindowSummary;
  if (onset === null || onset === 0) assert.deepEqual([sd.start_epoch, sd.end_epoch], [0, 0]);
  else {
    const thr = test.find((m) => m.test_loss <= 1e-6)?.epoch;
    const min = test.reduce((b, m) => (m.test_loss < b.test_loss ? m : b)).epoch;
    assert.deepEqual([sd.start_epoch, sd.end_epoch], [near(onset), near(thr !== undefined && thr > 0 ? thr : min)]);
  }
  assert.equal((s.final_window as WindowSummary).end_epoch, cps.at(-1));
  assert.equal((s.final_window as WindowSummary).start_epoch, sd.end_epoch);
  const fin = test.at(-1)!.test_loss;
  assert.equal(s.failure_mode, onset === null ? 'no_grokking' : fin > 1e-6 ? 'degraded' : onset > 12000 ? 'late_grokker' : 'healthy');
});
