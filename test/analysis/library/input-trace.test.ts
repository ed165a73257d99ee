import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceKernels } from '../../../src/engine/reference.js';
import { graduationEpochs, inputTrace } from '../../../src/analysis/library/input-trace.js';
import { plainLogits } from '../../helpers/plain-model.js';
import { f64Params, relClose, tiny } from '../further-helpers.js';

test('input trace: every pair\'s prediction, correctness and softmax confidence equal the plain float64 model\'s; class accuracies are counted per residue and split', () => {
  const k = new ReferenceKernels('f64');
  const params = f64Params(tiny, 5, 0.9);
  const p = tiny.p;
  const train = [0, 3, 8, 10, 17, 22, 30, 31, 40, 48];
  const r = inputTrace(k, params, train);
  const correct: number[] = [];
  for (let i = 0; i < p * p; i++) {
    const l = plainLogits(params, Math.floor(i / p), i % p);
    const mx = Math.max(...l);
    const pred = l.indexOf(mx);
    assert.equal(r.predictions[i], pred, `pair ${i}`);
    const z = l.reduce((s, v) => s + Math.exp(v - mx), 0);
    relClose(r.confidence[i], 1 / z, 1e-12, `confidence ${i}`);
    correct.push(pred === (Math.floor(i / p) + (i % p)) % p ? 1 : 0);
  }
  assert.deepEqual(Array.from(r.correct), correct);
  assert.ok(correct.some((c) => c === 1) && correct.some((c) => c === 0), 'the fixture has right and wrong pairs');
  for (let c = 0; c < p; c++) {
    const ofClass = (inTrain: boolean | null) => correct.filter((_, i) => (Math.floor(i / p) + (i % p)) % p === c && (inTrain === null || train.includes(i) === inTrain));
    const acc = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
    relClose(r.classAccuracy[c] + 1, acc(ofClass(null)) + 1, 1e-15, `class ${c}`);
    relClose(r.testClassAccuracy![c] + 1, acc(ofClass(false)) + 1, 1e-15, `test class ${c}`);
    relClose(r.trainClassAccuracy![c] + 1, acc(ofClass(true)) + 1, 1e-15, `train class ${c}`);
  }
  relClose(r.trainAccuracy! + 1, train.reduce((s, i) => s + correct[i], 0) / train.length + 1, 1e-15, 'train accuracy');
  assert.deepEqual(Array.from(r.split!).flatMap((s, i) => (s ? [i] : [])), train);
  assert.equal(inputTrace(k, params, null).split, null);
});

test('graduation: the first checkpoint from which a pair is correct at 3 consecutive checkpoints, −1 if never', () => {
  const epochs = [0, 100, 200, 300, 400, 500];
  const rows = [ // pairs as columns: [graduates at 100, relapses then graduates at 300, never (2 in a row only), correct from 0]
    [0, 0, 0, 1], [1, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 1], [1, 1, 0, 1],
  ].map((r) => Uint8Array.from(r));
  assert.deepEqual(Array.from(graduationEpochs(rows, epochs)), [100, 300, -1, 0]);
  assert.deepEqual(Array.from(graduationEpochs(rows, epochs, 1)), [100, 100, 100, 0]);
});
