import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  failureMode, frequencyBand, nearestEpoch, neuronKeyEpochs, variantSummary, windowMetrics, windowRanges,
  type LossKeyEpochs, type NeuronPopulations, type VariantSummaryInput,
} from '../../../src/analysis/library/variant-summary.js';
import { lossLookup, VARIANT_SUMMARY, variantSummaryAnalyzer } from '../../../src/analysis/analyzers/variant-summary.js';
import { runOutcome } from '../../../src/metrics/outcome.js';
import { findAnalyzer } from '../../../src/analysis/registry.js';
import type { MetricRow } from '../../../src/metrics/metric-row.js';

/**
 * A constructed run of 1000 epochs: train loss 2·10^(−e/20) (≤ 1e-6 first at e = 127), test loss
 * rising to its peak 5 at e = 100, flat to 399, then 0.5 from 400 (a 90 % drop: the onset), 10^(−(e−400)/25)·0.5
 * from 401 (≤ 1e-6 first at 543), and 2e-7 from 600 on.
 */
function curve(): MetricRow[] {
  const rows: MetricRow[] = [];
  for (let e = 0; e <= 1000; e++) {
    const train = 2 * 10 ** (-e / 20);
    let test: number;
    if (e <= 100) test = 1 + (4 * e) / 100;
    else if (e < 400) test = 5;
    else if (e < 600) test = 0.5 * 10 ** (-(e - 400) / 25);
    else test = 2e-7;
    rows.push({ epoch: e, train_loss: train, train_acc: 1, test_loss: test, test_acc: 1 });
  }
  return rows;
}

const CHECKPOINTS = [0, 40, 90, 130, 380, 420, 540, 700, 1000];

test('the constructed curve\'s loss key epochs are the ones written out: train ≤ 1e-6 at 127, onset 400, test ≤ 1e-6 at 543', () => {
  const o = runOutcome(curve());
  // 2·10^(−e/20) ≤ 1e-6 ⇔ e ≥ 20·log10(2e6) = 126.02; 0.5·10^(−(e−400)/25) ≤ 1e-6 ⇔ e ≥ 400 + 25·log10(5e5) = 542.47.
  assert.equal(o.train_loss_threshold_first_epoch, Math.ceil(20 * Math.log10(2e6)));
  assert.equal(o.second_descent_onset_epoch, 400);
  assert.equal(o.test_loss_threshold_first_epoch, Math.ceil(400 + 25 * Math.log10(5e5)));
  assert.equal(o.test_loss_max_epoch, 100);
});

test('the phase windows: each end at the nearest checkpoint (the earlier on a tie), plateau between, cascade from the first mover\'s 40 neurons to the PR crossover, final to the last checkpoint', () => {
  const loss: LossKeyEpochs = { train_loss_threshold_first_epoch: 127, second_descent_onset_epoch: 400, test_loss_threshold_first_epoch: 543, test_loss_min_epoch: 600, test_loss_final: 2e-7, test_loss_max_epoch: 100 };
  const w = windowRanges(loss, CHECKPOINTS, { first_mover_count_epoch: 300, crossover_epoch: 500 });
  assert.deepEqual(w.first_descent, { start_epoch: 0, end_epoch: 130 });
  assert.deepEqual(w.second_descent, { start_epoch: 380, end_epoch: 540 }, '400 is 20 from both 380 and 420: the earlier');
  assert.deepEqual(w.plateau, { start_epoch: 130, end_epoch: 380 });
  assert.deepEqual(w.cascade, { start_epoch: 300, end_epoch: 500 });
  assert.deepEqual(w.final, { start_epoch: 540, end_epoch: 1000 });
});

test('MIScope\'s truthiness: a −1 epoch passes (nearest(−1) = the first checkpoint), 0 and null do not; no test loss ≤ 1e-6 ends the second descent at the minimum', () => {
  const loss: LossKeyEpochs = { train_loss_threshold_first_epoch: -1, second_descent_onset_epoch: 410, test_loss_threshold_first_epoch: -1, test_loss_min_epoch: 690, test_loss_final: 0.3, test_loss_max_epoch: 100 };
  const w = windowRanges(loss, CHECKPOINTS, { first_mover_count_epoch: -1, crossover_epoch: 500 });
  assert.deepEqual(w.first_descent, { start_epoch: 0, end_epoch: 0 });
  assert.deepEqual(w.second_descent, { start_epoch: 420, end_epoch: 700 });
  assert.deepEqual(w.plateau, { start_epoch: 0, end_epoch: 420 });
  assert.deepEqual(w.cascade, { start_epoch: -1, end_epoch: 500 });
  const none = windowRanges({ ...loss, second_descent_onset_epoch: null }, CHECKPOINTS, { first_mover_count_epoch: 0, crossover_epoch: 500 });
  assert.deepEqual(none.second_descent, { start_epoch: 0, end_epoch: 0 });
  assert.deepEqual(none.cascade, { start_epoch: 0, end_epoch: 0 });
  assert.deepEqual(none.final, { start_epoch: 0, end_epoch: 1000 });
  assert.equal(nearestEpoch([], 50), 0);
});

