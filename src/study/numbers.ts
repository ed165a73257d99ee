/**
 * The numbers behind each of the study's answer sections: the counts, medians, ranks, z-scores,
 * tail probabilities, tests and power that views/study.ts turns into sentences, tables and
 * Vega-Lite specs. Pure functions over `analyseStudy`'s numbers (analysis/study.ts); the
 * statistics themselves are stats.ts's and power.ts's. Nothing here writes prose.
 */
import type { OutcomeClass } from '../metrics/outcome.js';
import { correlationPower, fisherPower, fisherTwoSided, overlapPower } from '../math/power.js';
import {
  choose, factorial, meanIgnoringNaN, nearestIndex, SEED_EPOCHS,
  type BlobFacts, type MetricFacts, type OverlapPair, type PredictRow, type StudyCheckpoint, type StudyDetails,
  type StudyRunFacts, type ThresholdDetails, type TimingClass,
} from './study.js';
import {
  binomialSf, finite, hypergeometricSf, mean, median, permutationTest, randomOverlap, ranks, signTest, std,
  type PermutationTestResult,
} from '../math/stats.js';

export type StudyMetric = 'coarseness' | 'concentration';

// ---- general helpers over numbers -----------------------------------------------------------

/** Sample standard deviation (divides by n − 1); NaN for fewer than two values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * Leave-one-out z-score of xs[i]: its distance from the mean of the other values in units of their
 * (population) standard deviation; NaN when the others do not vary.
 */
export function leaveOneOutZ(xs: readonly number[], i: number): number {
  const rest = xs.filter((_, j) => j !== i);
  const sd = std(rest);
  return sd > 0 ? (xs[i] - mean(rest)) / sd : NaN;
}

/** 1-based position of xs[i] when xs is sorted from largest to smallest (ties: the first position; 0 for NaN). */
export function descendingRank(xs: readonly number[], i: number): number {
  return [...xs].sort((a, b) => b - a).indexOf(xs[i]) + 1;
}

/** Mean of the values whose key equals `key`. */
export function meanWhere(values: ArrayLike<number>, keys: readonly number[], key: number): number {
  return mean(keys.map((k, i) => (k === key ? values[i] : NaN)).filter((x) => !Number.isNaN(x)));
}

/** Smallest and largest value (Infinity and −Infinity for none). */
export function extent(xs: readonly number[]): { min: number; max: number } {
  return { min: Math.min(...xs), max: Math.max(...xs) };
}

/** How many values lie strictly below and above xs[i], and how many others equal it. */
export function placeOf(xs: readonly number[], i: number): { below: number; above: number; tied: number } {
  return {
    below: xs.filter((x) => x < xs[i]).length,
    above: xs.filter((x) => x > xs[i]).length,
    tied: xs.filter((x, j) => j !== i && x === xs[i]).length,
  };
}

/** Which of two paired outcomes came first, over pairs (null: missing counts as never). */
export function firstCounts(pairs: readonly { a: number | null; b: number | null }[]): { firstA: number; firstB: number; ties: number; pairs: number; signP: number } {
  let firstA = 0;
  let firstB = 0;
  let ties = 0;
  for (const pr of pairs) {
    const ta = pr.a ?? Number.MAX_SAFE_INTEGER;
    const tb = pr.b ?? Number.MAX_SAFE_INTEGER;
    if (ta < tb) firstA++;
    else if (tb < ta) firstB++;
    else ties++;
  }
  return { firstA, firstB, ties, pairs: pairs.length, signP: signTest(firstA, firstB) };
}

// ---- threshold ------------------------------------------------------------------------------

/** The epochs the threshold table shows: the common epochs nearest the seed's epochs, and every first separation. */
export function thresholdTableEpochs(t: ThresholdDetails): number[] {
  const set = new Set<number>();
  for (const e of SEED_EPOCHS) if (t.commonEpochs.length) set.add(t.commonEpochs[nearestIndex(t.commonEpochs, e)]);
  for (const fs of Object.values(t.first)) if (fs) set.add(fs.epoch);
  return [...set].sort((a, b) => a - b);
}

