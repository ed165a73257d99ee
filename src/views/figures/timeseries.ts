/**
 * Figures over training time: mean coarseness with its spread and the test loss (seed analysis 2),
 * the overlay of all runs, the high-value neuron counts (analysis 5) and the training curves.
 */
import type { Figure, RunData } from '../types.js';
import {
  SHOWN_FILTER, THRESHOLDS, VL_CONFIG, VL_SCHEMA, decimateMetrics, metricTitle, num, runColour, shownParam, sig, statsOf,
  type MetricName,
} from './common.js';
import { grokWindows, windowLayer } from './windows.js';

const SERIES = ['mean', 'median', 'p25', 'p75', 'mean ± 1 std', 'test loss', 'memorised', 'grokked'];
const SERIES_COLOURS = ['#1f4e99', '#1f4e99', '#6a8fcf', '#6a8fcf', '#9db9e8', '#888888', '#e8871e', '#2a9d3a'];
const seriesColour = {
  field: 'series', type: 'nominal', title: null, scale: { domain: SERIES, range: SERIES_COLOURS },
  legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1, orient: 'top', direction: 'horizontal' },
};

/** The top of a [0, top] axis over values in [0, 1]: the largest value rounded up to a tenth (0.1 at least, 1 at most). */
export function fittedTop(values: (number | null)[]): number {
  let mx = 0;
  for (const v of values) if (v !== null && Number.isFinite(v) && v > mx) mx = v;
  return Math.min(1, Math.max(0.1, Math.ceil(mx * 10 - 1e-9) / 10));
}

/** Powers of ten spanning the positive values (log-axis ticks without clutter). */
export function decades(values: number[]): number[] {
  const pos = values.filter((v) => v > 0 && Number.isFinite(v));
  if (pos.length === 0) return [1];
  const lo = Math.floor(Math.log10(Math.min(...pos))), hi = Math.ceil(Math.log10(Math.max(...pos)));
  const out: number[] = [];
  for (let e = lo; e <= hi; e++) out.push(10 ** e);
  return out;
}

function plotMetrics(r: RunData) {
  return decimateMetrics(r.metrics, 800, [r.grok.memorise_epoch, r.grok.grok_epoch]);
}

