import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distributionStats, histogram, percentileSorted, summaryStats } from '../../src/math/summary.js';

const close = (x: number | null, y: number, tol = 1e-12) => assert.ok(x !== null && Math.abs(x - y) < tol, `${x} vs ${y}`);

test('summary statistics of a hand-computed example (flat neurons left out and counted)', () => {
  // Non-flat values 0, 0.2, 0.5, 0.6, 0.7, 0.8, 1 (n = 7), plus two flat neurons (NaN).
  const s = summaryStats(Float64Array.from([0.5, NaN, 0, 1, 0.2, 0.8, NaN, 0.6, 0.7]));
  close(s.mean_coarseness, 3.8 / 7);
  // Population std: Σx² = 2.78, Σ(x − mean)² = 2.78 − 3.8²/7.
  close(s.std_coarseness, Math.sqrt((2.78 - 3.8 ** 2 / 7) / 7));
  close(s.median_coarseness, 0.6);
  close(s.min_coarseness, 0);
  close(s.max_coarseness, 1);
  // Linear interpolation: position 0.25·6 = 1.5 → halfway between 0.2 and 0.5; 0.75·6 = 4.5 → between 0.7 and 0.8.
  close(s.p25_coarseness, 0.35);
  close(s.p75_coarseness, 0.75);
  // Strict > : 0.5 is not above 0.5, 0.7 not above 0.7.
  assert.equal(s['num_blob_neurons_0.5'], 4);
  assert.equal(s['num_blob_neurons_0.6'], 3);
  assert.equal(s['num_blob_neurons_0.7'], 2);
  assert.equal(s['num_blob_neurons_0.8'], 1);
  assert.equal(s.blob_count, 3); // ≥ 0.7
  assert.equal(s.num_flat_neurons, 2);
  close(s.frac_low_coarseness, 2 / 7);
  close(s.frac_mid_coarseness, 2 / 7);
  close(s.frac_high_coarseness, 3 / 7);
  assert.equal(s.coarseness_bins.length, 21);
  assert.equal(s.coarseness_histogram.length, 20);
  assert.equal(s.coarseness_bins[0], 0);
  assert.equal(s.coarseness_bins[20], 1);
  assert.equal(s.coarseness_bins[3], 3 * 0.05); // numpy.linspace: i·step, so 0.15000000000000002
  // numpy's edges 12 and 14 are 12·0.05 = 0.6000000000000001 and 14·0.05 = 0.7000000000000001, so
  // 0.6 and 0.7 fall in bins 11 and 13; 0 in bin 0, 0.2 in 4, 0.5 in 10, 0.8 in 16, 1 in the closed last bin.
  const want = new Array(20).fill(0);
  for (const b of [0, 4, 10, 11, 13, 16, 19]) want[b]++;
  assert.deepEqual(s.coarseness_histogram, want);
  assert.deepEqual(Object.keys(s).sort(), [
    'blob_count', 'coarseness_bins', 'coarseness_histogram', 'frac_high_coarseness', 'frac_low_coarseness', 'frac_mid_coarseness',
    'max_coarseness', 'mean_coarseness', 'median_coarseness', 'min_coarseness', 'num_blob_neurons_0.5', 'num_blob_neurons_0.6',
    'num_blob_neurons_0.7', 'num_blob_neurons_0.8', 'num_flat_neurons', 'p25_coarseness', 'p75_coarseness', 'std_coarseness',
  ]);
});

test('percentiles interpolate linearly between order statistics; the median of an even count is the midpoint', () => {
  const d = distributionStats([4, 1, 3, 2], { range: [0, 5], bins: 5, thresholds: [2] });
  close(d.p25, 1.75);
  close(d.p75, 3.25);
  close(d.median, 2.5);
  assert.equal(d.above['2'], 2);
  assert.equal(d.at_least['2'], 3);
  assert.deepEqual(d.histogram, [0, 1, 1, 1, 1]);
  close(percentileSorted([10, 20, 30, 40, 50], 30), 22);
  close(percentileSorted([10, 20, 30, 40, 50], 0), 10);
  close(percentileSorted([10, 20, 30, 40, 50], 100), 50);
});

test('the histogram ignores values outside the range and NaN, and closes the last bin', () => {
  const { counts } = histogram([-0.1, 0, 0.05, 0.999, 1, 1.0000001, NaN], 20, 0, 1);
  const want = new Array(20).fill(0);
  want[0] = 1; want[1] = 1; want[19] = 2;
  assert.deepEqual(counts, want);
});

test('all neurons flat: statistics are null, counts zero', () => {
  const s = summaryStats([NaN, NaN]);
  assert.equal(s.mean_coarseness, null);
  assert.equal(s.p25_coarseness, null);
  assert.equal(s.frac_low_coarseness, null);
  assert.equal(s.num_flat_neurons, 2);
  assert.equal(s.blob_count, 0);
  assert.deepEqual(s.coarseness_histogram, new Array(20).fill(0));
});