/** Per epoch, the range over runs of the mean coarseness and mean concentration at their snapshots (finite values only). */
export function snapshotRanges(runs: readonly StudyRunFacts[], epochs: readonly number[]): { epoch: number; coarseness: { min: number; max: number }; concentration: { min: number; max: number } }[] {
  return epochs.map((e) => {
    const vals = runs.map((r) => r.snapshots.find((s) => s.epoch === e)).filter((s) => s !== undefined);
    return { epoch: e, coarseness: extent(finite(vals.map((s) => s.meanCoarseness))), concentration: extent(finite(vals.map((s) => s.meanConcentration))) };
  });
}

// ---- timing ---------------------------------------------------------------------------------

export interface TimingCounts {
  precede: number;
  coincide: number;
  follow: number;
  /** Median lead over the runs with one (NaN: none). */
  medianLead: number;
  /** Two-sided sign test of precede against follow (coincide dropped). */
  signP: number;
}

/** Counts of the timing classes, their median lead and the sign test of precede vs follow. */
export function timingCounts(rows: readonly { cls: TimingClass | null; lead: number | null }[]): TimingCounts {
  const c = { precede: 0, coincide: 0, follow: 0 };
  for (const r of rows) if (r.cls) c[r.cls]++;
  const leads = rows.map((r) => r.lead).filter((x): x is number => x !== null);
  return { ...c, medianLead: leads.length ? median(leads) : NaN, signP: signTest(c.precede, c.follow) };
}

/**
 * The class held by more than half of `total` runs (runs without a class count against every
 * class); 'none' when no run has a class, 'mixed' when no class has a majority.
 */
export function majorityTiming(c: { precede: number; coincide: number; follow: number }, total: number): TimingClass | 'none' | 'mixed' {
  if (c.precede + c.coincide + c.follow === 0) return 'none';
  for (const k of ['precede', 'coincide', 'follow'] as const) if (c[k] > total / 2) return k;
  return 'mixed';
}

export interface MetricTimingNumbers {
  half: TimingCounts;
  steep: TimingCounts;
  halfMajority: TimingClass | 'none' | 'mixed';
  steepMajority: TimingClass | 'none' | 'mixed';
  /** Grokking runs whose metric never reached its half rise. */
  noRise: number;
  /** Lead of the half rise over the midpoint of the test-loss drop, over the runs with both. */
  vsDrop: { n: number; median: number; before: number };
}

export interface TimingNumbers {
  /** Runs with a grok epoch (test loss < 0.01), whatever their class, and those without. */
  grokking: StudyRunFacts[];
  nonGrokking: StudyRunFacts[];
  metrics: Record<StudyMetric, MetricTimingNumbers> | null;
  /** Sign-test p of all grokking runs in one direction (the smallest p these runs can give). */
  allOneWayP: number;
  /** Per run (d.runs order): the timing tolerance in epochs (null without a grok epoch). */
  tolerance: (number | null)[];
}

export function timingNumbers(d: StudyDetails): TimingNumbers {
  const o = d.options;
  const g = d.runs.filter((r) => r.grokEpoch !== null);
  const metric = (m: StudyMetric): MetricTimingNumbers => {
    const half = timingCounts(g.map((r) => ({ cls: r[m].timing.classHalfRise, lead: r[m].timing.leadHalfRise })));
    const steep = timingCounts(g.map((r) => ({ cls: r[m].timing.classSteepest, lead: r[m].timing.leadSteepest })));
    const vsDrop = g.map((r) => r[m].timing.leadHalfRiseVsLossDrop).filter((x): x is number => x !== null);
    return {
      half,
      steep,
      halfMajority: majorityTiming(half, g.length),
      steepMajority: majorityTiming(steep, g.length),
      noRise: g.filter((r) => r[m].timing.halfRiseEpoch === null).length,
      vsDrop: { n: vsDrop.length, median: vsDrop.length ? median(vsDrop) : NaN, before: vsDrop.filter((x) => x > 0).length },
    };
  };
  return {
    grokking: g,
    nonGrokking: d.runs.filter((r) => r.grokEpoch === null),
    metrics: g.length ? { coarseness: metric('coarseness'), concentration: metric('concentration') } : null,
    allOneWayP: signTest(g.length, 0),
    tolerance: d.runs.map((r) => (r.grokEpoch === null ? null : Math.max(r.checkpointInterval, o.toleranceShare * r.grokEpoch))),
  };
}

// ---- critical neurons -----------------------------------------------------------------------

