import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceKernels } from '../../src/engine/reference.js';
import { GrokbenchError } from '../../src/core/errors.js';
import { fourierBasis } from '../../src/math/basis.js';
import { GradWorkspace, Workspace, computeTables, forward, lossAndGrad, makeBatch } from '../../src/model/model.js';
import {
  type Hooks, MIN_GAIN, ablationHook, applyFrequencyGain, chosenNeurons, frequencyDirections, frequencyRms, gainMatrix,
  gainVector, interventionHash, parseIntervention, rampFactor,
} from '../../src/model/interventions.js';
import { Params } from '../../src/model/params.js';
import type { ModelConfig } from '../../src/config/config.js';
import { fillRandom, plainLogits } from '../helpers/plain-model.js';
import { assertGradientMatchesFiniteDifferences } from '../helpers/grad-check.js';

const small: ModelConfig = { p: 7, dModel: 8, nHeads: 2, dHead: 4, dMlp: 12, act: 'relu' };

function randomParams(k: ReferenceKernels, seed: number, scale = 0.5): Params {
  const params = Params.zeros(small, (n) => k.alloc(n));
  fillRandom(params.flat, seed, scale);
  return params;
}

const issueWindow = { epoch_start: 1500, epoch_end: 6500, ramp_epochs: 200 };

test('frequency-gain ramp over 1500-6500 with a 200-epoch ramp: 0.5 at epochs 1600 and 6400, 0 outside the window', () => {
  assert.equal(rampFactor(1499, issueWindow), 0);
  assert.equal(rampFactor(1500, issueWindow), 0);
  assert.equal(rampFactor(1600, issueWindow), 0.5);
  assert.equal(rampFactor(1700, issueWindow), 1);
  assert.equal(rampFactor(4000, issueWindow), 1);
  assert.equal(rampFactor(6300, issueWindow), 1);
  assert.equal(rampFactor(6400, issueWindow), 0.5);
  assert.equal(rampFactor(6499, issueWindow), 1 / 200);
  assert.equal(rampFactor(6500, issueWindow), 0);
  // Linear in between.
  assert.equal(rampFactor(1550, issueWindow), 0.25);
  assert.equal(rampFactor(6450, issueWindow), 0.25);
});

test('gain vector: 1 off target, the gain on target, floored at 0.1; gains of non-target frequencies are ignored', () => {
  const g = gainVector({ target_frequencies: [2, 3], gain: { 2: 0.01, 3: 2.5, 1: 0.5 } }, 5);
  assert.deepEqual(Array.from(g), [1, MIN_GAIN, 2.5, 1, 1]);
});

test('the hook matrix M equals MIScope\'s projection formula and the check RMS scales by the effective gain', () => {
  const k = new ReferenceKernels('f64');
  const params = randomParams(k, 11);
  const dirs = frequencyDirections(params.t['embed.W_E'], small.p, small.dModel, fourierBasis(small.p));
  for (let i = 0; i < dirs.nFreq; i++) {
    let n = 0;
    for (let j = 0; j < small.dModel; j++) n += dirs.sin[i * small.dModel + j] ** 2;
    assert.ok(Math.abs(n - 1) < 1e-12, 'directions have unit norm');
  }
  const gain = new Float64Array([0.2, 1, 3]);
  const M = gainMatrix(dirs, gain, 0.5);
  const x = new Float64Array(5 * small.dModel);
  fillRandom(x, 5, 1);
  const want = applyFrequencyGain(x, 5, dirs, gain, 0.5);
  for (let r = 0; r < 5; r++) {
    for (let j = 0; j < small.dModel; j++) {
      let s = 0;
      for (let i = 0; i < small.dModel; i++) s += x[r * small.dModel + i] * M[i * small.dModel + j];
      assert.ok(Math.abs(s - want[r * small.dModel + j]) < 1e-12);
    }
  }
  // A vector along one direction only: its RMS on that frequency scales by g_eff (the other directions are not orthogonal, so only this one).
  const v = dirs.cos.slice(0, small.dModel);
  const rmsBefore = frequencyRms(v, 1, dirs)[0];
  assert.ok(rmsBefore >= 1 - 1e-12, 'cos_1 has at least its own unit amplitude');
  // Ramp 0: identity.
  const I = gainMatrix(dirs, gain, 0);
  for (let i = 0; i < small.dModel; i++) for (let j = 0; j < small.dModel; j++) assert.equal(I[i * small.dModel + j], i === j ? 1 : 0);
});

