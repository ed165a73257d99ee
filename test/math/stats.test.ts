import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binomialSf,
  gini,
  hypergeometricPmf,
  hypergeometricSf,
  jaccard,
  linearRegression,
  mean,
  median,
  pearson,
  permutationTest,
  quantile,
  randomOverlap,
  ranks,
  seededRandom,
  signTest,
  spearman,
  std,
} from '../../src/math/stats.js';

const close = (a: number, b: number, tol = 1e-9, msg?: string): void =>
  assert.ok(Math.abs(a - b) <= tol, msg ?? `${a} is not within ${tol} of ${b}`);

/** Every permutation of 0..n-1, by recursion (independent of the implementation's Heap's algorithm). */
function allPerms(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const p of allPerms(n - 1)) for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  return out;
}

test('mean, population std, median and quantiles match hand-computed values', () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  // Classic example: population std of 2,4,4,4,5,5,7,9 is exactly 2.
  assert.equal(std([2, 4, 4, 4, 5, 5, 7, 9]), 2);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75);
  assert.ok(Number.isNaN(mean([])));
  assert.ok(Number.isNaN(std([])));
});

test('pearson matches a hand-computed r and is NaN for constant input', () => {
  // dx = -2..2, dy = (-2,0,1,0,1): sxy = 6, sxx = 10, syy = 6 -> r = 6/sqrt(60)
  close(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 6 / Math.sqrt(60));
  close(pearson([1, 2, 3], [6, 4, 2]), -1);
  assert.ok(Number.isNaN(pearson([1, 2, 3], [5, 5, 5])));
  // Equal values whose mean is not exact in binary (0.1 + 0.01 + 0.01) are still constant.
  const c = 0.1 + 0.01 + 0.01;
  assert.ok(Number.isNaN(pearson([1, 2, 3, 4, 5, 6, 7], [c, c, c, c, c, c, c])));
  assert.throws(() => pearson([1, 2], [1, 2, 3]));
});