export interface OverlapSummary {
  pairs: number;
  observed: number;
  expected: number;
  /** Pairs whose overlap has hypergeometric p < 0.05, and how many of those chance gives. */
  significant: number;
  expectedSignificant: number;
  /** Binomial tail of `significant` out of `pairs` at 0.05 (a rough guide: pairs share runs). */
  excessP: number;
  sameSeed: { pairs: number; observed: number; expected: number };
  /** Median over pairs of the power to detect indices twice as likely to be shared as by chance. */
  medianPower: number;
  /** Whether the indices overlap more than chance (more than expected and excessP < 0.05). */
  moreThanChance: boolean;
}

/** The overlap of blob indices over the pairs of runs that both have blobs (null: no such pair). */
export function overlapSummary(all: readonly OverlapPair[]): OverlapSummary | null {
  const pairs = all.filter((pr) => pr.sizeA > 0 && pr.sizeB > 0);
  if (pairs.length === 0) return null;
  const observed = pairs.reduce((a, pr) => a + pr.observed, 0);
  const expected = pairs.reduce((a, pr) => a + pr.expected, 0);
  const significant = pairs.filter((pr) => pr.pValue < 0.05).length;
  const same = pairs.filter((pr) => pr.sameSeed);
  const excessP = binomialSf(significant, pairs.length, 0.05);
  return {
    pairs: pairs.length,
    observed,
    expected,
    significant,
    expectedSignificant: 0.05 * pairs.length,
    excessP,
    sameSeed: { pairs: same.length, observed: same.reduce((a, pr) => a + pr.observed, 0), expected: same.reduce((a, pr) => a + pr.expected, 0) },
    medianPower: median(pairs.map((pr) => overlapPower(pr.population, pr.sizeA, pr.sizeB, 2))),
    moreThanChance: observed > expected && excessP < 0.05,
  };
}

export interface CriticalMetricNumbers {
  /** Runs that ever have a blob, and every run's final blob count. */
  withBlobs: number;
  finalCounts: number[];
  /** Over the grokking runs with blobs (null: none): mean share first crossing by the grok epoch; mean stay share over all runs with blobs. */
  grokking: { meanBeforeShare: number; meanStay: number } | null;
  /** Over the runs with final blobs (null: none): median share of the top and top-three dominant frequencies, and what an even spread gives. */
  frequencies: { medianTop: number; medianTop3: number; evenShare: number; medianInKeys: number | null } | null;
  overlap: OverlapSummary | null;
}

export function criticalNumbers(d: StudyDetails): Record<StudyMetric, CriticalMetricNumbers> {
  const metric = (m: StudyMetric): CriticalMetricNumbers => {
    const blobs = (r: StudyRunFacts): BlobFacts => r[m].blobs;
    const with_ = d.runs.filter((r) => blobs(r).everBlob > 0);
    const g = with_.filter((r) => r.grokEpoch !== null);
    const conc = d.runs.filter((r) => blobs(r).finalBlobs.length > 0);
    let frequencies: CriticalMetricNumbers['frequencies'] = null;
    if (conc.length) {
      const inKeys = finite(conc.map((r) => blobs(r).shareInEmbeddingKeys ?? NaN));
      frequencies = {
        medianTop: median(conc.map((r) => blobs(r).topFrequencies[0].share)),
        medianTop3: median(conc.map((r) => blobs(r).topFrequencies.slice(0, 3).reduce((a, t) => a + t.share, 0))),
        evenShare: median(conc.map((r) => 1 / r.nFreq)),
        medianInKeys: inKeys.length ? median(inKeys) : null,
      };
    }
    return {
      withBlobs: with_.length,
      finalCounts: d.runs.map((r) => blobs(r).finalBlobs.length),
      grokking: g.length
        ? {
            meanBeforeShare: mean(g.map((r) => (blobs(r).blobBeforeGrok as number) / blobs(r).everBlob)),
            meanStay: mean(finite(with_.map((r) => blobs(r).meanStay ?? NaN))),
          }
        : null,
      frequencies,
      overlap: overlapSummary(d.overlap[m]),
    };
  };
  return { coarseness: metric('coarseness'), concentration: metric('concentration') };
}

// ---- p = focus prime ------------------------------------------------------------------------