function hookedFromM(k: ReferenceKernels, M: Float64Array): Hooks {
  const v = k.alloc(M.length);
  v.set(M);
  return { attnOut: v };
}

test('model with the attention-output hook equals the plain model with MIScope\'s hook at hook_attn_out (float64, b_O non-zero)', () => {
  const k = new ReferenceKernels('f64');
  const params = randomParams(k, 42);
  const dirs = frequencyDirections(params.t['embed.W_E'], small.p, small.dModel, fourierBasis(small.p));
  const gain = new Float64Array([0.1, 2, 0.5]);
  const hooks = hookedFromM(k, gainMatrix(dirs, gain, 0.75));
  const batch = makeBatch(small.p, Array.from({ length: 49 }, (_, i) => i));
  const ws = new Workspace(k, params, batch.n);
  const fw = forward(k, params, computeTables(k, params, undefined, hooks), batch, ws, true, hooks);
  const attnOut = (x: number[]) => Array.from(applyFrequencyGain(x, 1, dirs, gain, 0.75));
  let maxDiff = 0, changed = 0;
  for (let i = 0; i < batch.n; i++) {
    const want = plainLogits(params, batch.a[i], batch.b[i], { attnOut });
    const plain = plainLogits(params, batch.a[i], batch.b[i]);
    for (let o = 0; o < small.p; o++) {
      maxDiff = Math.max(maxDiff, Math.abs(fw.logits[i * small.p + o] - want[o]));
      changed = Math.max(changed, Math.abs(plain[o] - want[o]));
    }
  }
  assert.ok(maxDiff < 1e-10, `max |Δlogit| = ${maxDiff}`);
  assert.ok(changed > 1e-3, `the hook changes the logits (by ${changed})`);
});

test('model with neurons ablated equals the plain model with those post-activations replaced (zero and given means)', () => {
  const k = new ReferenceKernels('f64');
  const params = randomParams(k, 8);
  const batch = makeBatch(small.p, Array.from({ length: 49 }, (_, i) => i));
  const ws = new Workspace(k, params, batch.n);
  const means = Float64Array.from({ length: small.dMlp }, (_, n) => 0.1 * n);
  for (const hook of [ablationHook([1, 4, 11], 'zero'), ablationHook([0, 5], 'mean', means)]) {
    const fw = forward(k, params, computeTables(k, params), batch, ws, true, { ablation: hook });
    const post = new Map(Array.from(hook.neurons, (n, i) => [n, hook.values[i]] as [number, number]));
    for (let i = 0; i < batch.n; i++) {
      const want = plainLogits(params, batch.a[i], batch.b[i], { post });
      for (let o = 0; o < small.p; o++) assert.ok(Math.abs(fw.logits[i * small.p + o] - want[o]) < 1e-10);
    }
  }
});

const gradBatch = makeBatch(small.p, [0, 5, 9, 17, 23, 31, 40, 48, 12, 33, 2, 44]);

/** Neurons active on some but not all samples of the gradient batch (where ablation's gradient is not trivially zero). */
function partlyActive(k: ReferenceKernels, params: Params, count: number): number[] {
  const ws = new Workspace(k, params, gradBatch.n);
  const fw = forward(k, params, computeTables(k, params), gradBatch, ws);
  const out: number[] = [];
  for (let n = 0; n < small.dMlp && out.length < count; n++) {
    let on = 0;
    for (let r = 0; r < gradBatch.n; r++) if (fw.post[r * small.dMlp + n] > 0) on++;
    if (on > 0 && on < gradBatch.n) out.push(n);
  }
  assert.equal(out.length, count, 'enough partly active neurons');
  return out;
}

/**
 * Central finite differences of the loss against lossAndGrad's gradient, with the hooks active
 * (fresh hooks per call): every element of small tensors and of W_in, 12 spread elements of the others.
 */
function gradientCheck(makeHooks: (active: number[]) => Hooks, seed: number): void {
  const k = new ReferenceKernels('f64');
  const params = randomParams(k, seed, 0.6);
  const active = partlyActive(k, params, 3);
  const grad = Params.zeros(small, (n) => k.alloc(n));
  const batch = gradBatch;
  const ws = new Workspace(k, params, batch.n);
  const h0 = makeHooks(active);
  lossAndGrad(k, params, computeTables(k, params, undefined, h0), batch, ws, new GradWorkspace(k, params, batch.n), grad, h0);
  const lossAt = () => {
    const hk = makeHooks(active);
    const g2 = Params.zeros(small, (n) => k.alloc(n));
    return lossAndGrad(k, params, computeTables(k, params, undefined, hk), batch, ws, new GradWorkspace(k, params, batch.n), g2, hk).loss;
  };
  assertGradientMatchesFiniteDifferences(params, grad, lossAt, ['blocks.0.mlp.W_in']);
}