/** Per-run panels: mean ± std band, p25/median/p75, test loss on a log right axis, memorisation and grokking rules. */
export function meanPanels(runs: RunData[], metric: MetricName, K: number): Figure {
  const stats: Record<string, unknown>[] = [];
  const loss: Record<string, unknown>[] = [];
  const events: Record<string, unknown>[] = [];
  const rows: Figure['table']['rows'] = [];
  for (const r of runs) {
    const st = statsOf(r, metric);
    const testLoss = new Map(r.metrics.map((m) => [m.epoch, m.test_loss]));
    r.epochs.forEach((e, i) => {
      const s = st[i];
      const lo = s.mean === null || s.std === null ? null : Math.max(0, s.mean - s.std);
      const hi = s.mean === null || s.std === null ? null : Math.min(1, s.mean + s.std);
      stats.push({ run: r.label, epoch: e, mean: sig(s.mean), median: sig(s.median), p25: sig(s.p25), p75: sig(s.p75), lo: sig(lo), hi: sig(hi), std: sig(s.std) });
      rows.push([r.label, r.runId, e, s.mean, s.std, s.median, s.p25, s.p75, s.min, s.max, s.flat, num(testLoss.get(e))]);
    });
    for (const m of plotMetrics(r)) if (m.test_loss !== null && m.test_loss > 0) loss.push({ run: r.label, epoch: m.epoch, test_loss: sig(m.test_loss) });
    if (r.grok.memorise_epoch !== null) events.push({ run: r.label, epoch: r.grok.memorise_epoch, series: 'memorised' });
    if (r.grok.grok_epoch !== null) events.push({ run: r.label, epoch: r.grok.grok_epoch, series: 'grokked' });
  }
  const unit = (r: RunData) => {
    const only = { filter: `datum.run == ${JSON.stringify(r.label)} && indexof(shown, datum.run) >= 0` };
    const x = { field: 'epoch', type: 'quantitative', title: 'epoch', scale: { domain: [0, Math.max(r.maxEpoch, r.epochs[r.epochs.length - 1] ?? 0)] } };
    // The axis fitted to the run's values (coarseness often stays below 0.2), in steps of 0.1, at most 1.
    const y01 = { type: 'quantitative', scale: { domain: [0, fittedTop(statsOf(r, metric).flatMap((x) => [x.p75, x.mean === null || x.std === null ? null : x.mean + x.std]))] } };
    return {
      title: { text: r.label, subtitle: `${r.runId} · memorised ${r.grok.memorise_epoch ?? 'never'} · grokked ${r.grok.grok_epoch ?? 'never'}` },
      width: 340,
      height: 170,
      layer: [
        {
          data: { name: 'stats' }, transform: [only, { calculate: "'mean ± 1 std'", as: 'series' }],
          mark: { type: 'area', opacity: 0.35 },
          encoding: { x, y: { ...y01, field: 'lo', title: metricTitle(metric, K) }, y2: { field: 'hi' }, color: seriesColour },
        },
        {
          data: { name: 'stats' }, transform: [only, { fold: ['median', 'p25', 'p75'], as: ['series', 'value'] }],
          mark: { type: 'line', strokeWidth: 1.2, strokeDash: [4, 2] },
          encoding: {
            x, y: { ...y01, field: 'value', axis: null }, detail: { field: 'series' },
            color: seriesColour,
            tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'series' }, { field: 'value', format: '.4f' }],
          },
        },
        {
          data: { name: 'stats' }, transform: [only, { calculate: "'mean'", as: 'series' }],
          mark: { type: 'line', strokeWidth: 2 },
          encoding: {
            x, y: { ...y01, field: 'mean', axis: null },
            color: seriesColour,
            tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'mean', format: '.4f' }, { field: 'std', format: '.4f' }],
          },
        },
        {
          data: { name: 'loss' }, transform: [only, { calculate: "'test loss'", as: 'series' }],
          mark: { type: 'line', strokeWidth: 1, opacity: 0.8 },
          encoding: {
            x, y: { field: 'test_loss', type: 'quantitative', scale: { type: 'log' }, title: 'test loss (log)', axis: { orient: 'right', grid: false, format: '.0e', values: decades(loss.filter((l) => l.run === r.label).map((l) => l.test_loss as number)) } },
            color: seriesColour,
            tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'test_loss', title: 'test loss', format: '.3e' }],
          },
        },
        {
          data: { name: 'events' }, transform: [only],
          mark: { type: 'rule', strokeWidth: 1.5, strokeDash: [4, 3] },
          encoding: { x, color: seriesColour, tooltip: [{ field: 'run' }, { field: 'series', title: 'event' }, { field: 'epoch' }] },
        },
      ],
      resolve: { scale: { y: 'independent' } },
    };
  };
  const spec = {
    $schema: VL_SCHEMA,
    config: VL_CONFIG,
    title: {
      text: `Mean neuron ${metricTitle(metric, K)} vs epoch, with test loss`,
      subtitle: 'band: mean ± 1 std (clipped to [0, 1]); dashed: p25 / median / p75; grey: test loss on the log axis at right; rules: memorisation and grokking epochs',
    },
    datasets: { stats, loss, events },
    params: [shownParam(runs)],
    concat: runs.map(unit),
    columns: runs.length > 1 ? 2 : 1,
  };
  return {
    name: `mean-${metric}`,
    section: 'mean',
    title: `Mean ${metric} vs epoch (one panel per run)`,
    caption:
      `Mean ${metricTitle(metric, K)} over non-flat neurons at every checkpoint, with a ±1 std band and the 25th/50th/75th percentiles; ` +
      'the test loss (log scale, right axis) shows when the model grokked; dashed rules mark the memorisation (train acc ≥ 0.99) ' +
      'and grokking (test loss < 0.01) epochs.',
    spec,
    table: { columns: ['run', 'run_id', 'epoch', 'mean', 'std', 'median', 'p25', 'p75', 'min', 'max', 'flat_neurons', 'test_loss'], rows },
  };
}

