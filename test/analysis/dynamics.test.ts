import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dynamicsSummary, neuronDynamics } from '../../src/analysis/dynamics.js';

/**
 * A constructed run: 100 neurons, 10 frequencies, checkpoints every 100 epochs (0..900), each
 * neuron's (dominant frequency, max_frac) set per checkpoint with a known story.
 */
function constructed() {
  const m = 100, F = 10, E = 10;
  const epochs = Array.from({ length: E }, (_, i) => i * 100);
  const maxFrac = new Float64Array(E * m).fill(0.1);
  const dominant = new Int32Array(E * m).fill(1);
  const set = (i: number, n: number, k: number, x: number) => { dominant[i * m + n] = k; maxFrac[i * m + n] = x; };
  for (let i = 0; i < E; i++) {
    // 0..44: frequency 3, 0.5 at checkpoint 1, specialised (0.9) from checkpoint 2.
    for (let n = 0; n <= 44; n++) set(i, n, 3, i === 1 ? 0.5 : i >= 2 ? 0.9 : 0.1);
    // 45..84: frequency 7 at checkpoints 3–4 (specialised), then frequency 5 from checkpoint 5.
    for (let n = 45; n <= 84; n++) if (i >= 3) set(i, n, i <= 4 ? 7 : 5, 0.8);
    // 85..92: frequency 9 specialised at checkpoints 4–6, then 0.4 (still dominant 9, not specialised).
    for (let n = 85; n <= 92; n++) if (i >= 4) set(i, n, 9, i <= 6 ? 0.75 : 0.4);
    // 93..96: flat throughout.
    for (let n = 93; n <= 96; n++) set(i, n, 0, NaN);
    // 97..99: alternate 1, 2, 1, … at 0.5 (above the switch floor 0.3, never specialised).
    for (let n = 97; n <= 99; n++) set(i, n, 1 + (i % 2), 0.5);
  }
  set(6, 0, 3, 0.65);   // neuron 0 dips below 0.7 at checkpoint 6: committed from 700
  set(4, 1, 4, 0.9);    // neuron 1 specialises on frequency 4 at checkpoint 4: two switches, committed from 500
  return { epochs, dMlp: m, nFreq: F, maxFrac, dominant };
}

test('neuron dynamics of a constructed run: counts, learned and committed frequencies, commitments, switches', () => {
  const d = neuronDynamics(constructed());
  const count = (i: number, k: number) => d.specialised_counts[i * 10 + k - 1];
  assert.equal(count(1, 3), 0);
  assert.equal(count(2, 3), 45);
  assert.equal(count(3, 7), 40);
  assert.equal(count(4, 3), 44);
  assert.equal(count(4, 4), 1);
  assert.equal(count(6, 3), 44);
  assert.equal(count(9, 5), 40);
  assert.equal(count(9, 9), 0);
  assert.deepEqual(d.specialised_total, [0, 0, 45, 85, 93, 93, 92, 85, 85, 85]);
  assert.deepEqual(d.learned_frequencies[4], [3, 4, 7, 9]);
  assert.deepEqual(d.committed_frequencies[4], [3, 7]);
  assert.deepEqual(d.final_committed_frequencies, [3, 5]);
  assert.deepEqual(d.final_learned_frequencies, [3, 5]);
  // Commitment epochs.
  assert.equal(d.commitment_epochs[0], 700);
  assert.equal(d.commitment_epochs[1], 500);
  for (let n = 2; n <= 44; n++) assert.equal(d.commitment_epochs[n], 200);
  for (let n = 45; n <= 84; n++) assert.equal(d.commitment_epochs[n], 500);
  for (let n = 85; n <= 99; n++) assert.equal(d.commitment_epochs[n], null, `neuron ${n}`);
  assert.equal(d.competition_window_start, 200);
  assert.equal(d.competition_window_end, 700);
  // Switches: counted between checkpoints where max_frac ≥ 3/10.
  assert.equal(d.switch_counts[0], 0);
  assert.equal(d.switch_counts[1], 2);
  assert.equal(d.switch_counts[50], 1);
  assert.equal(d.switch_counts[90], 0, 'staying on 9 below 0.7 is no switch');
  assert.equal(d.switch_counts[95], 0, 'flat');
  assert.equal(d.switch_counts[98], 9);
  assert.equal(d.final_dominant[95], 0);
  assert.equal(d.final_dominant[90], 9);
});

test('first mover: the first frequency with 40 specialised neurons, the larger count winning a tie of checkpoints', () => {
  const d = neuronDynamics(constructed());
  assert.equal(d.first_mover_frequency, 3);
  assert.equal(d.first_mover_epoch, 200);
  assert.equal(d.first_mover_count, 45);
  assert.equal(d.first_mover_survived, true);
  // Frequency 7 also specialised at checkpoint 2 (40 neurons): both qualify there, 3 has more.
  const c1 = constructed();
  for (let n = 45; n <= 84; n++) { c1.maxFrac[200 + n] = 0.8; c1.dominant[200 + n] = 7; }
  const d1 = neuronDynamics(c1);
  assert.deepEqual([d1.first_mover_frequency, d1.first_mover_epoch, d1.first_mover_count], [3, 200, 45]);
  // Frequency 3 with only 36 neurons: frequency 7 (40 at epoch 300) moves first, and does not survive.
  const c = constructed();
  for (let i = 0; i < 10; i++) for (let n = 36; n <= 44; n++) { c.maxFrac[i * 100 + n] = 0.1; }
  const d2 = neuronDynamics(c);
  assert.equal(d2.first_mover_frequency, 7);
  assert.equal(d2.first_mover_epoch, 300);
  assert.equal(d2.first_mover_survived, false);
  // Nothing reaches 40: no first mover.
  const c3 = constructed();
  for (let i = 0; i < 10; i++) for (let n = 0; n <= 84; n++) if (n % 2) c3.maxFrac[i * 100 + n] = 0.1;
  assert.equal(neuronDynamics(c3).first_mover_frequency, null);
});

test('transient frequencies: qualified at 5 % of d_mlp, below 10 % at the end, with their homeless neurons', () => {
  const d = neuronDynamics(constructed());
  assert.deepEqual(d.transient_frequencies.map(({ peak_members, ...t }) => ({ ...t, members: peak_members.length })), [
    { frequency: 7, peak_epoch: 300, peak_count: 40, final_count: 0, homeless_count: 0, members: 40 },
    { frequency: 9, peak_epoch: 400, peak_count: 8, final_count: 0, homeless_count: 8, members: 8 },
  ]);
  assert.deepEqual(d.transient_frequencies[1].peak_members, [85, 86, 87, 88, 89, 90, 91, 92]);
  assert.equal(d.homeless_neuron_count, 8);
  assert.equal(d.homeless_neuron_fraction, 0.08);
  // Frequency 4 (one neuron) never qualifies; frequency 5 is final, not transient.
  const s = dynamicsSummary(d);
  assert.equal(s.transient_frequency_count, 2);
  assert.equal(s.committed_neurons, 85);
});