/** Four frequencies, 200 neurons, checkpoints 0, 100, 200, 300, 400 with hand-set specialised counts. */
function populations(): NeuronPopulations {
  const epochs = [0, 100, 200, 300, 400], F = 4;
  const counts = [
    [0, 0, 0, 0],
    [0, 1, 5, 0],   // first specialised neurons: the first mover is k = 2 (the smallest)
    [0, 40, 30, 0], // k = 2 reaches 40
    [10, 60, 35, 0], // 105 specialised: the total passes 100
    [0, 70, 15, 25],
  ];
  const m = 200, committedMin = 0.1 * m;
  return {
    epochs, nFreq: F, dMlp: m, specialised_counts: counts.flat(),
    learned_frequencies: counts.map((c) => c.flatMap((x, k) => (x > 0 ? [k + 1] : []))),
    committed_frequencies: counts.map((c) => c.flatMap((x, k) => (x >= committedMin ? [k + 1] : []))),
    commitment_epochs: [...Array(m).keys()].map((n) => (n < 70 ? 200 : n < 95 ? 400 : n < 110 ? 300 : null)),
    transient_frequencies: [{ frequency: 3 }, { frequency: 1 }], homeless_neuron_count: 12, homeless_neuron_fraction: 12 / m,
  };
}

test('key epochs: the first mover is the first checkpoint with a specialised neuron and its smallest frequency; 40 neurons on it at 200; 100 specialised at 300; −1 without data', () => {
  assert.deepEqual(neuronKeyEpochs(populations()), {
    first_mover_epoch: 100, first_mover_frequency: 2, first_mover_frequency_count_threshold_epoch: 200, total_neurons_over_specialization_threshold_epoch: 300,
  });
  assert.deepEqual(neuronKeyEpochs(null), { first_mover_epoch: -1, first_mover_frequency: -1, first_mover_frequency_count_threshold_epoch: -1, total_neurons_over_specialization_threshold_epoch: -1 });
});

function input(loss: LossKeyEpochs, metrics: MetricRow[]): VariantSummaryInput {
  return {
    p: 11, loss, checkpoints: [0, 100, 200, 300, 400], lossAt: lossLookup(metrics), neurons: populations(),
    effdim: { epochs: [0, 200, 400], values: { pr_w_in: [5, 4, 3], pr_w_out: [5, 6, 2] } },
    crossover: { epoch: 400, W_E_pr: 7.5 },
    geometry: { epochs: [0, 100, 200, 300, 400], values: { resid_post_circularity: [0.1, 0.2, 0.9, 0.5, 0.4], resid_post_fisher_mean: [1, 2, 3, 4, 5] } },
  };
}

test('a window\'s metrics: losses at its ends, frequencies, their bands, gains and losses, PR and geometry at the nearest analysed checkpoint; start ≥ end is skipped', () => {
  const metrics: MetricRow[] = [0, 100, 200, 300, 400].map((e) => ({ epoch: e, train_loss: 1 / (e + 1), train_acc: 1, test_loss: e === 300 ? null : 2 / (e + 1), test_acc: 1 }));
  const inp = input({ train_loss_threshold_first_epoch: 100, second_descent_onset_epoch: 300, test_loss_threshold_first_epoch: -1, test_loss_min_epoch: 400, test_loss_final: 0.005, test_loss_max_epoch: 0 }, metrics);
  const w = windowMetrics({ start_epoch: 100, end_epoch: 300 }, inp);
  assert.equal(w.train_loss_start, 1 / 101); assert.equal(w.test_loss_start, 2 / 101);
  assert.equal(w.train_loss_end, 1 / 301); assert.equal(w.test_loss_end, null, 'no test evaluation at 300');
  assert.deepEqual(w.learned_frequencies_start, [2, 3]); assert.deepEqual(w.learned_frequencies_end, [1, 2, 3]);
  // p = 11: low k ≤ 2, high k > 4, mid 3..4.
  assert.deepEqual(w.learned_frequency_bands_start, ['low', 'mid']);
  assert.deepEqual(w.committed_frequencies_start, []); assert.deepEqual(w.committed_frequencies_end, [2, 3]);
  assert.deepEqual(w.frequency_gains, [2, 3]); assert.deepEqual(w.frequency_losses, []);
  // effdim epochs 0, 200, 400: 100 is as near 0 as 200 (the earlier), 300 as near 200 as 400.
  assert.deepEqual([w.resid_post_pr_w_in_start, w.resid_post_pr_w_in_end, w.resid_post_pr_w_out_start, w.resid_post_pr_w_out_end], [5, 4, 5, 6]);
  assert.deepEqual([w.resid_post_circularity_start, w.resid_post_circularity_end, w.resid_post_fisher_mean_start, w.resid_post_fisher_mean_end], [0.2, 0.5, 2, 4]);
  assert.deepEqual(windowMetrics({ start_epoch: 300, end_epoch: 300 }, inp), { start_epoch: 300, end_epoch: 300, skipped: true, skip_reason: 'start_epoch >= end_epoch' });
  assert.equal(windowMetrics({ start_epoch: -1, end_epoch: 100 }, inp).train_loss_start, 1 / 401, 'epoch −1 is the last row, as a Python index');
  assert.deepEqual([1, 2, 3, 4, 5].map((k) => frequencyBand(k, 11)), ['low', 'low', 'mid', 'mid', 'high']);
});