export interface PrimeNumbers {
  primes: number[];
  seeds: number[];
  /** Per run (d.runs order): the rank of its grok epoch (1 = earliest, non-grokking runs tied last). */
  grokRank: Float64Array;
  /** Per prime: mean rank of grokking time and of early mean coarseness and concentration. */
  primeRank: { p: number; grok: number; c: number; k: number }[];
  /** The focus prime's runs and its place among the primes (null: no run has it, or it is the only prime). */
  focus: {
    runs: number[];
    rank: { p: number; grok: number; c: number; k: number };
    grok: { below: number; above: number; tied: number };
    c: { below: number; above: number; tied: number };
    k: { below: number; above: number; tied: number };
  } | null;
  /** The first two seeds compared prime by prime (null: fewer than two seeds). */
  seedPair: { s1: number; s2: number; firstA: number; firstB: number; ties: number; pairs: number; signP: number; meanRank1: number; meanRank2: number } | null;
}

/** A run's early value of a metric at the study's early epoch. */
export function earlyAt(r: StudyRunFacts, m: StudyMetric, target: number): MetricFacts['early'][number] {
  return r[m].early.find((e) => e.target === target) as MetricFacts['early'][number];
}

export function primeNumbers(d: StudyDetails): PrimeNumbers {
  const o = d.options;
  const P = o.focusPrime;
  const runs = d.runs;
  const grokRank = ranks(runs.map((r) => r.grokEpoch ?? Number.MAX_SAFE_INTEGER));
  const rankC = ranks(runs.map((r) => earlyAt(r, 'coarseness', o.earlyEpoch).value));
  const rankK = ranks(runs.map((r) => earlyAt(r, 'concentration', o.earlyEpoch).value));
  const primes = [...new Set(runs.map((r) => r.p))].sort((a, b) => a - b);
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  const ps = runs.map((r) => r.p);
  const primeRank = primes.map((p) => ({ p, grok: meanWhere(grokRank, ps, p), c: meanWhere(rankC, ps, p), k: meanWhere(rankK, ps, p) }));
  const focusRuns = runs.map((r, i) => (r.p === P ? i : -1)).filter((i) => i >= 0);
  let focus: PrimeNumbers['focus'] = null;
  if (focusRuns.length > 0 && primes.length >= 2) {
    const fi = primes.indexOf(P);
    const place = (key: 'grok' | 'c' | 'k') => placeOf(primeRank.map((x) => x[key]), fi);
    focus = { runs: focusRuns, rank: primeRank[fi], grok: place('grok'), c: place('c'), k: place('k') };
  }
  let seedPair: PrimeNumbers['seedPair'] = null;
  if (seeds.length >= 2) {
    const [s1, s2] = seeds;
    const pairs: { a: number | null; b: number | null }[] = [];
    for (const p of primes) {
      const a = runs.find((r) => r.p === p && r.seed === s1);
      const b = runs.find((r) => r.p === p && r.seed === s2);
      if (a && b) pairs.push({ a: a.grokEpoch, b: b.grokEpoch });
    }
    const ss = runs.map((r) => r.seed);
    seedPair = { s1, s2, ...firstCounts(pairs), meanRank1: meanWhere(grokRank, ss, s1), meanRank2: meanWhere(grokRank, ss, s2) };
  }
  return { primes, seeds, grokRank, primeRank, focus, seedPair };
}

// ---- prediction -----------------------------------------------------------------------------

export interface PredictNumbers {
  /** Grokking runs in the correlations, and n! (the orderings an exact permutation test visits). */
  n: number;
  orderings: number;
  /** Tests run (rows × Pearson and Spearman), how many reached p ≤ 0.05, how many would by chance if independent. */
  tests: number;
  significant: number;
  expectedSignificant: number;
  /** Power of a two-sided 0.05 correlation test with n pairs against ρ = 0.5 (Fisher z). */
  power: number;
  /** Non-grokking runs and 1/chance that they are the lowest of all runs on one measure (null: none, or all). */
  nonGrokking: number;
  lowestChanceInverse: number | null;
  /** The points at the study's early epoch with the regression's fitted grok epoch (null: no fit). */
  points: { metric: StudyMetric; runId: string; value: number; grokEpoch: number | null; fit: number | null }[];
}