test('ranks average ties and spearman uses them', () => {
  assert.deepEqual(Array.from(ranks([10, 20, 20, 30])), [1, 2.5, 2.5, 4]);
  assert.deepEqual(Array.from(ranks([3, 1, 2])), [3, 1, 2]);
  // No ties: rho = 1 - 6 Σd² / (n(n²-1)) with d = (-1,1,-1,1,0): 1 - 24/120 = 0.8.
  close(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 0.8);
  // Ties in y: ranks (1,2.5,4.5,2.5,4.5), sxy = 7, sxx = 10, syy = 9 -> 7/sqrt(90).
  close(spearman([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 7 / Math.sqrt(90));
});

test('exact permutation p for n = 4 perfectly monotone data is 2/24 two-sided', () => {
  for (const kind of ['pearson', 'spearman'] as const) {
    const r = permutationTest([1, 2, 3, 4], [10, 20, 30, 40], kind);
    assert.equal(r.method, 'exact');
    assert.equal(r.permutations, 24);
    close(r.pValue, 2 / 24);
    close(r.statistic, 1);
  }
  // Decreasing: same two-sided p.
  close(permutationTest([1, 2, 3, 4], [4, 3, 2, 1], 'spearman').pValue, 2 / 24);
});

test('exact permutation p for n = 3 counts every ordering at least as extreme', () => {
  // rho over the 6 orderings of 3 ranks is ±1 (2 orderings) and ±0.5 (4): |rho| >= 0.5 always.
  const r = permutationTest([1, 2, 3], [1, 3, 2], 'spearman');
  close(r.statistic, 0.5);
  close(r.pValue, 1);
  close(permutationTest([1, 2, 3], [1, 2, 3], 'spearman').pValue, 2 / 6);
});

test('exact permutation p equals a brute-force count over independently generated permutations', () => {
  const rand = seededRandom(7);
  const x = Array.from({ length: 6 }, () => rand());
  const y = Array.from({ length: 6 }, () => rand());
  const obs = Math.abs(pearson(x, y));
  const perms = allPerms(6);
  const count = perms.filter((p) => Math.abs(pearson(x, p.map((i) => y[i]))) >= obs - 1e-12).length;
  const r = permutationTest(x, y, 'pearson');
  assert.equal(r.permutations, 720);
  close(r.pValue, count / 720);
  // critical05: the smallest |r| whose tail share is at most 0.05.
  const sorted = perms.map((p) => Math.abs(pearson(x, p.map((i) => y[i])))).sort((a, b) => b - a);
  const crit = sorted.filter((v) => sorted.filter((w) => w >= v - 1e-12).length / 720 <= 0.05);
  close(r.critical05, Math.min(...crit));
});

test('Monte Carlo permutation test is seeded, reproducible and close to the exact value', () => {
  const x = [0.1, 0.4, 0.35, 0.8, 0.6, 0.9, 0.2];
  const y = [7000, 5000, 6500, 3000, 4200, 2500, 6000];
  const exact = permutationTest(x, y, 'spearman');
  const mc1 = permutationTest(x, y, 'spearman', { exactMaxN: 0, samples: 20000, seed: 3 });
  const mc2 = permutationTest(x, y, 'spearman', { exactMaxN: 0, samples: 20000, seed: 3 });
  assert.equal(exact.method, 'exact');
  assert.equal(mc1.method, 'monte-carlo');
  assert.equal(mc1.seed, 3);
  assert.equal(mc1.pValue, mc2.pValue);
  close(mc1.pValue, exact.pValue, 0.01);
});

test('permutation test gives NaN for fewer than 3 points or constant data', () => {
  assert.ok(Number.isNaN(permutationTest([1, 2], [3, 4], 'pearson').pValue));
  assert.ok(Number.isNaN(permutationTest([1, 1, 1], [3, 4, 5], 'pearson').pValue));
});

test('linear regression recovers slope, intercept and r²', () => {
  const a = linearRegression([1, 2, 3, 4], [3, 5, 7, 9]);
  close(a.slope, 2);
  close(a.intercept, 1);
  close(a.r2, 1);
  // sxy = 6, sxx = 10 -> slope 0.6, intercept 4 - 0.6*3 = 2.2, r² = r² of pearson = 36/60.
  const b = linearRegression([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
  close(b.slope, 0.6);
  close(b.intercept, 2.2);
  close(b.r2, 0.6);
  assert.ok(Number.isNaN(linearRegression([2, 2], [1, 3]).slope));
});

test('gini is 0 for equal values, (n-1)/n for one holder and matches the pairwise formula', () => {
  close(gini([1, 1, 1, 1]), 0);
  close(gini([0, 0, 0, 1]), 0.75);
  // Σ|xi-xj| over ordered pairs of (1,2,3) = 8; 8 / (2·9·2) = 2/9.
  close(gini([3, 1, 2]), 2 / 9);
  assert.throws(() => gini([1, -1]));
});

test('jaccard of sets', () => {
  close(jaccard([1, 2, 3], [2, 3, 4]), 0.5);
  close(jaccard([1, 1, 2], [2]), 0.5);
  assert.equal(jaccard([], []), 1);
  assert.equal(jaccard([1], []), 0);
});

test('hypergeometric pmf, tail and random overlap match hand counts', () => {
  // N=10, K=4 marked, 3 drawn: P(2) = C(4,2)C(6,1)/C(10,3) = 36/120; P(3) = 4/120.
  close(hypergeometricPmf(2, 10, 4, 3), 0.3);
  close(hypergeometricSf(2, 10, 4, 3), 40 / 120);
  close(hypergeometricSf(0, 10, 4, 3), 1);
  let total = 0;
  for (let k = 0; k <= 3; k++) total += hypergeometricPmf(k, 10, 4, 3);
  close(total, 1);
  // Two random 2-subsets of 4: overlap 0 (1/6), 1 (4/6), 2 (1/6): E[J] = (4/6)(1/3) + 1/6 = 7/18.
  const r = randomOverlap(4, 2, 2);
  close(r.overlap, 1);
  close(r.jaccard, 7 / 18);
});

test('sign test is the exact two-sided binomial tail', () => {
  close(signTest(7, 0), 2 / 128);
  close(signTest(3, 1), (2 * (1 + 4)) / 16);
  assert.equal(signTest(2, 2), 1);
  assert.equal(signTest(0, 0), 1);
});

test('binomial upper tail matches hand counts', () => {
  // n = 4, p = 1/2: P(X >= 3) = (4 + 1)/16.
  close(binomialSf(3, 4, 0.5), 5 / 16);
  close(binomialSf(0, 4, 0.5), 1);
  assert.equal(binomialSf(5, 4, 0.5), 0);
  // n = 3, p = 0.05: P(X >= 1) = 1 - 0.95^3.
  close(binomialSf(1, 3, 0.05), 1 - 0.95 ** 3);
});
