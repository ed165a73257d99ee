/**
 * The cross-run study: the numbers that answer the seed's research questions (and the
 * seed-experiment issue's metric question), computed from the stored analyses of several runs.
 * The sentences, tables and figure specs that present them are views (views/study.ts).
 *
 * - `analyseStudy(runs, opts)`: pure. It takes per-run data already reduced to per-checkpoint
 *   per-neuron arrays (`StudyRunData`) and returns the numbers (`StudyDetails`).
 * - `loadStudyRun(store, runId, opts)`: one run's reduced data from the store (results.ts).
 *
 * Conventions. A run "grokked" by MIScope's outcome classes (analysis/outcome.ts): healthy or
 * late_grokker; it "failed" when degraded, degraded_rebound or no_second_descent. (Data built by
 * hand without an outcome class falls back to grokked = a `grok_epoch`, first test loss < 0.01.)
 * Timing questions use `grok_epoch` as the time of the test-loss drop, in every run that has one. Flat
 * neurons are NaN and left out of means and counts. Per-run statistics at a target epoch use the
 * nearest checkpoint (ties: the earlier). Lead = grok epoch − metric epoch (positive: the metric
 * moves first).
 */
import { badInput } from '../core/errors.js';
import { coarsenessFromFractions } from '../analysis/library/coarseness.js';
import { outcomeGrokked, runJitter, runOutcome, type OutcomeClass } from '../metrics/outcome.js';
import { isFinalState, type MetricRow, type Store } from '../store/store.js';
import {
  concentrationValues,
  grokkingTimes,
  readEmbeddingFourier,
  type EmbeddingFourierEpoch,
  readNeuronFourier,
} from '../analysis/results.js';
import {
  nearestIndex,
  seededRandom,
  hypergeometricSf,
  jaccard,
  linearRegression,
  mean,
  median,
  pearson,
  permutationTest,
  type PermutationOptions,
  type PermutationTestResult,
  randomOverlap,
} from '../math/stats.js';

// ---- input ----------------------------------------------------------------------------------

/** One checkpoint of one run, reduced to what the study needs. */
export interface StudyCheckpoint {
  epoch: number;
  /** coarseness[K − 1][n]: neuron n's coarseness for K = 1..maxK (NaN = flat). */
  coarseness: Float64Array[];
  /** Frequency concentration max_k frac_k per neuron (NaN = flat). */
  concentration: Float64Array;
  /** Dominant frequency per neuron, 1-based k (ignored where the neuron is flat). */
  dominantFrequency: Int32Array;
}

/** One checkpoint's embedding Fourier spectrum. */
export interface StudyEmbeddingEpoch {
  epoch: number;
  /** Norm per frequency k = 1..(p−1)/2 (index k − 1). */
  norms: ArrayLike<number>;
  /** 1-based key frequencies. */
  keyFrequencies: ArrayLike<number>;
  gini: number;
}

/** Everything the study reads about one run. */
export interface StudyRunData {
  runId: string;
  /** Set when the run is not finished (Store.runState): left out of the study, named in its first section. */
  unfinished?: { state: string; epoch: number };
  p: number;
  seed: number;
  dMlp: number;
  /** (p − 1)/2. */
  nFreq: number;
  /** Configured number of epochs. */
  epochs: number;
  grokEpoch: number | null;
  grokEpochAcc: number | null;
  memoriseEpoch: number | null;
  /** Ascending by epoch. */
  checkpoints: StudyCheckpoint[];
  /** Evaluated epochs, ascending. */
  testLoss: { epoch: number; loss: number }[];
  /** Ascending by epoch; may be empty. */
  embedding: StudyEmbeddingEpoch[];
  /** MIScope's performance_classification (null: no test loss); omitted: unknown (grokked = grokEpoch !== null). */
  outcome?: OutcomeClass | null;
  /** MIScope's second_descent_onset_epoch. */
  onset?: number | null;
  dataSeed?: number;
  /** Rounding-ensemble member (0 = unperturbed initial weights). */
  jitter?: number;
}

/** Whether a run grokked: by its MIScope class when known, else by its grok epoch. */
export function studyGrokked(d: Pick<StudyRunData, 'outcome' | 'grokEpoch'>): boolean {
  return d.outcome !== undefined ? d.outcome !== null && outcomeGrokked(d.outcome) : d.grokEpoch !== null;
}

export interface StudyOptions {
  /** K of the coarseness the study reports by default (3). */
  K?: number;
  /** Largest K swept in the threshold search (6). */
  maxK?: number;
  /** Thresholds swept (0.5, 0.55, …, 0.9). */
  thresholds?: number[];
  /** Blob threshold for the critical-neuron section and blob counts (0.7, counted with ≥). */
  blobThreshold?: number;
  /** Early epochs for the prediction section (500, 1000, 2000). */
  earlyEpochs?: number[];
  /** The early epoch of the per-prime table and the main prediction sentence (1000). */
  earlyEpoch?: number;
  /** The prime asked about (101). */
  focusPrime?: number;
  /** Timing tolerance as a share of the grok epoch (0.05); at least one checkpoint interval. */
  toleranceShare?: number;
  /** Permutation test settings (exact up to n = 9, else Monte Carlo with a seeded generator). */
  permutation?: PermutationOptions;
  /** Loader only: score flat neurons 0 instead of leaving them out (MIScope's convention). */
  flatAsZero?: boolean;
}

type Resolved = Required<Omit<StudyOptions, 'permutation'>> & { permutation: PermutationOptions };

function resolveOptions(o: StudyOptions = {}): Resolved {
  const K = o.K ?? 3;
  const maxK = Math.max(o.maxK ?? 6, K);
  return {
    K,
    maxK,
    thresholds: o.thresholds ?? Array.from({ length: 9 }, (_, i) => Math.round((0.5 + 0.05 * i) * 100) / 100),
    blobThreshold: o.blobThreshold ?? 0.7,
    earlyEpochs: o.earlyEpochs ?? [500, 1000, 2000],
    earlyEpoch: o.earlyEpoch ?? 1000,
    focusPrime: o.focusPrime ?? 101,
    toleranceShare: o.toleranceShare ?? 0.05,
    permutation: o.permutation ?? {},
    flatAsZero: o.flatAsZero ?? false,
  };
}