/** The fitted value of a prediction row's regression at one point (null without a fit or a grok epoch). */
export function predictFit(r: PredictRow, pt: { value: number; grokEpoch: number | null }): number | null {
  return r.n >= 3 && Number.isFinite(r.slope) && pt.grokEpoch !== null ? r.slope * pt.value + r.intercept : null;
}

export function predictNumbers(d: StudyDetails): PredictNumbers {
  const n = d.predict.length ? d.predict[0].n : 0;
  const tests = d.predict.length * 2;
  const nNon = d.runs.filter((r) => !r.grokked).length;
  return {
    n,
    orderings: factorial(n),
    tests,
    significant: d.predict.reduce((a, r) => a + (r.spearman.pValue <= 0.05 ? 1 : 0) + (r.pearson.pValue <= 0.05 ? 1 : 0), 0),
    expectedSignificant: 0.05 * tests,
    power: correlationPower(n, 0.5),
    nonGrokking: nNon,
    lowestChanceInverse: nNon > 0 && nNon < d.runs.length ? choose(d.runs.length, nNon) : null,
    points: d.predict
      .filter((r) => r.target === d.options.earlyEpoch)
      .flatMap((r) => r.points.map((pt) => ({ metric: r.metric, runId: pt.runId, value: pt.value, grokEpoch: pt.grokEpoch, fit: predictFit(r, pt) }))),
  };
}

// ---- embedding at initialisation ------------------------------------------------------------

/** One-sided hypergeometric p that `a` shares at least as many items with `final` as it does, both drawn from 1..population. */
export function keyOverlapP(a: readonly number[], final: readonly number[], population: number): number {
  const fin = new Set(final);
  return hypergeometricSf(a.filter((k) => fin.has(k)).length, population, a.length, fin.size);
}

export interface EmbeddingRunNumbers {
  runId: string;
  grokked: boolean;
  gini0: number;
  /** Leave-one-out z of the epoch-0 Gini and max/mean norm ratio against the other runs; the |z| rank of the Gini. */
  giniZ: number;
  ratioZ: number;
  giniAbsZRank: number;
  /** Expected Jaccard of random key sets of the same sizes (epoch 0 and early against final). */
  randomJaccard0: number;
  randomJaccardEarly: number;
  /** Hypergeometric p of the key overlap with the final keys (epoch 0 and early). */
  overlapP0: number;
  overlapPEarly: number;
}

export interface EmbeddingNumbers {
  runs: EmbeddingRunNumbers[];
  gini: { min: number; max: number };
  ratio: { min: number; max: number };
  meanJaccard0: number;
  meanJaccardEarly: number;
  meanRandomJaccard0: number;
  meanRandomJaccardEarly: number;
  /** Runs whose overlap exceeds chance (p < 0.05), from epoch 0 and the early epoch, and the binomial tail of that count. */
  significant0: number;
  significantEarly: number;
  combinedP0: number;
  combinedPEarly: number;
}

/** The embedding numbers over the runs that have an embedding analysis (null: none has). */
export function embeddingNumbers(d: StudyDetails): EmbeddingNumbers | null {
  const withEmb = d.runs.filter((r) => r.embedding !== null);
  if (withEmb.length === 0) return null;
  const e = (r: StudyRunFacts): NonNullable<StudyRunFacts['embedding']> => r.embedding as NonNullable<StudyRunFacts['embedding']>;
  const ginis = withEmb.map((r) => e(r).gini0);
  const ratios = withEmb.map((r) => e(r).maxMeanRatio0);
  const zs = withEmb.map((_, i) => leaveOneOutZ(ginis, i));
  const zr = withEmb.map((_, i) => leaveOneOutZ(ratios, i));
  const absZ = zs.map(Math.abs);
  const runs = withEmb.map((r, i) => {
    const x = e(r);
    return {
      runId: r.runId,
      grokked: r.grokked,
      gini0: ginis[i],
      giniZ: zs[i],
      ratioZ: zr[i],
      giniAbsZRank: descendingRank(absZ, i),
      randomJaccard0: randomOverlap(r.nFreq, x.keys0.length, x.keysFinal.length).jaccard,
      randomJaccardEarly: randomOverlap(r.nFreq, x.keysEarly.length, x.keysFinal.length).jaccard,
      overlapP0: keyOverlapP(x.keys0, x.keysFinal, r.nFreq),
      overlapPEarly: keyOverlapP(x.keysEarly, x.keysFinal, r.nFreq),
    };
  });
  const significant0 = runs.filter((r) => r.overlapP0 < 0.05).length;
  const significantEarly = runs.filter((r) => r.overlapPEarly < 0.05).length;
  return {
    runs,
    gini: extent(ginis),
    ratio: extent(ratios),
    meanJaccard0: mean(withEmb.map((r) => e(r).jaccard0Final)),
    meanJaccardEarly: mean(withEmb.map((r) => e(r).jaccardEarlyFinal)),
    meanRandomJaccard0: mean(runs.map((r) => r.randomJaccard0)),
    meanRandomJaccardEarly: mean(runs.map((r) => r.randomJaccardEarly)),
    significant0,
    significantEarly,
    combinedP0: binomialSf(significant0, withEmb.length, 0.05),
    combinedPEarly: binomialSf(significantEarly, withEmb.length, 0.05),
  };
}

