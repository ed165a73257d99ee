/** Fragile classes: the two lines' neighbourhoods at their exact edges, and ensembles as class distributions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ClassedRun, distributionText, fragileReasons, fragileVariants } from '../../src/study/fragile.js';

const run = (jitter: number, cls: string, final: number, onset: number | null, p = 101): ClassedRun => ({
  run_id: `p${p}-j${jitter}`, p, seed: 999, data_seed: 598, jitter,
  outcome: { performance_classification: cls as never, test_loss_final: final, second_descent_onset_epoch: onset },
});

test('a final test loss within a factor of 10 of 1e-5 (edges included) or an onset within 500 epochs of 12,000 is fragile; just outside is not', () => {
  for (const f of [1e-6, 1e-5, 1e-4, 1.8e-5]) assert.equal(fragileReasons(run(0, 'x', f, 5000).outcome).length, 1, `${f}`);
  for (const f of [9.9e-7, 1.01e-4, 2e-7, 0.14]) assert.equal(fragileReasons(run(0, 'x', f, 5000).outcome).length, 0, `${f}`);
  for (const o of [11500, 12000, 12500]) assert.match(fragileReasons(run(0, 'x', 2e-7, o).outcome).join(), /onset/, `${o}`);
  for (const o of [11499, 12501, null]) assert.equal(fragileReasons(run(0, 'x', 2e-7, o).outcome).length, 0, `${o}`);
  assert.equal(fragileReasons(run(0, 'x', 2e-5, 12100).outcome).length, 2);
  assert.deepEqual(fragileReasons(null), []);
});

test('a fragile run gets its jitters as an ensemble and its class as a distribution; other variants and jitter members are not listed', () => {
  const base = [run(0, 'degraded', 1.8e-5, 13746), run(0, 'healthy', 2e-7, 6000, 97)];
  const ens = [run(1, 'late_grokker', 3e-6, 13000), run(2, 'degraded', 2e-5, 13800), run(3, 'late_grokker', 5e-6, 13100), run(4, 'degraded', 4e-5, 14000),
    run(1, 'healthy', 2e-7, 6100, 97)];
  const v = fragileVariants(base, ens);
  assert.equal(v.length, 1);
  assert.deepEqual(v[0].members.map((m) => m.jitter), [0, 1, 2, 3, 4]);
  assert.deepEqual(v[0].distribution, { degraded: 3, late_grokker: 2 });
  assert.equal(distributionText(v[0]), 'degraded 3/5, late_grokker 2/5');
  assert.deepEqual(fragileVariants(base).map((x) => x.members.length), [1]);
});