// ---- output ---------------------------------------------------------------------------------

export type Cell = string | number | null;

/** One cross-run answer: a question, a plain sentence, and what shows it. */
export interface StudySection {
  id: string;
  question: string;
  /** Plain sentence(s). */
  answer: string;
  /** The NAME of a report figure this answer refers to. */
  figure?: string;
  table?: { columns: string[]; rows: Cell[][] };
  /** A Vega-Lite spec of a figure of its own. */
  vegaLite?: object;
}

export type TimingClass = 'precede' | 'coincide' | 'follow';

/** The timing of one metric's rise in one run. */
export interface MetricTiming {
  /** The metric's mean at the first checkpoint. */
  initial: number;
  max: number;
  halfRiseEpoch: number | null;
  /** End epoch of the checkpoint interval with the largest increase per epoch. */
  steepestRiseEpoch: number | null;
  /** Start epoch of that interval. */
  steepestRiseFrom: number | null;
  leadHalfRise: number | null;
  leadSteepest: number | null;
  classHalfRise: TimingClass | null;
  classSteepest: TimingClass | null;
  /** Lead of the half rise over the test loss's half drop (log scale). */
  leadHalfRiseVsLossDrop: number | null;
}

/** Blob neurons of one run under one metric. */
export interface BlobFacts {
  /** Neurons at or above the threshold at any checkpoint. */
  everBlob: number;
  /** Indices of the neurons at or above the threshold at the last checkpoint. */
  finalBlobs: number[];
  firstBlobEpoch: number | null;
  medianFirstBlobEpoch: number | null;
  /** Neurons whose first blob checkpoint is at or before the grok epoch. */
  blobBeforeGrok: number | null;
  /** Mean over ever-blob neurons of the share of later checkpoints still at or above the threshold. */
  meanStay: number | null;
  /** Ever-blob neurons that are not blobs at the last checkpoint. */
  transient: number;
  /** Dominant frequencies among the final blobs, most common first (share of the final blobs). */
  topFrequencies: { k: number; count: number; share: number }[];
  /** Share of final blobs whose dominant frequency is among the run's final embedding key frequencies. */
  shareInEmbeddingKeys: number | null;
}

export interface MetricFacts {
  /** Mean at the first checkpoint, at half the grok epoch (half the last epoch if no grok), at the first checkpoint ≥ grok epoch, and at the last. */
  initial: number;
  mid: number;
  atGrok: number | null;
  final: number;
  timing: MetricTiming;
  /** Mean and blob count (≥ blobThreshold) at the checkpoint nearest each early target epoch. */
  early: { target: number; epoch: number; value: number; blobCount: number }[];
  /** Pearson r across checkpoints between the metric's mean and log10 test loss. */
  lossCorrelation: number;
  blobs: BlobFacts;
}

/** Per-run facts the report can show beside the sections. */
export interface StudyRunFacts {
  runId: string;
  p: number;
  seed: number;
  dMlp: number;
  /** Number of frequencies, (p − 1)/2. */
  nFreq: number;
  epochs: number;
  lastEpoch: number;
  checkpoints: number;
  /** Median spacing of checkpoints. */
  checkpointInterval: number;
  /** By MIScope's classes (healthy | late_grokker) when known. */
  grokked: boolean;
  outcome: OutcomeClass | null | undefined;
  onset: number | null;
  dataSeed: number | null;
  jitter: number;
  grokEpoch: number | null;
  grokEpochAcc: number | null;
  memoriseEpoch: number | null;
  /** First epoch at which log10 test loss has fallen half-way from its peak to its minimum. */
  lossHalfDropEpoch: number | null;
  /** Coarseness at the study's K. */
  coarseness: MetricFacts;
  concentration: MetricFacts;
  embedding: {
    epoch0: number;
    gini0: number;
    maxMeanRatio0: number;
    keys0: number[];
    keysEarly: number[];
    keysFinal: number[];
    jaccard0Final: number;
    jaccardEarlyFinal: number;
  } | null;
  /** Per-run values at the seed's epochs (0, 500, 1000, 2000, 5000, … nearest checkpoints). */
  snapshots: {
    epoch: number;
    meanCoarseness: number;
    blobCount: number;
    meanConcentration: number;
    concentratedCount: number;
    flat: number;
  }[];
}

export interface StudyAnswers {
  sections: StudySection[];
  runs: StudyRunFacts[];
}

// ---- small helpers --------------------------------------------------------------------------

export const SEED_EPOCHS = [0, 500, 1000, 2000, 5000, 10000, 15000, 20000, 25000];
export function factorial(n: number): number {
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}

export function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

export { nearestIndex };

export function meanIgnoringNaN(xs: Float64Array): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isNaN(xs[i])) {
      s += xs[i];
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}

function countAtLeast(xs: Float64Array, t: number): number {
  let c = 0;
  for (let i = 0; i < xs.length; i++) if (xs[i] >= t) c++;
  return c;
}


// ---- per-run series -------------------------------------------------------------------------

/** A run's per-checkpoint means and counts, computed once. */
interface RunSeries {
  data: StudyRunData;
  epochs: number[];
  index: Map<number, number>;
  /** meanC[K − 1][i]. */
  meanC: Float64Array[];
  meanConc: Float64Array;
  /** countC[K − 1][t][i]: neurons with coarseness_K ≥ thresholds[t]. */
  countC: Int32Array[][];
  countConc: Int32Array[];
  flat: Int32Array;
  /** log10 test loss at each checkpoint (nearest evaluated epoch at or before; NaN if none). */
  logLoss: Float64Array;
  interval: number;
  grokked: boolean;
}