test('gradient with the frequency-gain hook active matches central finite differences (fixed directions, every parameter)', () => {
  const k = new ReferenceKernels('f64');
  // Directions fixed from one W_E (as MIScope fixes them at epoch_start): they do not move with the parameters.
  const dirsParams = randomParams(k, 77);
  const dirs = frequencyDirections(dirsParams.t['embed.W_E'], small.p, small.dModel, fourierBasis(small.p));
  const M = gainMatrix(dirs, new Float64Array([0.2, 3, 1]), 0.5);
  gradientCheck(() => hookedFromM(k, M), 2);
});

test('gradient with zero-ablated neurons matches central finite differences', () => {
  gradientCheck((active) => ({ ablation: ablationHook(active, 'zero') }), 4);
});

test('gradient with mean-ablated neurons (the batch mean, differentiated) matches central finite differences', () => {
  gradientCheck((active) => ({ ablation: ablationHook(active, 'mean') }), 13);
});

test('gradient with both hooks at once matches central finite differences', () => {
  const k = new ReferenceKernels('f64');
  const dirs = frequencyDirections(randomParams(k, 12).t['embed.W_E'], small.p, small.dModel, fourierBasis(small.p));
  const M = gainMatrix(dirs, new Float64Array([1, 0.1, 4]), 1);
  gradientCheck((active) => ({ ...hookedFromM(k, M), ablation: ablationHook(active.slice(0, 2), 'mean') }), 16);
});

test('intervention JSON: defaults filled in, hash ignores key order, bad documents are one-line bad input', () => {
  const a = parseIntervention('{"type":"frequency_gain","target_frequencies":[2],"gain":{"2":0.5},"epoch_start":10,"epoch_end":20}', 'f', 7, 12);
  assert.equal(a.type === 'frequency_gain' && a.ramp_epochs, 50);
  const b = parseIntervention('{"epoch_end":20,"epoch_start":10,"gain":{"2":0.5},"target_frequencies":[2],"type":"frequency_gain"}', 'f', 7, 12);
  assert.equal(interventionHash(a), interventionHash(b));
  assert.notEqual(interventionHash(a), interventionHash(parseIntervention('{"type":"ablate","neurons":[1]}', 'f', 7, 12)));
  const bad = [
    'not json', '[]', '{"type":"nope"}', '{"type":"ablate"}', '{"type":"ablate","neurons":[12]}', '{"type":"ablate","neurons":[1,1]}',
    '{"type":"ablate","neurons":[1],"count":2}', '{"type":"ablate","neurons":[1],"mode":"half"}',
    '{"type":"frequency_gain","target_frequencies":[4],"gain":{},"epoch_start":0,"epoch_end":5}',
    '{"type":"frequency_gain","target_frequencies":[1],"gain":{"1":-1},"epoch_start":0,"epoch_end":5}',
    '{"type":"frequency_gain","target_frequencies":[1],"gain":{},"epoch_start":5,"epoch_end":5}',
    '{"type":"frequency_gain","target_frequencies":[1],"gain":{},"epoch_start":0,"epoch_end":5,"ramp_epochs":0}',
    '{"type":"blob_init","count":3,"frequencies":[9]}', '{"type":"blob_init","count":3,"extra":1}', '{"type":"blob_init","count":3,"scale":"big"}',
  ];
  for (const text of bad) {
    assert.throws(() => parseIntervention(text, 'iv.json', 7, 12), (e: unknown) => e instanceof GrokbenchError && e.exitCode === 2 && !e.message.includes('\n'), text);
  }
});

test('a neuron count drawn with a seed: distinct, sorted, reproducible, seed-dependent', () => {
  const a = chosenNeurons({ count: 16, seed: 3 }, 64);
  assert.equal(new Set(a).size, 16);
  assert.deepEqual(a, chosenNeurons({ count: 16, seed: 3 }, 64));
  assert.notDeepEqual(a, chosenNeurons({ count: 16, seed: 4 }, 64));
  for (let i = 1; i < a.length; i++) assert.ok(a[i] > a[i - 1]);
  assert.deepEqual(Array.from(chosenNeurons({ neurons: [5, 2] }, 64)), [5, 2]);
});
