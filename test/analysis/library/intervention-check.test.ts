import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionOutputs, interventionCheck } from '../../../src/analysis/library/intervention-check.js';
import { fourierBasis } from '../../../src/math/basis.js';
import { ReferenceKernels } from '../../../src/engine/reference.js';
import { Workspace, computeTables, forward, makeBatch } from '../../../src/model/model.js';
import { type FrequencyGainSpec, applyFrequencyGain, frequencyDirections, gainMatrix, gainVector, rampFactor } from '../../../src/model/interventions.js';
import { Params } from '../../../src/model/params.js';
import type { ModelConfig } from '../../../src/config/config.js';
import { fillRandom, plainLogits } from '../../helpers/plain-model.js';

const c: ModelConfig = { p: 7, dModel: 8, nHeads: 2, dHead: 4, dMlp: 12, act: 'relu' };
const spec: FrequencyGainSpec = { type: 'frequency_gain', target_frequencies: [2], gain: { 2: 0.3 }, epoch_start: 10, epoch_end: 110, ramp_epochs: 20 };

function setup() {
  const k = new ReferenceKernels('f64');
  const params = Params.zeros(c, (n) => k.alloc(n));
  fillRandom(params.flat, 21, 0.5);
  const dirs = frequencyDirections(params.t['embed.W_E'], c.p, c.dModel, fourierBasis(c.p));
  return { k, params, dirs };
}

test('attention outputs at positions 0, 1, 2 equal the plain three-position model\'s hook_attn_out (b_O included)', () => {
  const { k, params } = setup();
  const x = attentionOutputs(k, params);
  let maxDiff = 0;
  for (let a = 0; a < c.p; a++) {
    for (let b = 0; b < c.p; b++) {
      const seen: number[][] = [];
      plainLogits(params, a, b, { attnOut: (v) => { seen.push(v.slice()); return v; } });
      assert.equal(seen.length, 3);
      for (let pos = 0; pos < 3; pos++) {
        for (let j = 0; j < c.dModel; j++) maxDiff = Math.max(maxDiff, Math.abs(x[((a * c.p + b) * 3 + pos) * c.dModel + j] - seen[pos][j]));
      }
    }
  }
  assert.ok(maxDiff < 1e-12, `max difference ${maxDiff}`);
});

test('the check\'s hooked attention output is the one the training pass uses (model with M at the last position); outside the window the hook is the identity', () => {
  const { k, params, dirs } = setup();
  const epoch = 20; // ramp 0.5
  assert.equal(rampFactor(epoch, spec), 0.5);
  const x = attentionOutputs(k, params);
  const n = x.length / c.dModel;
  const modified = applyFrequencyGain(x, n, dirs, gainVector(spec, dirs.nFreq), 0.5);
  const M = k.alloc(c.dModel * c.dModel);
  M.set(gainMatrix(dirs, gainVector(spec, dirs.nFreq), 0.5));
  const hooks = { attnOut: M };
  const batch = makeBatch(c.p, Array.from({ length: c.p * c.p }, (_, i) => i));
  const ws = new Workspace(k, params, batch.n);
  const tables = computeTables(k, params, undefined, hooks);
  const fw = forward(k, params, tables, batch, ws, true, hooks);
  // r = x2 + hooked attention output at position 2.
  const X = computeTables(k, params).X;
  const x2 = X.subarray(2 * c.p * c.dModel);
  for (let i = 0; i < batch.n; i++) {
    for (let j = 0; j < c.dModel; j++) {
      assert.ok(Math.abs(fw.r[i * c.dModel + j] - x2[j] - modified[(i * 3 + 2) * c.dModel + j]) < 1e-12);
    }
  }
  const check = interventionCheck(k, params, epoch, spec, dirs);
  assert.equal(check.ramp_factor, 0.5);
  assert.deepEqual(check.effective_gain.map((g) => Math.round(g * 1000) / 1000), [1, 0.65, 1]);
  assert.ok(check.modified_rms[1] < check.baseline_rms[1], 'the target frequency is damped');
  const outside = interventionCheck(k, params, 200, spec, dirs);
  assert.deepEqual(outside.modified_rms, outside.baseline_rms);
});