function prepareRun(d: StudyRunData, o: Resolved): RunSeries {
  if (d.checkpoints.length === 0) throw badInput(`run ${d.runId} has no analysed checkpoints`);
  const n = d.checkpoints.length;
  const epochs = d.checkpoints.map((c) => c.epoch);
  for (let i = 1; i < n; i++) {
    if (epochs[i] <= epochs[i - 1]) throw badInput(`run ${d.runId}: checkpoints are not in ascending epoch order`);
  }
  for (const c of d.checkpoints) {
    if (c.coarseness.length < o.maxK) {
      throw badInput(`run ${d.runId} epoch ${c.epoch}: coarseness given for K ≤ ${c.coarseness.length}, the study needs K ≤ ${o.maxK}`);
    }
  }
  const meanC = Array.from({ length: o.maxK }, () => new Float64Array(n));
  const countC = Array.from({ length: o.maxK }, () => o.thresholds.map(() => new Int32Array(n)));
  const meanConc = new Float64Array(n);
  const countConc = o.thresholds.map(() => new Int32Array(n));
  const flat = new Int32Array(n);
  d.checkpoints.forEach((c, i) => {
    for (let k = 0; k < o.maxK; k++) {
      meanC[k][i] = meanIgnoringNaN(c.coarseness[k]);
      o.thresholds.forEach((t, ti) => (countC[k][ti][i] = countAtLeast(c.coarseness[k], t)));
    }
    meanConc[i] = meanIgnoringNaN(c.concentration);
    o.thresholds.forEach((t, ti) => (countConc[ti][i] = countAtLeast(c.concentration, t)));
    let fl = 0;
    for (let j = 0; j < c.concentration.length; j++) if (Number.isNaN(c.concentration[j])) fl++;
    flat[i] = fl;
  });
  const logLoss = new Float64Array(n).fill(NaN);
  let j = 0;
  const tl = d.testLoss;
  for (let i = 0; i < n; i++) {
    while (j + 1 < tl.length && tl[j + 1].epoch <= epochs[i]) j++;
    if (tl.length > 0 && tl[j].epoch <= epochs[i]) logLoss[i] = Math.log10(Math.max(tl[j].loss, 1e-30));
  }
  const gaps = epochs.slice(1).map((e, i) => e - epochs[i]);
  return {
    data: d,
    epochs,
    index: new Map(epochs.map((e, i) => [e, i])),
    meanC,
    meanConc,
    countC,
    countConc,
    flat,
    logLoss,
    interval: gaps.length ? median(gaps) : 0,
    grokked: studyGrokked(d),
  };
}

// ---- section 1: separation ------------------------------------------------------------------

/** A feature of a run at one checkpoint: a mean or a count of neurons at or above a threshold. */
export interface Feature {
  family: 'coarseness' | 'concentration';
  kind: 'mean' | 'count';
  K: number | null;
  threshold: number | null;
  label: string;
}

export interface Separation {
  /** Gap between the classes in the better direction (negative: they overlap). */
  margin: number;
  /** Margin divided by the range of the feature over all runs. */
  normMargin: number;
  /** Whether grokking runs lie above ('higher') or below ('lower') the non-grokking ones. */
  direction: 'higher' | 'lower';
  /** The separating value: midway between the classes' nearest members. */
  cut: number;
}

export type FeatureSeparation = Separation & { feature: Feature };

/**
 * How well one value per run separates the grokking from the non-grokking runs: the gap between
 * the classes in whichever direction is better. Null when a class is empty, a value is not
 * finite, or all values are equal (the feature carries no information).
 */
export function separate(grok: readonly number[], non: readonly number[]): Separation | null {
  if (grok.length === 0 || non.length === 0) return null;
  const all = [...grok, ...non];
  if (all.some((v) => !Number.isFinite(v))) return null;
  const range = Math.max(...all) - Math.min(...all);
  if (range === 0) return null;
  const gMin = Math.min(...grok);
  const gMax = Math.max(...grok);
  const nMin = Math.min(...non);
  const nMax = Math.max(...non);
  const up = gMin - nMax;
  const down = nMin - gMax;
  if (up >= down) return { margin: up, normMargin: up / range, direction: 'higher', cut: (gMin + nMax) / 2 };
  return { margin: down, normMargin: down / range, direction: 'lower', cut: (gMax + nMin) / 2 };
}

function featureList(o: Resolved): Feature[] {
  const out: Feature[] = [];
  for (let K = 1; K <= o.maxK; K++) {
    out.push({ family: 'coarseness', kind: 'mean', K, threshold: null, label: `mean coarseness (K=${K})` });
  }
  for (let K = 1; K <= o.maxK; K++) {
    for (const t of o.thresholds) {
      out.push({ family: 'coarseness', kind: 'count', K, threshold: t, label: `blob count (K=${K}, coarseness ≥ ${t.toFixed(2)})` });
    }
  }
  out.push({ family: 'concentration', kind: 'mean', K: null, threshold: null, label: 'mean specialization' });
  for (const t of o.thresholds) {
    out.push({ family: 'concentration', kind: 'count', K: null, threshold: t, label: `specialised-neuron count (specialization ≥ ${t.toFixed(2)})` });
  }
  return out;
}

function featureValue(rs: RunSeries, ft: Feature, i: number, o: Resolved): number {
  if (ft.family === 'coarseness') {
    const k = (ft.K ?? o.K) - 1;
    if (ft.kind === 'mean') return rs.meanC[k][i];
    return rs.countC[k][o.thresholds.indexOf(ft.threshold as number)][i];
  }
  if (ft.kind === 'mean') return rs.meanConc[i];
  return rs.countConc[o.thresholds.indexOf(ft.threshold as number)][i];
}

export interface EpochSeparation {
  epoch: number;
  /** Best over all coarseness features (every K and threshold). */
  coarseness: FeatureSeparation | null;
  /** Best over the features at the study's K. */
  coarsenessK: FeatureSeparation | null;
  /** Best over the concentration features. */
  concentration: FeatureSeparation | null;
  /** The pre-chosen features: mean coarseness at K, mean concentration. */
  meanCoarsenessK: Separation | null;
  meanConcentration: Separation | null;
}

