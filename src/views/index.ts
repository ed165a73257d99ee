/**
 * The named views: figure specs over run read models (views/model.ts), in report order. The static
 * report renders all of them (report/index.ts), the dashboard asks for some by name
 * (server/app.ts); both get the same specs from the same functions.
 */
import { referenceTable } from '../analysis/results.js';
import { badInput } from '../core/errors.js';
import type { Kernels } from '../engine/kernels.js';
import { animatedHistogram, histogramGrid } from './figures/distribution.js';
import { dynamicsFigures } from './figures/dynamics.js';
import { embeddingFirstLast, embeddingSpectrum, referenceTableFigure } from './figures/embedding.js';
import { neuronHeatmaps } from './figures/neuron-heatmap.js';
import { earlyVsGrok } from './figures/predict.js';
import { countOverTime, meanOverlay, meanPanels, trainingCurves } from './figures/timeseries.js';
import type { Figure, RunData } from './types.js';

type Build = (runs: RunData[], K: number, kernels: () => Kernels) => Figure[];
const METRICS = ['coarseness', 'specialization'] as const;
const each = (f: (runs: RunData[], m: (typeof METRICS)[number], K: number) => Figure | Figure[]): Build =>
  (runs, K) => METRICS.flatMap((m) => f(runs, m, K));

/** Every named view, in report order; a name gives one or more figures. */
export const VIEWS: { name: string; build: Build }[] = [
  { name: 'training-curves', build: (runs) => [trainingCurves(runs)] },
  { name: 'histogram-animated', build: (runs, K) => [animatedHistogram(runs, K)] },
  { name: 'histogram-grid', build: each(histogramGrid) },
  { name: 'mean', build: each((runs, m, K) => [meanPanels(runs, m, K), meanOverlay(runs, m, K)]) },
  { name: 'neuron-heatmaps', build: each(neuronHeatmaps) },
  { name: 'early-vs-grok', build: each(earlyVsGrok) },
  { name: 'count-over-time', build: each(countOverTime) },
  { name: 'dynamics', build: (runs) => dynamicsFigures(runs) },
  { name: 'embedding-spectrum', build: (runs) => { const f = embeddingSpectrum(runs); return f ? [f] : []; } },
  { name: 'embedding-first-last', build: (runs) => { const f = embeddingFirstLast(runs); return f ? [f] : []; } },
  {
    name: 'reference-tables',
    build: (runs, K, kernels) => [...new Set(runs.map((r) => r.p))].sort((a, b) => a - b)
      .map((p) => referenceTableFigure(p, referenceTable(p, 6, kernels()), K)),
  },
];

/** The figures of the named views (all when `names` is omitted), in report order; an unknown name is a bad input. */
export function buildViews(runs: RunData[], K: number, kernels: () => Kernels, names?: readonly string[]): Figure[] {
  const unknown = (names ?? []).filter((n) => !VIEWS.some((v) => v.name === n));
  if (unknown.length > 0) throw badInput(`unknown view ${unknown.join(', ')} (known: ${VIEWS.map((v) => v.name).join(', ')})`);
  return VIEWS.filter((v) => !names || names.includes(v.name)).flatMap((v) => v.build(runs, K, kernels));
}
