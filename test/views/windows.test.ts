/**
 * The grokking windows on the training curves: memorisation, plateau, second descent and clean-up,
 * each from one event of the run to the next, cut where an event never came; drawn as shaded
 * rectangles under the curves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingCurves } from '../../src/views/figures/timeseries.js';
import { grokWindows, WINDOW_NAMES } from '../../src/views/figures/windows.js';
import { renderSvg } from '../../src/report/render.js';
import type { RunData } from '../../src/views/types.js';

function run(memorise: number | null, onset: number | null, grok: number | null, clean: number): RunData {
  const metrics = Array.from({ length: 11 }, (_, i) => ({ epoch: i * 100, train_loss: 1 / (i + 1), train_acc: Math.min(1, i / 2), test_loss: 2 / (i + 1), test_acc: i / 10 }));
  return {
    runId: 'r', p: 11, seed: 1, label: 'p=11, seed=1', maxEpoch: 1000, epochsDone: 1000, status: 'done', metrics, epochs: [], dMlp: 0, configuredDMlp: 8,
    grok: { memorise_epoch: memorise, grok_epoch: grok, grok_epoch_acc: null },
    outcome: { second_descent_onset_epoch: onset, test_loss_threshold_first_epoch: clean },
  } as unknown as RunData;
}

test('the windows run from epoch 0 through memorisation, onset, grok and test loss ≤ 1e-6, each ending where the next begins', () => {
  const w = grokWindows(run(100, 300, 500, 900));
  assert.deepEqual(w.map((x) => x.window), [...WINDOW_NAMES]);
  assert.deepEqual(w.map((x) => [x.start, x.end]), [[0, 100], [100, 300], [300, 500], [500, 900]]);
  assert.deepEqual(grokWindows(run(100, 300, null, -1)).map((x) => [x.window, x.end]), [['memorisation', 100], ['plateau', 300]], 'a run that never grokked: no descent window');
  assert.deepEqual(grokWindows(run(null, null, null, -1)), [], 'a run that never memorised has no windows');
});

test('the training curves draw one shaded rectangle per window under each panel', async () => {
  const f = trainingCurves([run(100, 300, 500, 900)]);
  const svg = await renderSvg(f.spec, f.name);
  for (const colour of ['#d9d9d9', '#fbe6c8', '#cfe3f3', '#d5ecd0']) {
    assert.equal(svg.split(`fill="${colour}"`).length - 1 >= 2, true, `${colour}: loss and accuracy panels (and the legend)`);
  }
  assert.match(svg, /clean-up \(to test loss ≤ 1e-6\)/, 'the legend names the windows');
});
