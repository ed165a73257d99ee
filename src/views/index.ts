/**
 * The catalog of named views: figure specs over run read models (views/model.ts), in report order.
 * Each view declares its family (the dashboard's tab), the analyzers whose results it reads and
 * whether it compares runs; the static report renders all of them (report/index.ts), the dashboard
 * shows a run's views by family and fetches each by name (server/api.ts), and `grokbench figure
 * NAME` writes one as SVG, PNG or CSV (cli/figure.ts). A new analyzer's figure appears in all three
 * by being registered here once. An unknown name is an error.
 */
import { NEURON_FOURIER } from '../analysis/analyzers/neuron-fourier.js';
import { isAnalysed } from './model.js';
import { referenceTable } from '../analysis/results.js';
import { badInput } from '../core/errors.js';
import type { Kernels } from '../engine/kernels.js';
import type { Store } from '../store/store.js';
import { animatedHistogram, histogramGrid } from './figures/distribution.js';
import { activationDmdFigures, globalCentroidPcaFigures } from './figures/centroid-dmd.js';
import { neuronGroupFigures, parameterDmdFigures } from './figures/neuron-groups.js';
import { freqGroupWeightGeometryFigures, intragroupManifoldFigures, neuronGroupPcaFigures } from './figures/neuron-group-pca.js';
import { dynamicsFigures } from './figures/dynamics.js';
import { embeddingFirstLast, embeddingSpectrum, referenceTableFigure } from './figures/embedding.js';
import { attentionFigure, curvatureFigure, effdimFigure, gradientFlowFigure, weightNormFigure } from './figures/further.js';
import { effdimCrossoverFigure, geometryFigure, inputTraceFigures, trajectoryFigures, viabilityFigures } from './figures/further-more.js';
import { pizzaClockFigures, restrictedLossFigures } from './figures/further-progress.js';
import { fourierNucleationFigures, fourierQualityFigures } from './figures/fourier-quality.js';
import { llcFigures } from './figures/llc.js';
import { reprGeometryFigures } from './figures/repr-geometry.js';
import { neuronWeightFourierFigures } from './figures/neuron-weight-fourier.js';
import { variantSummaryFigures } from './figures/variant-summary.js';
import { neuronHeatmaps } from './figures/neuron-heatmap.js';
import { earlyVsGrok } from './figures/predict.js';
import { countOverTime, meanOverlay, meanPanels, trainingCurves } from './figures/timeseries.js';
import type { Figure, RunData } from './types.js';
import { decorateTimeSeries } from './decorate.js';
import { grokWindows } from './figures/windows.js';

const isVegaLiteSpec = (spec: object): boolean => String((spec as { $schema?: unknown }).$schema ?? '').includes('vega-lite');

/** What a view is built from: the runs' read models, K of coarseness, the engine, and the store for the analyzers' stored results. */
export interface ViewContext { runs: RunData[]; K: number; kernels: () => Kernels; store: Store | null }

/** The dashboard's tabs, in order. */
export const VIEW_FAMILIES = ['training', 'neurons', 'frequencies', 'attention', 'gradient flow', 'landscape', 'dimensionality',
  'trajectory', 'input trace', 'geometry', 'neuron groups', 'viability', 'weights', 'progress measures', 'algorithm', 'comparison'] as const;
export type ViewFamily = (typeof VIEW_FAMILIES)[number];

export interface ViewEntry {
  name: string;
  family: ViewFamily;
  /** What it shows, in a few words (the catalog's listing). */
  title: string;
  /** The analyzers whose stored results it reads. */
  needs: readonly string[];
  /** It draws the run's per-epoch metrics (a run without any has nothing for it). */
  metrics?: true;
  /** 'runs': it compares several runs (nothing to add for one run). */
  scope: 'run' | 'runs';
  build: (c: ViewContext) => Figure[];
}

const METRICS = ['coarseness', 'specialization'] as const;
const each = (f: (runs: RunData[], m: (typeof METRICS)[number], K: number) => Figure | Figure[]) =>
  (c: ViewContext): Figure[] => METRICS.flatMap((m) => f(c.runs, m, c.K));
const stored = (f: (store: Store, runs: RunData[]) => Figure[]) => (c: ViewContext): Figure[] => (c.store ? f(c.store, c.runs) : []);
const NEURONS = ['neuron_fourier'];