test('the summary: competition window from the commitment epochs, learned frequencies, the handshake at the onset (searchsorted), the onset portfolio, max circularity, failure mode', () => {
  const metrics: MetricRow[] = [0, 100, 200, 300, 400].map((e) => ({ epoch: e, train_loss: 1, train_acc: 1, test_loss: 1, test_acc: 1 }));
  const s = variantSummary(input({ train_loss_threshold_first_epoch: 100, second_descent_onset_epoch: 250, test_loss_threshold_first_epoch: 400, test_loss_min_epoch: 400, test_loss_final: 1e-7, test_loss_max_epoch: 50 }, metrics));
  assert.deepEqual([s.competition_window_start, s.competition_window_end, s.competition_window_duration], [200, 400, 200]);
  assert.deepEqual(s.learned_frequencies, [2, 4]); // counts ≥ 20 at the last checkpoint: 70 on k = 2, 25 on k = 4
  assert.equal(s.learned_frequency_count, 2);
  assert.deepEqual(s.committed_frequencies_at_onset, [2, 3]); // the first checkpoint ≥ 250 is 300
  assert.deepEqual(s.handshake_failures, [3]); assert.equal(s.handshake_succeeded, false);
  assert.deepEqual(s.second_descent_onset_committed_frequencies, [1, 2, 3]);
  assert.deepEqual(s.second_descent_onset_frequency_bands, ['low', 'low', 'mid']);
  assert.equal(s.second_descent_onset_has_low_band, true); assert.equal(s.second_descent_onset_band_count, 2);
  assert.equal(s.max_resid_post_circularity, 0.9);
  assert.deepEqual([s.effective_dimensionality_cross_over_epoch, s.effective_dimensionality_crossover_W_E_pr], [400, 7.5]);
  assert.deepEqual(s.cascade_window, { ...(s.cascade_window as object), start_epoch: 200, end_epoch: 400 });
  assert.deepEqual([s.failure_mode, s.failure_mode_reasons], ['healthy', ['grokking onset on time, final loss acceptable']]);
  assert.deepEqual([s.transient_frequencies, s.transient_frequency_count, s.homeless_neuron_count, s.homeless_neuron_fraction, s.transient_detection_threshold], [[1, 3], 2, 12, 0.06, 0.05]);
  assert.deepEqual([s.peak_test_loss_epoch, s.final_test_loss], [50, 1e-7]);
});

test('failure_mode as VariantAnalysisSummary classifies: no onset, final test loss above 1e-6, onset after 12000, else healthy (degraded_recovery never, as MIScope passes no post-descent increase)', () => {
  assert.deepEqual(failureMode(null, 1e-9), { failure_mode: 'no_grokking', failure_mode_reasons: ['never reached test_loss < 1e-06'] });
  assert.deepEqual(failureMode(0, 1e-9).failure_mode, 'healthy', 'an onset at 0 is an onset here (unlike performance_classification)');
  assert.deepEqual(failureMode(5000, 0.12345), { failure_mode: 'degraded', failure_mode_reasons: ['final_test_loss=0.1235 > 1e-06'] });
  assert.deepEqual(failureMode(5000, 2e-6).failure_mode, 'degraded', '2e-6 passes outcome\'s 1e-5 but not failure_mode\'s 1e-6');
  assert.deepEqual(failureMode(12001, 1e-7), { failure_mode: 'late_grokker', failure_mode_reasons: ['grokking_onset=12001 > 12000'] });
  assert.equal(failureMode(12000, 1e-6).failure_mode, 'healthy');
});

test('variant_summary is a run analyzer after the checkpoint analyzers it reads', () => {
  assert.equal(findAnalyzer(VARIANT_SUMMARY), variantSummaryAnalyzer);
  assert.equal(variantSummaryAnalyzer.tier, 'run');
  assert.deepEqual([...variantSummaryAnalyzer.requires], ['neuron_fourier', 'effective_dimensionality', 'repr_geometry']);
});