export interface FirstSeparation {
  epoch: number;
  feature: Feature | null;
  separation: Separation;
  /** Whether every later common epoch also separates perfectly (by some feature of the family). */
  persists: boolean;
  /** The first epoch from which every common epoch separates perfectly (null if the last does not). */
  stableFrom: number | null;
  /** Share of the later common epochs where the same feature, same direction, still separates. */
  sameFeatureShare: number | null;
  /** Common epochs with a perfect separation. */
  perfectEpochs: number;
}

export interface ThresholdDetails {
  commonEpochs: number[];
  grokking: string[];
  nonGrokking: string[];
  perEpoch: EpochSeparation[];
  first: {
    coarseness: FirstSeparation | null;
    coarsenessK: FirstSeparation | null;
    concentration: FirstSeparation | null;
    meanCoarsenessK: FirstSeparation | null;
    meanConcentration: FirstSeparation | null;
  };
  features: { coarseness: number; concentration: number };
  /** Probability that one pre-chosen feature at one epoch separates perfectly under random labels. */
  chanceOne: number | null;
  /**
   * Probability under random labelling (group sizes kept) that some searched feature separates
   * perfectly at some common epoch: exact over every labelling when there are at most
   * FAMILY_LABELLINGS of them, else from that many seeded random labellings. Null without both groups.
   */
  chanceAny: { p: number; labellings: number; exact: boolean } | null;
}

const FAMILY_LABELLINGS = 400;

/** The family-wise chance of a perfect separation somewhere (ThresholdDetails.chanceAny). */
function familyChance(values: Float64Array[], n: number, m: number): { p: number; labellings: number; exact: boolean } {
  // values[j]: one (feature, epoch) cell's value per run.
  const separates = (inB: Uint8Array): boolean => {
    for (const v of values) {
      let aMin = Infinity, aMax = -Infinity, bMin = Infinity, bMax = -Infinity, bad = false;
      for (let i = 0; i < n; i++) {
        const x = v[i];
        if (!Number.isFinite(x)) { bad = true; break; }
        if (inB[i]) { if (x < bMin) bMin = x; if (x > bMax) bMax = x; } else { if (x < aMin) aMin = x; if (x > aMax) aMax = x; }
      }
      if (!bad && (aMin > bMax || bMin > aMax)) return true;
    }
    return false;
  };
  const total = choose(n, m);
  const inB = new Uint8Array(n);
  let hits = 0, count = 0;
  if (total <= FAMILY_LABELLINGS) {
    const idx = Array.from({ length: m }, (_, i) => i);
    for (;;) {
      inB.fill(0);
      for (const i of idx) inB[i] = 1;
      if (separates(inB)) hits++;
      count++;
      let k = m - 1;
      while (k >= 0 && idx[k] === n - m + k) k--;
      if (k < 0) break;
      idx[k]++;
      for (let j = k + 1; j < m; j++) idx[j] = idx[j - 1] + 1;
    }
    return { p: hits / count, labellings: count, exact: true };
  }
  const rand = seededRandom(12345);
  const order = Array.from({ length: n }, (_, i) => i);
  for (; count < FAMILY_LABELLINGS; count++) {
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    inB.fill(0);
    for (let i = 0; i < m; i++) inB[order[i]] = 1;
    if (separates(inB)) hits++;
  }
  return { p: hits / count, labellings: count, exact: false };
}

type SepKey = 'coarseness' | 'coarsenessK' | 'concentration' | 'meanCoarsenessK' | 'meanConcentration';

function thresholdAnalysis(series: RunSeries[], o: Resolved, inA: (s: RunSeries) => boolean = (s) => s.grokked): ThresholdDetails {
  const grokking = series.filter(inA);
  const non = series.filter((s) => !inA(s));
  let common = series.length ? [...series[0].epochs] : [];
  for (const s of series.slice(1)) common = common.filter((e) => s.index.has(e));
  const features = featureList(o);
  const perEpoch: EpochSeparation[] = [];
  const featureSep = (ft: Feature, e: number): Separation | null => {
    const g = grokking.map((s) => featureValue(s, ft, s.index.get(e) as number, o));
    const n = non.map((s) => featureValue(s, ft, s.index.get(e) as number, o));
    return separate(g, n);
  };
  const meanCK = features.find((x) => x.family === 'coarseness' && x.kind === 'mean' && x.K === o.K) as Feature;
  const meanConc = features.find((x) => x.family === 'concentration' && x.kind === 'mean') as Feature;
  if (grokking.length > 0 && non.length > 0) {
    for (const e of common) {
      const best: Record<'coarseness' | 'coarsenessK' | 'concentration', FeatureSeparation | null> = {
        coarseness: null,
        coarsenessK: null,
        concentration: null,
      };
      const consider = (key: keyof typeof best, ft: Feature, s: Separation): void => {
        const cur = best[key];
        if (cur === null || s.normMargin > cur.normMargin) best[key] = { ...s, feature: ft };
      };
      for (const ft of features) {
        const s = featureSep(ft, e);
        if (!s) continue;
        if (ft.family === 'coarseness') {
          consider('coarseness', ft, s);
          if (ft.K === o.K) consider('coarsenessK', ft, s);
        } else consider('concentration', ft, s);
      }
      perEpoch.push({
        epoch: e,
        ...best,
        meanCoarsenessK: featureSep(meanCK, e),
        meanConcentration: featureSep(meanConc, e),
      });
    }
  }
  const firstOf = (key: SepKey): FirstSeparation | null => {
    let perfect = perEpoch.map((r) => (r[key]?.margin ?? -Infinity) > 0);
    const i = perfect.indexOf(true);
    if (i < 0) return null;
    const row = perEpoch[i];
    const sep = row[key] as Separation | FeatureSeparation;
    // A pre-chosen feature keeps separating only if it does so in the same direction.
    if (key === 'meanCoarsenessK' || key === 'meanConcentration') {
      perfect = perfect.map((ok, j) => ok && perEpoch[j][key]?.direction === sep.direction);
    }
    const feature = 'feature' in sep ? sep.feature : key === 'meanCoarsenessK' ? meanCK : key === 'meanConcentration' ? meanConc : null;
    let stable = perfect.length;
    while (stable > 0 && perfect[stable - 1]) stable--;
    let same = 0;
    const later = perEpoch.slice(i + 1);
    if (feature) {
      for (const r of later) {
        const s = featureSep(feature, r.epoch);
        if (s && s.margin > 0 && s.direction === sep.direction) same++;
      }
    }
    return {
      epoch: row.epoch,
      feature,
      separation: { margin: sep.margin, normMargin: sep.normMargin, direction: sep.direction, cut: sep.cut },
      persists: perfect.slice(i).every(Boolean),
      stableFrom: stable < perfect.length ? perEpoch[stable].epoch : null,
      sameFeatureShare: later.length ? same / later.length : null,
      perfectEpochs: perfect.filter(Boolean).length,
    };
  };
  const n = series.length;
  const m = non.length;
  return {
    commonEpochs: common,
    grokking: grokking.map((s) => s.data.runId),
    nonGrokking: non.map((s) => s.data.runId),
    perEpoch,
    first: {
      coarseness: firstOf('coarseness'),
      coarsenessK: firstOf('coarsenessK'),
      concentration: firstOf('concentration'),
      meanCoarsenessK: firstOf('meanCoarsenessK'),
      meanConcentration: firstOf('meanConcentration'),
    },
    features: {
      coarseness: features.filter((x) => x.family === 'coarseness').length,
      concentration: features.filter((x) => x.family === 'concentration').length,
    },
    // Distinct values, random labels: the non-grokking set is the top or the bottom m of n.
    chanceOne: m > 0 && m < n ? Math.min(1, 2 / choose(n, m)) : null,
    chanceAny: m > 0 && m < n && common.length > 0
      ? familyChance(common.flatMap((e) => features.map((ft) => Float64Array.from(series, (s) => featureValue(s, ft, s.index.get(e) as number, o)))), n, m)
      : null,
  };
}

