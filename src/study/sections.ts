/**
 * The study's answer sections as views: the numbers of analysis/study.ts (`analyseStudy`) turned
 * into questions, plain sentences generated from those numbers (nothing written in by hand), tables
 * and Vega-Lite specs. The report and the dashboard's compare page render the same sections.
 */
import { runLabel } from '../views/style/labels.js';
import type { Store } from '../store/store.js';
import { badInput } from '../core/errors.js';
import type { OutcomeClass } from '../metrics/outcome.js';
import {
  analyseStudy, loadStudyRun,
  type BlobFacts, type Cell, type EpochSeparation, type Feature, type FeatureSeparation, type FirstSeparation,
  type Separation, type StudyAnswers, type StudyDetails, type StudyOptions, type StudyRunData,
  type StudyRunFacts, type StudySection, type ThresholdDetails, type TimingClass,
} from './study.js';
import {
  checkpointMeans, criticalNumbers, earlyAt, embeddingNumbers, metricComparisonNumbers, populationNumbers, predictNumbers,
  primeNumbers, roundingNumbers, snapshotRanges, thresholdTableEpochs, timingNumbers,
} from './numbers.js';
import { VL_SCHEMA } from '../views/style/vega.js';
// ---- formatting ---------------------------------------------------------------------------


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
  const snapEpochs = thresholdTableEpochs(t);
  if (nG === 0 || nN === 0) {
    const rows: Cell[][] = snapshotRanges(d.runs, snapEpochs).map((x) => [
      x.epoch, cell(x.coarseness.min), cell(x.coarseness.max), cell(x.concentration.min), cell(x.concentration.max),
    ]);
    return {
      id,
      question,
      answer:
        `${nG === 0 ? `None of the ${plural(n, 'run')} is ${g.a}` : `All ${plural(n, 'run')} are ${g.a}`} ` +
        `(${g.definition}), so there is nothing to separate: no threshold can be tested with these runs.`,
      table: {
        columns: ['epoch', `min mean coarseness (K=${o.K})`, `max mean coarseness (K=${o.K})`, 'min mean specialization', 'max mean specialization'],
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
      `At each of them ${t.features.coarseness} coarseness features (mean coarseness and blob count for K = 1..${o.maxK}, thresholds ${o.thresholds[0].toFixed(2)}–${o.thresholds[o.thresholds.length - 1].toFixed(2)}) and ${t.features.concentration} specialization features were tried.`,
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
  parts.push(fam('specialization', t.first.concentration));
  const pre = (label: string, fs: FirstSeparation | null): string =>
    fs
      ? `The pre-chosen ${label} first separates at epoch ${fs.epoch} (${fs.separation.direction} in ${g.aRun} runs)` +
        (fs.persists ? ' and keeps separating to the end.' : fs.stableFrom !== null ? `, steadily from epoch ${fs.stableFrom}.` : ', but not steadily to the end.')
      : `The pre-chosen ${label} never separates the classes perfectly.`;
  parts.push(pre(`mean coarseness (K=${o.K})`, t.first.meanCoarsenessK));
  parts.push(pre('mean specialization', t.first.meanConcentration));
  const last = t.perEpoch[t.perEpoch.length - 1];
  if (last) {
    parts.push(
      `At the last common epoch (${last.epoch}) the best coarseness feature is ${last.coarseness ? `${last.coarseness.feature.label} with margin ${f(last.coarseness.normMargin, 2)} of the range` : 'none (all equal)'}, the best specialization feature ${last.concentration ? `${last.concentration.feature.label} with margin ${f(last.concentration.normMargin, 2)}` : 'none (all equal)'}.`,
    );
  }
  if (t.chanceOne !== null) {
    parts.push(
      `How little this can show: with ${nG} ${g.aRun} and ${nN} ${g.bRun} ${nN === 1 ? 'run' : 'runs'}, a single pre-chosen feature at a single epoch separates them perfectly by chance with probability ${f(t.chanceOne, 3)} (the ${g.bRun} ${nN === 1 ? 'run only has' : 'runs only have'} to be the lowest or highest ${nN === 1 ? 'value' : 'values'}); with ${t.features.coarseness + t.features.concentration} features searched at ${t.commonEpochs.length} epochs, some feature separates them perfectly somewhere under random labels with probability ${t.chanceAny ? `${f(t.chanceAny.p, 3)} (${t.chanceAny.exact ? `exact, all ${t.chanceAny.labellings} labellings` : `${t.chanceAny.labellings} seeded random labellings`})` : 'n/a'}, so only an early, persistent separation by a pre-chosen feature would be worth taking further, and even that is one observation, not a threshold that predicts.`,
    );
  }
  const rows: Cell[][] = snapEpochs.map((e) => {
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
    add('best specialization feature', r.concentration);
    add('mean specialization', r.meanConcentration);
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
        'best specialization feature',
        'direction',
        'cut',
        'margin',
        'margin / range',
        'mean specialization margin',
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

/** The majority class among the runs, in words (majorityTiming). */
function verdict(m: TimingClass | 'none' | 'mixed'): string {
  if (m === 'none') return 'cannot be placed';
  if (m === 'mixed') return 'shows no consistent order';
  return `mostly ${m === 'precede' ? 'precedes' : m === 'follow' ? 'follows' : 'coincides with'} it`;
}

function sectionTiming(d: StudyDetails): StudySection {
  const o = d.options;
  // The time of the test-loss drop: every run with a grok epoch (test loss < 0.01), whatever its class.
  const tn = timingNumbers(d);
  const g = tn.grokking;
  const non = tn.nonGrokking;
  const parts: string[] = [];
  parts.push(
    `Here "grokking run" means a run whose test loss fell below 0.01 (its grok epoch), whatever its MIScope class. Tolerance: a lead within max(one checkpoint interval, ${f(100 * o.toleranceShare, 0)}% of the grok epoch) counts as "coincide"; lead = grok epoch − metric epoch.`,
  );
  if (g.length === 0) parts.push('No run grokked, so no rise can be placed against a grokking epoch.');
  for (const metric of ['coarseness', 'concentration'] as const) {
    const name = metric === 'coarseness' ? `mean coarseness (K=${o.K})` : 'mean frequency specialization';
    if (tn.metrics === null) continue;
    const { half, steep, noRise, vsDrop } = tn.metrics[metric];
    parts.push(
      `${name[0].toUpperCase()}${name.slice(1)}: of ${plural(g.length, 'grokking run')}, its half-rise came before the grok epoch in ${half.precede}, within tolerance in ${half.coincide} and after it in ${half.follow}` +
        `${noRise ? ` (${noRise} never rose)` : ''} (median lead ${f(half.medianLead, 0)} epochs; sign test precede vs follow p = ${fp(half.signP)}), so its half-rise ${verdict(tn.metrics[metric].halfMajority)}; ` +
        `its steepest rise came before in ${steep.precede}, within tolerance in ${steep.coincide}, after in ${steep.follow} (median lead ${f(steep.medianLead, 0)}), so its steepest rise ${verdict(tn.metrics[metric].steepMajority)}.` +
        (vsDrop.n
          ? ` Against the midpoint of the test-loss drop (log scale) instead of the grok epoch, the half-rise leads by a median of ${f(vsDrop.median, 0)} epochs (${vsDrop.before} of ${vsDrop.n} runs before it).`
          : ''),
    );
  }
  if (non.length) {
    parts.push(
      `Non-grokking runs (no grok epoch to compare): ${non
        .map((r) => `${r.runId}: coarseness half-rise ${ep(r.coarseness.timing.halfRiseEpoch)}, specialization half-rise ${ep(r.concentration.timing.halfRiseEpoch)}`)
        .join('; ')}.`,
    );
  }
  if (g.length) {
    parts.push(
      `With ${plural(g.length, 'grokking run')} these are counts, not a test: even ${g.length} of ${g.length} in one direction has sign-test p = ${fp(tn.allOneWayP)}, and a half-rise measured at checkpoint resolution can move by an interval with noise.`,
    );
  }
  const rows: Cell[][] = d.runs.map((r, i) => [
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
    tn.tolerance[i],
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
        'specialization half-rise epoch',
        'specialization steepest-rise epoch',
        'specialization lead (half rise)',
        'specialization lead (steepest)',
        'specialization half rise vs grok',
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
  const cn = criticalNumbers(d);
  for (const metric of ['coarseness', 'concentration'] as const) {
    const name = metric === 'coarseness' ? `coarseness (K=${o.K}) ≥ ${th}` : `specialization ≥ ${th}`;
    const x = cn[metric];
    let s = `With ${name}: ${x.withBlobs} of ${d.runs.length} runs ever have such neurons (final counts ${x.finalCounts.join(', ')}).`;
    if (x.grokking) {
      s += ` In the grokking runs, ${f(100 * x.grokking.meanBeforeShare, 0)}% of them (mean over runs) first cross the threshold at or before the grok epoch; once across, a neuron stays across at ${f(100 * x.grokking.meanStay, 0)}% of the later checkpoints (mean over runs).`;
    }
    const fq = x.frequencies;
    if (fq) {
      s += ` Do they share dominant frequencies? The most common one holds a median ${f(100 * fq.medianTop, 0)}% of a run's final blobs and the top three ${f(100 * fq.medianTop3, 0)}% (were dominant frequencies spread evenly over a run's (p−1)/2 frequencies: about ${f(100 * fq.evenShare, 0)}% and ${f(300 * fq.evenShare, 0)}%).`;
      if (fq.medianInKeys !== null) s += ` A median ${f(100 * fq.medianInKeys, 0)}% of final blobs have a dominant frequency among the run's final embedding key frequencies.`;
    }
    const ov = x.overlap;
    if (ov) {
      s +=
        ` Across ${plural(ov.pairs, 'pair')} of runs with the same d_mlp (and both having such neurons), final blob indices overlap in ${ov.observed} neurons against ${f(ov.expected, 1)} expected under random assignment; ${ov.significant} ${ov.significant === 1 ? 'pair has' : 'pairs have'} an overlap with hypergeometric p < 0.05 (about ${f(ov.expectedSignificant, 1)} expected by chance; binomial tail ${fp(ov.excessP)}, a rough guide since pairs share runs)` +
        (ov.sameSeed.pairs ? `; same-seed pairs: ${ov.sameSeed.observed} against ${f(ov.sameSeed.expected, 1)} expected` : '') +
        `. ${ov.moreThanChance ? 'The indices overlap more than chance: the same neuron positions tend to become blobs in different runs.' : `No evidence that the same neuron indices become blobs across runs (median power per pair ${f(ov.medianPower, 2)} to detect indices twice as likely to be shared as by chance, one-sided p < 0.05).`}`;
    } else {
      s += ' No pair of runs both have such neurons, so index overlap cannot be tested.';
    }
    parts.push(s);
  }
  parts.push(
    'Coarseness counts only frequencies 1..K, so a model whose key frequencies are all above K has no coarseness blobs even when its neurons are clean single-frequency "blobs"; specialization does not depend on which frequency.',
  );
  const rows: Cell[][] = d.runs.flatMap((r) =>
    (['coarseness', 'concentration'] as const).map((m) => {
      const b = r[m].blobs;
      return [
        r.runId,
        r.grokEpoch,
        m === 'coarseness' ? `coarseness K=${o.K}` : 'specialization',
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
  const values = [...d.overlap.coarseness.map((x) => ({ ...x, metric: 'coarseness' })), ...d.overlap.concentration.map((x) => ({ ...x, metric: 'specialization' }))].map((x) => ({
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
  const pn = primeNumbers(d);
  const { grokRank, primes, primeRank } = pn;
  const early = (r: StudyRunFacts, m: 'coarseness' | 'concentration') => earlyAt(r, m, o.earlyEpoch);
  const parts: string[] = [];
  const noGrok = runs.filter((r) => !r.grokked).map((r) => runLabel(r));
  parts.push(
    `Grokking epochs: ${runs.map((r) => `${runLabel(r)}: ${r.grokEpoch ?? `none by ${r.lastEpoch}`}`).join('; ')}.` +
      (noGrok.length ? ` Runs that did not grok: ${noGrok.join(', ')}.` : ' Every run grokked.'),
  );
  const focus = pn.focus;
  if (!runs.some((r) => r.p === P)) {
    parts.push(`No run has p=${P}, so nothing can be said about it; the table compares the primes present.`);
  } else if (focus === null) {
    parts.push(`Only p=${P} is present, so it cannot be compared with other primes.`);
  } else {
    const byGrok = [...primeRank].sort((a, b) => a.grok - b.grok);
    const fr = focus.rank;
    // Positions with ties: how many primes lie strictly on each side.
    const pg = focus.grok;
    const pc = focus.c;
    const pk = focus.k;
    const tie = (t: number): string => (t ? ` (tied with ${plural(t, 'other prime')})` : '');
    const slowest = pg.above === 0;
    const grokPlace = slowest ? 'the slowest' : pg.below === 0 ? 'the fastest' : `number ${pg.below + 1} from the fastest`;
    const lowPlace = (x: { below: number; tied: number }): string => `${x.below + 1} of ${primes.length} from the lowest${tie(x.tied)}`;
    parts.push(
      `Ranking all ${runs.length} runs by grokking time (1 = earliest, non-grokking runs tied last), p=${P}'s runs rank ${focus.runs.map((i) => f(grokRank[i], 1)).join(' and ')}; by mean rank p=${P} is ${grokPlace} of ${primes.length} primes${tie(pg.tied)} (mean rank ${f(fr.grok, 2)}; per prime: ${byGrok.map((x) => `p=${x.p} ${f(x.grok, 2)}`).join(', ')}).` +
        ` On epoch-${o.earlyEpoch} mean coarseness p=${P} ranks ${lowPlace(pc)} (mean rank ${f(fr.c, 2)}), on mean specialization ${lowPlace(pk)}.`,
    );
    const lowest = (pc.below === 0 && pc.tied === 0) || (pk.below === 0 && pk.tied === 0);
    parts.push(
      slowest && pg.tied === 0
        ? lowest
          ? `So p=${P} is both the slowest prime and the lowest in early structure here.`
          : `So p=${P} is the slowest prime here, but its early coarseness and specialization do not mark it out.`
        : `So p=${P} does not stand out as the ${slowest ? 'only ' : ''}slowest prime in these runs.`,
    );
    parts.push(
      `How little this can show: with ${primes.length} primes and ${runs.length / primes.length === Math.round(runs.length / primes.length) ? runs.length / primes.length : 'unequal numbers of'} runs each, any given prime is the slowest by chance with probability about 1/${primes.length}; a prime-level property cannot be separated from the particular seeds drawn.`,
    );
  }
  if (pn.seedPair) {
    const { s1, s2, firstA, firstB, ties, pairs, signP, meanRank1, meanRank2 } = pn.seedPair;
    const seedRanks = `mean grokking-time rank seed ${s1} ${f(meanRank1, 2)}, seed ${s2} ${f(meanRank2, 2)}`;
    if (pairs === 0) parts.push(`Per seed: no prime has runs with both seeds ${s1} and ${s2}, so they cannot be compared prime by prime; ${seedRanks}.`);
    else parts.push(
      `Per seed: seed ${s1} grokked first for ${firstA} of ${pairs} primes, seed ${s2} for ${firstB}${ties ? `, ${ties} tied` : ''} (sign test p = ${fp(signP)}); ${seedRanks}.` +
        (pn.seeds.length > 2 ? ` (Only the first two of ${pn.seeds.length} seeds are compared pairwise.)` : ''),
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
        'mean specialization',
        `blob count (coarseness ≥ ${o.blobThreshold}) early`,
        'blob count at end',
        `specialised count (≥ ${o.blobThreshold}) early`,
        'specialised count at end',
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
  const pn = predictNumbers(d);
  const n = pn.n;
  const nTests = pn.tests;
  if (n < 3) {
    parts.push(`Only ${plural(n, 'run')} grokked; a correlation with grokking epoch needs at least 3, so none is computed.`);
  } else {
    const method = any.spearman.method === 'exact' ? `exact (all ${n}! = ${pn.orderings} orderings)` : `Monte Carlo (${any.spearman.permutations} seeded random orderings, seed ${any.spearman.seed})`;
    parts.push(`Over the ${n} grokking runs, correlations of early mean value with grokking epoch; p-values are two-sided permutation tests, ${method}.`);
    const rowsToSay = main.length ? main : d.predict.filter((r) => r.target === o.earlyEpochs[0]);
    for (const r of rowsToSay) {
      const name = r.metric === 'coarseness' ? `mean coarseness (K=${o.K})` : 'mean specialization';
      const sign = r.spearman.statistic < 0 ? 'negative (higher early value, earlier grokking), the direction the seed expects' : r.spearman.statistic > 0 ? 'positive, opposite to what the seed expects' : 'zero';
      parts.push(
        `Epoch-${r.target} ${name} (checkpoints ${r.epochRange[0]}–${r.epochRange[1]}): Pearson r = ${f(r.pearson.statistic, 2)} (p = ${fp(r.pearson.pValue)}), Spearman ρ = ${f(r.spearman.statistic, 2)} (p = ${fp(r.spearman.pValue)}); the rank correlation is ${sign}.`,
      );
    }
    const others = d.predict.filter((r) => !rowsToSay.includes(r));
    if (others.length) {
      parts.push(
        `Other early epochs: ${others.map((r) => `${r.metric === "concentration" ? "specialization" : r.metric} at ${r.target}: ρ = ${f(r.spearman.statistic, 2)} (p = ${fp(r.spearman.pValue)})`).join('; ')}.`,
      );
    }
    const crit = any.spearman.critical05;
    const below = pn.significant;
    const power = pn.power;
    parts.push(
      `How little this can show: with n = ${n}, only |ρ| ≥ ${f(crit, 2)} reaches p ≤ 0.05, and the power to detect a true correlation of 0.5 is ${f(power, 2)} (Fisher z). ` +
        `${nTests} tests were run here (${d.predict.length / 2} epochs × 2 metrics × 2 statistics) and ${below} of them reached p ≤ 0.05; about ${f(pn.expectedSignificant, 1)} would by chance if they were independent, but they are not (the same runs at neighbouring epochs, Pearson and Spearman on the same points), so the count is no test of its own. ` +
        (below === 0 || power < 0.8
          ? `No evidence (power ${f(power, 2)} against ρ = 0.5) that early structure predicts grokking time.`
          : `No correlation from ${n} runs establishes that early structure predicts grokking time.`),
    );
  }
  for (const r of main.length ? main : []) {
    if (r.nonGrokking.length === 0 || r.n === 0) continue;
    const name = r.metric === 'coarseness' ? 'coarseness' : 'specialization';
    parts.push(
      `Non-grokking runs at epoch ${r.target}, mean ${name}: ${r.nonGrokking
        .map((x) => `${x.runId} ${f(x.value, 3)} (${x.belowAll ? 'below every grokking run' : x.aboveAll ? 'above every grokking run' : 'within the range of the grokking runs'})`)
        .join('; ')}.`,
    );
  }
  const nNon = pn.nonGrokking;
  if (pn.lowestChanceInverse !== null) {
    parts.push(
      `Under random labelling, the chance that the ${nNon === 1 ? 'non-grokking run is' : `${nNon} non-grokking runs are`} the lowest of all ${d.runs.length} on one pre-chosen measure is 1/${pn.lowestChanceInverse}: even that would be a hint, not a predictor.`,
    );
  }
  const rows: Cell[][] = d.predict.map((r) => [
    r.metric === 'coarseness' ? `coarseness K=${o.K}` : 'specialization',
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
  const values = pn.points.map((pt) => {
    const run = d.runs.find((x) => x.runId === pt.runId) as StudyRunFacts;
    return {
      metric: pt.metric,
      run: pt.runId,
      label: runLabel(run),
      value: cell(pt.value),
      grokEpoch: pt.grokEpoch ?? run.lastEpoch,
      grokked: pt.grokEpoch !== null,
      fit: pt.fit === null ? null : cell(pt.fit, 1),
    };
  });
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
  const en = embeddingNumbers(d);
  if (en === null) {
    return { id: 'embedding0', question, answer: 'No run has an embedding Fourier analysis stored, so this cannot be answered.' };
  }
  const withEmb = d.runs.filter((r) => r.embedding !== null);
  const parts: string[] = [];
  const e = (r: StudyRunFacts): NonNullable<StudyRunFacts['embedding']> => r.embedding as NonNullable<StudyRunFacts['embedding']>;
  const notZero = withEmb.filter((r) => e(r).epoch0 !== 0);
  parts.push(
    `At initialisation the embedding spectra have Gini ${f(en.gini.min, 3)}–${f(en.gini.max, 3)} and max/mean norm ratio ${f(en.ratio.min, 2)}–${f(en.ratio.max, 2)} across ${plural(withEmb.length, 'run')}.` +
      (notZero.length ? ` (${notZero.map((r) => r.runId).join(', ')} ha${notZero.length === 1 ? 's' : 've'} no epoch-0 analysis; the first analysed checkpoint is used.)` : ''),
  );
  const nonIdx = en.runs.filter((r) => !r.grokked);
  if (withEmb.length < 3) {
    parts.push('Fewer than 3 runs have spectra, too few for an outlier check.');
  } else if (nonIdx.length === 0) {
    parts.push('Every run grokked, so there is no non-grokking spectrum to compare.');
  } else if (nonIdx.length === withEmb.length) {
    parts.push('No run grokked, so there is no grokking group to compare a non-grokking spectrum with.');
  } else {
    for (const r of nonIdx) {
      parts.push(
        `The non-grokking run ${r.runId} has epoch-0 Gini ${f(r.gini0, 3)}, z = ${f(r.giniZ, 2)} against the other runs (leave-one-out; |z| rank ${r.giniAbsZRank} of ${withEmb.length}), and max/mean ratio z = ${f(r.ratioZ, 2)}: ` +
          (Math.abs(r.giniZ) > 2 || Math.abs(r.ratioZ) > 2
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
  parts.push(
    `Stability: the Jaccard overlap of key frequencies with the final checkpoint's is a mean ${f(en.meanJaccard0, 2)} from epoch 0 (random sets of the same sizes: ${f(en.meanRandomJaccard0, 2)}) and ${f(en.meanJaccardEarly, 2)} from epoch ${o.earlyEpoch} (random: ${f(en.meanRandomJaccardEarly, 2)}). ` +
      `The overlap exceeds chance (hypergeometric p < 0.05) in ${en.significantEarly} of ${withEmb.length} runs from epoch ${o.earlyEpoch} (binomial tail ${fp(en.combinedPEarly)}) and in ${en.significant0} from epoch 0 (${fp(en.combinedP0)}). ` +
      (en.combinedPEarly < 0.05
        ? `So the final key frequencies are already largely in place by epoch ${o.earlyEpoch}, as the seed observed`
        : `So there is no evidence that the final key frequencies are in place at epoch ${o.earlyEpoch}`) +
      (en.combinedP0 < 0.05 ? ', and even the initial spectrum anticipates them.' : '; no evidence that the initial spectrum anticipates them.'),
  );
  const rows: Cell[][] = withEmb.map((r, i) => {
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
      cell(en.runs[i].randomJaccard0, 3),
      cell(x.jaccardEarlyFinal, 3),
      cell(en.runs[i].randomJaccardEarly, 3),
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
  const mn = metricComparisonNumbers(d);
  // Separation (from the threshold section).
  const sep = mn.separation;
  if (sep === null) {
    parts.push(
      t.grokking.length === 0 || t.nonGrokking.length === 0
        ? 'Separation: all runs grokked or none did, so neither metric can be tested for separating them.'
        : 'Separation: no checkpoint epoch is common to all runs, so the metrics cannot be compared for separating them.',
    );
  } else {
    const better = (m: 'coarseness' | 'concentration' | 'neither'): string => (m === 'concentration' ? 'specialization' : m === 'coarseness' ? `coarseness (K=${o.K})` : 'neither');
    parts.push(
      `Separation: some coarseness feature at K=${o.K} separates grokking from non-grokking runs perfectly at ${sep.coarsenessK} of ${sep.epochs} common epochs, some specialization feature at ${sep.concentration}; the pre-chosen means at ${sep.meanCoarsenessK} (coarseness) and ${sep.meanConcentration} (specialization). ` +
        `At the last common epoch (${sep.last.epoch}) the mean-coarseness margin is ${f(sep.last.meanCoarsenessK, 2)} of the range and the mean-specialization margin ${f(sep.last.meanConcentration, 2)}. ` +
        `By these numbers ${better(sep.moreEpochs)} separates at more epochs and ${better(sep.wider)} separates more widely at the end.`,
    );
  }
  // Tracking the loss.
  const tr = mn.tracking;
  if (tr) {
    parts.push(
      `Tracking the test loss: across checkpoints, the correlation of the metric's mean with log10 test loss has median r = ${f(tr.medianLossR.coarseness, 2)} for coarseness (K=${o.K}) and ${f(tr.medianLossR.concentration, 2)} for specialization over the grokking runs (negative: the metric rises as the loss falls); specialization has the stronger |r| in ${tr.strongerR.concentration} of ${tr.runs} runs, coarseness in ${tr.strongerR.coarseness}. ` +
        `The half-rise lies a median ${f(tr.medianHalfRiseDistance.concentration, 0)} epochs (either side) from the grok epoch for specialization and ${f(tr.medianHalfRiseDistance.coarseness, 0)} for coarseness. ` +
        `These are descriptive: two trending series correlate strongly whether or not one drives the other, so no p-value is given.`,
    );
    const av = tr.averages;
    parts.push(
      `Over the grokking runs, mean specialization averages ${f(av.concentration.initial, 3)} at initialisation, ${f(av.concentration.mid, 3)} at half the grok epoch, ${f(av.concentration.atGrok, 3)} at the first checkpoint after grokking and ${f(av.concentration.final, 3)} at the end; mean coarseness (K=${o.K}) ${f(av.coarseness.initial, 3)}, ${f(av.coarseness.mid, 3)}, ${f(av.coarseness.atGrok, 3)} and ${f(av.coarseness.final, 3)}.`,
    );
  } else {
    parts.push('No run grokked, so neither metric can be checked against a test-loss drop.');
  }
  if (mn.concentratedAboveK) {
    parts.push(
      `In ${mn.concentratedAboveK} of ${d.runs.length} runs the most common dominant frequency of the final specialised neurons is above K=${o.K}, where coarseness cannot see it.`,
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
    for (const c of checkpointMeans(r.checkpoints, o.K, Math.max(1, Math.floor(r.checkpoints.length / 120)))) {
      values.push({ run: runLabel(r), epoch: c.epoch, metric: `coarseness (K=${o.K})`, mean: cell(c.coarseness), grokEpoch: facts.grokEpoch });
      values.push({ run: runLabel(r), epoch: c.epoch, metric: 'specialization', mean: cell(c.concentration), grokEpoch: facts.grokEpoch });
    }
  }
  return {
    id: 'metric',
    question: `Does the metric measure what the researcher sees? Coarseness (K=${o.K}) vs frequency specialization (max_k frac_k): which separates grokking from non-grokking runs, and which tracks the test-loss drop?`,
    answer: parts.join(' '),
    figure: 'study-metric',
    table: {
      columns: ['run', 'grok epoch', `r(coarseness K=${o.K}, log10 test loss)`, 'r(specialization, log10 test loss)', 'coarseness at init', 'coarseness at half grok', 'coarseness at grok', 'coarseness at end', 'specialization at init', 'specialization at half grok', 'specialization at grok', 'specialization at end'],
      rows,
    },
    vegaLite: {
      $schema: VL_SCHEMA,
      title: 'Mean coarseness and mean specialization per run (dashed: grok epoch)',
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
  const pop = populationNumbers(d);
  if (pop === null) return null;
  const runs = pop.runs;
  const rows: Cell[][] = pop.primes.map((x) => {
    const cls = (c: OutcomeClass) => x.classes[c];
    return [x.p, x.runs, x.seeds, x.dataSeeds, x.jitters,
      x.grokked, cls('healthy'), cls('late_grokker'), cls('degraded'), cls('degraded_rebound'), cls('no_second_descent'),
      x.withOnset, x.onset ? x.onset.min : null, x.onset ? x.onset.median : null, x.onset ? x.onset.max : null];
  });
  const parts: string[] = [
    `Per prime, over its runs (seeds × data seeds × jitters), the MIScope classes and the second-descent onset (table). Grokked = healthy | late_grokker; failed = degraded | degraded_rebound | no_second_descent.`,
  ];
  const nP = pop.focusRuns;
  if (pop.test === null) {
    parts.push(nP === 0 ? `No run has p=${P}, so whether it differs cannot be tested.` : `Every run has p=${P}, so there is nothing to compare it with.`);
  } else {
    const pt = pop.test.onset;
    const { focus: fP, all: fAll, rateOthers: rateO } = pop.test.failed;
    const pF = pop.test.fisherP;
    const power = pop.test.power;
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

/**
 * Seed × prime: is a seed's outcome a property of the seed or of rounding? The spread (sample SD)
 * of the onset across the jitters of one (p, seed, data seed), against the spread across seeds of
 * the same (p, data seed) (each seed's unperturbed run, jitter 0); and how often the jitters of one
 * (p, seed, data seed) agree on the class.
 */
function sectionRounding(d: StudyDetails): StudySection | null {
  const rn = roundingNumbers(d);
  if (rn === null) return null;
  const rows: Cell[][] = rn.groups.map((g) => [
    g.across === 'jitters' ? 'jitters' : 'seeds (jitter 0)', g.p, g.seed, g.dataSeed, g.runs, g.withOnset, cell(g.sd, 1), g.min, g.max, g.classes.join(' '),
  ]);
  const mw = rn.medianWithin, ma = rn.medianAcross;
  const parts = [
    `${plural(rn.ensembles, 'rounding ensemble')} (one p, seed and data seed, initial weights moved by ±1 ulp per jitter): the onset's SD across jitters has median ${f(mw, 0)} epochs; the jitters agree on the MIScope class in ${rn.agree} of ${rn.ensembles}.`,
    rn.acrossGroups
      ? `Across seeds (unperturbed runs of one p and data seed) the onset's SD has median ${f(ma, 0)} epochs over ${plural(rn.acrossGroups, 'group')}, ${Number.isFinite(mw) && mw > 0 ? `${f(rn.ratio, 1)} times the rounding spread` : 'to compare with the rounding spread'}. ` +
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
export function computeStudyFromData(all: readonly StudyRunData[], opts: StudyOptions = {}): StudyAnswers {
  // Unfinished runs (training, interrupted, failed) have no outcome class yet: they are left out, and named.
  const runs = all.filter((r) => !r.unfinished);
  const left = all.filter((r) => r.unfinished);
  if (runs.length === 0) throw badInput(`the study needs at least one finished run (${left.length} left out: ${left.map((r) => `${r.runId} ${r.unfinished!.state} at ${r.unfinished!.epoch}/${r.epochs}`).join(', ')})`);
  const d = analyseStudy(runs, opts);
  const leftOut: StudySection[] = left.length === 0 ? [] : [{
    id: 'left-out',
    question: 'Which runs does this study leave out?',
    answer: `${left.length} run(s) are not finished and are left out of every count and test below (their outcome class would be provisional): ${left.map((r) => `${r.runId} (${r.unfinished!.state} at epoch ${r.unfinished!.epoch} of ${r.epochs})`).join(', ')}.`,
    table: { columns: ['run', 'state', 'epoch', 'epochs'], rows: left.map((r) => [r.runId, r.unfinished!.state, r.unfinished!.epoch, r.epochs]) },
  }];
  return {
    sections: [
      ...leftOut,
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

/** The study for these runs of a store: loads each run through results.ts, then the pure core. */
export function computeStudy(store: Store, runIds: string[], opts: StudyOptions = {}): StudyAnswers {
  if (runIds.length === 0) throw badInput('the study needs at least one run');
  return computeStudyFromData(runIds.map((id) => loadStudyRun(store, id, opts)), opts);
}
