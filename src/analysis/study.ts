/**
 * The cross-run study: answers the seed's research questions (and the seed-experiment issue's
 * metric question) with numbers computed from the stored analyses of several runs.
 *
 * Two layers:
 * - `analyseStudy(runs, opts)` / `computeStudyFromData(runs, opts)`: pure. They take per-run data
 *   already reduced to per-checkpoint per-neuron arrays (`StudyRunData`) and return the numbers
 *   (`StudyDetails`) or the numbers turned into sections with plain sentences (`StudyAnswers`).
 *   Every sentence is generated from the numbers; nothing is written in by hand.
 * - `computeStudy(store, runIds, opts)`: loads each run through `results.ts` (neuron fractions,
 *   embedding Fourier, metrics), one run at a time so that only the reduced arrays stay in memory,
 *   and calls the core.
 *
 * Conventions. A run "grokked" by MIScope's outcome classes (analysis/outcome.ts): healthy or
 * late_grokker; it "failed" when degraded, degraded_rebound or no_second_descent. (Data built by
 * hand without an outcome class falls back to grokked = a `grok_epoch`, first test loss < 0.01.)
 * Timing questions use `grok_epoch` as the time of the test-loss drop, in every run that has one. Flat
 * neurons are NaN and left out of means and counts. Per-run statistics at a target epoch use the
 * nearest checkpoint (ties: the earlier). Lead = grok epoch − metric epoch (positive: the metric
 * moves first). Each section's `figure` is a suggested file stem for its `vegaLite` spec (inline
 * data, Vega-Lite v5).
 */
import { badInput } from '../errors.js';
import { outcomeGrokked, runJitter, runOutcome, type OutcomeClass } from './outcome.js';
import { correlationPower, fisherPower, fisherTwoSided, overlapPower } from './power.js';
import type { MetricRow, Store } from '../store/store.js';
import {
  coarsenessValues,
  concentrationValues,
  grokkingTimes,
  readEmbeddingFourier,
  readNeuronFourier,
} from './results.js';
import {
  seededRandom,
  hypergeometricSf,
  finite,
  jaccard,
  linearRegression,
  mean,
  median,
  pearson,
  permutationTest,
  type PermutationOptions,
  type PermutationTestResult,
  randomOverlap,
  ranks,
  binomialSf,
  signTest,
  std,
} from './stats.js';

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