// ---- coarseness vs specialization -----------------------------------------------------------

export interface MetricComparisonNumbers {
  /** Common epochs where some feature at K / some concentration feature / the pre-chosen means separate perfectly (null: no common epochs). */
  separation: {
    epochs: number;
    coarsenessK: number;
    concentration: number;
    meanCoarsenessK: number;
    meanConcentration: number;
    last: { epoch: number; meanCoarsenessK: number | undefined; meanConcentration: number | undefined };
    /** Which separates at more epochs, and which more widely at the last common epoch. */
    moreEpochs: StudyMetric | 'neither';
    wider: StudyMetric | 'neither';
  } | null;
  /** Over the grokking runs (null: none): the loss correlations and half-rise distances from the grok epoch. */
  tracking: {
    runs: number;
    medianLossR: Record<StudyMetric, number>;
    /** Runs where the metric's |r| is the larger. */
    strongerR: Record<StudyMetric, number>;
    medianHalfRiseDistance: Record<StudyMetric, number>;
    /** Means over the grokking runs at init, half the grok epoch, the grok epoch and the end. */
    averages: Record<StudyMetric, { initial: number; mid: number; atGrok: number; final: number }>;
  } | null;
  /** Runs whose most common final dominant specialised frequency is above K. */
  concentratedAboveK: number;
}

export function metricComparisonNumbers(d: StudyDetails): MetricComparisonNumbers {
  const o = d.options;
  const t = d.threshold;
  const g = d.runs.filter((r) => r.grokked);
  let separation: MetricComparisonNumbers['separation'] = null;
  if (t.perEpoch.length) {
    const count = (key: 'coarsenessK' | 'concentration' | 'meanCoarsenessK' | 'meanConcentration') => t.perEpoch.filter((r) => (r[key]?.margin ?? -1) > 0).length;
    const mk = count('meanCoarsenessK');
    const mc = count('meanConcentration');
    const last = t.perEpoch[t.perEpoch.length - 1];
    const lastK = last.meanCoarsenessK?.normMargin ?? -Infinity;
    const lastC = last.meanConcentration?.normMargin ?? -Infinity;
    const better = (c: number, k: number): StudyMetric | 'neither' => (c > k ? 'concentration' : k > c ? 'coarseness' : 'neither');
    separation = {
      epochs: t.perEpoch.length,
      coarsenessK: count('coarsenessK'),
      concentration: count('concentration'),
      meanCoarsenessK: mk,
      meanConcentration: mc,
      last: { epoch: last.epoch, meanCoarsenessK: last.meanCoarsenessK?.normMargin, meanConcentration: last.meanConcentration?.normMargin },
      moreEpochs: better(mc, mk),
      wider: better(lastC, lastK),
    };
  }
  let tracking: MetricComparisonNumbers['tracking'] = null;
  const gi = d.runs.map((r, i) => (r.grokked ? i : -1)).filter((i) => i >= 0);
  if (gi.length) {
    const r = { coarseness: d.runs.map((x) => x.coarseness.lossCorrelation), concentration: d.runs.map((x) => x.concentration.lossCorrelation) };
    const distance = (m: StudyMetric) => median(finite(g.map((x) => x[m].timing.leadHalfRise ?? NaN).map(Math.abs)));
    const avg = (m: StudyMetric, key: 'initial' | 'mid' | 'atGrok' | 'final'): number => mean(finite(g.map((x) => x[m][key] ?? NaN)));
    const averages = (m: StudyMetric) => ({ initial: avg(m, 'initial'), mid: avg(m, 'mid'), atGrok: avg(m, 'atGrok'), final: avg(m, 'final') });
    tracking = {
      runs: gi.length,
      medianLossR: { coarseness: median(finite(gi.map((i) => r.coarseness[i]))), concentration: median(finite(gi.map((i) => r.concentration[i]))) },
      strongerR: {
        concentration: gi.filter((i) => Math.abs(r.concentration[i]) > Math.abs(r.coarseness[i])).length,
        coarseness: gi.filter((i) => Math.abs(r.coarseness[i]) > Math.abs(r.concentration[i])).length,
      },
      medianHalfRiseDistance: { coarseness: distance('coarseness'), concentration: distance('concentration') },
      averages: { coarseness: averages('coarseness'), concentration: averages('concentration') },
    };
  }
  return {
    separation,
    tracking,
    concentratedAboveK: d.runs.filter((r) => r.concentration.blobs.finalBlobs.length > 0 && r.concentration.blobs.topFrequencies[0].k > o.K).length,
  };
}