/** All runs' mean over epochs in one chart, grokking epochs marked; click the legend to highlight runs. */
export function meanOverlay(runs: RunData[], metric: MetricName, K: number): Figure {
  const values: Record<string, unknown>[] = [];
  const marks: Record<string, unknown>[] = [];
  const rows: Figure['table']['rows'] = [];
  for (const r of runs) {
    const st = statsOf(r, metric);
    r.epochs.forEach((e, i) => {
      values.push({ run: r.label, epoch: e, mean: sig(st[i].mean) });
      rows.push([r.label, r.runId, e, st[i].mean, r.grok.grok_epoch]);
    });
    if (r.grok.grok_epoch !== null) {
      // The mean at the last checkpoint at or before grokking.
      let i = 0;
      r.epochs.forEach((e, j) => { if (e <= r.grok.grok_epoch!) i = j; });
      marks.push({ run: r.label, epoch: r.grok.grok_epoch, mean: sig(st[i]?.mean ?? null) });
    }
  }
  const pick = { name: 'pick', select: { type: 'point', fields: ['run'] }, bind: 'legend' };
  const opacity = { condition: { param: 'pick', value: 1 }, value: 0.15 };
  const spec = {
    $schema: VL_SCHEMA,
    config: VL_CONFIG,
    title: { text: `Mean neuron ${metricTitle(metric, K)}: all runs`, subtitle: 'diamonds: grokking epoch (test loss < 0.01); click a legend entry to highlight a run' },
    datasets: { values, marks },
    params: [shownParam(runs)],
    width: 620,
    height: 300,
    layer: [
      {
        data: { name: 'values' }, transform: [SHOWN_FILTER],
        params: [pick],
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative' },
          y: { field: 'mean', type: 'quantitative', title: `mean ${metric}`, scale: { domain: [0, fittedTop(values.map((v) => v.mean as number | null))] } },
          color: runColour(runs), opacity,
          tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'mean', format: '.4f' }],
        },
      },
      {
        data: { name: 'marks' }, transform: [SHOWN_FILTER],
        mark: { type: 'point', shape: 'diamond', filled: true, size: 90, stroke: 'black', strokeWidth: 0.8 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative' }, y: { field: 'mean', type: 'quantitative' },
          color: runColour(runs, { legend: null }),
          tooltip: [{ field: 'run' }, { field: 'epoch', title: 'grokking epoch' }, { field: 'mean', format: '.4f' }],
        },
      },
    ],
  };
  return {
    name: `mean-${metric}-overlay`,
    section: 'mean',
    title: `Mean ${metric} vs epoch (all runs)`,
    caption: `Mean neuron ${metricTitle(metric, K)} of every run on one axis; diamonds mark each run's grokking epoch.`,
    spec,
    table: { columns: ['run', 'run_id', 'epoch', 'mean', 'grok_epoch'], rows },
  };
}

/** Seed analysis 5: neurons above 0.6 / 0.7 / 0.8 (strict >) over epochs. */
export function countOverTime(runs: RunData[], metric: MetricName, K: number): Figure {
  const values: Record<string, unknown>[] = [];
  const rows: Figure['table']['rows'] = [];
  for (const r of runs) {
    const st = statsOf(r, metric);
    r.epochs.forEach((e, i) => {
      const c = THRESHOLDS.map((t) => st[i].above[String(t)] ?? null);
      THRESHOLDS.forEach((t, j) => values.push({ run: r.label, epoch: e, t: `> ${t}`, count: c[j] }));
      rows.push([r.label, r.runId, e, ...c, r.dMlp - st[i].flat, st[i].flat]);
    });
  }
  const pick = { name: 'pick', select: { type: 'point', fields: ['run'] }, bind: 'legend' };
  const spec = {
    $schema: VL_SCHEMA,
    config: VL_CONFIG,
    title: {
      text: `Neurons with ${metricTitle(metric, K)} above a threshold`,
      subtitle: 'counts of non-flat neurons strictly above 0.6, 0.7 and 0.8 (the seed\'s num_blob_neurons); click the legend to highlight a run',
    },
    data: { values },
    params: [shownParam(runs)],
    transform: [SHOWN_FILTER],
    facet: { column: { field: 't', type: 'nominal', title: `${metric} threshold`, sort: THRESHOLDS.map((t) => `> ${t}`) } },
    spec: {
      width: 260,
      height: 200,
      params: [pick],
      mark: { type: 'line', strokeWidth: 1.6 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative' },
        y: { field: 'count', type: 'quantitative', title: 'neurons' },
        color: runColour(runs),
        opacity: { condition: { param: 'pick', value: 1 }, value: 0.15 },
        tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 't', title: 'threshold' }, { field: 'count', title: 'neurons' }],
      },
    },
  };
  return {
    name: `${metric}-count-over-time`,
    section: 'count',
    title: `High-${metric} neuron count over time`,
    caption:
      `Number of neurons whose ${metricTitle(metric, K)} is strictly above 0.6, 0.7 and 0.8 at each checkpoint (flat neurons never count). ` +
      'Expected (seed): grokking runs gain such neurons, sharply around grokking; a non-grokking run stays near zero.',
    spec,
    table: { columns: ['run', 'run_id', 'epoch', 'count_gt_0.6', 'count_gt_0.7', 'count_gt_0.8', 'non_flat_neurons', 'flat_neurons'], rows },
  };
}

