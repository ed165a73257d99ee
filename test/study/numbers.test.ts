/**
 * The numbers behind the study's answer sections (analysis/study-numbers.ts), each checked against
 * an independent computation: closed forms, exact tails by summation over integer binomial
 * coefficients, and tests by enumerating every labelling, subset or coin sequence of a tiny case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseStudy, blobOverlap, type StudyCheckpoint, type StudyEmbeddingEpoch, type StudyRunData } from '../../src/study/study.js';
import {
  checkpointMeans, criticalNumbers, descendingRank, embeddingNumbers, extent, firstCounts, keyOverlapP, leaveOneOutZ, majorityTiming, meanWhere,
  overlapSummary, placeOf, populationNumbers, predictNumbers, primeNumbers, roundingNumbers, sampleStd, snapshotRanges,
  thresholdTableEpochs, timingCounts, timingNumbers, type TimingCounts,
} from '../../src/study/numbers.js';
import type { OutcomeClass } from '../../src/metrics/outcome.js';

const close = (a: number, b: number, tol = 1e-9, what = ''): void => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} is not within ${tol} of ${b}`);

// ---- independent reference computations ------------------------------------------------------

/** C(n, k) as an exact integer (n small). */
function binom(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return Number(r);
}

/** Every k-subset of items. */
function subsets<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [head, ...rest] = items;
  return [...subsets(rest, k - 1).map((s) => [head, ...s]), ...subsets(rest, k)];
}

/** Ranks by counting: (#smaller) + (#equal + 1)/2. */
function countRanks(xs: readonly number[]): number[] {
  return xs.map((x) => xs.filter((y) => y < x).length + (xs.filter((y) => y === x).length + 1) / 2);
}

function pearsonRef(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Two-sided sign test by enumerating all 2^n fair-coin sequences: P(min(X, n − X) ≤ min(a, b)). */
function signTestByEnumeration(a: number, b: number): number {
  const n = a + b;
  if (n === 0) return 1;
  let hit = 0;
  for (let mask = 0; mask < 2 ** n; mask++) {
    let ones = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) ones++;
    if (Math.min(ones, n - ones) <= Math.min(a, b)) hit++;
  }
  return hit / 2 ** n;
}

/** P(X ≥ k), X ~ Binomial(n, p), summing C(n, j) p^j (1 − p)^(n − j). */
function binomialTailRef(k: number, n: number, p: number): number {
  let s = 0;
  for (let j = k; j <= n; j++) s += binom(n, j) * p ** j * (1 - p) ** (n - j);
  return s;
}

/** Hypergeometric P(X = k) from integer binomial coefficients. */
function hyperPmfRef(k: number, population: number, successes: number, draws: number): number {
  return (binom(successes, k) * binom(population - successes, draws - k)) / binom(population, draws);
}

/** Fisher's exact test, two-sided by doubling the smaller tail, from the pmf summed directly. */
function fisherRef(k: number, population: number, successes: number, draws: number): number {
  let lo = 0, hi = 0;
  for (let j = 0; j <= Math.min(successes, draws); j++) {
    const pj = hyperPmfRef(j, population, successes, draws);
    if (j <= k) lo += pj;
    if (j >= k) hi += pj;
  }
  return Math.min(1, 2 * Math.min(lo, hi));
}

