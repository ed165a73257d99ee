/** Central finite differences of a loss against an analytic gradient, parameter by parameter. */
import assert from 'node:assert/strict';
import { PARAM_NAMES, type ParamName, type Params } from '../../src/model/params.js';

/**
 * For every element of tensors with at most 24 values and of the tensors in `full`, and 12 spread
 * elements of the others: (loss(θ + h) − loss(θ − h)) / 2h, h = 1e-6, within 1e-6 + 1e-5·|fd| of `grad`.
 */
export function assertGradientMatchesFiniteDifferences(params: Params, grad: Params, lossAt: () => number, full: readonly ParamName[] = []): void {
  const h = 1e-6;
  for (const name of PARAM_NAMES) {
    const [s, e] = params.offsets[name];
    const idx = e - s <= 24 || full.includes(name) ? Array.from({ length: e - s }, (_, i) => s + i) : Array.from({ length: 12 }, (_, i) => s + Math.floor((i * (e - s)) / 12));
    assert.ok(idx.length > 0);
    for (const i of idx) {
      const orig = params.flat[i];
      params.flat[i] = orig + h; const lp = lossAt();
      params.flat[i] = orig - h; const lm = lossAt();
      params.flat[i] = orig;
      const fd = (lp - lm) / (2 * h);
      const an = grad.flat[i];
      assert.ok(Math.abs(fd - an) <= 1e-6 + 1e-5 * Math.abs(fd), `${name}[${i - s}]: analytic ${an}, finite difference ${fd}`);
    }
  }
}