// ---- section 2: timing ----------------------------------------------------------------------

function classify(lead: number | null, tol: number): TimingClass | null {
  if (lead === null) return null;
  if (lead > tol) return 'precede';
  if (lead < -tol) return 'follow';
  return 'coincide';
}

/** The first epoch at which log10 test loss has fallen half-way from its peak to its minimum. */
export function lossHalfDropEpoch(testLoss: readonly { epoch: number; loss: number }[]): number | null {
  const pts = testLoss.filter((t) => Number.isFinite(t.loss));
  if (pts.length < 2) return null;
  const logs = pts.map((t) => Math.log10(Math.max(t.loss, 1e-30)));
  let iMin = 0;
  for (let i = 1; i < logs.length; i++) if (logs[i] < logs[iMin]) iMin = i;
  let iPeak = 0;
  for (let i = 1; i <= iMin; i++) if (logs[i] > logs[iPeak]) iPeak = i;
  const drop = logs[iPeak] - logs[iMin];
  if (!(drop > 0)) return null;
  const level = logs[iPeak] - drop / 2;
  for (let i = iPeak + 1; i <= iMin; i++) if (logs[i] <= level) return pts[i].epoch;
  return null;
}

/**
 * When a per-checkpoint mean rises: the first checkpoint at which it reaches half its total rise
 * (from the first checkpoint to its maximum), and the checkpoint interval with the largest
 * increase per epoch; leads against the grok epoch, classified with tolerance
 * max(checkpoint interval, share × grok epoch).
 */
export function metricTiming(
  epochs: readonly number[],
  values: ArrayLike<number>,
  grokEpoch: number | null,
  opts: { interval: number; toleranceShare: number; lossDropEpoch?: number | null },
): MetricTiming {
  const v0 = values[0];
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  const rise = max - v0;
  let half: number | null = null;
  if (Number.isFinite(rise) && rise > 1e-12) {
    for (let i = 0; i < values.length; i++) {
      if (values[i] >= v0 + rise / 2) {
        half = epochs[i];
        break;
      }
    }
  }
  let bestRate = 0;
  let steep: number | null = null;
  let steepFrom: number | null = null;
  for (let i = 1; i < values.length; i++) {
    const rate = (values[i] - values[i - 1]) / (epochs[i] - epochs[i - 1]);
    if (rate > bestRate) {
      bestRate = rate;
      steep = epochs[i];
      steepFrom = epochs[i - 1];
    }
  }
  const tol = grokEpoch === null ? 0 : Math.max(opts.interval, opts.toleranceShare * grokEpoch);
  const leadHalf = grokEpoch !== null && half !== null ? grokEpoch - half : null;
  const leadSteep = grokEpoch !== null && steep !== null ? grokEpoch - steep : null;
  const drop = opts.lossDropEpoch ?? null;
  return {
    initial: v0,
    max,
    halfRiseEpoch: half,
    steepestRiseEpoch: steep,
    steepestRiseFrom: steepFrom,
    leadHalfRise: leadHalf,
    leadSteepest: leadSteep,
    classHalfRise: classify(leadHalf, tol),
    classSteepest: classify(leadSteep, tol),
    leadHalfRiseVsLossDrop: drop !== null && half !== null ? drop - half : null,
  };
}

// ---- section 3: blob neurons ----------------------------------------------------------------

/**
 * Blob neurons of one run: neurons whose per-checkpoint value (values[i][n], NaN = flat) reaches
 * `threshold`, when first, whether they stay, and their dominant frequencies at the last checkpoint.
 */
