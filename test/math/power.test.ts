import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correlationPower, fisherPower, fisherTwoSided, normalCdf, overlapPower } from '../../src/math/power.js';

const close = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

test("Fisher's exact test on a 2×2 table equals the doubled hypergeometric tail computed by hand", () => {
  // 3 of 3 marked in a group of 3, 3 marked of 8: P = C(3,3)C(5,0)/C(8,3) = 1/56, doubled.
  close(fisherTwoSided(3, 8, 3, 3), 2 / 56, 1e-12);
  assert.equal(fisherTwoSided(1, 8, 3, 3), 1, 'a middle count is capped at 1');
});

test('power: at no effect it is at most the level; it grows with the effect and the sample', () => {
  assert.ok(fisherPower(6, 12, 0.3, 0.3) <= 0.05 + 1e-12);
  assert.ok(fisherPower(6, 12, 0.8, 0.3) > fisherPower(6, 12, 0.5, 0.3));
  assert.ok(overlapPower(512, 40, 40, 1) <= 0.05 + 1e-12);
  assert.ok(overlapPower(512, 40, 40, 3) > overlapPower(512, 40, 40, 2));
  // Correlation power by the Fisher z approximation against Cohen's table (n = 30, ρ = 0.5, two-sided 0.05: 0.83).
  close(correlationPower(30, 0.5), 0.83, 0.03);
  close(normalCdf(1.959964), 0.975, 1e-6);
});