/** Mean coarseness at K and mean concentration over neurons (NaN left out) at every `step`-th checkpoint. */
export function checkpointMeans(checkpoints: readonly StudyCheckpoint[], K: number, step: number): { epoch: number; coarseness: number; concentration: number }[] {
  const out: { epoch: number; coarseness: number; concentration: number }[] = [];
  for (let i = 0; i < checkpoints.length; i += step) {
    const c = checkpoints[i];
    out.push({ epoch: c.epoch, coarseness: meanIgnoringNaN(c.coarseness[K - 1]), concentration: meanIgnoringNaN(c.concentration) });
  }
  return out;
}

// ---- population -----------------------------------------------------------------------------

const CLASSES: readonly OutcomeClass[] = ['healthy', 'late_grokker', 'degraded', 'degraded_rebound', 'no_second_descent'];

export interface PrimePopulation {
  p: number;
  runs: number;
  seeds: number;
  dataSeeds: number;
  jitters: number;
  grokked: number;
  classes: Record<OutcomeClass, number>;
  /** Runs with a second-descent onset and the onsets' min, median and max (null: none). */
  withOnset: number;
  onset: { min: number; median: number; max: number } | null;
}

export interface PopulationNumbers {
  /** The runs with an outcome class, and the primes among them. */
  runs: StudyRunFacts[];
  primes: PrimePopulation[];
  /** Runs with p = focus prime. */
  focusRuns: number;
  /** The tests of "p = focus differs" (null: every run or none has it). */
  test: {
    /** Spearman ρ between "p = focus" and the onset rank (no onset ranked last), with its permutation p. */
    onset: PermutationTestResult;
    failed: { focus: number; all: number; rateOthers: number };
    /** Fisher's exact test of the failure rate, two-sided, and its power against a rate 0.5 above the others'. */
    fisherP: number;
    power: number;
  } | null;
}

/** The study's runs with an outcome class, per prime, and the tests of p = focus (null: no run has a class). */
export function populationNumbers(d: StudyDetails): PopulationNumbers | null {
  const o = d.options;
  const P = o.focusPrime;
  const runs = d.runs.filter((r) => r.outcome !== undefined);
  if (runs.length === 0) return null;
  const primes = [...new Set(runs.map((r) => r.p))].sort((a, b) => a - b).map((p): PrimePopulation => {
    const rs = runs.filter((r) => r.p === p);
    const on = rs.map((r) => r.onset).filter((x): x is number => x !== null).sort((a, b) => a - b);
    const classes = Object.fromEntries(CLASSES.map((c) => [c, rs.filter((r) => r.outcome === c).length])) as Record<OutcomeClass, number>;
    return {
      p,
      runs: rs.length,
      seeds: new Set(rs.map((r) => r.seed)).size,
      dataSeeds: new Set(rs.map((r) => r.dataSeed)).size,
      jitters: new Set(rs.map((r) => r.jitter)).size,
      grokked: rs.filter((r) => r.grokked).length,
      classes,
      withOnset: on.length,
      onset: on.length ? { min: on[0], median: median(on), max: on[on.length - 1] } : null,
    };
  });
  const inP = runs.map((r) => (r.p === P ? 1 : 0));
  const nP = inP.reduce((a: number, b) => a + b, 0);
  let test: PopulationNumbers['test'] = null;
  if (nP > 0 && nP < runs.length) {
    const onset = permutationTest(inP, runs.map((r) => r.onset ?? Number.MAX_SAFE_INTEGER), 'spearman', o.permutation);
    const failed = runs.map((r) => (r.grokked ? 0 : 1));
    const fP = failed.filter((x, i) => x && inP[i]).length;
    const fAll = failed.reduce((a: number, b) => a + b, 0);
    const rateOthers = (fAll - fP) / (runs.length - nP);
    test = {
      onset,
      failed: { focus: fP, all: fAll, rateOthers },
      fisherP: fisherTwoSided(fP, runs.length, fAll, nP),
      power: fisherPower(nP, runs.length - nP, Math.min(1, rateOthers + 0.5), rateOthers),
    };
  }
  return { runs, primes, focusRuns: nP, test };
}

