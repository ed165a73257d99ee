/** The committed frequencies of one checkpoint are dynamics.ts's committed frequencies at that checkpoint, over random and edge-case inputs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DYNAMICS_RULES, committedFrequencies } from '../../../src/analysis/library/commitment.js';
import { neuronDynamics } from '../../../src/analysis/dynamics.js';
import { rng } from '../helpers.js';

test('committed frequencies of a checkpoint equal neuronDynamics\' committed frequencies there, flat neurons never count, and exactly 10 % of d_mlp commits', () => {
  const r = rng(12);
  for (let trial = 0; trial < 20; trial++) {
    const m = 40 + Math.floor(r() * 60), F = 8, E = 3;
    const maxFrac = Float64Array.from({ length: E * m }, () => (r() < 0.1 ? NaN : 0.5 + 0.5 * r()));
    const dominant = Int32Array.from({ length: E * m }, () => 1 + Math.floor(r() * r() * F));
    const d = neuronDynamics({ epochs: [0, 1, 2], dMlp: m, nFreq: F, maxFrac, dominant });
    for (let i = 0; i < E; i++) {
      assert.deepEqual(committedFrequencies(maxFrac.subarray(i * m, (i + 1) * m), dominant.subarray(i * m, (i + 1) * m), F), d.committed_frequencies[i], `trial ${trial} checkpoint ${i}`);
    }
  }
  // 20 neurons: 2 specialised on frequency 3 commit it (10 %); 1 on frequency 4 does not; flat ones are skipped.
  const maxFrac = new Float64Array(20).fill(NaN), dominant = new Int32Array(20);
  maxFrac[0] = maxFrac[1] = DYNAMICS_RULES.specialised; dominant[0] = dominant[1] = 3;
  maxFrac[2] = 0.99; dominant[2] = 4;
  maxFrac[3] = DYNAMICS_RULES.specialised - 1e-9; dominant[3] = 4;
  assert.deepEqual(committedFrequencies(maxFrac, dominant, 5), [3]);
});
