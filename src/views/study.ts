/**
 * The study's answer sections as views: the numbers of analysis/study.ts (`analyseStudy`) turned
 * into questions, plain sentences generated from those numbers (nothing written in by hand), tables
 * and Vega-Lite specs. The report and the dashboard's compare page render the same sections.
 */
import type { Store } from '../store/store.js';
import { badInput } from '../errors.js';
import type { OutcomeClass } from '../analysis/outcome.js';
import { correlationPower, fisherPower, fisherTwoSided, overlapPower } from '../analysis/power.js';
import {
  analyseStudy, choose, factorial, loadStudyRun, meanIgnoringNaN, nearestIndex, SEED_EPOCHS,
  type BlobFacts, type Cell, type EpochSeparation, type Feature, type FeatureSeparation, type FirstSeparation,
  type MetricFacts, type Separation, type StudyAnswers, type StudyDetails, type StudyOptions, type StudyRunData,
  type StudyRunFacts, type StudySection, type ThresholdDetails, type TimingClass,
} from '../analysis/study.js';
import { binomialSf, finite, hypergeometricSf, mean, median, permutationTest, randomOverlap, ranks, signTest, std } from '../analysis/stats.js';
import { VL_SCHEMA } from './figures/common.js';
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

function runLabel(r: { p: number; seed: number }): string {
  return `p=${r.p}, seed=${r.seed}`;
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
    const name = metric === 'coarseness' ? `mean coarseness (K=${o.K})` : 'mean frequency specialization';
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
        .map((r) => `${r.runId}: coarseness half-rise ${ep(r.coarseness.timing.halfRiseEpoch)}, specialization half-rise ${ep(r.concentration.timing.halfRiseEpoch)}`)
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
  for (const metric of ['coarseness', 'concentration'] as const) {
    const name = metric === 'coarseness' ? `coarseness (K=${o.K}) ≥ ${th}` : `specialization ≥ ${th}`;
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
  const n = any ? any.n : 0;
  const nTests = d.predict.length * 2;
  if (n < 3) {
    parts.push(`Only ${plural(n, 'run')} grokked; a correlation with grokking epoch needs at least 3, so none is computed.`);
  } else {
    const method = any.spearman.method === 'exact' ? `exact (all ${n}! = ${factorial(n)} orderings)` : `Monte Carlo (${any.spearman.permutations} seeded random orderings, seed ${any.spearman.seed})`;
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
    const name = r.metric === 'coarseness' ? 'coarseness' : 'specialization';
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
      `Separation: some coarseness feature at K=${o.K} separates grokking from non-grokking runs perfectly at ${kPerfect} of ${t.perEpoch.length} common epochs, some specialization feature at ${cPerfect}; the pre-chosen means at ${mk} (coarseness) and ${mc} (specialization). ` +
        `At the last common epoch (${last.epoch}) the mean-coarseness margin is ${f(last.meanCoarsenessK?.normMargin, 2)} of the range and the mean-specialization margin ${f(last.meanConcentration?.normMargin, 2)}. ` +
        `By these numbers ${better(mc, mk, 'specialization', `coarseness (K=${o.K})`)} separates at more epochs and ${better(lastC, lastK, 'specialization', `coarseness (K=${o.K})`)} separates more widely at the end.`,
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
      `Tracking the test loss: across checkpoints, the correlation of the metric's mean with log10 test loss has median r = ${f(median(finite(gi.map((i) => rc[i]))), 2)} for coarseness (K=${o.K}) and ${f(median(finite(gi.map((i) => rk[i]))), 2)} for specialization over the grokking runs (negative: the metric rises as the loss falls); specialization has the stronger |r| in ${cWins} of ${gi.length} runs, coarseness in ${kWins}. ` +
        `The half-rise lies a median ${f(median(lc), 0)} epochs (either side) from the grok epoch for specialization and ${f(median(lk), 0)} for coarseness. ` +
        `These are descriptive: two trending series correlate strongly whether or not one drives the other, so no p-value is given.`,
    );
    const avg = (m: 'coarseness' | 'concentration', key: 'initial' | 'mid' | 'atGrok' | 'final'): number => mean(finite(g.map((r) => r[m][key] ?? NaN)));
    parts.push(
      `Over the grokking runs, mean specialization averages ${f(avg('concentration', 'initial'), 3)} at initialisation, ${f(avg('concentration', 'mid'), 3)} at half the grok epoch, ${f(avg('concentration', 'atGrok'), 3)} at the first checkpoint after grokking and ${f(avg('concentration', 'final'), 3)} at the end; mean coarseness (K=${o.K}) ${f(avg('coarseness', 'initial'), 3)}, ${f(avg('coarseness', 'mid'), 3)}, ${f(avg('coarseness', 'atGrok'), 3)} and ${f(avg('coarseness', 'final'), 3)}.`,
    );
  } else {
    parts.push('No run grokked, so neither metric can be checked against a test-loss drop.');
  }
  const lowK = d.runs.filter((r) => r.concentration.blobs.finalBlobs.length > 0 && r.concentration.blobs.topFrequencies[0].k > o.K);
  if (lowK.length) {
    parts.push(
      `In ${lowK.length} of ${d.runs.length} runs the most common dominant frequency of the final specialised neurons is above K=${o.K}, where coarseness cannot see it.`,
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
      values.push({ run: runLabel(r), epoch: c.epoch, metric: 'specialization', mean: cell(meanIgnoringNaN(c.concentration)), grokEpoch: facts.grokEpoch });
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

/** The study for these runs of a store: loads each run through results.ts, then the pure core. */
export function computeStudy(store: Store, runIds: string[], opts: StudyOptions = {}): StudyAnswers {
  if (runIds.length === 0) throw badInput('the study needs at least one run');
  return computeStudyFromData(runIds.map((id) => loadStudyRun(store, id, opts)), opts);
}
