import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OUTCOME_CLASSES, outcomeGrokked, runOutcome, type RunOutcome } from '../../src/metrics/outcome.js';
import type { MetricRow } from '../../src/store/store.js';

/**
 * An independent implementation: MIScope's VariantAnalysisSummary._load_train_test_loss_metrics
 * and _get_variant_preformance_classification transliterated line by line, on dense per-epoch
 * lists (index = epoch), as MIScope holds them.
 */
function miscope(train: number[], test: number[]) {
  const trainMin = Math.min(...train);
  const testMin = Math.min(...test);
  const testMax = Math.max(...test);
  const testMaxEpoch = test.indexOf(testMax);
  const trainFirst = train.findIndex((x) => x <= 1.0e-6);
  const testFirst = test.findIndex((x) => x <= 1.0e-6);
  const final = test[test.length - 1];
  let onset: number | null = null;
  for (let i = testMaxEpoch; i < test.length; i++) {
    if ((testMax - test[i]) / testMax >= 0.8) { onset = i; break; }
  }
  const reasons: string[] = [];
  let cls: string;
  const rebound = final - testMin >= 0.2;
  if (onset === null || onset === 0) { cls = 'no_second_descent'; reasons.push('test loss never dropped more than 0.8 between epochs'); }
  else if (onset > 0 && rebound && final > 1.0e-5) {
    cls = 'degraded_rebound';
    reasons.push(`second_descent_onset=${onset}, post-descent recovery detected`, `final_test_loss=${final.toFixed(6)} > 1e-05`);
  } else if (final > 1.0e-5) { cls = 'degraded'; reasons.push(`final_test_loss=${final.toFixed(6)} > 1e-05`); }
  else if (onset > 12000) { cls = 'late_grokker'; reasons.push(`second_descent_onset=${onset} > 12000`); }
  else { cls = 'healthy'; reasons.push('grokking onset on time, final loss acceptable'); }
  return {
    train_loss_threshold_first_epoch: trainFirst, train_loss_min: trainMin, train_loss_min_epoch: train.indexOf(trainMin),
    test_loss_max: testMax, test_loss_max_epoch: testMaxEpoch, test_loss_min: testMin, test_loss_min_epoch: test.indexOf(testMin),
    test_loss_final: final, second_descent_onset_epoch: onset, test_loss_threshold_first_epoch: testFirst,
    performance_classification: cls, classification_reasons: reasons,
  };
}

const rows = (train: number[], test: number[]): MetricRow[] =>
  train.map((t, e) => ({ epoch: e, train_loss: t, train_acc: 1, test_loss: test[e], test_acc: 1 }));

/** A curve of n epochs: piecewise-constant test loss given as [fromEpoch, value] steps. */
function curve(n: number, steps: [number, number][], trainSteps: [number, number][] = [[0, 1]]): { train: number[]; test: number[] } {
  const fill = (st: [number, number][]): number[] => {
    const out = new Array<number>(n);
    for (let e = 0; e < n; e++) for (const [from, v] of st) if (e >= from) out[e] = v;
    return out;
  };
  return { train: fill(trainSteps), test: fill(steps) };
}

function check(name: string, c: { train: number[]; test: number[] }, expectClass: string): RunOutcome {
  const got = runOutcome(rows(c.train, c.test));
  const want = miscope(c.train, c.test);
  for (const [k, v] of Object.entries(want)) assert.deepEqual((got as unknown as Record<string, unknown>)[k], v, `${name}: ${k}`);
  assert.equal(got.performance_classification, expectClass, name);
  return got;
}