export function blobNeurons(
  epochs: readonly number[],
  values: readonly Float64Array[],
  dominantFinal: Int32Array,
  threshold: number,
  grokEpoch: number | null,
  embeddingKeys: readonly number[] | null,
): BlobFacts {
  const nCk = values.length;
  const m = values[nCk - 1].length;
  const firsts: number[] = [];
  const stays: number[] = [];
  let before = 0;
  let transient = 0;
  const finalBlobs: number[] = [];
  for (let n = 0; n < m; n++) {
    let first = -1;
    for (let i = 0; i < nCk; i++) {
      if (values[i][n] >= threshold) {
        first = i;
        break;
      }
    }
    const isFinal = values[nCk - 1][n] >= threshold;
    if (isFinal) finalBlobs.push(n);
    if (first < 0) continue;
    firsts.push(epochs[first]);
    if (grokEpoch !== null && epochs[first] <= grokEpoch) before++;
    if (!isFinal) transient++;
    const later = nCk - 1 - first;
    if (later > 0) {
      let c = 0;
      for (let i = first + 1; i < nCk; i++) if (values[i][n] >= threshold) c++;
      stays.push(c / later);
    }
  }
  const counts = new Map<number, number>();
  for (const n of finalBlobs) counts.set(dominantFinal[n], (counts.get(dominantFinal[n]) ?? 0) + 1);
  const topFrequencies = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([k, count]) => ({ k, count, share: count / finalBlobs.length }));
  let inKeys: number | null = null;
  if (embeddingKeys && finalBlobs.length > 0) {
    const keys = new Set(embeddingKeys);
    inKeys = finalBlobs.filter((n) => keys.has(dominantFinal[n])).length / finalBlobs.length;
  }
  return {
    everBlob: firsts.length,
    finalBlobs,
    firstBlobEpoch: firsts.length ? Math.min(...firsts) : null,
    medianFirstBlobEpoch: firsts.length ? median(firsts) : null,
    blobBeforeGrok: grokEpoch === null ? null : before,
    meanStay: stays.length ? mean(stays) : null,
    transient,
    topFrequencies,
    shareInEmbeddingKeys: inKeys,
  };
}

export interface OverlapPair {
  a: string;
  b: string;
  sameSeed: boolean;
  population: number;
  sizeA: number;
  sizeB: number;
  observed: number;
  /** Expected overlap of random index sets of these sizes: sizeA·sizeB/population. */
  expected: number;
  /** P(overlap ≥ observed) under random assignment (hypergeometric). */
  pValue: number;
  jaccard: number;
  expectedJaccard: number;
}

/** Index overlap of final blob sets for every pair of runs with the same d_mlp. */
export function blobOverlap(
  runs: readonly { runId: string; seed: number; dMlp: number; blobs: readonly number[] }[],
): OverlapPair[] {
  const out: OverlapPair[] = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const A = runs[i];
      const B = runs[j];
      if (A.dMlp !== B.dMlp) continue;
      const sb = new Set(B.blobs);
      const observed = A.blobs.filter((x) => sb.has(x)).length;
      const rnd = randomOverlap(A.dMlp, A.blobs.length, B.blobs.length);
      out.push({
        a: A.runId,
        b: B.runId,
        sameSeed: A.seed === B.seed,
        population: A.dMlp,
        sizeA: A.blobs.length,
        sizeB: B.blobs.length,
        observed,
        expected: rnd.overlap,
        pValue: hypergeometricSf(observed, A.dMlp, A.blobs.length, B.blobs.length),
        jaccard: jaccard(A.blobs, B.blobs),
        expectedJaccard: rnd.jaccard,
      });
    }
  }
  return out;
}

// ---- section 5: prediction ------------------------------------------------------------------

export interface PredictRow {
  metric: 'coarseness' | 'concentration';
  target: number;
  /** Checkpoint epochs actually used (nearest to the target), min and max over runs. */
  epochRange: [number, number];
  n: number;
  pearson: PermutationTestResult;
  spearman: PermutationTestResult;
  slope: number;
  intercept: number;
  r2: number;
  /** Per run: early value and grok epoch (null = did not grok). */
  points: { runId: string; value: number; grokEpoch: number | null }[];
  /** Non-grokking runs: value and whether it is below every grokking run's value. */
  nonGrokking: { runId: string; value: number; belowAll: boolean; aboveAll: boolean }[];
}

// ---- the details ----------------------------------------------------------------------------

export interface StudyDetails {
  options: Resolved;
  runs: StudyRunFacts[];
  threshold: ThresholdDetails;
  /** Healthy (group A) vs late_grokker runs (others left out); null without both classes. */
  thresholdLate: ThresholdDetails | null;
  overlap: { coarseness: OverlapPair[]; concentration: OverlapPair[] };
  predict: PredictRow[];
}

function metricSeries(rs: RunSeries, metric: 'coarseness' | 'concentration', o: Resolved): Float64Array {
  return metric === 'coarseness' ? rs.meanC[o.K - 1] : rs.meanConc;
}

function perNeuron(rs: RunSeries, metric: 'coarseness' | 'concentration', o: Resolved): Float64Array[] {
  return rs.data.checkpoints.map((c) => (metric === 'coarseness' ? c.coarseness[o.K - 1] : c.concentration));
}

