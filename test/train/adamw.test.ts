import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative } from '../../src/engine/native.js';
import { ReferenceKernels } from '../../src/engine/reference.js';
import type { Kernels } from '../../src/engine/kernels.js';
import { AdamW } from '../../src/train/adamw.js';

/**
 * Two AdamW steps on one weight, worked by hand (torch.optim.AdamW: decay first, then the
 * bias-corrected Adam update). lr 0.1, betas (0.9, 0.98), eps 1e-8, weight decay 1.0, w0 = 1,
 * gradients 0.5 then -0.25:
 *   step 1: w = 1·(1 − 0.1) = 0.9; m = 0.05; v = 0.02·0.25 = 0.005; m̂ = 0.05/0.1 = 0.5; v̂ = 0.005/0.02 = 0.25
 *           w = 0.9 − 0.1·0.5/(√0.25 + 1e-8)
 *   step 2: w ← w·0.9; m = 0.9·0.05 + 0.1·(−0.25) = 0.02; v = 0.98·0.005 + 0.02·0.0625 = 0.00615
 *           m̂ = 0.02/(1 − 0.81) ; v̂ = 0.00615/(1 − 0.9604); w ← w − 0.1·m̂/(√v̂ + 1e-8)
 */
const w1 = 0.9 - (0.1 * 0.5) / (0.5 + 1e-8);
const w2 = w1 * 0.9 - (0.1 * (0.02 / 0.19)) / (Math.sqrt(0.00615 / 0.0396) + 1e-8);

function twoSteps(k: Kernels): { w: number; m: number; v: number; bias: number } {
  // Index 0 is the weight (trained); index 1 stands for a frozen bias (outside the ranges).
  const param = k.alloc(2), grad = k.alloc(2);
  param[0] = 1; param[1] = 0.3;
  const opt = new AdamW(k, 2, Int32Array.from([0, 1]), { lr: 0.1, beta1: 0.9, beta2: 0.98, eps: 1e-8, wd: 1.0 });
  grad[0] = 0.5; grad[1] = 7; opt.update(param, grad);
  grad[0] = -0.25; grad[1] = -7; opt.update(param, grad);
  return { w: param[0], m: opt.m[0], v: opt.v[0], bias: param[1] };
}

test('AdamW matches the hand-worked two-step example (float64 reference)', () => {
  const r = twoSteps(new ReferenceKernels('f64'));
  assert.ok(Math.abs(r.w - w2) < 1e-12, `${r.w} vs ${w2}`);
  assert.ok(Math.abs(r.m - 0.02) < 1e-12);
  assert.ok(Math.abs(r.v - 0.00615) < 1e-12);
  assert.equal(r.bias, 0.3, 'parameters outside the trained ranges are not touched');
  assert.ok(Math.abs(w2 - 0.6932891) < 1e-6, 'the worked value itself');
});

test('AdamW matches the hand-worked example on the native engine (float32)', { skip: loadNative().kernels ? false : 'native addon not built' }, () => {
  const r = twoSteps(loadNative().kernels!);
  assert.ok(Math.abs(r.w - w2) < 1e-6, `${r.w} vs ${w2}`);
  assert.ok(Math.abs(r.v - 0.00615) < 1e-8);
  assert.equal(r.bias, Math.fround(0.3));
});
