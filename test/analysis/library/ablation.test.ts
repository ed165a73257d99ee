/**
 * Ablation at analysis time: selectors, and on a model that really groks (the p=31 preset of
 * test/train/groks.test.ts), ablating no neuron gives the unablated numbers exactly and ablating
 * every neuron gives chance-level accuracy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AblationProbe, ablationCurves, curveCounts, orderByMeasure, parseNeuronSelector, selectNeurons } from '../../../src/analysis/library/ablation.js';
import { loadKernels } from '../../../src/engine/index.js';
import { GrokbenchError } from '../../../src/core/errors.js';
import { DEFAULTS } from '../../../src/config/config.js';
import { loadCheckpoint } from '../../../src/model/checkpoint.js';
import { makeBatch } from '../../../src/model/model.js';
import { Store } from '../../../src/store/store.js';
import { train } from '../../../src/train/trainer.js';

test('selectors: blob ≥ 0.7, plaid < 0.5 without flat neurons, top/bottom by measure with flat neurons least, lists as given', () => {
  const measure = Float64Array.from([0.9, NaN, 0.2, 0.7, 0.5, 0.69, 0.1, 0.95]);
  assert.deepEqual(Array.from(selectNeurons(parseNeuronSelector('blob', 8), measure)), [0, 3, 7]);
  assert.deepEqual(Array.from(selectNeurons(parseNeuronSelector('plaid', 8), measure)), [2, 6]);
  assert.deepEqual(Array.from(selectNeurons(parseNeuronSelector('top:2', 8), measure)), [0, 7]);
  assert.deepEqual(Array.from(selectNeurons(parseNeuronSelector('bottom:2', 8), measure)), [1, 6]);
  assert.deepEqual(Array.from(selectNeurons(parseNeuronSelector('5,1-3', 8), measure)), [5, 1, 2, 3]);
  assert.deepEqual(Array.from(orderByMeasure(measure)), [7, 0, 3, 5, 4, 2, 6, 1]);
  for (const bad of ['top:9', '8', '3-1', 'x', '1,1', 'top:-1', '']) {
    assert.throws(() => parseNeuronSelector(bad, 8), (e: unknown) => e instanceof GrokbenchError && e.exitCode === 2, bad);
  }
  assert.deepEqual(curveCounts(10, 4), [0, 3, 5, 8, 10]);
});

test('on a grokked model: ablating no neuron gives the stored unablated numbers, every neuron chance-level accuracy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-ablation-'));
  const store = Store.open(dir);
  try {
    const config = { ...DEFAULTS, p: 31, fracTrain: 0.7, lr: 3e-3, dMlp: 256, epochs: 600, checkpointEvery: 100 };
    const k = loadKernels({ threads: 1 });
    const r = train(store, k, config);
    assert.ok((r.final.test_acc ?? 0) >= 0.99, 'the preset groks');
    const ck = loadCheckpoint(store.checkpointPath(r.run_id, 600));
    const split = JSON.parse(readFileSync(join(store.runDir(r.run_id), 'split.json'), 'utf8')) as { test_indices: number[] };
    const testB = makeBatch(31, Int32Array.from(split.test_indices).sort());
    const probe = new AblationProbe(k, ck.params, testB, 3);
    const stored = store.getMetrics(r.run_id).find((m) => m.epoch === 600)!;
    for (const mode of ['zero', 'mean'] as const) {
      const none = probe.evaluate([], mode);
      assert.equal(none.loss, stored.test_loss, 'no neuron ablated: the stored test loss, bit for bit');
      assert.equal(none.acc, stored.test_acc);
      const all = probe.evaluate(Int32Array.from({ length: 256 }, (_, n) => n), mode);
      // Chance is 1/31 ≈ 3.2%; 3 binomial standard errors on the test set's pairs.
      const se = Math.sqrt((1 / 31) * (30 / 31) / testB.n);
      assert.ok(Math.abs(all.acc - 1 / 31) < 3 * se, `${mode}: accuracy with every neuron ablated ${all.acc} is chance level`);
      assert.ok(all.loss > 0.9 * Math.log(31), `${mode}: loss ${all.loss} is at least about ln p`);
    }
    // The curves: most specialised first hurts sooner than least specialised first; all three meet at both ends.
    const c = ablationCurves(probe, 'specialization', 'zero', 0, [0, 16, 256]);
    assert.equal(c.most_first[0].loss, stored.test_loss);
    assert.equal(c.random[2].loss, c.least_first[2].loss);
    assert.ok(c.most_first[1].loss > 10 * c.least_first[1].loss,
      `16 most specialised ablated: loss ${c.most_first[1].loss}; 16 least: ${c.least_first[1].loss}`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