/** Train/test loss (log) and accuracy per run. */
export function trainingCurves(runs: RunData[]): Figure {
  const values: Record<string, unknown>[] = [];
  const rows: Figure['table']['rows'] = [];
  for (const r of runs) {
    for (const m of plotMetrics(r)) {
      rows.push([r.label, r.runId, m.epoch, num(m.train_loss), num(m.train_acc), num(m.test_loss), num(m.test_acc)]);
      values.push({ run: r.label, epoch: m.epoch, split: 'train', loss: sig(num(m.train_loss)), acc: sig(num(m.train_acc)) });
      if (m.test_loss !== null || m.test_acc !== null) values.push({ run: r.label, epoch: m.epoch, split: 'test', loss: sig(num(m.test_loss)), acc: sig(num(m.test_acc)) });
    }
  }
  const splitColour = { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'test'], range: ['#4e79a7', '#e15759'] } };
  const unit = (r: RunData) => {
    const only = { filter: `datum.run == ${JSON.stringify(r.label)} && indexof(shown, datum.run) >= 0` };
    const x = { field: 'epoch', type: 'quantitative', title: 'epoch' };
    const tooltip = [{ field: 'run' }, { field: 'epoch' }, { field: 'split' }, { field: 'loss', format: '.3e' }, { field: 'acc', format: '.4f' }];
    const rules = [
      ...(r.grok.memorise_epoch !== null ? [{ run: r.label, epoch: r.grok.memorise_epoch, what: 'memorised' }] : []),
      ...(r.grok.grok_epoch !== null ? [{ run: r.label, epoch: r.grok.grok_epoch, what: 'grokked' }] : []),
    ];
    const ruleLayer = { data: { values: rules }, transform: [SHOWN_FILTER], mark: { type: 'rule', strokeDash: [4, 3], color: '#999' }, encoding: { x: { field: 'epoch', type: 'quantitative' }, tooltip: [{ field: 'what' }, { field: 'epoch' }] } };
    const windows = grokWindows(r);
    const under = windows.length ? [windowLayer(windows, [SHOWN_FILTER])] : [];
    return {
      title: { text: r.label, subtitle: `memorised ${r.grok.memorise_epoch ?? 'never'} · grokked ${r.grok.grok_epoch ?? 'never'} (test loss < 0.01)` },
      vconcat: [
        {
          width: 300, height: 130,
          layer: [
            ...under,
            { data: { name: 'curves' }, transform: [only, { filter: 'datum.loss > 0' }], mark: { type: 'line', strokeWidth: 1.2 },
              encoding: { x: { ...x, axis: { title: null, labels: false } }, y: { field: 'loss', type: 'quantitative', scale: { type: 'log' }, title: 'loss (log)', axis: { format: '.0e', values: decades(values.filter((v) => v.run === r.label).map((v) => v.loss as number)) } }, color: splitColour, tooltip } },
            ...(rules.length ? [ruleLayer] : []),
          ],
        },
        {
          width: 300, height: 90,
          layer: [
            ...under,
            { data: { name: 'curves' }, transform: [only, { filter: 'isValid(datum.acc)' }], mark: { type: 'line', strokeWidth: 1.2 },
              encoding: { x, y: { field: 'acc', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } }, color: splitColour, tooltip } },
            ...(rules.length ? [ruleLayer] : []),
          ],
        },
      ],
      spacing: 4,
    };
  };
  const spec = {
    $schema: VL_SCHEMA,
    config: VL_CONFIG,
    title: { text: 'Training curves', subtitle: 'train and test loss (log scale) and accuracy; shaded: memorisation, plateau, second descent, clean-up to test loss ≤ 1e-6; dashed rules: memorisation and grokking epochs' },
    datasets: { curves: values },
    params: [shownParam(runs)],
    concat: runs.map(unit),
    columns: Math.min(3, runs.length),
  };
  return {
    name: 'training-curves',
    section: 'training',
    title: 'Training curves',
    caption: 'Train and test loss (log scale) and accuracy per run, full-batch epochs, over the grokking windows (memorisation: to train accuracy ≥ 0.99; plateau: to the second-descent onset; second descent: to test loss < 0.01; clean-up: to test loss ≤ 1e-6) (long runs are thinned to about 800 points for plotting; the CSV holds the plotted rows).',
    spec,
    table: { columns: ['run', 'run_id', 'epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc'], rows },
  };
}