export interface StudySection {
  id: string;
  question: string;
  answer: string;
  figure?: string;
  table?: { columns: string[]; rows: Cell[][] };
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

const SEED_EPOCHS = [0, 500, 1000, 2000, 5000, 10000, 15000, 20000, 25000];
const VL_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

function f(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return x.toFixed(digits);
}

function fp(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  return p < 0.001 ? p.toExponential(1) : p.toPrecision(2);
}

function ep(e: number | null | undefined): string {
  return e === null || e === undefined ? 'none' : String(e);
}

/** A number for a table cell: rounded, NaN → null. */
function cell(x: number | null | undefined, digits = 4): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const s = 10 ** digits;
  return Math.round(x * s) / s;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

function factorial(n: number): number {
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}

function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** Index of the checkpoint nearest to `target` (ties: the earlier). */
export function nearestIndex(epochs: readonly number[], target: number): number {
  let best = 0;
  for (let i = 1; i < epochs.length; i++) {
    if (Math.abs(epochs[i] - target) < Math.abs(epochs[best] - target)) best = i;
  }
  return best;
}

function meanIgnoringNaN(xs: Float64Array): number {
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

function runLabel(r: { p: number; seed: number }): string {
  return `p=${r.p}, seed=${r.seed}`;
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
  out.push({ family: 'concentration', kind: 'mean', K: null, threshold: null, label: 'mean concentration' });
  for (const t of o.thresholds) {
    out.push({ family: 'concentration', kind: 'count', K: null, threshold: t, label: `concentrated-neuron count (concentration ≥ ${t.toFixed(2)})` });
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

// ---- sentences ------------------------------------------------------------------------------

/** How the two groups of a separation are named in sentences. */
interface GroupNames { a: string; b: string; aRun: string; bRun: string; definition: string }

const GROKKED_VS_FAILED: GroupNames = {
  a: 'grokked', b: 'failed', aRun: 'grokked', bRun: 'failed',
  definition: "by MIScope's outcome classes: grokked = healthy | late_grokker, failed = degraded | degraded_rebound | no_second_descent",
};

const HEALTHY_VS_LATE: GroupNames = {
  a: 'healthy', b: 'late_grokker', aRun: 'healthy', bRun: 'late_grokker',
  definition: "by MIScope's outcome classes: healthy = second-descent onset ≤ 12000, late_grokker = onset > 12000, both with final test loss ≤ 1e-5",
};

function describeSep(s: Separation, label: string, unitCount: boolean, g: GroupNames = GROKKED_VS_FAILED): string {
  const m = unitCount ? `${f(s.margin, 0)} neurons` : f(s.margin, 3);
  return (
    `${label} was ${s.direction} in every ${g.aRun} run than in every ${g.bRun} run ` +
    `(cut ${f(s.cut, unitCount ? 1 : 3)}, margin ${m}, ${f(s.normMargin, 2)} of the range across runs)`
  );
}

function isCount(ft: Feature | null): boolean {
  return ft?.kind === 'count';
}

function sectionThreshold(d: StudyDetails, t: ThresholdDetails = d.threshold, g: GroupNames = GROKKED_VS_FAILED, id = 'threshold'): StudySection {
  const o = d.options;
  if (d.runs.some((r) => r.outcome === undefined)) g = { ...g, definition: 'no MIScope outcome class given: grokked = a test loss below 0.01' };
  const question = g === GROKKED_VS_FAILED || g.a === 'grokked'
    ? 'Is there a coarseness (or blob-count) or specialization threshold that separates runs that grok from runs that fail, and when is it first visible?'
    : 'Does coarseness or specialization separate healthy runs from late grokkers, and when?';
  const nG = t.grokking.length;
  const nN = t.nonGrokking.length;
  const n = nG + nN;
  const snapEpochs = (): number[] => {
    const set = new Set<number>();
    for (const e of SEED_EPOCHS) if (t.commonEpochs.length) set.add(t.commonEpochs[nearestIndex(t.commonEpochs, e)]);
    for (const fs of Object.values(t.first)) if (fs) set.add(fs.epoch);
    return [...set].sort((a, b) => a - b);
  };
  if (nG === 0 || nN === 0) {
    const rows: Cell[][] = [];
    for (const e of snapEpochs()) {
      const vals = d.runs.map((r) => r.snapshots.find((s) => s.epoch === e)).filter((s) => s !== undefined);
      const mc = finite(vals.map((s) => s.meanCoarseness));
      const mk = finite(vals.map((s) => s.meanConcentration));
      rows.push([e, cell(Math.min(...mc)), cell(Math.max(...mc)), cell(Math.min(...mk)), cell(Math.max(...mk))]);
    }
    return {
      id,
      question,
      answer:
        `${nG === 0 ? `None of the ${plural(n, 'run')} is ${g.a}` : `All ${plural(n, 'run')} are ${g.a}`} ` +
        `(${g.definition}), so there is nothing to separate: no threshold can be tested with these runs.`,
      table: {
        columns: ['epoch', `min mean coarseness (K=${o.K})`, `max mean coarseness (K=${o.K})`, 'min mean concentration', 'max mean concentration'],
        rows,
      },
    };
  }
  if (t.commonEpochs.length === 0) {
    return {
      id,
      question,
      answer: `${plural(nG, 'run')} ${g.a} and ${plural(nN, 'run')} ${g.b}, but no checkpoint epoch is common to all runs, so they cannot be compared epoch by epoch.`,
    };
  }
  const parts: string[] = [];
  parts.push(
    `${plural(nG, 'run')} ${g.a} and ${plural(nN, 'run')} ${g.b} (${t.nonGrokking.join(', ')}; ${g.definition}); ` +
      `${plural(t.commonEpochs.length, 'checkpoint epoch')} are common to all runs. ` +
      `At each of them ${t.features.coarseness} coarseness features (mean coarseness and blob count for K = 1..${o.maxK}, thresholds ${o.thresholds[0].toFixed(2)}–${o.thresholds[o.thresholds.length - 1].toFixed(2)}) and ${t.features.concentration} concentration features were tried.`,
  );
  const fam = (label: string, fs: FirstSeparation | null): string => {
    if (!fs) return `No ${label} feature separates the ${g.aRun} from the ${g.bRun} runs at any common epoch.`;
    const s = describeSep(fs.separation, fs.feature?.label ?? label, isCount(fs.feature), g);
    const persist = fs.persists
      ? 'and some feature of this family keeps separating them at every later common epoch'
      : fs.stableFrom !== null
        ? `it does not persist at first, but from epoch ${fs.stableFrom} on every common epoch separates`
        : 'but the separation does not persist to the last common epoch';
    const same =
      fs.sameFeatureShare === null
        ? ''
        : ` The same feature still separates at ${f(100 * fs.sameFeatureShare, 0)}% of the later common epochs.`;
    return `The first perfect separation by a ${label} feature is at epoch ${fs.epoch}: ${s}, ${persist} (${fs.perfectEpochs} of ${t.commonEpochs.length} epochs separate).${same}`;
  };
  parts.push(fam('coarseness', t.first.coarseness));
  parts.push(fam('concentration', t.first.concentration));
  const pre = (label: string, fs: FirstSeparation | null): string =>
    fs
      ? `The pre-chosen ${label} first separates at epoch ${fs.epoch} (${fs.separation.direction} in ${g.aRun} runs)` +
        (fs.persists ? ' and keeps separating to the end.' : fs.stableFrom !== null ? `, steadily from epoch ${fs.stableFrom}.` : ', but not steadily to the end.')
      : `The pre-chosen ${label} never separates the classes perfectly.`;
  parts.push(pre(`mean coarseness (K=${o.K})`, t.first.meanCoarsenessK));
  parts.push(pre('mean concentration', t.first.meanConcentration));
  const last = t.perEpoch[t.perEpoch.length - 1];
  if (last) {
    parts.push(
      `At the last common epoch (${last.epoch}) the best coarseness feature is ${last.coarseness ? `${last.coarseness.feature.label} with margin ${f(last.coarseness.normMargin, 2)} of the range` : 'none (all equal)'}, the best concentration feature ${last.concentration ? `${last.concentration.feature.label} with margin ${f(last.concentration.normMargin, 2)}` : 'none (all equal)'}.`,
    );
  }
  if (t.chanceOne !== null) {
    parts.push(
      `How little this can show: with ${nG} ${g.aRun} and ${nN} ${g.bRun} ${nN === 1 ? 'run' : 'runs'}, a single pre-chosen feature at a single epoch separates them perfectly by chance with probability ${f(t.chanceOne, 3)} (the ${g.bRun} ${nN === 1 ? 'run only has' : 'runs only have'} to be the lowest or highest ${nN === 1 ? 'value' : 'values'}); with ${t.features.coarseness + t.features.concentration} features searched at ${t.commonEpochs.length} epochs, some feature separates them perfectly somewhere under random labels with probability ${t.chanceAny ? `${f(t.chanceAny.p, 3)} (${t.chanceAny.exact ? `exact, all ${t.chanceAny.labellings} labellings` : `${t.chanceAny.labellings} seeded random labellings`})` : 'n/a'}, so only an early, persistent separation by a pre-chosen feature would be worth taking further, and even that is one observation, not a threshold that predicts.`,
    );
  }
  const rows: Cell[][] = snapEpochs().map((e) => {
    const r = t.perEpoch.find((x) => x.epoch === e) as EpochSeparation;
    const fsCell = (s: FeatureSeparation | null): Cell[] =>
      s ? [s.feature.label, s.direction, cell(s.cut), cell(s.margin), cell(s.normMargin)] : [null, null, null, null, null];
    return [
      e,
      ...fsCell(r.coarseness),
      cell(r.meanCoarsenessK?.margin),
      ...fsCell(r.concentration),
      cell(r.meanConcentration?.margin),
    ];
  });
  const values: object[] = [];
  for (const r of t.perEpoch) {
    const add = (series: string, s: Separation | null): void => {
      if (s) values.push({ epoch: r.epoch, series, normMargin: cell(s.normMargin) });
    };
    add('best coarseness feature', r.coarseness);
    add(`mean coarseness (K=${o.K})`, r.meanCoarsenessK);
    add('best concentration feature', r.concentration);
    add('mean concentration', r.meanConcentration);
  }
  return {
    id,
    question,
    answer: parts.join(' '),
    figure: id === 'threshold' ? 'study-threshold-margin' : `study-${id}-margin`,
    table: {
      columns: [
        'epoch',
        'best coarseness feature',
        'direction',
        'cut',
        'margin',
        'margin / range',
        `mean coarseness (K=${o.K}) margin`,
        'best concentration feature',
        'direction',
        'cut',
        'margin',
        'margin / range',
        'mean concentration margin',
      ],
      rows,
    },
    vegaLite: {
      $schema: VL_SCHEMA,
      title: `Separation of ${g.aRun} from ${g.bRun} runs (margin / range; > 0 = perfect)`,
      data: { values },
      layer: [
        {
          mark: 'line',
          encoding: {
            x: { field: 'epoch', type: 'quantitative' },
            y: { field: 'normMargin', type: 'quantitative', title: 'margin / range' },
            color: { field: 'series', type: 'nominal', legend: { labelLimit: 400 } },
          },
        },
        { mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { y: { datum: 0 } } },
      ],
    },
  };
}

function timingCounts(rows: { cls: TimingClass | null; lead: number | null }[]): {
  precede: number;
  coincide: number;
  follow: number;
  medianLead: number;
  signP: number;
} {
  const c = { precede: 0, coincide: 0, follow: 0 };
  for (const r of rows) if (r.cls) c[r.cls]++;
  const leads = rows.map((r) => r.lead).filter((x): x is number => x !== null);
  return { ...c, medianLead: leads.length ? median(leads) : NaN, signP: signTest(c.precede, c.follow) };
}

/** The majority class among `total` runs (runs whose metric never rose count against every class). */
function verdict(c: { precede: number; coincide: number; follow: number }, total: number): string {
  if (c.precede + c.coincide + c.follow === 0) return 'cannot be placed';
  for (const k of ['precede', 'coincide', 'follow'] as const) {
    if (c[k] > total / 2) return `mostly ${k === 'precede' ? 'precedes' : k === 'follow' ? 'follows' : 'coincides with'} it`;
  }
  return 'shows no consistent order';
}

function sectionTiming(d: StudyDetails): StudySection {
  const o = d.options;
  // The time of the test-loss drop: every run with a grok epoch (test loss < 0.01), whatever its class.
  const g = d.runs.filter((r) => r.grokEpoch !== null);
  const non = d.runs.filter((r) => r.grokEpoch === null);
  const parts: string[] = [];
  parts.push(
    `Here "grokking run" means a run whose test loss fell below 0.01 (its grok epoch), whatever its MIScope class. Tolerance: a lead within max(one checkpoint interval, ${f(100 * o.toleranceShare, 0)}% of the grok epoch) counts as "coincide"; lead = grok epoch − metric epoch.`,
  );
  if (g.length === 0) parts.push('No run grokked, so no rise can be placed against a grokking epoch.');
  for (const metric of ['coarseness', 'concentration'] as const) {
    const name = metric === 'coarseness' ? `mean coarseness (K=${o.K})` : 'mean frequency concentration';
    if (g.length === 0) continue;
    const half = timingCounts(g.map((r) => ({ cls: r[metric].timing.classHalfRise, lead: r[metric].timing.leadHalfRise })));
    const steep = timingCounts(g.map((r) => ({ cls: r[metric].timing.classSteepest, lead: r[metric].timing.leadSteepest })));
    const noRise = g.filter((r) => r[metric].timing.halfRiseEpoch === null).length;
    const vsDrop = g.map((r) => r[metric].timing.leadHalfRiseVsLossDrop).filter((x): x is number => x !== null);
    parts.push(
      `${name[0].toUpperCase()}${name.slice(1)}: of ${plural(g.length, 'grokking run')}, its half-rise came before the grok epoch in ${half.precede}, within tolerance in ${half.coincide} and after it in ${half.follow}` +
        `${noRise ? ` (${noRise} never rose)` : ''} (median lead ${f(half.medianLead, 0)} epochs; sign test precede vs follow p = ${fp(half.signP)}), so its half-rise ${verdict(half, g.length)}; ` +
        `its steepest rise came before in ${steep.precede}, within tolerance in ${steep.coincide}, after in ${steep.follow} (median lead ${f(steep.medianLead, 0)}), so its steepest rise ${verdict(steep, g.length)}.` +
        (vsDrop.length
          ? ` Against the midpoint of the test-loss drop (log scale) instead of the grok epoch, the half-rise leads by a median of ${f(median(vsDrop), 0)} epochs (${vsDrop.filter((x) => x > 0).length} of ${vsDrop.length} runs before it).`
          : ''),
    );
  }
  if (non.length) {
    parts.push(
      `Non-grokking runs (no grok epoch to compare): ${non
        .map((r) => `${r.runId}: coarseness half-rise ${ep(r.coarseness.timing.halfRiseEpoch)}, concentration half-rise ${ep(r.concentration.timing.halfRiseEpoch)}`)
        .join('; ')}.`,
    );
  }
  if (g.length) {
    parts.push(
      `With ${plural(g.length, 'grokking run')} these are counts, not a test: even ${g.length} of ${g.length} in one direction has sign-test p = ${fp(signTest(g.length, 0))}, and a half-rise measured at checkpoint resolution can move by an interval with noise.`,
    );
  }
  const rows: Cell[][] = d.runs.map((r) => [
    r.runId,
    r.grokEpoch,
    r.lossHalfDropEpoch,
    r.coarseness.timing.halfRiseEpoch,
    r.coarseness.timing.steepestRiseEpoch,
    r.coarseness.timing.leadHalfRise,
    r.coarseness.timing.leadSteepest,
    r.coarseness.timing.classHalfRise,
    r.concentration.timing.halfRiseEpoch,
    r.concentration.timing.steepestRiseEpoch,
    r.concentration.timing.leadHalfRise,
    r.concentration.timing.leadSteepest,
    r.concentration.timing.classHalfRise,
    r.grokEpoch === null ? null : Math.max(r.checkpointInterval, o.toleranceShare * r.grokEpoch),
  ]);
  const values = g.flatMap((r) =>
    (['coarseness', 'concentration'] as const).flatMap((m) =>
      [
        { marker: 'half rise', epoch: r[m].timing.halfRiseEpoch },
        { marker: 'steepest rise', epoch: r[m].timing.steepestRiseEpoch },
      ]
        .filter((x) => x.epoch !== null)
        .map((x) => ({ run: r.runId, metric: m, marker: x.marker, grokEpoch: r.grokEpoch, epoch: x.epoch })),
    ),
  );
  return {
    id: 'timing',
    question: 'Does the rise in coarseness precede, coincide with or follow the test-loss drop?',
    answer: parts.join(' '),
    figure: 'study-timing',
    table: {
      columns: [
        'run',
        'grok epoch',
        'test-loss half-drop epoch',
        `coarseness (K=${o.K}) half-rise epoch`,
        'coarseness steepest-rise epoch',
        'coarseness lead (half rise)',
        'coarseness lead (steepest)',
        'coarseness half rise vs grok',
        'concentration half-rise epoch',
        'concentration steepest-rise epoch',
        'concentration lead (half rise)',
        'concentration lead (steepest)',
        'concentration half rise vs grok',
        'tolerance (epochs)',
      ],
      rows,
    },
    vegaLite: {
      $schema: VL_SCHEMA,
      title: 'Metric rise vs grokking epoch (below the diagonal: the metric rises first)',
      data: { values },
      layer: [
        {
          mark: { type: 'point', filled: true },
          encoding: {
            x: { field: 'grokEpoch', type: 'quantitative', title: 'grok epoch' },
            y: { field: 'epoch', type: 'quantitative', title: 'metric epoch' },
            color: { field: 'metric', type: 'nominal' },
            shape: { field: 'marker', type: 'nominal' },
            tooltip: [{ field: 'run' }, { field: 'metric' }, { field: 'marker' }, { field: 'epoch' }, { field: 'grokEpoch' }],
          },
        },
        {
          mark: { type: 'line', strokeDash: [4, 4], color: 'gray' },
          encoding: { x: { field: 'grokEpoch', type: 'quantitative' }, y: { field: 'grokEpoch', type: 'quantitative' } },
        },
      ],
    },
  };
}

function topFreqText(b: BlobFacts): string {
  if (b.finalBlobs.length === 0) return 'none';
  return b.topFrequencies
    .slice(0, 3)
    .map((t) => `k=${t.k} (${f(100 * t.share, 0)}%)`)
    .join(', ');
}

function sectionCritical(d: StudyDetails): StudySection {
  const o = d.options;
  const th = o.blobThreshold;
  const parts: string[] = [];
  for (const metric of ['coarseness', 'concentration'] as const) {
    const name = metric === 'coarseness' ? `coarseness (K=${o.K}) ≥ ${th}` : `concentration ≥ ${th}`;
    const with_ = d.runs.filter((r) => r[metric].blobs.everBlob > 0);
    const finals = d.runs.map((r) => r[metric].blobs.finalBlobs.length);
    let s = `With ${name}: ${with_.length} of ${d.runs.length} runs ever have such neurons (final counts ${finals.join(', ')}).`;
    const g = with_.filter((r) => r.grokEpoch !== null);
    if (g.length) {
      const stays = finite(with_.map((r) => r[metric].blobs.meanStay ?? NaN));
      const beforeShare = g.map((r) => (r[metric].blobs.blobBeforeGrok as number) / r[metric].blobs.everBlob);
      s += ` In the grokking runs, ${f(100 * mean(beforeShare), 0)}% of them (mean over runs) first cross the threshold at or before the grok epoch; once across, a neuron stays across at ${f(100 * mean(stays), 0)}% of the later checkpoints (mean over runs).`;
    }
    const conc = d.runs.filter((r) => r[metric].blobs.finalBlobs.length > 0);
    if (conc.length) {
      const topShare = conc.map((r) => r[metric].blobs.topFrequencies[0].share);
      const top3 = conc.map((r) => r[metric].blobs.topFrequencies.slice(0, 3).reduce((a, t) => a + t.share, 0));
      const even = median(conc.map((r) => 1 / r.nFreq));
      s += ` Do they share dominant frequencies? The most common one holds a median ${f(100 * median(topShare), 0)}% of a run's final blobs and the top three ${f(100 * median(top3), 0)}% (were dominant frequencies spread evenly over a run's (p−1)/2 frequencies: about ${f(100 * even, 0)}% and ${f(300 * even, 0)}%).`;
      const inKeys = finite(conc.map((r) => r[metric].blobs.shareInEmbeddingKeys ?? NaN));
      if (inKeys.length) s += ` A median ${f(100 * median(inKeys), 0)}% of final blobs have a dominant frequency among the run's final embedding key frequencies.`;
    }
    const pairs = d.overlap[metric].filter((pr) => pr.sizeA > 0 && pr.sizeB > 0);
    if (pairs.length) {
      const obs = pairs.reduce((a, pr) => a + pr.observed, 0);
      const exp = pairs.reduce((a, pr) => a + pr.expected, 0);
      const sig = pairs.filter((pr) => pr.pValue < 0.05);
      const same = pairs.filter((pr) => pr.sameSeed);
      const sameObs = same.reduce((a, pr) => a + pr.observed, 0);
      const sameExp = same.reduce((a, pr) => a + pr.expected, 0);
      // Pairs share runs, so they are not independent; the binomial tail is a rough guide only.
      const excess = binomialSf(sig.length, pairs.length, 0.05);
      s +=
        ` Across ${plural(pairs.length, 'pair')} of runs with the same d_mlp (and both having such neurons), final blob indices overlap in ${obs} neurons against ${f(exp, 1)} expected under random assignment; ${sig.length} ${sig.length === 1 ? 'pair has' : 'pairs have'} an overlap with hypergeometric p < 0.05 (about ${f(0.05 * pairs.length, 1)} expected by chance; binomial tail ${fp(excess)}, a rough guide since pairs share runs)` +
        (same.length ? `; same-seed pairs: ${sameObs} against ${f(sameExp, 1)} expected` : '') +
        `. ${obs > exp && excess < 0.05 ? 'The indices overlap more than chance: the same neuron positions tend to become blobs in different runs.' : `No evidence that the same neuron indices become blobs across runs (median power per pair ${f(median(pairs.map((pr) => overlapPower(pr.population, pr.sizeA, pr.sizeB, 2))), 2)} to detect indices twice as likely to be shared as by chance, one-sided p < 0.05).`}`;
    } else {
      s += ' No pair of runs both have such neurons, so index overlap cannot be tested.';
    }
    parts.push(s);
  }
  parts.push(
    'Coarseness counts only frequencies 1..K, so a model whose key frequencies are all above K has no coarseness blobs even when its neurons are clean single-frequency "blobs"; concentration does not depend on which frequency.',
  );
  const rows: Cell[][] = d.runs.flatMap((r) =>
    (['coarseness', 'concentration'] as const).map((m) => {
      const b = r[m].blobs;
      return [
        r.runId,
        r.grokEpoch,
        m === 'coarseness' ? `coarseness K=${o.K}` : 'concentration',
        b.everBlob,
        b.finalBlobs.length,
        b.firstBlobEpoch,
        b.medianFirstBlobEpoch,
        b.blobBeforeGrok,
        b.transient,
        cell(b.meanStay),
        topFreqText(b),
        cell(b.shareInEmbeddingKeys),
        b.finalBlobs.length > 24 ? `${b.finalBlobs.slice(0, 24).join(' ')} …` : b.finalBlobs.join(' '),
      ];
    }),
  );
  const values = [...d.overlap.coarseness.map((x) => ({ ...x, metric: 'coarseness' })), ...d.overlap.concentration.map((x) => ({ ...x, metric: 'concentration' }))].map((x) => ({
    pair: `${x.a} × ${x.b}`,
    metric: x.metric,
    sameSeed: x.sameSeed,
    observed: x.observed,
    expected: cell(x.expected, 2),
    pValue: cell(x.pValue),
  }));
  return {
    id: 'critical-neurons',
    question: 'Are there critical neurons: which neurons become blobs, when, do they stay, and do they share dominant frequencies?',
    answer: parts.join(' '),
    figure: 'study-blob-overlap',
    table: {
      columns: [
        'run',
        'grok epoch',
        'metric',
        'ever blob',
        'blob at end',
        'first blob epoch',
        'median first-blob epoch',
        'first crossed by grok epoch',
        'crossed but not at end',
        'mean stay share',
        'top dominant frequencies',
        'share in embedding key freqs',
        'blob neuron indices at end',
      ],
      rows,
    },
    vegaLite: {
      $schema: VL_SCHEMA,
      title: 'Blob-index overlap between runs: observed vs expected by chance',
      data: { values },
      layer: [
        {
          mark: { type: 'point', filled: true },
          encoding: {
            x: { field: 'expected', type: 'quantitative', title: 'expected overlap (random)' },
            y: { field: 'observed', type: 'quantitative', title: 'observed overlap' },
            color: { field: 'metric', type: 'nominal' },
            shape: { field: 'sameSeed', type: 'nominal', title: 'same seed' },
            tooltip: [{ field: 'pair' }, { field: 'observed' }, { field: 'expected' }, { field: 'pValue' }],
          },
        },
        {
          mark: { type: 'line', strokeDash: [4, 4], color: 'gray' },
          encoding: { x: { field: 'expected', type: 'quantitative' }, y: { field: 'expected', type: 'quantitative' } },
        },
      ],
    },
  };
}

function sectionPrime(d: StudyDetails): StudySection {
  const o = d.options;
  const P = o.focusPrime;
  const runs = d.runs;
  const big = Number.MAX_SAFE_INTEGER;
  const grokRank = ranks(runs.map((r) => r.grokEpoch ?? big));
  const early = (r: StudyRunFacts, m: 'coarseness' | 'concentration'): MetricFacts['early'][number] =>
    r[m].early.find((e) => e.target === o.earlyEpoch) as MetricFacts['early'][number];
  const earlyC = runs.map((r) => early(r, 'coarseness').value);
  const earlyK = runs.map((r) => early(r, 'concentration').value);
  const rankC = ranks(earlyC);
  const rankK = ranks(earlyK);
  const primes = [...new Set(runs.map((r) => r.p))].sort((a, b) => a - b);
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  const meanRankBy = (rk: Float64Array, key: (r: StudyRunFacts) => number, v: number): number =>
    mean(runs.map((r, i) => (key(r) === v ? rk[i] : NaN)).filter((x) => !Number.isNaN(x)));
  const primeRank = primes.map((p) => ({ p, grok: meanRankBy(grokRank, (r) => r.p, p), c: meanRankBy(rankC, (r) => r.p, p), k: meanRankBy(rankK, (r) => r.p, p) }));
  const parts: string[] = [];
  const noGrok = runs.filter((r) => !r.grokked).map((r) => runLabel(r));
  parts.push(
    `Grokking epochs: ${runs.map((r) => `${runLabel(r)}: ${r.grokEpoch ?? `none by ${r.lastEpoch}`}`).join('; ')}.` +
      (noGrok.length ? ` Runs that did not grok: ${noGrok.join(', ')}.` : ' Every run grokked.'),
  );
  const focus = runs.map((r, i) => ({ r, i })).filter((x) => x.r.p === P);
  if (focus.length === 0) {
    parts.push(`No run has p=${P}, so nothing can be said about it; the table compares the primes present.`);
  } else if (primes.length < 2) {
    parts.push(`Only p=${P} is present, so it cannot be compared with other primes.`);
  } else {
    const byGrok = [...primeRank].sort((a, b) => a.grok - b.grok);
    const fr = primeRank.find((x) => x.p === P) as (typeof primeRank)[number];
    // Positions with ties: how many primes lie strictly on each side.
    const place = (key: 'grok' | 'c' | 'k'): { below: number; above: number; tied: number } => ({
      below: primeRank.filter((x) => x[key] < fr[key]).length,
      above: primeRank.filter((x) => x[key] > fr[key]).length,
      tied: primeRank.filter((x) => x.p !== P && x[key] === fr[key]).length,
    });
    const pg = place('grok');
    const pc = place('c');
    const pk = place('k');
    const tie = (t: number): string => (t ? ` (tied with ${plural(t, 'other prime')})` : '');
    const slowest = pg.above === 0;
    const grokPlace = slowest ? 'the slowest' : pg.below === 0 ? 'the fastest' : `number ${pg.below + 1} from the fastest`;
    const lowPlace = (x: { below: number; tied: number }): string => `${x.below + 1} of ${primes.length} from the lowest${tie(x.tied)}`;
    parts.push(
      `Ranking all ${runs.length} runs by grokking time (1 = earliest, non-grokking runs tied last), p=${P}'s runs rank ${focus.map((x) => f(grokRank[x.i], 1)).join(' and ')}; by mean rank p=${P} is ${grokPlace} of ${primes.length} primes${tie(pg.tied)} (mean rank ${f(fr.grok, 2)}; per prime: ${byGrok.map((x) => `p=${x.p} ${f(x.grok, 2)}`).join(', ')}).` +
        ` On epoch-${o.earlyEpoch} mean coarseness p=${P} ranks ${lowPlace(pc)} (mean rank ${f(fr.c, 2)}), on mean concentration ${lowPlace(pk)}.`,
    );
    const lowest = (pc.below === 0 && pc.tied === 0) || (pk.below === 0 && pk.tied === 0);
    parts.push(
      slowest && pg.tied === 0
        ? lowest
          ? `So p=${P} is both the slowest prime and the lowest in early structure here.`
          : `So p=${P} is the slowest prime here, but its early coarseness and concentration do not mark it out.`
        : `So p=${P} does not stand out as the ${slowest ? 'only ' : ''}slowest prime in these runs.`,
    );
    parts.push(
      `How little this can show: with ${primes.length} primes and ${runs.length / primes.length === Math.round(runs.length / primes.length) ? runs.length / primes.length : 'unequal numbers of'} runs each, any given prime is the slowest by chance with probability about 1/${primes.length}; a prime-level property cannot be separated from the particular seeds drawn.`,
    );
  }
  if (seeds.length >= 2) {
    const [s1, s2] = seeds;
    let first1 = 0;
    let first2 = 0;
    let ties = 0;
    let pairsN = 0;
    for (const p of primes) {
      const a = runs.find((r) => r.p === p && r.seed === s1);
      const b = runs.find((r) => r.p === p && r.seed === s2);
      if (!a || !b) continue;
      pairsN++;
      const ta = a.grokEpoch ?? big;
      const tb = b.grokEpoch ?? big;
      if (ta < tb) first1++;
      else if (tb < ta) first2++;
      else ties++;
    }
    const seedRanks = `mean grokking-time rank seed ${s1} ${f(meanRankBy(grokRank, (r) => r.seed, s1), 2)}, seed ${s2} ${f(meanRankBy(grokRank, (r) => r.seed, s2), 2)}`;
    if (pairsN === 0) parts.push(`Per seed: no prime has runs with both seeds ${s1} and ${s2}, so they cannot be compared prime by prime; ${seedRanks}.`);
    else parts.push(
      `Per seed: seed ${s1} grokked first for ${first1} of ${pairsN} primes, seed ${s2} for ${first2}${ties ? `, ${ties} tied` : ''} (sign test p = ${fp(signTest(first1, first2))}); mean grokking-time rank seed ${s1} ${f(meanRankBy(grokRank, (r) => r.seed, s1), 2)}, seed ${s2} ${f(meanRankBy(grokRank, (r) => r.seed, s2), 2)}.` +
        (seeds.length > 2 ? ` (Only the first two of ${seeds.length} seeds are compared pairwise.)` : ''),
    );
  }
  const rows: Cell[][] = runs.map((r, i) => [
    r.p,
    r.seed,
    r.grokEpoch,
    cell(grokRank[i], 1),
    early(r, 'coarseness').epoch,
    cell(early(r, 'coarseness').value),
    cell(early(r, 'concentration').value),
    early(r, 'coarseness').blobCount,
    r.coarseness.blobs.finalBlobs.length,
    early(r, 'concentration').blobCount,
    r.concentration.blobs.finalBlobs.length,
  ]);
  return {
    id: 'p101',
    question: `What is special about p=${P}? Per-prime and per-seed comparison of grokking epoch, early coarseness and blob counts.`,
    answer: parts.join(' '),
    figure: 'study-primes',
    table: {
      columns: [
        'p',
        'seed',
        'grok epoch',
        'grok-time rank',
        'early epoch',
        `mean coarseness (K=${o.K})`,
        'mean concentration',
        `blob count (coarseness ≥ ${o.blobThreshold}) early`,
        'blob count at end',
        `concentrated count (≥ ${o.blobThreshold}) early`,
        'concentrated count at end',
      ],
      rows,
    },
    vegaLite: {
      $schema: VL_SCHEMA,
      title: 'Grokking epoch by prime and seed (hollow: did not grok, drawn at its last epoch)',
      data: {
        values: runs.map((r) => ({ p: String(r.p), seed: String(r.seed), grokked: r.grokked, epoch: r.grokEpoch ?? r.lastEpoch, run: r.runId })),
      },
      mark: { type: 'point', size: 80 },
      encoding: {
        x: { field: 'p', type: 'ordinal', title: 'prime' },
        y: { field: 'epoch', type: 'quantitative', title: 'grok epoch' },
        color: { field: 'seed', type: 'nominal' },
        fill: { condition: { test: 'datum.grokked', field: 'seed', type: 'nominal' }, value: 'transparent' },
        tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'grokked' }],
      },
    },
  };
}

function sectionPredict(d: StudyDetails): StudySection {
  const o = d.options;
  const parts: string[] = [];
  const main = d.predict.filter((r) => r.target === o.earlyEpoch);
  const any = d.predict[0];
  const n = any ? any.n : 0;
  const nTests = d.predict.length * 2;
  if (n < 3) {
    parts.push(`Only ${plural(n, 'run')} grokked; a correlation with grokking epoch needs at least 3, so none is computed.`);
  } else {
    const method = any.spearman.method === 'exact' ? `exact (all ${n}! = ${factorial(n)} orderings)` : `Monte Carlo (${any.spearman.permutations} seeded random orderings, seed ${any.spearman.seed})`;
    parts.push(`Over the ${n} grokking runs, correlations of early mean value with grokking epoch; p-values are two-sided permutation tests, ${method}.`);
    const rowsToSay = main.length ? main : d.predict.filter((r) => r.target === o.earlyEpochs[0]);
    for (const r of rowsToSay) {
      const name = r.metric === 'coarseness' ? `mean coarseness (K=${o.K})` : 'mean concentration';
      const sign = r.spearman.statistic < 0 ? 'negative (higher early value, earlier grokking), the direction the seed expects' : r.spearman.statistic > 0 ? 'positive, opposite to what the seed expects' : 'zero';
      parts.push(
        `Epoch-${r.target} ${name} (checkpoints ${r.epochRange[0]}–${r.epochRange[1]}): Pearson r = ${f(r.pearson.statistic, 2)} (p = ${fp(r.pearson.pValue)}), Spearman ρ = ${f(r.spearman.statistic, 2)} (p = ${fp(r.spearman.pValue)}); the rank correlation is ${sign}.`,
      );
    }
    const others = d.predict.filter((r) => !rowsToSay.includes(r));
    if (others.length) {
      parts.push(
        `Other early epochs: ${others.map((r) => `${r.metric} at ${r.target}: ρ = ${f(r.spearman.statistic, 2)} (p = ${fp(r.spearman.pValue)})`).join('; ')}.`,
      );
    }
    const crit = any.spearman.critical05;
    const below = d.predict.reduce((a, r) => a + (r.spearman.pValue <= 0.05 ? 1 : 0) + (r.pearson.pValue <= 0.05 ? 1 : 0), 0);
    const power = correlationPower(n, 0.5);
    parts.push(
      `How little this can show: with n = ${n}, only |ρ| ≥ ${f(crit, 2)} reaches p ≤ 0.05, and the power to detect a true correlation of 0.5 is ${f(power, 2)} (Fisher z). ` +
        `${nTests} tests were run here (${d.predict.length / 2} epochs × 2 metrics × 2 statistics) and ${below} of them reached p ≤ 0.05; about ${f(0.05 * nTests, 1)} would by chance if they were independent, but they are not (the same runs at neighbouring epochs, Pearson and Spearman on the same points), so the count is no test of its own. ` +
        (below === 0 || power < 0.8
          ? `No evidence (power ${f(power, 2)} against ρ = 0.5) that early structure predicts grokking time.`
          : `No correlation from ${n} runs establishes that early structure predicts grokking time.`),
    );
  }
  for (const r of main.length ? main : []) {
    if (r.nonGrokking.length === 0 || r.n === 0) continue;
    const name = r.metric === 'coarseness' ? 'coarseness' : 'concentration';
    parts.push(
      `Non-grokking runs at epoch ${r.target}, mean ${name}: ${r.nonGrokking
        .map((x) => `${x.runId} ${f(x.value, 3)} (${x.belowAll ? 'below every grokking run' : x.aboveAll ? 'above every grokking run' : 'within the range of the grokking runs'})`)
        .join('; ')}.`,
    );
  }
  const nNon = d.runs.filter((r) => !r.grokked).length;
  if (nNon > 0 && nNon < d.runs.length) {
    const k = d.runs.length;
    parts.push(
      `Under random labelling, the chance that the ${nNon === 1 ? 'non-grokking run is' : `${nNon} non-grokking runs are`} the lowest of all ${k} on one pre-chosen measure is 1/${choose(k, nNon)}: even that would be a hint, not a predictor.`,
    );
  }
  const rows: Cell[][] = d.predict.map((r) => [
    r.metric === 'coarseness' ? `coarseness K=${o.K}` : 'concentration',
    r.target,
    `${r.epochRange[0]}–${r.epochRange[1]}`,
    r.n,
    cell(r.pearson.statistic),
    cell(r.pearson.pValue),
    cell(r.spearman.statistic),
    cell(r.spearman.pValue),
    r.n >= 3 ? r.spearman.method : null,
    cell(r.slope, 1),
    cell(r.intercept, 1),
    cell(r.r2),
    r.nonGrokking.length ? r.nonGrokking.map((x) => `${x.runId}: ${x.belowAll ? 'below all' : x.aboveAll ? 'above all' : 'within'}`).join('; ') : null,
  ]);
  const values = d.predict
    .filter((r) => r.target === o.earlyEpoch)
    .flatMap((r) =>
      r.points.map((pt) => {
        const run = d.runs.find((x) => x.runId === pt.runId) as StudyRunFacts;
        return {
          metric: r.metric,
          run: pt.runId,
          label: runLabel(run),
          value: cell(pt.value),
          grokEpoch: pt.grokEpoch ?? run.lastEpoch,
          grokked: pt.grokEpoch !== null,
          fit: r.n >= 3 && Number.isFinite(r.slope) && pt.grokEpoch !== null ? cell(r.slope * pt.value + r.intercept, 1) : null,
        };
      }),
    );
  return {
    id: 'predict',
    question: `Can grokking (and its failure) be predicted from epoch-${o.earlyEpoch} coarseness?`,
    answer: parts.join(' '),
    figure: 'study-predict',
    table: {
      columns: ['metric', 'target epoch', 'checkpoints used', 'n (grokking runs)', 'Pearson r', 'p (Pearson)', 'Spearman ρ', 'p (Spearman)', 'permutation test', 'slope (epochs per unit)', 'intercept', 'r²', 'non-grokking runs vs grokking range'],
      rows,
    },
    vegaLite: {
      $schema: VL_SCHEMA,
      title: `Epoch-${o.earlyEpoch} mean value vs grokking epoch (hollow: did not grok, drawn at its last epoch)`,
      data: { values },
      facet: { column: { field: 'metric', type: 'nominal' } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        layer: [
          {
            mark: { type: 'point', size: 70 },
            encoding: {
              x: { field: 'value', type: 'quantitative', title: `mean at epoch ${o.earlyEpoch}` },
              y: { field: 'grokEpoch', type: 'quantitative', title: 'grok epoch' },
              fill: { condition: { test: 'datum.grokked', value: 'steelblue' }, value: 'transparent' },
              tooltip: [{ field: 'label' }, { field: 'value' }, { field: 'grokEpoch' }],
            },
          },
          { mark: { type: 'text', dy: -9, fontSize: 9 }, encoding: { x: { field: 'value', type: 'quantitative' }, y: { field: 'grokEpoch', type: 'quantitative' }, text: { field: 'label' } } },
          {
            transform: [{ filter: 'datum.fit !== null' }],
            mark: { type: 'line', color: 'gray' },
            encoding: { x: { field: 'value', type: 'quantitative' }, y: { field: 'fit', type: 'quantitative' } },
          },
        ],
      },
    },
  };
}

function sectionEmbedding(d: StudyDetails, runs: readonly StudyRunData[]): StudySection {
  const o = d.options;
  const question = "Are the epoch-0 Fourier spectra of the embeddings different across runs (the seed's \"To Investigate\"), and are the key frequencies stable?";
  const withEmb = d.runs.filter((r) => r.embedding !== null);
  if (withEmb.length === 0) {
    return { id: 'embedding0', question, answer: 'No run has an embedding Fourier analysis stored, so this cannot be answered.' };
  }
  const parts: string[] = [];
  const e = (r: StudyRunFacts): NonNullable<StudyRunFacts['embedding']> => r.embedding as NonNullable<StudyRunFacts['embedding']>;
  const notZero = withEmb.filter((r) => e(r).epoch0 !== 0);
  parts.push(
    `At initialisation the embedding spectra have Gini ${f(Math.min(...withEmb.map((r) => e(r).gini0)), 3)}–${f(Math.max(...withEmb.map((r) => e(r).gini0)), 3)} and max/mean norm ratio ${f(Math.min(...withEmb.map((r) => e(r).maxMeanRatio0)), 2)}–${f(Math.max(...withEmb.map((r) => e(r).maxMeanRatio0)), 2)} across ${plural(withEmb.length, 'run')}.` +
      (notZero.length ? ` (${notZero.map((r) => r.runId).join(', ')} ha${notZero.length === 1 ? 's' : 've'} no epoch-0 analysis; the first analysed checkpoint is used.)` : ''),
  );
  const looZ = (vals: number[], i: number): number => {
    const rest = vals.filter((_, j) => j !== i);
    const sd = std(rest);
    return sd > 0 ? (vals[i] - mean(rest)) / sd : NaN;
  };
  const ginis = withEmb.map((r) => e(r).gini0);
  const ratios = withEmb.map((r) => e(r).maxMeanRatio0);
  const zs = withEmb.map((_, i) => looZ(ginis, i));
  const zr = withEmb.map((_, i) => looZ(ratios, i));
  const nonIdx = withEmb.map((r, i) => ({ r, i })).filter((x) => !x.r.grokked);
  if (withEmb.length < 3) {
    parts.push('Fewer than 3 runs have spectra, too few for an outlier check.');
  } else if (nonIdx.length === 0) {
    parts.push('Every run grokked, so there is no non-grokking spectrum to compare.');
  } else if (nonIdx.length === withEmb.length) {
    parts.push('No run grokked, so there is no grokking group to compare a non-grokking spectrum with.');
  } else {
    for (const { r, i } of nonIdx) {
      const absZ = zs.map(Math.abs);
      const rankZ = [...absZ].sort((a, b) => b - a).indexOf(absZ[i]) + 1;
      parts.push(
        `The non-grokking run ${r.runId} has epoch-0 Gini ${f(ginis[i], 3)}, z = ${f(zs[i], 2)} against the other runs (leave-one-out; |z| rank ${rankZ} of ${withEmb.length}), and max/mean ratio z = ${f(zr[i], 2)}: ` +
          (Math.abs(zs[i]) > 2 || Math.abs(zr[i]) > 2
            ? 'its initial spectrum is unusual on this measure, though with this few runs a |z| above 2 still happens by chance for some run.'
            : 'its initial spectrum is not an outlier.'),
      );
    }
  }
  if (withEmb.length >= 3) {
    parts.push(
      `With ${withEmb.length} runs, each leave-one-out z compares one run with the mean and spread of ${withEmb.length - 1} others, a spread that is itself poorly known: treat |z| as a rough guide.`,
    );
  }
  const j0 = withEmb.map((r) => e(r).jaccard0Final);
  const jE = withEmb.map((r) => e(r).jaccardEarlyFinal);
  const rnd = (r: StudyRunFacts, a: number[]): number => {
    return randomOverlap(r.nFreq, a.length, e(r).keysFinal.length).jaccard;
  };
  const r0 = withEmb.map((r) => rnd(r, e(r).keys0));
  const rE = withEmb.map((r) => rnd(r, e(r).keysEarly));
  // Per run: is the overlap of the key sets larger than random sets of the same sizes give (hypergeometric, one-sided)?
  const overlapP = (r: StudyRunFacts, a: number[]): number => {
    const fin = new Set(e(r).keysFinal);
    return hypergeometricSf(a.filter((k) => fin.has(k)).length, r.nFreq, a.length, fin.size);
  };
  const sigE = withEmb.filter((r) => overlapP(r, e(r).keysEarly) < 0.05).length;
  const sig0 = withEmb.filter((r) => overlapP(r, e(r).keys0) < 0.05).length;
  const combined = (k: number): number => binomialSf(k, withEmb.length, 0.05);
  parts.push(
    `Stability: the Jaccard overlap of key frequencies with the final checkpoint's is a mean ${f(mean(j0), 2)} from epoch 0 (random sets of the same sizes: ${f(mean(r0), 2)}) and ${f(mean(jE), 2)} from epoch ${o.earlyEpoch} (random: ${f(mean(rE), 2)}). ` +
      `The overlap exceeds chance (hypergeometric p < 0.05) in ${sigE} of ${withEmb.length} runs from epoch ${o.earlyEpoch} (binomial tail ${fp(combined(sigE))}) and in ${sig0} from epoch 0 (${fp(combined(sig0))}). ` +
      (combined(sigE) < 0.05
        ? `So the final key frequencies are already largely in place by epoch ${o.earlyEpoch}, as the seed observed`
        : `So there is no evidence that the final key frequencies are in place at epoch ${o.earlyEpoch}`) +
      (combined(sig0) < 0.05 ? ', and even the initial spectrum anticipates them.' : '; no evidence that the initial spectrum anticipates them.'),
  );
  const rows: Cell[][] = withEmb.map((r) => {
    const x = e(r);
    return [
      r.runId,
      r.grokEpoch,
      x.epoch0,
      cell(x.gini0),
      cell(x.maxMeanRatio0, 3),
      x.keys0.join(' '),
      x.keysEarly.join(' '),
      x.keysFinal.join(' '),
      cell(x.jaccard0Final, 3),
      cell(rnd(r, x.keys0), 3),
      cell(x.jaccardEarlyFinal, 3),
      cell(rnd(r, x.keysEarly), 3),
    ];
  });
  const values: object[] = [];
  for (const r of runs) {
    if (r.embedding.length === 0) continue;
    const e0 = r.embedding.find((x) => x.epoch === 0) ?? r.embedding[0];
    for (let k = 0; k < e0.norms.length; k++) values.push({ run: `${runLabel(r)}${r.grokEpoch === null ? ' (no grok)' : ''}`, k: k + 1, norm: cell(e0.norms[k]) });
  }
  return {
    id: 'embedding0',
    question,
    answer: parts.join(' '),
    figure: 'study-embedding0',
    table: {
      columns: ['run', 'grok epoch', 'epoch used as initial', 'Gini at init', 'max/mean norm at init', 'key freqs at init', `key freqs at ${o.earlyEpoch}`, 'key freqs at end', 'Jaccard init–end', 'random Jaccard', `Jaccard ${o.earlyEpoch}–end`, 'random Jaccard'],
      rows,
    },
    vegaLite: {
      $schema: VL_SCHEMA,
      title: 'Embedding Fourier norm per frequency at initialisation',
      data: { values },
      facet: { field: 'run', type: 'nominal', title: null },
      columns: 4,
      spec: { mark: 'bar', encoding: { x: { field: 'k', type: 'quantitative', title: 'frequency k' }, y: { field: 'norm', type: 'quantitative' } } },
    },
  };
}

function sectionMetric(d: StudyDetails, series: readonly StudyRunData[]): StudySection {
  const o = d.options;
  const t = d.threshold;
  const parts: string[] = [];
  const g = d.runs.filter((r) => r.grokked);
  // Separation (from the threshold section).
  if (t.perEpoch.length === 0) {
    parts.push(
      t.grokking.length === 0 || t.nonGrokking.length === 0
        ? 'Separation: all runs grokked or none did, so neither metric can be tested for separating them.'
        : 'Separation: no checkpoint epoch is common to all runs, so the metrics cannot be compared for separating them.',
    );
  } else {
    const kPerfect = t.perEpoch.filter((r) => (r.coarsenessK?.margin ?? -1) > 0).length;
    const cPerfect = t.perEpoch.filter((r) => (r.concentration?.margin ?? -1) > 0).length;
    const mk = t.perEpoch.filter((r) => (r.meanCoarsenessK?.margin ?? -1) > 0).length;
    const mc = t.perEpoch.filter((r) => (r.meanConcentration?.margin ?? -1) > 0).length;
    const last = t.perEpoch[t.perEpoch.length - 1];
    const better = (a: number, b: number, an: string, bn: string): string => (a > b ? an : b > a ? bn : 'neither');
    const lastK = last.meanCoarsenessK?.normMargin ?? -Infinity;
    const lastC = last.meanConcentration?.normMargin ?? -Infinity;
    parts.push(
      `Separation: some coarseness feature at K=${o.K} separates grokking from non-grokking runs perfectly at ${kPerfect} of ${t.perEpoch.length} common epochs, some concentration feature at ${cPerfect}; the pre-chosen means at ${mk} (coarseness) and ${mc} (concentration). ` +
        `At the last common epoch (${last.epoch}) the mean-coarseness margin is ${f(last.meanCoarsenessK?.normMargin, 2)} of the range and the mean-concentration margin ${f(last.meanConcentration?.normMargin, 2)}. ` +
        `By these numbers ${better(mc, mk, 'concentration', `coarseness (K=${o.K})`)} separates at more epochs and ${better(lastC, lastK, 'concentration', `coarseness (K=${o.K})`)} separates more widely at the end.`,
    );
  }
  // Tracking the loss.
  const rc = d.runs.map((r) => r.coarseness.lossCorrelation);
  const rk = d.runs.map((r) => r.concentration.lossCorrelation);
  const gi = d.runs.map((r, i) => (r.grokked ? i : -1)).filter((i) => i >= 0);
  if (gi.length) {
    const cWins = gi.filter((i) => Math.abs(rk[i]) > Math.abs(rc[i])).length;
    const kWins = gi.filter((i) => Math.abs(rc[i]) > Math.abs(rk[i])).length;
    const lk = finite(g.map((r) => r.coarseness.timing.leadHalfRise ?? NaN).map(Math.abs));
    const lc = finite(g.map((r) => r.concentration.timing.leadHalfRise ?? NaN).map(Math.abs));
    parts.push(
      `Tracking the test loss: across checkpoints, the correlation of the metric's mean with log10 test loss has median r = ${f(median(finite(gi.map((i) => rc[i]))), 2)} for coarseness (K=${o.K}) and ${f(median(finite(gi.map((i) => rk[i]))), 2)} for concentration over the grokking runs (negative: the metric rises as the loss falls); concentration has the stronger |r| in ${cWins} of ${gi.length} runs, coarseness in ${kWins}. ` +
        `The half-rise lies a median ${f(median(lc), 0)} epochs (either side) from the grok epoch for concentration and ${f(median(lk), 0)} for coarseness. ` +
        `These are descriptive: two trending series correlate strongly whether or not one drives the other, so no p-value is given.`,
    );
    const avg = (m: 'coarseness' | 'concentration', key: 'initial' | 'mid' | 'atGrok' | 'final'): number => mean(finite(g.map((r) => r[m][key] ?? NaN)));
    parts.push(
      `Over the grokking runs, mean concentration averages ${f(avg('concentration', 'initial'), 3)} at initialisation, ${f(avg('concentration', 'mid'), 3)} at half the grok epoch, ${f(avg('concentration', 'atGrok'), 3)} at the first checkpoint after grokking and ${f(avg('concentration', 'final'), 3)} at the end; mean coarseness (K=${o.K}) ${f(avg('coarseness', 'initial'), 3)}, ${f(avg('coarseness', 'mid'), 3)}, ${f(avg('coarseness', 'atGrok'), 3)} and ${f(avg('coarseness', 'final'), 3)}.`,
    );
  } else {
    parts.push('No run grokked, so neither metric can be checked against a test-loss drop.');
  }
  const lowK = d.runs.filter((r) => r.concentration.blobs.finalBlobs.length > 0 && r.concentration.blobs.topFrequencies[0].k > o.K);
  if (lowK.length) {
    parts.push(
      `In ${lowK.length} of ${d.runs.length} runs the most common dominant frequency of the final concentrated neurons is above K=${o.K}, where coarseness cannot see it.`,
    );
  }
  const rows: Cell[][] = d.runs.map((r) => [
    r.runId,
    r.grokEpoch,
    cell(r.coarseness.lossCorrelation, 3),
    cell(r.concentration.lossCorrelation, 3),
    cell(r.coarseness.initial),
    cell(r.coarseness.mid),
    cell(r.coarseness.atGrok),
    cell(r.coarseness.final),
    cell(r.concentration.initial),
    cell(r.concentration.mid),
    cell(r.concentration.atGrok),
    cell(r.concentration.final),
  ]);
  const values: object[] = [];
  for (const r of series) {
    const facts = d.runs.find((x) => x.runId === r.runId) as StudyRunFacts;
    const step = Math.max(1, Math.floor(r.checkpoints.length / 120));
    for (let i = 0; i < r.checkpoints.length; i += step) {
      const c = r.checkpoints[i];
      values.push({ run: runLabel(r), epoch: c.epoch, metric: `coarseness (K=${o.K})`, mean: cell(meanIgnoringNaN(c.coarseness[o.K - 1])), grokEpoch: facts.grokEpoch });
      values.push({ run: runLabel(r), epoch: c.epoch, metric: 'concentration', mean: cell(meanIgnoringNaN(c.concentration)), grokEpoch: facts.grokEpoch });
    }
  }
  return {
    id: 'metric',
    question: `Does the metric measure what the researcher sees? Coarseness (K=${o.K}) vs frequency concentration (max_k frac_k): which separates grokking from non-grokking runs, and which tracks the test-loss drop?`,
    answer: parts.join(' '),
    figure: 'study-metric',
    table: {
      columns: ['run', 'grok epoch', `r(coarseness K=${o.K}, log10 test loss)`, 'r(concentration, log10 test loss)', 'coarseness at init', 'coarseness at half grok', 'coarseness at grok', 'coarseness at end', 'concentration at init', 'concentration at half grok', 'concentration at grok', 'concentration at end'],
      rows,
    },
    vegaLite: {
      $schema: VL_SCHEMA,
      title: 'Mean coarseness and mean concentration per run (dashed: grok epoch)',
      data: { values },
      facet: { field: 'run', type: 'nominal', title: null },
      columns: 4,
      spec: {
        layer: [
          {
            mark: 'line',
            encoding: {
              x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
              y: { field: 'mean', type: 'quantitative', scale: { domain: [0, 1] }, title: 'mean over neurons' },
              color: { field: 'metric', type: 'nominal' },
            },
          },
          {
            transform: [{ filter: 'datum.grokEpoch !== null' }],
            mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
            encoding: { x: { aggregate: 'min', field: 'grokEpoch', type: 'quantitative', title: 'epoch' } },
          },
        ],
      },
    },
  };
}

/**
 * Q4 over a population: per prime, the distribution over seeds × data seeds × jitters of the
 * second-descent onset and of the MIScope class, and tests of "p = focus differs": a permutation
 * test of the onset ranks (runs without an onset ranked last; Spearman's ρ between "is p = focus"
 * and the rank, i.e. a Mann–Whitney test) and Fisher's exact test of the failure rate, with its
 * power against a failure rate 0.5 above the other primes'.
 */
function sectionPopulation(d: StudyDetails): StudySection | null {
  const o = d.options;
  const P = o.focusPrime;
  const runs = d.runs.filter((r) => r.outcome !== undefined);
  if (runs.length === 0) return null;
  const primes = [...new Set(runs.map((r) => r.p))].sort((a, b) => a - b);
  const big = Number.MAX_SAFE_INTEGER;
  const rows: Cell[][] = primes.map((p) => {
    const rs = runs.filter((r) => r.p === p);
    const on = rs.map((r) => r.onset).filter((x): x is number => x !== null).sort((a, b) => a - b);
    const cls = (c: OutcomeClass) => rs.filter((r) => r.outcome === c).length;
    return [p, rs.length, new Set(rs.map((r) => r.seed)).size, new Set(rs.map((r) => r.dataSeed)).size, new Set(rs.map((r) => r.jitter)).size,
      rs.filter((r) => r.grokked).length, cls('healthy'), cls('late_grokker'), cls('degraded'), cls('degraded_rebound'), cls('no_second_descent'),
      on.length, on.length ? on[0] : null, on.length ? median(on) : null, on.length ? on[on.length - 1] : null];
  });
  const parts: string[] = [
    `Per prime, over its runs (seeds × data seeds × jitters), the MIScope classes and the second-descent onset (table). Grokked = healthy | late_grokker; failed = degraded | degraded_rebound | no_second_descent.`,
  ];
  const inP = runs.map((r) => (r.p === P ? 1 : 0));
  const nP = inP.reduce((a: number, b) => a + b, 0);
  if (nP === 0 || nP === runs.length) {
    parts.push(nP === 0 ? `No run has p=${P}, so whether it differs cannot be tested.` : `Every run has p=${P}, so there is nothing to compare it with.`);
  } else {
    const onsetKey = runs.map((r) => r.onset ?? big);
    const pt = permutationTest(inP, onsetKey, 'spearman', o.permutation);
    const failed = runs.map((r) => (r.grokked ? 0 : 1));
    const fP = failed.filter((x, i) => x && inP[i]).length, fAll = failed.reduce((a: number, b) => a + b, 0);
    const pF = fisherTwoSided(fP, runs.length, fAll, nP);
    const rateO = (fAll - fP) / (runs.length - nP);
    const power = fisherPower(nP, runs.length - nP, Math.min(1, rateO + 0.5), rateO);
    parts.push(
      `p=${P} against the other primes (${nP} against ${runs.length - nP} runs): onset ranks (no onset ranked last) ρ = ${f(pt.statistic, 2)}, permutation p = ${fp(pt.pValue)} (${pt.method}); ` +
        `failures ${fP} of ${nP} against ${fAll - fP} of ${runs.length - nP}, Fisher's exact p = ${fp(pF)} (two-sided). ` +
        (pt.pValue <= 0.05 || pF <= 0.05
          ? `So p=${P} differs here${pt.pValue <= 0.05 ? ` in onset (${pt.statistic > 0 ? 'later' : 'earlier'})` : ''}${pF <= 0.05 ? ` in its failure rate` : ''}.`
          : `No evidence that p=${P} differs (power ${f(power, 2)} to detect a failure rate 0.5 above the other primes' ${f(rateO, 2)}).`),
    );
  }
  return {
    id: 'p101-population',
    question: `Is p=${P} different? Per prime, the distribution of the MIScope class and the second-descent onset over seeds, data seeds and jitters.`,
    answer: parts.join(' '),
    figure: 'study-population',
    table: {
      columns: ['p', 'runs', 'seeds', 'data seeds', 'jitters', 'grokked', 'healthy', 'late_grokker', 'degraded', 'degraded_rebound', 'no_second_descent', 'runs with onset', 'min onset', 'median onset', 'max onset'],
      rows,
    },
    vegaLite: {
      $schema: VL_SCHEMA,
      title: 'Second-descent onset per run by prime (colour: MIScope class; runs without an onset are not drawn)',
      data: { values: runs.filter((r) => r.onset !== null).map((r) => ({ p: String(r.p), onset: r.onset, class: r.outcome, run: r.runId, seed: r.seed, dataSeed: r.dataSeed, jitter: r.jitter })) },
      mark: { type: 'point', filled: true },
      encoding: {
        x: { field: 'p', type: 'ordinal', title: 'prime' }, y: { field: 'onset', type: 'quantitative', title: 'second-descent onset epoch' },
        color: { field: 'class', type: 'nominal' }, xOffset: { field: 'jitter', type: 'nominal' },
        tooltip: [{ field: 'run' }, { field: 'seed' }, { field: 'dataSeed' }, { field: 'jitter' }, { field: 'onset' }, { field: 'class' }],
      },
    },
  };
}

function sd(xs: number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * Seed × prime: is a seed's outcome a property of the seed or of rounding? The spread (sample SD)
 * of the onset across the jitters of one (p, seed, data seed), against the spread across seeds of
 * the same (p, data seed) (each seed's unperturbed run, jitter 0); and how often the jitters of one
 * (p, seed, data seed) agree on the class.
 */
function sectionRounding(d: StudyDetails): StudySection | null {
  const runs = d.runs.filter((r) => r.outcome !== undefined);
  const key = (r: StudyRunFacts) => `${r.p}|${r.seed}|${r.dataSeed}`;
  const groups = new Map<string, StudyRunFacts[]>();
  for (const r of runs) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  const ens = [...groups.values()].filter((g) => new Set(g.map((r) => r.jitter)).size >= 2);
  if (ens.length === 0) return null;
  const rows: Cell[][] = [];
  const within: number[] = [];
  let agree = 0;
  for (const g of ens) {
    const on = g.map((r) => r.onset).filter((x): x is number => x !== null);
    const classes = [...new Set(g.map((r) => r.outcome))];
    if (classes.length === 1) agree++;
    const s1 = sd(on);
    if (Number.isFinite(s1)) within.push(s1);
    rows.push(['jitters', g[0].p, g[0].seed, g[0].dataSeed, g.length, on.length, cell(s1, 1), on.length ? Math.min(...on) : null, on.length ? Math.max(...on) : null, classes.join(' ')]);
  }
  const across: number[] = [];
  const byPD = new Map<string, StudyRunFacts[]>();
  for (const r of runs.filter((x) => x.jitter === 0)) byPD.set(`${r.p}|${r.dataSeed}`, [...(byPD.get(`${r.p}|${r.dataSeed}`) ?? []), r]);
  for (const g of byPD.values()) {
    if (new Set(g.map((r) => r.seed)).size < 2) continue;
    const on = g.map((r) => r.onset).filter((x): x is number => x !== null);
    const s2 = sd(on);
    if (Number.isFinite(s2)) across.push(s2);
    rows.push(['seeds (jitter 0)', g[0].p, null, g[0].dataSeed, g.length, on.length, cell(s2, 1), on.length ? Math.min(...on) : null, on.length ? Math.max(...on) : null, [...new Set(g.map((r) => r.outcome))].join(' ')]);
  }
  const mw = within.length ? median(within) : NaN, ma = across.length ? median(across) : NaN;
  const parts = [
    `${plural(ens.length, 'rounding ensemble')} (one p, seed and data seed, initial weights moved by ±1 ulp per jitter): the onset's SD across jitters has median ${f(mw, 0)} epochs; the jitters agree on the MIScope class in ${agree} of ${ens.length}.`,
    across.length
      ? `Across seeds (unperturbed runs of one p and data seed) the onset's SD has median ${f(ma, 0)} epochs over ${plural(across.length, 'group')}, ${Number.isFinite(mw) && mw > 0 ? `${f(ma / mw, 1)} times the rounding spread` : 'to compare with the rounding spread'}. ` +
        (Number.isFinite(mw) && Number.isFinite(ma)
          ? ma > 2 * mw
            ? 'So the seed matters beyond rounding noise here.'
            : "So rounding alone moves a run's onset about as much as changing the seed: a seed's outcome is not a property of the seed on another machine."
          : '')
      : 'No (p, data seed) has unperturbed runs of two seeds, so the spread across seeds cannot be compared.',
    'These spreads are descriptive (few groups): no test is given.',
  ];
  return {
    id: 'seed-vs-rounding',
    question: "Seed × prime: is a seed's outcome a property of the seed or of rounding? Spread of the onset across jitters of one (p, seed, data seed) against the spread across seeds.",
    answer: parts.join(' '),
    table: { columns: ['spread across', 'p', 'seed', 'data seed', 'runs', 'runs with onset', 'onset SD', 'min onset', 'max onset', 'classes'], rows },
  };
}

/** The study's sections, from data already loaded (pure). */
export function computeStudyFromData(runs: readonly StudyRunData[], opts: StudyOptions = {}): StudyAnswers {
  const d = analyseStudy(runs, opts);
  return {
    sections: [
      sectionThreshold(d),
      ...(d.thresholdLate ? [sectionThreshold(d, d.thresholdLate, HEALTHY_VS_LATE, 'threshold-late')] : []),
      sectionTiming(d),
      sectionCritical(d),
      sectionPrime(d),
      ...[sectionPopulation(d), sectionRounding(d)].filter((x): x is StudySection => x !== null),
      sectionPredict(d),
      sectionEmbedding(d, runs),
      sectionMetric(d, runs),
    ],
    runs: d.runs,
  };
}

// ---- loader ---------------------------------------------------------------------------------

/** One run's data from the store, reduced to what the study needs. */
export function loadStudyRun(store: Store, runId: string, opts: StudyOptions = {}): StudyRunData {
  const o = resolveOptions(opts);
  const row = store.getRun(runId);
  if (!row) throw badInput(`no run ${runId} in store ${store.dir}`);
  const nf = readNeuronFourier(store, runId);
  if (nf.epochs.length === 0) throw badInput(`run ${runId} has no analysed checkpoints (run grokbench analyze first)`);
  const checkpoints: StudyCheckpoint[] = nf.epochs.map((e) => {
    const conc = concentrationValues(e, nf.nFreq, nf.dMlp);
    if (o.flatAsZero) for (let i = 0; i < conc.length; i++) if (Number.isNaN(conc[i])) conc[i] = 0;
    return {
      epoch: e.epoch,
      coarseness: Array.from({ length: o.maxK }, (_, k) => coarsenessValues(e, nf.nFreq, nf.dMlp, k + 1, o.flatAsZero)),
      concentration: conc,
      dominantFrequency: Int32Array.from(e.dominantFrequency),
    };
  });
  checkpoints.sort((a, b) => a.epoch - b.epoch);
  const metrics: MetricRow[] = store.getMetrics(runId);
  const times = grokkingTimes(metrics);
  const outcome = metrics.length ? runOutcome(metrics) : null;
  const jitter = runJitter(row);
  const embedding: StudyEmbeddingEpoch[] = readEmbeddingFourier(store, runId)
    .map((x) => ({ epoch: x.epoch, norms: Float64Array.from(x.norms), keyFrequencies: Array.from(x.keyFrequencies), gini: x.gini }))
    .sort((a, b) => a.epoch - b.epoch);
  return {
    runId,
    p: nf.p,
    seed: row.seed,
    dMlp: nf.dMlp,
    nFreq: nf.nFreq,
    epochs: row.epochs,
    grokEpoch: times.grok_epoch,
    grokEpochAcc: times.grok_epoch_acc,
    memoriseEpoch: times.memorise_epoch,
    checkpoints,
    testLoss: metrics
      .filter((m) => m.test_loss !== null && Number.isFinite(m.test_loss))
      .map((m) => ({ epoch: m.epoch, loss: m.test_loss as number })),
    embedding,
    outcome: outcome?.performance_classification ?? null,
    onset: outcome?.second_descent_onset_epoch ?? null,
    dataSeed: row.data_seed,
    jitter,
  };
}

/** The study for these runs of a store: loads each run through results.ts, then the pure core. */
export function computeStudy(store: Store, runIds: string[], opts: StudyOptions = {}): StudyAnswers {
  if (runIds.length === 0) throw badInput('the study needs at least one run');
  return computeStudyFromData(runIds.map((id) => loadStudyRun(store, id, opts)), opts);
}
