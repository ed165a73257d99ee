import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grokkingTimes } from '../../src/metrics/grokking.js';
import type { MetricRow } from '../../src/store/store.js';

const row = (epoch: number, train_acc: number, test_loss: number | null, test_acc: number | null): MetricRow =>
  ({ epoch, train_loss: 1, train_acc, test_loss, test_acc });

test('grokking times on a hand-made metrics list (epochs without evaluation skipped)', () => {
  const metrics = [
    row(0, 0.01, 4.7, 0.01),
    row(100, 0.5, 3.0, 0.2),
    row(200, 0.99, 2.0, 0.4),   // memorised (≥ 0.99)
    row(300, 1, null, null),     // no evaluation
    row(400, 1, 0.9, 0.51),      // test acc first > 0.5
    row(500, 1, 0.02, 0.99),     // test acc ≥ 0.99, loss not yet < 0.01
    row(600, 1, 0.01, 1),        // exactly 0.01 is not below 0.01
    row(700, 1, 0.009, 1),       // grokked
    row(800, 1, null, null),
    row(900, 1, 0.005, 1),
  ];
  assert.deepEqual(grokkingTimes(metrics), {
    grok_epoch: 700, grok_epoch_acc: 500, memorise_epoch: 200, acc_half_epoch: 400, stays_below: true,
  });
  // The threshold is a parameter.
  assert.equal(grokkingTimes(metrics, { grokLoss: 0.5 }).grok_epoch, 500);
  // Unsorted input gives the same answer.
  assert.deepEqual(grokkingTimes([...metrics].reverse()), grokkingTimes(metrics));
});

test('a run whose test loss rises again after crossing does not stay below; one that never groks gives null', () => {
  const spiky = [row(0, 1, 1, 0.5), row(1, 1, 0.005, 1), row(2, 1, 0.3, 0.9), row(3, 1, 0.004, 1)];
  const t = grokkingTimes(spiky);
  assert.equal(t.grok_epoch, 1);
  assert.equal(t.stays_below, false);
  const never = [row(0, 0.2, 4, 0.01), row(1, 0.98, 3, 0.3)];
  assert.deepEqual(grokkingTimes(never), {
    grok_epoch: null, grok_epoch_acc: null, memorise_epoch: null, acc_half_epoch: null, stays_below: null,
  });
  assert.deepEqual(grokkingTimes([]).grok_epoch, null);
});
