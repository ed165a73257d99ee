/** Shared pieces of the figure specifications: config, run colours, rounding, epoch look-ups. */
import type { MetricRow } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { VL_CONFIG, VL_SCHEMA } from '../style/vega.js';

export { FONT, VEGA_CONFIG, VEGA_SCHEMA, VL_CONFIG, VL_SCHEMA } from '../style/vega.js';

/** A table cell of a figure's data. */
export type Cell = string | number | null;

/** A figure of the report's training section: its Vega-Lite spec with the shared schema and config, and its data. */
export function trainingFigure(name: string, title: string, caption: string, spec: object, columns: string[], rows: Cell[][]): Figure {
  return { name, section: 'training', title, caption, spec: { $schema: VL_SCHEMA, config: VL_CONFIG, ...spec }, table: { columns, rows } };
}

/** The header of a facet's rows: the label above its panel, at the left, bold. */
export const ROW_HEADER = { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold' };

/** Tableau 10, then Tableau 20's lighter tones. */
const RUN_PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#a0cbe8', '#ffbe7d', '#ff9d9a', '#86bcb6', '#8cd17d', '#f1ce63', '#d4a6c8', '#fabfd2', '#d7b5a6', '#79706e',
];

export function runLabels(runs: RunData[]): string[] {
  return runs.map((r) => r.label);
}

/** Each run's colour, by position. */
export function runPalette(runs: RunData[]): string[] {
  return runs.map((_, i) => RUN_PALETTE[i % RUN_PALETTE.length]);
}

/** Colour encoding by run, the same colours in every figure. */
export function runColour(runs: RunData[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const domain = runLabels(runs);
  return {
    field: 'run', type: 'nominal', title: 'run',
    scale: { domain, range: domain.map((_, i) => RUN_PALETTE[i % RUN_PALETTE.length]) },
    ...extra,
  };
}

/** The parameter the HTML's run check boxes set: the labels of the runs shown. */
export function shownParam(runs: RunData[]): Record<string, unknown> {
  return { name: 'shown', value: runLabels(runs) };
}
export const SHOWN_FILTER = { filter: 'indexof(shown, datum.run) >= 0' };

/** A number rounded to `digits` significant digits (for data inlined in the HTML); null stays null. */
export function sig(x: number | null | undefined, digits = 4): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  if (x === 0) return 0;
  return Number(x.toPrecision(digits));
}

export { nearestIndex } from '../../math/stats.js';

/** Index of the latest analysed epoch at or before `target` (the first if none). */
export function atOrBefore(epochs: readonly number[], target: number): number {
  let j = 0;
  for (let i = 0; i < epochs.length; i++) if (epochs[i] <= target) j = i;
  return j;
}

/**
 * At most about `maxPoints` metric rows for plotting: every `stride`-th epoch, plus the first and
 * last and the epochs in `keep` (memorisation, grokking). Train loss and accuracy are per epoch.
 */
export function decimateMetrics(metrics: MetricRow[], maxPoints = 1200, keep: (number | null)[] = []): MetricRow[] {
  if (metrics.length <= maxPoints) return metrics;
  const stride = Math.ceil(metrics.length / maxPoints);
  const want = new Set(keep.filter((e): e is number => e !== null));
  return metrics.filter((m, i) => i % stride === 0 || i === metrics.length - 1 || want.has(m.epoch));
}

/** Metric row value as a plottable number (null for NaN / missing). */
export function num(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

/** The two per-neuron metrics every figure shows. */
export type MetricName = 'coarseness' | 'specialization';

export function metricTitle(m: MetricName, K: number): string {
  return m === 'coarseness' ? `coarseness (K=${K})` : 'frequency specialization (max_k frac_k)';
}

export function statsOf(r: RunData, m: MetricName) {
  return m === 'coarseness' ? r.coarseStats : r.specStats;
}

export function valuesOf(r: RunData, m: MetricName): Float32Array {
  return m === 'coarseness' ? r.coarseness : r.specialization;
}

export const THRESHOLDS = [0.6, 0.7, 0.8] as const;

/** The seed's epochs for the small multiples. */
export const SEED_EPOCHS = [0, 500, 1000, 2000, 5000, 10000, 15000, 20000, 25000];