function medianRef(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---- a small study-run builder -----------------------------------------------------------

const D = 6;
const NF = 8;
const MAXK = 6;

interface Spec {
  p: number;
  seed: number;
  grok: number | null;
  outcome?: OutcomeClass;
  onset?: number | null;
  dataSeed?: number;
  jitter?: number;
  /** Per checkpoint epoch: the blob neurons' fraction in frequency `k`. */
  k?: number;
  early?: number;
  embedding?: { epoch: number; norms: number[]; keys: number[]; gini: number }[];
}

function checkpoint(epoch: number, level: number, k: number): StudyCheckpoint {
  const coarseness = Array.from({ length: MAXK }, () => new Float64Array(D));
  const concentration = new Float64Array(D);
  const dominantFrequency = new Int32Array(D);
  for (let n = 0; n < D; n++) {
    const frac = new Array<number>(NF).fill((1 - (n < 3 ? level : 0.2)) / (NF - 1));
    frac[k - 1] = n < 3 ? level : 0.2;
    let s = 0;
    for (let K = 0; K < MAXK; K++) coarseness[K][n] = s += frac[K];
    let best = 0;
    for (let j = 1; j < NF; j++) if (frac[j] > frac[best]) best = j;
    concentration[n] = frac[best];
    dominantFrequency[n] = best + 1;
  }
  return { epoch, coarseness, concentration, dominantFrequency };
}

function makeRun(s: Spec): StudyRunData {
  const checkpoints: StudyCheckpoint[] = [];
  for (let e = 0; e <= 3000; e += 500) {
    const level = s.grok === null ? 0.2 + (s.early ?? 0) : Math.min(0.9, 0.2 + (s.early ?? 0) + (0.7 * e) / s.grok);
    checkpoints.push(checkpoint(e, level, s.k ?? 1));
  }
  const testLoss: { epoch: number; loss: number }[] = [];
  for (let e = 0; e <= 3000; e += 100) testLoss.push({ epoch: e, loss: s.grok !== null && e >= s.grok ? 0.001 : 3 });
  const embedding: StudyEmbeddingEpoch[] = (s.embedding ?? []).map((x) => ({ epoch: x.epoch, norms: x.norms, keyFrequencies: x.keys, gini: x.gini }));
  const run: StudyRunData = {
    runId: `p${s.p}-s${s.seed}-d${s.dataSeed ?? 0}-j${s.jitter ?? 0}`, p: s.p, seed: s.seed, dMlp: D, nFreq: NF, epochs: 3000,
    grokEpoch: s.grok, grokEpochAcc: s.grok, memoriseEpoch: 200, checkpoints, testLoss, embedding,
  };
  if (s.outcome !== undefined) Object.assign(run, { outcome: s.outcome, onset: s.onset ?? null, dataSeed: s.dataSeed ?? 598, jitter: s.jitter ?? 0 });
  return run;
}

// ---- tests ---------------------------------------------------------------------------------

test('sampleStd and leaveOneOutZ match their closed forms', () => {
  // mean 5, Σ(x − 5)² = 32: sample variance 32/7.
  close(sampleStd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
  close(sampleStd([3, 5]), Math.SQRT2);
  assert.ok(Number.isNaN(sampleStd([4])));
  assert.ok(Number.isNaN(sampleStd([])));
  // The others 1, 2, 3: mean 2, population SD √(2/3).
  close(leaveOneOutZ([1, 2, 3, 10], 3), 8 / Math.sqrt(2 / 3));
  close(leaveOneOutZ([1, 2, 3, 10], 0), (1 - 5) / Math.sqrt(((2 - 5) ** 2 + (3 - 5) ** 2 + (10 - 5) ** 2) / 3));
  assert.ok(Number.isNaN(leaveOneOutZ([7, 7, 7, 1], 3)), 'the others do not vary');
});

test('descendingRank, placeOf, meanWhere and extent', () => {
  assert.deepEqual([0, 1, 2, 3].map((i) => descendingRank([3, 1, 3, 2], i)), [1, 4, 1, 3]);
  assert.equal(descendingRank([NaN, 1], 0), 0);
  assert.deepEqual(placeOf([2, 1, 2, 5, 2], 0), { below: 1, above: 1, tied: 2 });
  close(meanWhere([10, 20, 30, 40], [1, 2, 1, 2], 2), 30);
  assert.ok(Number.isNaN(meanWhere([10, 20], [1, 1], 3)));
  assert.deepEqual(extent([3, -1, 2]), { min: -1, max: 3 });
  assert.deepEqual(extent([]), { min: Infinity, max: -Infinity });
});

test('timingCounts: the sign test equals the share of all 2^n coin sequences at least as uneven; the median lead; the majority class', () => {
  const classes = ['precede', 'coincide', 'follow', null] as const;
  for (const [nPre, nCo, nFol, nNone] of [[5, 0, 1, 0], [3, 2, 3, 1], [0, 1, 0, 2], [7, 1, 0, 0], [2, 0, 4, 1]]) {
    const rows = [
      ...Array.from({ length: nPre }, (_, i) => ({ cls: classes[0], lead: 100 + 10 * i })),
      ...Array.from({ length: nCo }, () => ({ cls: classes[1], lead: 0 })),
      ...Array.from({ length: nFol }, (_, i) => ({ cls: classes[2], lead: -50 - i })),
      ...Array.from({ length: nNone }, () => ({ cls: classes[3], lead: null })),
    ];
    const c = timingCounts(rows);
    assert.deepEqual([c.precede, c.coincide, c.follow], [nPre, nCo, nFol]);
    close(c.signP, signTestByEnumeration(nPre, nFol), 1e-12, `sign test ${nPre}:${nFol}`);
    const leads = rows.map((r) => r.lead).filter((x): x is number => x !== null);
    if (leads.length) close(c.medianLead, medianRef(leads));
    else assert.ok(Number.isNaN(c.medianLead));
  }
  assert.equal(majorityTiming({ precede: 0, coincide: 0, follow: 0 }, 4), 'none');
  assert.equal(majorityTiming({ precede: 3, coincide: 0, follow: 1 }, 4), 'precede');
  // 2 of 5 is no majority even if it is the largest class (runs without a class count against all).
  assert.equal(majorityTiming({ precede: 2, coincide: 1, follow: 0 }, 5), 'mixed');
  assert.equal(majorityTiming({ precede: 0, coincide: 1, follow: 3 }, 5), 'follow');
});

test('firstCounts: who comes first in each pair (missing = never) and the sign test by enumeration', () => {
  const c = firstCounts([{ a: 100, b: 200 }, { a: 300, b: null }, { a: null, b: 50 }, { a: null, b: null }, { a: 10, b: 20 }, { a: 5, b: 5 }]);
  assert.deepEqual([c.firstA, c.firstB, c.ties, c.pairs], [3, 1, 2, 6]);
  close(c.signP, signTestByEnumeration(3, 1), 1e-12);
});

test('keyOverlapP equals the share of all key sets of that size that overlap the final keys at least as much', () => {
  const N = 9;
  const all = Array.from({ length: N }, (_, i) => i + 1);
  for (const [a, fin] of [[[1, 3, 6], [1, 3, 5]], [[2], [2, 7]], [[1, 2, 3, 4], [1, 2, 3, 4, 5]], [[8, 9], [1, 2]], [[], [4]]] as const) {
    const finSet = new Set<number>(fin);
    const observed = a.filter((k) => finSet.has(k)).length;
    const sets = subsets(all, a.length);
    const share = sets.filter((s) => s.filter((k) => finSet.has(k)).length >= observed).length / sets.length;
    close(keyOverlapP(a, fin, N), share, 1e-12, `${a} vs ${fin}`);
  }
});

test('overlapSummary: sums over the pairs with blobs, the binomial tail by direct summation, the power by enumeration', () => {
  const N = 12;
  const runs = [
    { runId: 'a', seed: 1, dMlp: N, blobs: [0, 1, 2, 3] },
    { runId: 'b', seed: 1, dMlp: N, blobs: [0, 1, 2, 4] },
    { runId: 'c', seed: 2, dMlp: N, blobs: [0, 1, 2, 3, 5] },
    { runId: 'd', seed: 2, dMlp: N, blobs: [7, 8] },
    { runId: 'e', seed: 3, dMlp: N, blobs: [] },
  ];
  const pairs = blobOverlap(runs);
  const s = overlapSummary(pairs);
  assert.ok(s);
  const used = pairs.filter((p) => p.sizeA > 0 && p.sizeB > 0);
  assert.equal(s.pairs, 6, 'the 6 pairs among a..d; e has no blobs');
  // Observed overlaps: ab 3, ac 4, ad 0, bc 3, bd 0, cd 0.
  assert.equal(s.observed, 10);
  close(s.expected, (4 * 4 + 4 * 5 + 4 * 2 + 4 * 5 + 4 * 2 + 5 * 2) / N);
  assert.deepEqual([s.sameSeed.pairs, s.sameSeed.observed], [2, 3], 'a×b and c×d');
  close(s.sameSeed.expected, (4 * 4 + 5 * 2) / N);
  // Each pair's p by the pmf summed directly.
  const pRef = used.map((p) => {
    let t = 0;
    for (let k = p.observed; k <= Math.min(p.sizeA, p.sizeB); k++) t += hyperPmfRef(k, N, p.sizeA, p.sizeB);
    return t;
  });
  const sig = pRef.filter((p) => p < 0.05).length;
  assert.equal(s.significant, sig);
  close(s.expectedSignificant, 0.3);
  close(s.excessP, binomialTailRef(sig, 6, 0.05), 1e-12);
  // Power against odds ratio 2: the noncentral hypergeometric mass at or beyond the first k whose central tail is ≤ 0.05.
  const powerRef = used.map((p) => {
    const lo = Math.max(0, p.sizeA + p.sizeB - N), hi = Math.min(p.sizeA, p.sizeB);
    let kStar = hi + 1;
    for (let k = hi; k >= lo; k--) {
      let t = 0;
      for (let j = k; j <= hi; j++) t += hyperPmfRef(j, N, p.sizeA, p.sizeB);
      if (t <= 0.05) kStar = k;
    }
    let z = 0, tail = 0;
    for (let k = lo; k <= hi; k++) {
      const w = binom(p.sizeA, k) * binom(N - p.sizeA, p.sizeB - k) * 2 ** k;
      z += w;
      if (k >= kStar) tail += w;
    }
    return tail / z;
  });
  close(s.medianPower, medianRef(powerRef), 1e-12);
  assert.equal(s.moreThanChance, s.observed > s.expected && s.excessP < 0.05);
  assert.equal(overlapSummary(blobOverlap([runs[0], runs[4]])), null, 'no pair where both have blobs');
});

test('populationNumbers: the onset test equals full enumeration of the labellings, Fisher by summing the pmf, power by enumerating outcomes', () => {
  // p=101: 3 runs (two fail, one late onset); p=97: 4 runs.
  const specs: Spec[] = [
    { p: 101, seed: 1, grok: null, outcome: 'no_second_descent', onset: null },
    { p: 101, seed: 2, grok: null, outcome: 'degraded', onset: 2600, jitter: 1 },
    { p: 101, seed: 3, grok: 2000, outcome: 'healthy', onset: 1900 },
    { p: 97, seed: 1, grok: 1000, outcome: 'healthy', onset: 900 },
    { p: 97, seed: 2, grok: 1500, outcome: 'healthy', onset: 1400, dataSeed: 599 },
    { p: 97, seed: 3, grok: 1000, outcome: 'late_grokker', onset: 900 },
    { p: 97, seed: 4, grok: null, outcome: 'degraded_rebound', onset: null },
  ];
  const d = analyseStudy(specs.map(makeRun), { focusPrime: 101 });
  const pop = populationNumbers(d);
  assert.ok(pop && pop.test);
  assert.equal(pop.focusRuns, 3);
  const p101 = pop.primes.find((x) => x.p === 101)!;
  assert.deepEqual({ ...p101, classes: { ...p101.classes } }, {
    p: 101, runs: 3, seeds: 3, dataSeeds: 1, jitters: 2, grokked: 1,
    classes: { healthy: 1, late_grokker: 0, degraded: 1, degraded_rebound: 0, no_second_descent: 1 },
    withOnset: 2, onset: { min: 1900, median: 2250, max: 2600 },
  });
  const p97 = pop.primes.find((x) => x.p === 97)!;
  assert.deepEqual([p97.runs, p97.seeds, p97.dataSeeds, p97.grokked, p97.withOnset, p97.onset], [4, 4, 2, 3, 3, { min: 900, median: 900, max: 1400 }]);
  // Onset ranks (no onset = last) against "is p=101", over all C(7, 3) labellings.
  const runs = pop.runs;
  const key = runs.map((r) => r.onset ?? Number.MAX_SAFE_INTEGER);
  const rk = countRanks(key);
  const label = runs.map((r) => (r.p === 101 ? 1 : 0));
  const rho = pearsonRef(countRanks(label), rk);
  close(pop.test.onset.statistic, rho, 1e-12);
  const labellings = subsets(runs.map((_, i) => i), 3);
  const extreme = labellings.filter((s) => Math.abs(pearsonRef(countRanks(runs.map((_, i) => (s.includes(i) ? 1 : 0))), rk)) >= Math.abs(rho) - 1e-12).length;
  assert.equal(pop.test.onset.method, 'exact');
  close(pop.test.onset.pValue, extreme / labellings.length, 1e-12);
  // Failures: 2 of 3 at p=101 against 1 of 4.
  assert.deepEqual(pop.test.failed, { focus: 2, all: 3, rateOthers: 0.25 });
  close(pop.test.fisherP, fisherRef(2, 7, 3, 3), 1e-12);
  // Power against failure rates 0.75 (p=101) and 0.25: every one of the 2^7 outcomes, weighted.
  let power = 0;
  for (let mask = 0; mask < 2 ** 7; mask++) {
    const fail = Array.from({ length: 7 }, (_, i) => (mask >> i) & 1);
    const a = fail.slice(0, 3).reduce((x, y) => x + y, 0);
    const b = fail.slice(3).reduce((x, y) => x + y, 0);
    const w = fail.reduce((acc, f, i) => acc * (i < 3 ? (f ? 0.75 : 0.25) : f ? 0.25 : 0.75), 1);
    if (fisherRef(a, 7, a + b, 3) <= 0.05) power += w;
  }
  close(pop.test.power, power, 1e-9);
  assert.equal(power, 0, 'with 3 against 4 runs no outcome reaches p ≤ 0.05');
  // A larger population where the test has power: 5 runs at p=101 (4 fail) against 7 (1 fails).
  const big: Spec[] = [
    ...[1, 2, 3, 4, 5].map((seed): Spec => (seed < 5 ? { p: 101, seed, grok: null, outcome: 'degraded', onset: null } : { p: 101, seed, grok: 1000, outcome: 'healthy', onset: 900 })),
    ...[1, 2, 3, 4, 5, 6, 7].map((seed): Spec => (seed < 7 ? { p: 97, seed, grok: 1000, outcome: 'healthy', onset: 800 + seed } : { p: 97, seed, grok: null, outcome: 'no_second_descent', onset: null })),
  ];
  const t2 = populationNumbers(analyseStudy(big.map(makeRun), { focusPrime: 101, permutation: { samples: 200 } }))?.test;
  assert.ok(t2);
  assert.deepEqual([t2.failed.focus, t2.failed.all], [4, 5]);
  close(t2.fisherP, fisherRef(4, 12, 5, 5), 1e-12);
  const rate = 1 / 7;
  let power2 = 0;
  for (let mask = 0; mask < 2 ** 12; mask++) {
    const fail = Array.from({ length: 12 }, (_, i) => (mask >> i) & 1);
    const a = fail.slice(0, 5).reduce((x, y) => x + y, 0);
    const b = fail.slice(5).reduce((x, y) => x + y, 0);
    const w = fail.reduce((acc, f, i) => acc * (i < 5 ? (f ? rate + 0.5 : 0.5 - rate) : f ? rate : 1 - rate), 1);
    if (fisherRef(a, 12, a + b, 5) <= 0.05) power2 += w;
  }
  assert.ok(power2 > 0.1, `power ${power2}`);
  close(t2.power, power2, 1e-9);
  // Without outcome classes there is no population; with only p=101 there is nothing to compare.
  assert.equal(populationNumbers(analyseStudy([makeRun({ p: 97, seed: 1, grok: 1000 })])), null);
  assert.equal(populationNumbers(analyseStudy(specs.slice(0, 3).map(makeRun), { focusPrime: 101 }))?.test, null);
});

test('roundingNumbers: the onset SD across jitters and across seeds by the closed form, their medians and class agreement', () => {
  const specs: Spec[] = [];
  // p=97 seed 1: onsets 1000, 1010, 1030 over jitters; seed 2: 2000, 2040 (a third jitter without onset, another class).
  for (const [j, on] of [[0, 1000], [1, 1010], [2, 1030]]) specs.push({ p: 97, seed: 1, grok: 1000, outcome: 'healthy', onset: on, jitter: j });
  for (const [j, on] of [[0, 2000], [1, 2040]]) specs.push({ p: 97, seed: 2, grok: 2000, outcome: 'healthy', onset: on, jitter: j });
  specs.push({ p: 97, seed: 2, grok: null, outcome: 'degraded', onset: null, jitter: 2 });
  // p=97 seed 3: one unperturbed run only (joins the across-seeds group, not an ensemble).
  specs.push({ p: 97, seed: 3, grok: 1500, outcome: 'healthy', onset: 1600, jitter: 0 });
  const r = roundingNumbers(analyseStudy(specs.map(makeRun)));
  assert.ok(r);
  assert.equal(r.ensembles, 2);
  assert.equal(r.agree, 1);
  const sd = (xs: number[]): number => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
  };
  assert.deepEqual(r.groups.map((g) => [g.across, g.seed, g.runs, g.withOnset, g.min, g.max, g.classes.join(' ')]), [
    ['jitters', 1, 3, 3, 1000, 1030, 'healthy'],
    ['jitters', 2, 3, 2, 2000, 2040, 'healthy degraded'],
    ['seeds', null, 3, 3, 1000, 2000, 'healthy'],
  ]);
  close(r.groups[0].sd, sd([1000, 1010, 1030]));
  close(r.groups[1].sd, 40 / Math.SQRT2);
  close(r.groups[2].sd, sd([1000, 2000, 1600]));
  close(r.medianWithin, (sd([1000, 1010, 1030]) + 40 / Math.SQRT2) / 2);
  close(r.medianAcross, sd([1000, 2000, 1600]));
  assert.equal(r.acrossGroups, 1);
  close(r.ratio, r.medianAcross / r.medianWithin);
  assert.equal(roundingNumbers(analyseStudy([makeRun({ p: 97, seed: 1, grok: 1000, outcome: 'healthy', onset: 900 })])), null, 'no ensemble');
});

test('embeddingNumbers: leave-one-out z, random Jaccard by enumerating key sets, overlap tails and their binomial combination', () => {
  const norms = (peak: number, h: number) => Array.from({ length: NF }, (_, k) => (k + 1 === peak ? h : 1));
  const emb = (keys0: number[], keysE: number[], keysF: number[], gini0: number, h: number) => [
    { epoch: 0, norms: norms(keys0[0], h), keys: keys0, gini: gini0 },
    { epoch: 1000, norms: norms(1, 1), keys: keysE, gini: 0.3 },
    { epoch: 3000, norms: norms(1, 1), keys: keysF, gini: 0.6 },
  ];
  const specs: Spec[] = [
    { p: 17, seed: 1, grok: 1000, embedding: emb([1, 2], [1, 2, 3], [1, 2, 3], 0.10, 2) },
    { p: 17, seed: 2, grok: 1500, embedding: emb([5], [4, 5], [4, 5], 0.12, 3) },
    { p: 17, seed: 3, grok: 2000, embedding: emb([7, 8], [2, 7], [6, 7], 0.11, 2.5) },
    { p: 17, seed: 4, grok: null, embedding: emb([3], [8], [1, 8], 0.40, 6) },
    { p: 19, seed: 1, grok: 1000 },
  ];
  const d = analyseStudy(specs.map(makeRun), { earlyEpoch: 1000 });
  const en = embeddingNumbers(d);
  assert.ok(en);
  assert.equal(en.runs.length, 4, 'the run without an embedding is left out');
  const ginis = [0.1, 0.12, 0.11, 0.4];
  assert.deepEqual(en.gini, { min: 0.1, max: 0.4 });
  const z3 = (0.4 - 0.11) / Math.sqrt(((0.1 - 0.11) ** 2 + (0.12 - 0.11) ** 2 + 0) / 3);
  close(en.runs[3].giniZ, z3, 1e-9);
  assert.equal(en.runs[3].giniAbsZRank, 1);
  // Ratio max/mean of the initial norms: h / ((h + 7) / 8).
  const ratios = [2, 3, 2.5, 6].map((h) => h / ((h + NF - 1) / NF));
  assert.deepEqual(en.ratio, { min: Math.min(...ratios), max: Math.max(...ratios) });
  close(en.runs[0].ratioZ, leaveOneOutZ(ratios, 0));
  const all = Array.from({ length: NF }, (_, i) => i + 1);
  const randomJaccard = (a: number, fin: number[]): number => {
    const sets = subsets(all, a);
    return sets.reduce((acc, s) => {
      const inter = s.filter((k) => fin.includes(k)).length;
      const union = s.length + fin.length - inter;
      return acc + (union === 0 ? 1 : inter / union);
    }, 0) / sets.length;
  };
  const finals = [[1, 2, 3], [4, 5], [6, 7], [1, 8]];
  const k0 = [[1, 2], [5], [7, 8], [3]];
  const kE = [[1, 2, 3], [4, 5], [2, 7], [8]];
  en.runs.forEach((r, i) => {
    close(r.randomJaccard0, randomJaccard(k0[i].length, finals[i]), 1e-12, `random Jaccard 0, run ${i}`);
    close(r.randomJaccardEarly, randomJaccard(kE[i].length, finals[i]), 1e-12, `random Jaccard early, run ${i}`);
    close(r.overlapP0, keyOverlapP(k0[i], finals[i], NF));
    close(r.gini0, ginis[i]);
  });
  const sig0 = en.runs.filter((r) => r.overlapP0 < 0.05).length;
  const sigE = en.runs.filter((r) => r.overlapPEarly < 0.05).length;
  assert.deepEqual([en.significant0, en.significantEarly], [sig0, sigE]);
  close(en.combinedP0, binomialTailRef(sig0, 4, 0.05), 1e-12);
  close(en.combinedPEarly, binomialTailRef(sigE, 4, 0.05), 1e-12);
  close(en.meanJaccard0, (2 / 3 + 1 / 2 + 1 / 3 + 0) / 4);
  assert.equal(embeddingNumbers(analyseStudy([makeRun({ p: 17, seed: 1, grok: 1000 })])), null);
});

test('primeNumbers: grok-time ranks (non-grokking tied last), per-prime mean ranks, the focus prime\'s place and the seed comparison', () => {
  const specs: Spec[] = [
    { p: 97, seed: 1, grok: 1000, early: 0.3 },
    { p: 97, seed: 2, grok: 2000, early: 0.1 },
    { p: 101, seed: 1, grok: null, early: 0.0 },
    { p: 101, seed: 2, grok: 2500, early: 0.05 },
    { p: 113, seed: 1, grok: 1500, early: 0.2 },
    { p: 113, seed: 2, grok: 1000, early: 0.2 },
  ];
  const d = analyseStudy(specs.map(makeRun));
  const pn = primeNumbers(d);
  assert.deepEqual(Array.from(pn.grokRank), countRanks(specs.map((s) => s.grok ?? Infinity)));
  assert.deepEqual(Array.from(pn.grokRank), [1.5, 4, 6, 5, 3, 1.5]);
  assert.deepEqual(pn.primes, [97, 101, 113]);
  assert.deepEqual(pn.primeRank.map((x) => x.grok), [2.75, 5.5, 2.25]);
  const early = d.runs.map((r) => r.coarseness.early.find((e) => e.target === 1000)!.value);
  const rc = countRanks(early);
  pn.primeRank.forEach((x, j) => close(x.c, [0, 1].map((s) => rc[2 * j + s]).reduce((a, b) => a + b) / 2));
  assert.ok(pn.focus);
  assert.deepEqual(pn.focus.runs, [2, 3]);
  assert.deepEqual(pn.focus.grok, { below: 2, above: 0, tied: 0 });
  assert.deepEqual(pn.focus.c, { below: 0, above: 2, tied: 0 }, 'p=101 has the lowest early coarseness');
  assert.ok(pn.seedPair);
  // Seed 1 first at p=97; seed 2 first at p=101 (seed 1 never groks) and at p=113.
  assert.deepEqual([pn.seedPair.firstA, pn.seedPair.firstB, pn.seedPair.ties, pn.seedPair.pairs], [1, 2, 0, 3]);
  close(pn.seedPair.signP, signTestByEnumeration(1, 2));
  close(pn.seedPair.meanRank1, (1.5 + 6 + 3) / 3);
  close(pn.seedPair.meanRank2, (4 + 5 + 1.5) / 3);
  assert.equal(primeNumbers(analyseStudy(specs.slice(2, 4).map(makeRun))).focus, null, 'only p=101');
});

test('predictNumbers: n!, the chance that the non-grokking runs are the lowest by enumeration, fitted values on the regression line', () => {
  const specs: Spec[] = [
    { p: 97, seed: 1, grok: 1000, early: 0.3 },
    { p: 97, seed: 2, grok: 2000, early: 0.1 },
    { p: 101, seed: 1, grok: null, early: 0.0 },
    { p: 101, seed: 2, grok: null, early: 0.02 },
    { p: 113, seed: 1, grok: 1500, early: 0.2 },
    { p: 113, seed: 2, grok: 2500, early: 0.05 },
  ];
  const d = analyseStudy(specs.map(makeRun));
  const pn = predictNumbers(d);
  assert.equal(pn.n, 4);
  assert.equal(pn.orderings, 24);
  assert.equal(pn.tests, 12);
  close(pn.expectedSignificant, 0.6);
  assert.equal(pn.significant, d.predict.filter((r) => r.pearson.pValue <= 0.05).length + d.predict.filter((r) => r.spearman.pValue <= 0.05).length);
  // 1 / P(the two non-grokking runs are the lowest two of six) = the number of 2-subsets of 6.
  assert.equal(pn.lowestChanceInverse, subsets([0, 1, 2, 3, 4, 5], 2).length);
  const row = d.predict.find((r) => r.metric === 'coarseness' && r.target === 1000)!;
  const pts = pn.points.filter((x) => x.metric === 'coarseness');
  assert.equal(pts.length, 6);
  for (const pt of pts) {
    if (pt.grokEpoch === null) assert.equal(pt.fit, null);
    else close(pt.fit as number, row.slope * pt.value + row.intercept);
  }
  // Least squares through the grokking points: the fitted values' residuals sum to zero and are orthogonal to x.
  const g = pts.filter((x) => x.grokEpoch !== null);
  close(g.reduce((a, x) => a + ((x.grokEpoch as number) - (x.fit as number)), 0), 0, 1e-6);
  close(g.reduce((a, x) => a + x.value * ((x.grokEpoch as number) - (x.fit as number)), 0), 0, 1e-6);
  assert.equal(predictNumbers(analyseStudy(specs.filter((s) => s.grok !== null).map(makeRun))).lowestChanceInverse, null);
});

test('checkpointMeans: the mean over non-NaN neurons at every step-th checkpoint', () => {
  const c = (epoch: number, conc: number[], k3: number[]): StudyCheckpoint => ({
    epoch,
    coarseness: Array.from({ length: 3 }, (_, K) => Float64Array.from(K === 2 ? k3 : [0, 0, 0])),
    concentration: Float64Array.from(conc),
    dominantFrequency: new Int32Array(3),
  });
  const cps = [c(0, [0.2, 0.4, NaN], [0.1, NaN, 0.5]), c(10, [1, 1, 1], [0, 0, 0]), c(20, [NaN, NaN, NaN], [0.3, 0.6, 0.9])];
  const m = checkpointMeans(cps, 3, 2);
  assert.equal(m.length, 2);
  assert.deepEqual(m.map((x) => x.epoch), [0, 20]);
  close(m[0].concentration, 0.3);
  close(m[0].coarseness, 0.3);
  assert.ok(Number.isNaN(m[1].concentration));
  close(m[1].coarseness, 0.6);
});

test('criticalNumbers and timingNumbers on runs whose three blob neurons all end at frequency 1', () => {
  // Three grokking runs (blob neurons 0..2 reach 0.9 in frequency 1), one that never grokks (no blobs).
  const specs: Spec[] = [
    { p: 97, seed: 1, grok: 1000 },
    { p: 97, seed: 2, grok: 1500 },
    { p: 101, seed: 1, grok: 2000 },
    { p: 101, seed: 2, grok: null },
  ];
  const d = analyseStudy(specs.map(makeRun));
  const c = criticalNumbers(d).coarseness;
  assert.equal(c.withBlobs, 3);
  assert.deepEqual(c.finalCounts, [3, 3, 3, 0]);
  assert.ok(c.frequencies);
  close(c.frequencies.medianTop, 1);
  close(c.frequencies.medianTop3, 1);
  close(c.frequencies.evenShare, 1 / NF);
  assert.equal(c.frequencies.medianInKeys, null, 'no embedding keys');
  // Three pairs, each sharing all 3 of 6 neurons: expected 3·3/6 each.
  assert.ok(c.overlap);
  assert.deepEqual([c.overlap.pairs, c.overlap.observed], [3, 9]);
  close(c.overlap.expected, 4.5);
  // Power against odds ratio 2 of the test P(X ≥ k) ≤ 0.05: only k = 3 (P = 1/C(6, 3) = 0.05) rejects, so 2³/Σ_k C(3,k)C(3,3−k)2^k.
  close(c.overlap.medianPower, 8 / (1 + 9 * 2 + 9 * 4 + 8), 1e-12);
  assert.ok(c.grokking);
  const shares = d.runs.slice(0, 3).map((r) => (r.coarseness.blobs.blobBeforeGrok as number) / 3);
  close(c.grokking.meanBeforeShare, shares.reduce((a, b) => a + b, 0) / 3);

  const t = timingNumbers(d);
  assert.deepEqual(t.grokking.map((r) => r.runId), d.runs.slice(0, 3).map((r) => r.runId));
  assert.deepEqual(t.nonGrokking.map((r) => r.runId), [d.runs[3].runId]);
  // All 3 one way: 2 · 2^−3.
  close(t.allOneWayP, 0.25);
  // Tolerance: max(checkpoint interval 500, 5 % of the grok epoch).
  assert.deepEqual(t.tolerance, [500, 500, 500, null]);
  assert.ok(t.metrics);
  for (const m of ['coarseness', 'concentration'] as const) {
    const half: TimingCounts = t.metrics[m].half;
    const cls = d.runs.slice(0, 3).map((r) => r[m].timing.classHalfRise);
    assert.deepEqual([half.precede, half.coincide, half.follow], (['precede', 'coincide', 'follow'] as const).map((k) => cls.filter((x) => x === k).length));
    close(half.signP, signTestByEnumeration(half.precede, half.follow), 1e-12);
  }
  // With a 25 % share the grok epoch's share wins where it exceeds the interval: 0.25·1000 < 500 < 0.25·3000.
  const wide = analyseStudy([makeRun({ p: 97, seed: 1, grok: 3000 }), makeRun({ p: 97, seed: 2, grok: 1000 })], { toleranceShare: 0.25 });
  assert.deepEqual(timingNumbers(wide).tolerance, [750, 500]);
  assert.equal(timingNumbers(analyseStudy([makeRun({ p: 97, seed: 2, grok: null })])).metrics, null, 'no grokking run');
});

test('thresholdTableEpochs and snapshotRanges: the common epochs nearest the seed epochs, and per-epoch ranges over runs', () => {
  const d = analyseStudy([makeRun({ p: 97, seed: 1, grok: 1000 }), makeRun({ p: 97, seed: 2, grok: 2000, early: 0.05 })]);
  // Checkpoints every 500 to 3000: nearest to 0, 500, 1000, 2000, 5000, ... are 0, 500, 1000, 2000, 3000.
  const epochs = thresholdTableEpochs(d.threshold);
  assert.deepEqual(epochs, [0, 500, 1000, 2000, 3000]);
  const ranges = snapshotRanges(d.runs, epochs);
  for (const x of ranges.slice(0, 4)) {
    const vals = d.runs.map((r) => r.snapshots.find((s) => s.epoch === x.epoch)!.meanCoarseness);
    assert.deepEqual(x.coarseness, { min: Math.min(...vals), max: Math.max(...vals) });
  }
  // Snapshots are taken at the seed epochs up to the last (0, 500, 1000, 2000): none at 3000, so no range.
  assert.deepEqual(ranges[4].coarseness, { min: Infinity, max: -Infinity });
  // At epoch 0 the second run starts higher (early 0.05 added).
  assert.ok(ranges[0].coarseness.max > ranges[0].coarseness.min);
});