// ---- seed vs rounding -----------------------------------------------------------------------

export interface SpreadGroup {
  /** 'jitters': one (p, seed, data seed) over its jitters; 'seeds': one (p, data seed) over the seeds' unperturbed runs. */
  across: 'jitters' | 'seeds';
  p: number;
  seed: number | null;
  dataSeed: number | null;
  runs: number;
  withOnset: number;
  /** Sample SD of the onset (NaN for fewer than two onsets), min and max (null: no onset). */
  sd: number;
  min: number | null;
  max: number | null;
  classes: (OutcomeClass | null | undefined)[];
}

export interface RoundingNumbers {
  groups: SpreadGroup[];
  /** Rounding ensembles, and how many of them agree on the class. */
  ensembles: number;
  agree: number;
  /** Median over groups of the onset SD across jitters and across seeds (NaN: no group with an SD), and their ratio. */
  medianWithin: number;
  medianAcross: number;
  acrossGroups: number;
  ratio: number;
}

function spreadGroup(across: SpreadGroup['across'], g: readonly StudyRunFacts[]): SpreadGroup {
  const on = g.map((r) => r.onset).filter((x): x is number => x !== null);
  return {
    across,
    p: g[0].p,
    seed: across === 'jitters' ? g[0].seed : null,
    dataSeed: g[0].dataSeed,
    runs: g.length,
    withOnset: on.length,
    sd: sampleStd(on),
    min: on.length ? Math.min(...on) : null,
    max: on.length ? Math.max(...on) : null,
    classes: [...new Set(g.map((r) => r.outcome))],
  };
}

/** The onset's spread across jitters against its spread across seeds (null: no (p, seed, data seed) has two jitters). */
export function roundingNumbers(d: StudyDetails): RoundingNumbers | null {
  const runs = d.runs.filter((r) => r.outcome !== undefined);
  const groupBy = (rs: readonly StudyRunFacts[], key: (r: StudyRunFacts) => string): StudyRunFacts[][] => {
    const m = new Map<string, StudyRunFacts[]>();
    for (const r of rs) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
    return [...m.values()];
  };
  const ens = groupBy(runs, (r) => `${r.p}|${r.seed}|${r.dataSeed}`).filter((g) => new Set(g.map((r) => r.jitter)).size >= 2);
  if (ens.length === 0) return null;
  const jit = ens.map((g) => spreadGroup('jitters', g));
  const seeds = groupBy(runs.filter((x) => x.jitter === 0), (r) => `${r.p}|${r.dataSeed}`)
    .filter((g) => new Set(g.map((r) => r.seed)).size >= 2)
    .map((g) => spreadGroup('seeds', g));
  const within = finite(jit.map((g) => g.sd));
  const across = finite(seeds.map((g) => g.sd));
  const medianWithin = within.length ? median(within) : NaN;
  const medianAcross = across.length ? median(across) : NaN;
  return {
    groups: [...jit, ...seeds],
    ensembles: ens.length,
    agree: jit.filter((g) => g.classes.length === 1).length,
    medianWithin,
    medianAcross,
    acrossGroups: across.length,
    ratio: medianAcross / medianWithin,
  };
}