function metricFacts(rs: RunSeries, metric: 'coarseness' | 'concentration', o: Resolved, lossDrop: number | null): MetricFacts {
  const d = rs.data;
  const vals = metricSeries(rs, metric, o);
  const last = rs.epochs.length - 1;
  const midTarget = d.grokEpoch !== null ? d.grokEpoch / 2 : rs.epochs[last] / 2;
  let atGrok: number | null = null;
  if (d.grokEpoch !== null) {
    const i = rs.epochs.findIndex((e) => e >= (d.grokEpoch as number));
    atGrok = i >= 0 ? vals[i] : null;
  }
  const targets = [...new Set([...o.earlyEpochs, o.earlyEpoch])].sort((a, b) => a - b);
  const keep = rs.logLoss.map((l, i) => (Number.isFinite(l) && Number.isFinite(vals[i]) ? 1 : 0));
  const xs: number[] = [];
  const ys: number[] = [];
  keep.forEach((k, i) => {
    if (k) {
      xs.push(vals[i]);
      ys.push(rs.logLoss[i]);
    }
  });
  const emb = d.embedding.length ? d.embedding[d.embedding.length - 1] : null;
  return {
    initial: vals[0],
    mid: vals[nearestIndex(rs.epochs, midTarget)],
    atGrok,
    final: vals[last],
    timing: metricTiming(rs.epochs, vals, d.grokEpoch, {
      interval: rs.interval,
      toleranceShare: o.toleranceShare,
      lossDropEpoch: lossDrop,
    }),
    early: targets.map((t) => {
      const i = nearestIndex(rs.epochs, t);
      return { target: t, epoch: rs.epochs[i], value: vals[i], blobCount: countAtLeast(perNeuron(rs, metric, o)[i], o.blobThreshold) };
    }),
    lossCorrelation: pearson(xs, ys),
    blobs: blobNeurons(
      rs.epochs,
      perNeuron(rs, metric, o),
      d.checkpoints[last].dominantFrequency,
      o.blobThreshold,
      d.grokEpoch,
      emb ? Array.from(emb.keyFrequencies) : null,
    ),
  };
}

function embeddingFacts(d: StudyRunData, o: Resolved): StudyRunFacts['embedding'] {
  if (d.embedding.length === 0) return null;
  const emb = d.embedding;
  const e0 = emb.find((e) => e.epoch === 0) ?? emb[0];
  const early = emb[nearestIndex(emb.map((e) => e.epoch), o.earlyEpoch)];
  const fin = emb[emb.length - 1];
  const norms = Array.from(e0.norms);
  const keys = (e: StudyEmbeddingEpoch): number[] => Array.from(e.keyFrequencies);
  return {
    epoch0: e0.epoch,
    gini0: e0.gini,
    maxMeanRatio0: Math.max(...norms) / mean(norms),
    keys0: keys(e0),
    keysEarly: keys(early),
    keysFinal: keys(fin),
    jaccard0Final: jaccard(keys(e0), keys(fin)),
    jaccardEarlyFinal: jaccard(keys(early), keys(fin)),
  };
}

/** All the study's numbers (no sentences). */
export function analyseStudy(runs: readonly StudyRunData[], options: StudyOptions = {}): StudyDetails {
  const o = resolveOptions(options);
  if (runs.length === 0) throw badInput('the study needs at least one run');
  const ids = new Set<string>();
  for (const r of runs) {
    if (ids.has(r.runId)) throw badInput(`run ${r.runId} is given twice`);
    ids.add(r.runId);
  }
  const series = runs.map((r) => prepareRun(r, o));
  const facts: StudyRunFacts[] = series.map((rs) => {
    const d = rs.data;
    const drop = lossHalfDropEpoch(d.testLoss);
    const snaps = [...new Set(SEED_EPOCHS.filter((e) => e <= rs.epochs[rs.epochs.length - 1]).map((e) => nearestIndex(rs.epochs, e)))];
    return {
      runId: d.runId,
      p: d.p,
      seed: d.seed,
      dMlp: d.dMlp,
      nFreq: d.nFreq,
      epochs: d.epochs,
      lastEpoch: rs.epochs[rs.epochs.length - 1],
      checkpoints: rs.epochs.length,
      checkpointInterval: rs.interval,
      grokked: rs.grokked,
      outcome: d.outcome,
      onset: d.onset ?? null,
      dataSeed: d.dataSeed ?? null,
      jitter: d.jitter ?? 0,
      grokEpoch: d.grokEpoch,
      grokEpochAcc: d.grokEpochAcc,
      memoriseEpoch: d.memoriseEpoch,
      lossHalfDropEpoch: drop,
      coarseness: metricFacts(rs, 'coarseness', o, drop),
      concentration: metricFacts(rs, 'concentration', o, drop),
      embedding: embeddingFacts(d, o),
      snapshots: snaps.map((i) => ({
        epoch: rs.epochs[i],
        meanCoarseness: rs.meanC[o.K - 1][i],
        blobCount: countAtLeast(d.checkpoints[i].coarseness[o.K - 1], o.blobThreshold),
        meanConcentration: rs.meanConc[i],
        concentratedCount: countAtLeast(d.checkpoints[i].concentration, o.blobThreshold),
        flat: rs.flat[i],
      })),
    };
  });
  const overlapFor = (metric: 'coarseness' | 'concentration'): OverlapPair[] =>
    blobOverlap(facts.map((r) => ({ runId: r.runId, seed: r.seed, dMlp: r.dMlp, blobs: r[metric].blobs.finalBlobs })));
  const predict: PredictRow[] = [];
  for (const metric of ['coarseness', 'concentration'] as const) {
    for (const target of o.earlyEpochs) {
      const points = facts.map((r) => {
        const e = r[metric].early.find((x) => x.target === target) as { epoch: number; value: number };
        return { runId: r.runId, epoch: e.epoch, value: e.value, grokEpoch: r.grokked ? r.grokEpoch : null };
      });
      const g = points.filter((pt) => pt.grokEpoch !== null && Number.isFinite(pt.value));
      const x = g.map((pt) => pt.value);
      const y = g.map((pt) => pt.grokEpoch as number);
      const reg = linearRegression(x, y);
      const gMin = x.length ? Math.min(...x) : NaN;
      const gMax = x.length ? Math.max(...x) : NaN;
      const used = points.map((pt) => pt.epoch);
      predict.push({
        metric,
        target,
        epochRange: [Math.min(...used), Math.max(...used)],
        n: g.length,
        pearson: permutationTest(x, y, 'pearson', o.permutation),
        spearman: permutationTest(x, y, 'spearman', o.permutation),
        slope: reg.slope,
        intercept: reg.intercept,
        r2: reg.r2,
        points: points.map(({ runId, value, grokEpoch }) => ({ runId, value, grokEpoch })),
        nonGrokking: points
          .filter((pt) => pt.grokEpoch === null)
          .map((pt) => ({ runId: pt.runId, value: pt.value, belowAll: x.length > 0 && pt.value < gMin, aboveAll: x.length > 0 && pt.value > gMax })),
      });
    }
  }
  return {
    options: o,
    runs: facts,
    threshold: thresholdAnalysis(series, o),
    thresholdLate: series.some((s) => s.data.outcome === 'healthy') && series.some((s) => s.data.outcome === 'late_grokker')
      ? thresholdAnalysis(series.filter((s) => s.data.outcome === 'healthy' || s.data.outcome === 'late_grokker'), o, (s) => s.data.outcome === 'healthy')
      : null,
    overlap: { coarseness: overlapFor('coarseness'), concentration: overlapFor('concentration') },
    predict,
  };
}