/** Every named view, in report order; a name gives one or more figures. */
export const VIEWS: readonly ViewEntry[] = [
  { name: 'training-curves', family: 'training', title: 'train and test loss and accuracy', needs: [], metrics: true, scope: 'run', build: (c) => [trainingCurves(c.runs)] },
  { name: 'histogram-animated', family: 'neurons', title: 'distribution of coarseness over checkpoints (animated)', needs: NEURONS, scope: 'run', build: (c) => [animatedHistogram(c.runs, c.K)] },
  { name: 'histogram-grid', family: 'neurons', title: 'distributions of coarseness and specialization at chosen checkpoints', needs: NEURONS, scope: 'run', build: each(histogramGrid) },
  { name: 'variant-summary', family: 'training', title: 'MIScope\'s phase windows (first descent, plateau, cascade, second descent, final) on the loss curves, and the failure mode', needs: ['variant_summary'], metrics: true, scope: 'run', build: stored(variantSummaryFigures) },
  { name: 'mean', family: 'neurons', title: 'mean coarseness and specialization with percentile bands', needs: NEURONS, scope: 'run', build: each((runs, m, K) => [meanPanels(runs, m, K)]) },
  { name: 'mean-overlay', family: 'comparison', title: 'mean coarseness and specialization of every run, overlaid', needs: NEURONS, scope: 'runs', build: each((runs, m, K) => [meanOverlay(runs, m, K)]) },
  { name: 'neuron-heatmaps', family: 'neurons', title: 'every neuron over every checkpoint', needs: NEURONS, scope: 'run', build: each(neuronHeatmaps) },
  { name: 'early-vs-grok', family: 'comparison', title: 'early coarseness and specialization against grokking time', needs: NEURONS, scope: 'runs', build: each(earlyVsGrok) },
  { name: 'count-over-time', family: 'neurons', title: 'blob and specialised-neuron counts over training', needs: NEURONS, scope: 'run', build: each(countOverTime) },
  { name: 'dynamics', family: 'frequencies', title: 'per-frequency neuron counts, commitment timeline, transients', needs: NEURONS, scope: 'run', build: (c) => dynamicsFigures(c.runs) },
  { name: 'embedding-spectrum', family: 'frequencies', title: 'Fourier spectrum of the embeddings over training', needs: ['embedding_fourier'], scope: 'run', build: (c) => { const f = embeddingSpectrum(c.runs); return f ? [f] : []; } },
  { name: 'embedding-first-last', family: 'frequencies', title: 'embedding spectrum at the first and last checkpoint', needs: ['embedding_fourier'], scope: 'run', build: (c) => { const f = embeddingFirstLast(c.runs); return f ? [f] : []; } },
  {
    name: 'reference-tables', family: 'frequencies', title: 'the modular Fourier basis and its frequencies for each p', needs: [], scope: 'run',
    build: (c) => [...new Set(c.runs.map((r) => r.p))].sort((a, b) => a - b).map((p) => referenceTableFigure(p, referenceTable(p, 6, c.kernels()), c.K)),
  },
  { name: 'further-gradient-flow', family: 'gradient flow', title: 'gradient magnitude per site and per neuron', needs: ['gradient_flow'], scope: 'run', build: stored(gradientFlowFigure) },
  { name: 'further-curvature', family: 'landscape', title: 'flatness and the top Hessian eigenvalue', needs: ['curvature'], scope: 'run', build: stored(curvatureFigure) },
  { name: 'further-llc', family: 'landscape', title: 'local learning coefficient λ̂ (SGLD) over training and the chains\' loss traces', needs: ['llc'], scope: 'run', build: stored(llcFigures) },
  { name: 'further-effdim', family: 'dimensionality', title: 'participation ratios of the weight matrices', needs: ['effective_dimensionality'], scope: 'run', build: stored(effdimFigure) },
  { name: 'further-attention', family: 'attention', title: 'attention heads: specialization and attention to a', needs: ['attention'], scope: 'run', build: stored(attentionFigure) },
  { name: 'further-weight-norm', family: 'weights', title: 'norm of all parameters and of each weight matrix', needs: ['weight_norm'], scope: 'run', build: stored(weightNormFigure) },
  { name: 'further-trajectory', family: 'trajectory', title: 'parameter trajectory: PCA path, explained variance, velocity', needs: ['parameter_trajectory'], scope: 'run', build: stored(trajectoryFigures) },
  { name: 'further-effdim-crossover', family: 'dimensionality', title: 'PR(W_out) falls to PR(W_in): the crossover', needs: ['effective_dimensionality_crossover'], scope: 'run', build: stored(effdimCrossoverFigure) },
  { name: 'further-input-trace', family: 'input trace', title: 'accuracy per residue class and the pairs\' graduation epochs', needs: ['input_trace'], scope: 'run', build: stored(inputTraceFigures) },
  { name: 'further-geometry', family: 'geometry', title: 'class-centroid radius, circularity and Fisher discriminant', needs: ['representation_geometry'], scope: 'run', build: stored(geometryFigure) },
  { name: 'repr-geometry', family: 'geometry', title: 'MIScope repr_geometry at four sites: SNR, dimensionality, circularity, Fisher, PCA variance', needs: ['repr_geometry'], scope: 'run', build: stored(reprGeometryFigures) },
  { name: 'global-centroid-pca', family: 'geometry', title: 'class-centroid trajectories in one PCA frame across epochs, per site', needs: ['global_centroid_pca'], scope: 'run', build: stored(globalCentroidPcaFigures) },
  { name: 'activation-dmd', family: 'trajectory', title: 'windowed DMD of the centroid trajectories: eigenvalues on the unit circle, residual and regimes', needs: ['activation_dmd'], scope: 'run', build: stored(activationDmdFigures) },
  { name: 'neuron-weight-fourier', family: 'neurons', title: 'MIScope neuron_fourier: the neurons\' composed weights θ and ξ in Fourier space, power per frequency and phase alignment', needs: ['neuron_weight_fourier'], scope: 'run', build: stored(neuronWeightFourierFigures) },
  { name: 'neuron-groups', family: 'neuron groups', title: 'neuron groups over training: sizes, Fisher discriminant and dispersion', needs: ['neuron_grouping'], scope: 'run', build: stored(neuronGroupFigures) },
  { name: 'parameter-dmd', family: 'neuron groups', title: 'windowed DMD of each neuron group\'s W_in and W_out trajectory: eigenvalues, residual and regimes', needs: ['parameter_dmd'], scope: 'run', build: stored(parameterDmdFigures) },
  { name: 'neuron-group-pca', family: 'neuron groups', title: 'frequency groups in W_in: top-3 PCA variance share, spread, the last checkpoint\'s PC1 × PC2 and the centroid trajectories', needs: ['neuron_group_pca'], scope: 'run', build: stored(neuronGroupPcaFigures) },
  { name: 'freq-group-weight-geometry', family: 'neuron groups', title: 'frequency groups in W_in and W_out: SNR, spread, radius, circularity, Fisher and each group\'s PR₃', needs: ['freq_group_weight_geometry'], scope: 'run', build: stored(freqGroupWeightGeometryFigures) },
  { name: 'intragroup-manifold', family: 'neuron groups', title: 'quadratic surface fit per frequency group: R²_curvature and shape (flat/blob, bowl, saddle) over training', needs: ['intragroup_manifold'], scope: 'run', build: stored(intragroupManifoldFigures) },
  { name: 'further-fourier-quality', family: 'frequencies', title: 'R² of the ideal mod-p tensor on the embedding\'s dominant Fourier rows, and 2m/p (MIScope)', needs: ['fourier_frequency_quality'], scope: 'run', build: stored(fourierQualityFigures) },
  { name: 'further-fourier-nucleation', family: 'frequencies', title: 'Fourier nucleation: the neurons\' sharpened frequency energy at epoch 0 and over epochs (MIScope)', needs: ['fourier_nucleation'], scope: 'run', build: stored(fourierNucleationFigures) },
  { name: 'further-viability', family: 'viability', title: 'aliasing risk and condition number of the key frequencies', needs: ['embedding_fourier'], scope: 'run', build: stored(viabilityFigures) },
  { name: 'further-restricted-loss', family: 'progress measures', title: 'restricted and excluded loss at the run\'s key frequencies (Nanda et al. 2023)', needs: ['restricted_loss'], scope: 'run', build: stored(restrictedLossFigures) },
  { name: 'further-pizza-clock', family: 'algorithm', title: 'pizza or clock: gradient symmetricity and distance irrelevance (Zhong et al. 2023)', needs: ['pizza_clock'], scope: 'run', build: stored(pizzaClockFigures) },
];

