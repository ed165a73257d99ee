/**
 * Seed analysis 1: the distribution of per-neuron coarseness (and frequency specialization) over
 * training, as 20-bin histograms (flat neurons left out): one animated figure (slider + play button
 * in the HTML, metric switch) and static small multiples at the seed's epochs.
 */
import type { Figure, RunData } from '../types.js';
import {
  SEED_EPOCHS, SHOWN_FILTER, VL_CONFIG, VL_SCHEMA, atOrBefore, metricTitle, nearestIndex, runColour, runLabels,
  shownParam, statsOf, type MetricName,
} from './common.js';

const BINS = 20;

/** The union of all runs' analysed epochs: the animation's frames. */
export function frameEpochs(runs: RunData[]): number[] {
  const s = new Set<number>();
  for (const r of runs) for (const e of r.epochs) s.add(e);
  return [...s].sort((a, b) => a - b);
}

export function animatedHistogram(runs: RunData[], K: number): Figure {
  const frames = frameEpochs(runs);
  const values: Record<string, unknown>[] = [];
  const rows: Figure['table']['rows'] = [];
  for (const m of ['coarseness', 'specialization'] as MetricName[]) {
    for (const r of runs) {
      const st = statsOf(r, m);
      frames.forEach((fe, g) => {
        const i = atOrBefore(r.epochs, fe);
        values.push({ run: r.label, m, g, e: r.epochs[i], f: st[i].flat, n: st[i].histogram });
        rows.push([r.label, r.runId, m, g, fe, r.epochs[i], st[i].flat, ...st[i].histogram]);
      });
    }
  }
  const last = frames.length - 1;
  const make = (ei: number, interactive: boolean): object => ({
    $schema: VL_SCHEMA,
    config: VL_CONFIG,
    title: {
      text: { expr: `'Distribution of neuron ' + (metric == 'coarseness' ? 'coarseness (K=${K})' : 'frequency specialization') + ' at checkpoint ' + ei + ' of ${last}: epoch ' + frames[ei]` },
      subtitle: '20 bins on [0, 1], flat neurons left out; each panel shows its run at the latest checkpoint at or before the frame epoch',
    },
    data: { values },
    params: [
      { name: 'ei', value: ei, ...(interactive ? { bind: { input: 'range', min: 0, max: last, step: 1, name: 'checkpoint ' } } : {}) },
      { name: 'metric', value: 'coarseness', ...(interactive ? { bind: { input: 'radio', options: ['coarseness', 'specialization'], name: 'metric ' } } : {}) },
      { name: 'frames', value: frames },
      shownParam(runs),
    ],
    transform: [
      { filter: 'datum.g == ei && datum.m == metric' },
      SHOWN_FILTER,
      { flatten: ['n'], as: ['count'] },
      { window: [{ op: 'row_number', as: 'bin' }], groupby: ['run'] },
      { calculate: '(datum.bin - 1) / 20', as: 'lo' },
      { calculate: 'datum.bin / 20', as: 'hi' },
      { calculate: "'epoch ' + datum.e + (datum.f > 0 ? ' · ' + datum.f + ' flat' : '')", as: 'note' },
    ],
    facet: { field: 'run', type: 'nominal', title: null, sort: runLabels(runs) },
    columns: Math.min(4, runs.length),
    spec: {
      width: 220,
      height: 130,
      layer: [
        {
          mark: { type: 'bar', binSpacing: 0, stroke: 'white', strokeWidth: 0.5 },
          encoding: {
            x: { field: 'lo', type: 'quantitative', bin: { binned: true, step: 0.05 }, scale: { domain: [0, 1] }, title: 'value (bin)', axis: { tickCount: 5 } },
            x2: { field: 'hi' },
            y: { field: 'count', type: 'quantitative', title: 'neurons', scale: { domain: { expr: 'metric == "coarseness" ? [0, maxC] : [0, maxF]' } } },
            color: runColour(runs, { legend: null }),
            tooltip: [
              { field: 'run' }, { field: 'e', title: 'epoch' }, { field: 'lo', title: 'from', format: '.2f' },
              { field: 'hi', title: 'to', format: '.2f' }, { field: 'count', title: 'neurons' },
            ],
          },
        },
        {
          transform: [{ filter: 'datum.bin == 1' }],
          mark: { type: 'text', align: 'right', baseline: 'top', x: 'width', y: 2, dx: -4, fontSize: 10, color: '#333' },
          encoding: { text: { field: 'note' } },
        },
      ],
    },
  });
  // Fixed y ranges per metric so that the bars do not jump between frames.
  let maxC = 1, maxF = 1;
  for (const r of runs) {
    for (const s of r.coarseStats) maxC = Math.max(maxC, ...s.histogram);
    for (const s of r.specStats) maxF = Math.max(maxF, ...s.histogram);
  }
  const withMax = (spec: object): object => {
    const s = spec as { params: object[] };
    s.params.push({ name: 'maxC', value: maxC }, { name: 'maxF', value: maxF });
    return s;
  };
  return {
    name: 'coarseness-histogram-animated',
    section: 'distribution',
    title: 'Coarseness distribution over time (animated)',
    caption:
      `Histogram of per-neuron ${metricTitle('coarseness', K)} in 20 bins, one panel per run (CSV: one row per run, metric and frame, one column per bin); move the checkpoint slider or press play ` +
      'to watch it change over training; switch the metric to frequency specialization. The image files show the last checkpoint. ' +
      'Expected (seed): grokking runs shift right around grokking; a non-grokking run stays below 0.5.',
    spec: withMax(make(0, true)),
    staticSpec: withMax(make(last, false)),
    table: {
      columns: ['run', 'run_id', 'metric', 'frame', 'frame_epoch', 'epoch', 'flat_neurons', ...Array.from({ length: BINS }, (_, b) => `bin_${(b / BINS).toFixed(2)}_${((b + 1) / BINS).toFixed(2)}`)],
      rows,
    },
  };
}