// ---- loader ---------------------------------------------------------------------------------

/**
 * What the study is built from, per run: the run's identity, its metrics, and per analysed
 * checkpoint the frequency fractions of the first `lowK` frequencies ([lowK, d_mlp], frac[(k−1)·d_mlp + n]),
 * the flat flags, the concentration and the dominant frequency; the embedding spectra. Read from the
 * store (loadStudyRun) or from a committed run record (store/record.ts): the same study either way.
 */
export interface StudyRunSource {
  runId: string; p: number; seed: number; dataSeed: number; jitter: number; epochs: number; dMlp: number; nFreq: number;
  /** How many leading frequencies `checkpoints[].frac` holds (coarseness for K ≤ lowK). */
  lowK: number;
  checkpoints: { epoch: number; frac: ArrayLike<number>; flat: ArrayLike<number>; concentration: ArrayLike<number>; dominant: ArrayLike<number> }[];
  metrics: MetricRow[];
  embedding: StudyEmbeddingEpoch[];
  /** Set when the run is not finished (training, interrupted, failed): the study leaves it out and says so. */
  unfinished?: { state: string; epoch: number };
}

/** The study's view of one run, from its source (pure). */
export function studyRunFromSource(src: StudyRunSource, opts: StudyOptions = {}): StudyRunData {
  const o = resolveOptions(opts);
  if (src.checkpoints.length === 0) throw badInput(`run ${src.runId} has no analysed checkpoints (run grokbench analyze first)`);
  if (o.maxK > src.lowK && src.lowK < src.nFreq) throw badInput(`run ${src.runId}: the study asks coarseness up to K = ${o.maxK}, its record holds K ≤ ${src.lowK}`);
  const m = src.dMlp;
  const checkpoints: StudyCheckpoint[] = src.checkpoints.map((e) => {
    const conc = Float64Array.from(e.concentration);
    if (o.flatAsZero) for (let i = 0; i < conc.length; i++) if (Number.isNaN(conc[i])) conc[i] = 0;
    return {
      epoch: e.epoch,
      coarseness: Array.from({ length: o.maxK }, (_, k) => coarsenessFromFractions(e.frac, e.flat, Math.min(src.lowK, src.nFreq), m, k + 1, o.flatAsZero)),
      concentration: conc,
      dominantFrequency: Int32Array.from(e.dominant),
    };
  });
  checkpoints.sort((a, b) => a.epoch - b.epoch);
  const metrics = src.metrics;
  const times = grokkingTimes(metrics);
  const outcome = metrics.length ? runOutcome(metrics) : null;
  return {
    runId: src.runId,
    p: src.p,
    seed: src.seed,
    dMlp: m,
    nFreq: src.nFreq,
    epochs: src.epochs,
    grokEpoch: times.grok_epoch,
    grokEpochAcc: times.grok_epoch_acc,
    memoriseEpoch: times.memorise_epoch,
    checkpoints,
    testLoss: metrics
      .filter((x) => x.test_loss !== null && Number.isFinite(x.test_loss))
      .map((x) => ({ epoch: x.epoch, loss: x.test_loss as number })),
    embedding: [...src.embedding].sort((a, b) => a.epoch - b.epoch),
    outcome: outcome?.performance_classification ?? null,
    onset: outcome?.second_descent_onset_epoch ?? null,
    dataSeed: src.dataSeed,
    jitter: src.jitter,
    ...(src.unfinished ? { unfinished: src.unfinished } : {}),
  };
}

/** Parts of a run the caller has read already (the dashboard's read model): not read again. */
export interface StudyRunRead { metrics?: MetricRow[]; embedding?: readonly EmbeddingFourierEpoch[] }

/** One run's study source from the store. */
export function studyRunSource(store: Store, runId: string, read: StudyRunRead = {}): StudyRunSource {
  const row = store.getRun(runId);
  if (!row) throw badInput(`no run ${runId} in store ${store.dir}`);
  const nf = readNeuronFourier(store, runId);
  const { state } = store.runState(row);
  return {
    ...(isFinalState(state) ? {} : { unfinished: { state, epoch: row.epochs_done } }),
    runId, p: nf.p, seed: row.seed, dataSeed: row.data_seed, jitter: runJitter(row), epochs: row.epochs, dMlp: nf.dMlp, nFreq: nf.nFreq,
    lowK: nf.nFreq,
    checkpoints: nf.epochs.map((e) => ({
      epoch: e.epoch, frac: e.frac, flat: e.flat, concentration: concentrationValues(e, nf.nFreq, nf.dMlp), dominant: e.dominantFrequency,
    })),
    metrics: read.metrics ?? store.getMetrics(runId),
    embedding: (read.embedding ?? readEmbeddingFourier(store, runId))
      .map((x) => ({ epoch: x.epoch, norms: Float64Array.from(x.norms), keyFrequencies: Array.from(x.keyFrequencies), gini: x.gini })),
  };
}

/** One run's data from the store, reduced to what the study needs. */
export function loadStudyRun(store: Store, runId: string, opts: StudyOptions = {}, read: StudyRunRead = {}): StudyRunData {
  return studyRunFromSource(studyRunSource(store, runId, read), opts);
}
