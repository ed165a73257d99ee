import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceKernels } from '../../src/engine/reference.js';
import { GradWorkspace, Workspace, computeTables, forward, lossAndGrad, makeBatch } from '../../src/model/model.js';
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

test('last-position model equals the plain three-position model (float64)', () => {
  const k = new ReferenceKernels('f64');
  const params = randomParams(k, 42);
  const all = Array.from({ length: small.p * small.p }, (_, i) => i);
  const batch = makeBatch(small.p, all);
  const ws = new Workspace(k, params, batch.n);
  const fw = forward(k, params, computeTables(k, params), batch, ws);
  let maxDiff = 0;
  for (let i = 0; i < batch.n; i++) {
    const want = plainLogits(params, batch.a[i], batch.b[i]);
    for (let o = 0; o < small.p; o++) maxDiff = Math.max(maxDiff, Math.abs(fw.logits[i * small.p + o] - want[o]));
  }
  assert.ok(maxDiff < 1e-10, `max |Δlogit| = ${maxDiff}`);
});

test('float32 last-position model equals the plain model to float32 rounding', () => {
  const k = new ReferenceKernels('f32');
  const params = randomParams(k, 7);
  const batch = makeBatch(small.p, Array.from({ length: 49 }, (_, i) => i));
  const ws = new Workspace(k, params, batch.n);
  const fw = forward(k, params, computeTables(k, params), batch, ws);
  for (let i = 0; i < batch.n; i++) {
    const want = plainLogits(params, batch.a[i], batch.b[i]);
    for (let o = 0; o < small.p; o++) assert.ok(Math.abs(fw.logits[i * small.p + o] - want[o]) < 1e-5 * (1 + Math.abs(want[o])));
  }
});

test('gradient of every parameter matches central finite differences (float64)', () => {
  const k = new ReferenceKernels('f64');
  const params = randomParams(k, 3, 0.6);
  const grad = Params.zeros(small, (n) => k.alloc(n));
  const batch = makeBatch(small.p, [0, 5, 9, 17, 23, 31, 40, 48, 12, 33]);
  const ws = new Workspace(k, params, batch.n);
  const gw = new GradWorkspace(k, params, batch.n);
  lossAndGrad(k, params, computeTables(k, params), batch, ws, gw, grad);
  const lossAt = () => {
    const g2 = Params.zeros(small, (n) => k.alloc(n));
    return lossAndGrad(k, params, computeTables(k, params), batch, ws, new GradWorkspace(k, params, batch.n), g2).loss;
  };
  assertGradientMatchesFiniteDifferences(params, grad, lossAt);
});