/** The seed's epochs present in the runs (≤ the longest run's last checkpoint), plus "last" if the seed list stops short. */
export function gridColumns(runs: RunData[]): { label: string; target: number | 'last' }[] {
  const maxLast = Math.max(...runs.map((r) => r.epochs[r.epochs.length - 1] ?? 0));
  const cols: { label: string; target: number | 'last' }[] = SEED_EPOCHS.filter((e) => e <= maxLast).map((e) => ({ label: `epoch ${e}`, target: e }));
  const lastSeed = SEED_EPOCHS.filter((e) => e <= maxLast).pop() ?? -1;
  if (runs.some((r) => (r.epochs[r.epochs.length - 1] ?? -1) > lastSeed)) cols.push({ label: 'last checkpoint', target: 'last' });
  return cols;
}

export function histogramGrid(runs: RunData[], metric: MetricName, K: number): Figure {
  const cols = gridColumns(runs);
  const values: Record<string, unknown>[] = [];
  const rows: Figure['table']['rows'] = [];
  for (const r of runs) {
    const st = statsOf(r, metric);
    const lastE = r.epochs[r.epochs.length - 1];
    cols.forEach((c, ci) => {
      if (c.target !== 'last' && c.target > lastE + (r.epochs.length > 1 ? (lastE - r.epochs[0]) / (r.epochs.length - 1) : 0) / 2) return; // not reached
      const i = c.target === 'last' ? r.epochs.length - 1 : nearestIndex(r.epochs, c.target);
      const e = r.epochs[i];
      const note = c.target === 'last' || e === c.target ? `epoch ${e}` : `nearest checkpoint: ${e}`;
      st[i].histogram.forEach((count, b) => {
        values.push({ run: r.label, col: c.label, ci, e, note, lo: b / BINS, hi: (b + 1) / BINS, count, flat: st[i].flat });
        rows.push([r.label, r.runId, c.label, c.target === 'last' ? null : c.target, e, b / BINS, (b + 1) / BINS, count, st[i].flat]);
      });
    });
  }
  const spec = {
    $schema: VL_SCHEMA,
    config: { ...VL_CONFIG, facet: { spacing: 6 } },
    title: {
      text: `Distribution of neuron ${metricTitle(metric, K)} at the seed's epochs`,
      subtitle: 'rows: runs; columns: epochs (nearest checkpoint where the exact epoch was not saved); 20 bins, flat neurons left out',
    },
    data: { values },
    params: [shownParam(runs)],
    transform: [SHOWN_FILTER],
    facet: {
      row: { field: 'run', type: 'nominal', title: null, sort: runLabels(runs), header: { labelAngle: 0, labelAlign: 'left', labelFontSize: 10 } },
      column: { field: 'col', type: 'nominal', title: null, sort: cols.map((c) => c.label) },
    },
    spec: {
      width: 105,
      height: 60,
      layer: [
        {
          mark: { type: 'bar', binSpacing: 0 },
          encoding: {
            x: { field: 'lo', type: 'quantitative', bin: { binned: true, step: 0.05 }, scale: { domain: [0, 1] }, title: metric, axis: { values: [0, 0.5, 1] } },
            x2: { field: 'hi' },
            y: { field: 'count', type: 'quantitative', title: 'neurons', axis: { tickCount: 3 } },
            color: runColour(runs, { legend: null }),
            tooltip: [{ field: 'run' }, { field: 'e', title: 'epoch' }, { field: 'lo', title: 'from' }, { field: 'hi', title: 'to' }, { field: 'count', title: 'neurons' }, { field: 'flat', title: 'flat neurons' }],
          },
        },
        {
          transform: [{ filter: 'datum.lo == 0 && datum.note != "epoch " + datum.e' }],
          mark: { type: 'text', align: 'right', baseline: 'top', x: 'width', y: 1, dx: -2, fontSize: 8, color: '#a33' },
          encoding: { text: { field: 'note' } },
        },
      ],
    },
  };
  return {
    name: `${metric}-histogram-grid`,
    section: 'distribution',
    title: `${metric === 'coarseness' ? 'Coarseness' : 'Frequency specialization'} distribution: small multiples`,
    caption:
      `Histograms of neuron ${metricTitle(metric, K)} (20 bins on [0, 1]) for each run (rows) at epochs ${SEED_EPOCHS.join(', ')} ` +
      '(those reached; a red note marks a nearest checkpoint used in place of a missing epoch).',
    spec,
    table: { columns: ['run', 'run_id', 'column', 'epoch_requested', 'epoch', 'bin_lo', 'bin_hi', 'count', 'flat_neurons'], rows },
  };
}