test('outcome fields and every MIScope class agree with a line-by-line port of MIScope on hand-made curves', () => {
  const seen = new Set<string>();
  const cases: [string, { train: number[]; test: number[] }, string][] = [
    ['healthy', curve(3000, [[0, 4.7], [100, 12], [200, 9], [1500, 2], [1600, 1e-7]], [[0, 4.7], [150, 1e-7]]), 'healthy'],
    ['late grokker', curve(13000, [[0, 4.7], [100, 12], [12500, 2], [12600, 1e-6]], [[0, 4.7], [150, 1e-8]]), 'late_grokker'],
    ['degraded (final 2e-5)', curve(3000, [[0, 4.7], [100, 12], [1500, 2], [1600, 2e-5]]), 'degraded'],
    ['degraded rebound', curve(3000, [[0, 4.7], [100, 12], [1500, 2], [1600, 1e-3], [2000, 0.5]]), 'degraded_rebound'],
    ['no second descent', curve(3000, [[0, 4.7], [100, 12], [200, 2.5]]), 'no_second_descent'],
    // Edges.
    ['peak at epoch 0', curve(500, [[0, 20], [1, 3], [10, 1e-6]]), 'healthy'],
    ['descent exactly 0.8', curve(500, [[0, 1], [10, 5], [20, 1], [30, 1e-7]]), 'healthy'],
    ['descent just under 0.8', curve(500, [[0, 1], [10, 5], [20, 1.0000001]]), 'no_second_descent'],
    ['final exactly 1e-5', curve(500, [[0, 1], [10, 5], [20, 1e-5]]), 'healthy'],
    ['rebound exactly 0.2', curve(500, [[0, 1], [10, 5], [20, 0.25], [30, 0.45]]), 'degraded_rebound'],
    ['rebound just under 0.2', curve(500, [[0, 1], [10, 5], [20, 0.25], [30, 0.4499999]]), 'degraded'],
    ['onset exactly 12000 is on time', curve(12100, [[0, 1], [10, 5], [12000, 1e-7]]), 'healthy'],
    ['onset 12001 is late', curve(12100, [[0, 1], [10, 5], [12001, 1e-7]]), 'late_grokker'],
    ['never below 1e-6', curve(500, [[0, 1], [10, 5], [20, 2e-6]], [[0, 1], [5, 2e-6]]), 'healthy'],
    ['peak twice: the first counts', curve(500, [[0, 1], [10, 5], [20, 4], [30, 5], [40, 0.5], [50, 1e-7]]), 'healthy'],
  ];
  for (const [name, c, cls] of cases) { check(name, c, cls); seen.add(cls); }
  assert.deepEqual([...seen].sort(), [...OUTCOME_CLASSES].sort(), 'every class is covered');
  // The edges give the values they are about.
  assert.equal(0.45 - 0.25, 0.2, 'the rebound case is exactly 0.2 in float64');
  assert.equal((5 - 1) / 5, 0.8, 'the descent case is exactly 0.8 in float64');
  const never = runOutcome(rows(...Object.values(curve(500, [[0, 1], [10, 5], [20, 2e-6]], [[0, 1], [5, 2e-6]])) as [number[], number[]]));
  assert.equal(never.test_loss_threshold_first_epoch, -1);
  assert.equal(never.train_loss_threshold_first_epoch, -1);
  const p0 = runOutcome(rows(...Object.values(curve(500, [[0, 20], [1, 3], [10, 1e-6]])) as [number[], number[]]));
  assert.equal(p0.test_loss_max_epoch, 0);
  assert.equal(p0.second_descent_onset_epoch, 1);
  assert.equal(p0.test_loss_threshold_first_epoch, 10);
});

test('grokked means healthy or late_grokker; failed the degraded classes and no_second_descent', () => {
  assert.deepEqual(OUTCOME_CLASSES.filter(outcomeGrokked), ['healthy', 'late_grokker']);
});

test('with --eval-every the test-based epochs are the evaluated epochs and their spacing is reported', () => {
  // Evaluated every 100 epochs (and at the last, 1050); train loss every epoch.
  const m: MetricRow[] = [];
  for (let e = 0; e <= 1050; e++) {
    const ev = e % 100 === 0 || e === 1050;
    const tl = e < 200 ? 4 : e < 300 ? 10 : e < 740 ? 6 : 1e-7;
    m.push({ epoch: e, train_loss: e >= 123 ? 1e-7 : 1, train_acc: 1, test_loss: ev ? tl : null, test_acc: ev ? 1 : null });
  }
  const o = runOutcome(m);
  assert.equal(o.test_eval_every, 100);
  assert.equal(o.test_loss_max_epoch, 200);
  assert.equal(o.second_descent_onset_epoch, 800, 'the drop at 740 is seen at the next evaluation');
  assert.equal(o.test_loss_threshold_first_epoch, 800);
  assert.equal(o.train_loss_threshold_first_epoch, 123, 'train loss is recorded every epoch');
  assert.equal(o.performance_classification, 'healthy');
  assert.equal(o.grok_epoch, 800);
  assert.equal(o.epoch_convention, 'steps');
  // No test loss at all: no class.
  const none = runOutcome(m.map((r) => ({ ...r, test_loss: null, test_acc: null })));
  assert.equal(none.performance_classification, null);
  assert.equal(none.second_descent_onset_epoch, null);
});
