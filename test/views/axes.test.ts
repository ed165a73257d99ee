/** Axes fitted to the data: a coarseness that stays below 0.2 is not drawn on a 0–1 axis. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fittedTop } from '../../src/views/figures/timeseries.js';

test('the axis top is the largest value rounded up to a tenth, between 0.1 and 1', () => {
  assert.equal(fittedTop([0.03, 0.17, null, 0.12]), 0.2);
  assert.equal(fittedTop([0.2]), 0.2, 'a value on a tenth is its own top');
  assert.equal(fittedTop([0.001]), 0.1, 'never below 0.1');
  assert.equal(fittedTop([0.95, 1.3]), 1, 'never above 1');
  assert.equal(fittedTop([null, Number.NaN]), 0.1, 'no values: the smallest axis');
  assert.equal(fittedTop([0.61]), 0.7);
});