/**
 * Whether a run has the analyzer's stored results, memoised per analyzer: for neuron_fourier an
 * analysed checkpoint with its artifact (the neuron views read the maps' summaries from it), for
 * the others any row.
 */
export function storedResults(store: Store, runId: string): (analyzer: string) => boolean {
  const known = new Map<string, boolean>();
  return (a) => {
    let v = known.get(a);
    if (v === undefined) {
      v = a === NEURON_FOURIER ? isAnalysed(store, runId) : store.countAnalyses(runId, a) > 0;
      known.set(a, v);
    }
    return v;
  };
}

/** Whether a run has what view v draws: every analyzer it reads has results, and metrics if it draws them. */
export function viewHasData(v: ViewEntry, has: (analyzer: string) => boolean, hasMetrics: boolean): boolean {
  return v.needs.every(has) && (!v.metrics || hasMetrics);
}

/** What a view needs, in words (for messages). */
export function viewNeeds(v: ViewEntry): string {
  return [...v.needs, ...(v.metrics ? ['metrics'] : [])].join(', ') || 'nothing';
}

/** The catalog entry of a view name; an unknown name is a bad input. */
export function viewEntry(name: string): ViewEntry {
  const v = VIEWS.find((x) => x.name === name);
  if (!v) throw badInput(`unknown view ${name} (known: ${VIEWS.map((x) => x.name).join(', ')})`);
  return v;
}

/**
 * The figures of the named views (all when `names` is omitted), in report order; an unknown name
 * is a bad input. Views that read stored analyzer results give nothing without a store.
 */
export function buildViews(runs: RunData[], K: number, kernels: () => Kernels, names?: readonly string[], store: Store | null = null): Figure[] {
  names?.forEach(viewEntry);
  const c: ViewContext = { runs, K, kernels, store };
  // Every time series gets zoom, tooltips and the checkpoint rule; a one-run figure its grokking windows.
  const windows = runs.length === 1 ? grokWindows(runs[0]) : null;
  return VIEWS.filter((v) => !names || names.includes(v.name)).flatMap((v) => v.build(c))
    .map((f) => (isVegaLiteSpec(f.spec) ? { ...f, spec: decorateTimeSeries(f.spec, windows) } : f));
}
