/**
 * More figures of the further analyzers (issue 14), read from stored results (summaries, artifacts):
 *   further-trajectory             2-D parameter path (PC1, PC2) per run and group, coloured by epoch
 *                                  (table: PC1–PC3 of every checkpoint, the 3-D path)
 *   further-trajectory-variance    explained variance ratio of PC1–PC10 per group
 *   further-trajectory-velocity    ‖θ_{i+1} − θ_i‖/Δepoch over epochs per group
 *   further-effdim-crossover       PR(W_in) and PR(W_out) with the crossover epoch and the grokking epoch
 *   further-input-trace-classes    test accuracy per residue class c = (a + b) mod p over epochs
 *   further-input-trace-graduation histogram of the pairs' graduation epochs (train and test pairs)
 *   further-geometry               class-centroid radius, circularity and Fisher discriminant over epochs
 *   further-viability-aliasing     aliasing risk of the run's key frequencies with MIScope's thresholds
 *   further-viability-condition    condition number of each key frequency on the run's training split
 */
import { EFFDIM_CROSSOVER, type EffdimCrossover } from '../../analysis/analyzers/effdim-crossover.js';
import type { EffdimSummary } from '../../analysis/analyzers/effective-dimensionality.js';
import { INPUT_TRACE } from '../../analysis/analyzers/input-trace.js';
import { readParameterTrajectory } from '../../analysis/analyzers/parameter-trajectory.js';
import { REPRESENTATION_GEOMETRY, type SiteGeometrySummary } from '../../analysis/analyzers/representation-geometry.js';
import { graduationEpochs } from '../../analysis/library/input-trace.js';
import { TRAJECTORY_GROUPS } from '../../analysis/library/parameter-trajectory.js';
import { ALIAS_FAILURE_THRESHOLD, ALIAS_WARNING_THRESHOLD } from '../../analysis/library/viability.js';
import { runKeyFrequencies } from '../../analysis/outcome.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import type { Store } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { runColour, sig, trainingFigure, type Cell } from './common.js';



const pct = (x: number): string => `${(100 * x).toFixed(0)} %`;

/** The parameter-trajectory figures of the runs with parameter_trajectory rows. */
export function trajectoryFigures(store: Store, runs: RunData[]): Figure[] {
  const path: Cell[][] = [], variance: Cell[][] = [], velocity: Cell[][] = [];
  for (const r of runs) {
    const t = readParameterTrajectory(store, r.runId);
    if (!t || t.epochs.length < 2) continue;
    for (const g of TRAJECTORY_GROUPS) {
      const { pca, velocity: v } = t.groups[g];
      const ratio = pca.explainedVarianceRatio;
      const panel = `${r.label} · ${g} (PC1 ${pct(ratio[0])}, PC2 ${pct(ratio[1] ?? 0)})`;
      t.epochs.forEach((e, i) => path.push([r.label, g, panel, e, sig(pca.projections[i * pca.k]), sig(pca.projections[i * pca.k + 1] ?? 0), pca.k > 2 ? sig(pca.projections[i * pca.k + 2]) : null]));
      for (let c = 0; c < pca.k; c++) variance.push([r.label, g, c + 1, sig(ratio[c]), sig(pca.explainedVariance[c])]);
      v.forEach((x, i) => { if (x > 0) velocity.push([r.label, g, t.epochs[i + 1], sig(x)]); });
    }
  }
  if (path.length === 0) return [];
  const panels = [...new Set(path.map((row) => row[2] as string))];
  const pathSpec = {
    data: { values: path.map(([run, group, panel, epoch, pc1, pc2, pc3]) => ({ run, group, panel, epoch, pc1, pc2, pc3 })) },
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels, header: { labelLimit: 360 } },
    columns: 2,
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 260, height: 220,
      layer: [
        { mark: { type: 'line', color: '#bbb', strokeWidth: 1 }, encoding: { x: { field: 'pc1', type: 'quantitative', title: 'PC1' }, y: { field: 'pc2', type: 'quantitative', title: 'PC2' }, order: { field: 'epoch' } } },
        {
          mark: { type: 'circle', size: 18, opacity: 0.9 },
          encoding: {
            x: { field: 'pc1', type: 'quantitative' }, y: { field: 'pc2', type: 'quantitative' },
            color: { field: 'epoch', type: 'quantitative', scale: { scheme: 'viridis' }, title: 'epoch' },
            tooltip: [{ field: 'run' }, { field: 'group' }, { field: 'epoch' }, { field: 'pc1' }, { field: 'pc2' }, { field: 'pc3' }],
          },
        },
      ],
    },
  };
  const out = [trainingFigure('further-trajectory', 'Parameter trajectory (PCA of the flattened weights over checkpoints)',
    'Each checkpoint\'s weights projected on the first two principal components of the run\'s checkpoints (sklearn PCA through the centred n × n Gram matrix), per group: all = the nine weight matrices, embedding = W_E, W_pos, W_U (MIScope\'s grouping), attention = W_Q, W_K, W_V, W_O, mlp = W_in, W_out; points coloured by epoch and joined in epoch order. Panel titles give the explained variance of PC1 and PC2; the table has PC3 too (the 3-D path).',
    pathSpec, ['run', 'group', 'panel', 'epoch', 'pc1', 'pc2', 'pc3'], path)];
  out.push(trainingFigure('further-trajectory-variance', 'Parameter trajectory: explained variance per component',
    'Share of the variance of the checkpoints\' weights along each principal component (PC1–PC10), per group and run: how faithful the 2-D path is.',
    {
      data: { values: variance.map(([run, group, component, ratio]) => ({ run, group, component, ratio })) },
      facet: { column: { field: 'group', type: 'nominal', title: null, sort: [...TRAJECTORY_GROUPS] } },
      spec: {
        width: 150, height: 160, mark: 'bar',
        encoding: {
          x: { field: 'component', type: 'ordinal', title: 'PC', axis: { labelAngle: 0 } }, xOffset: { field: 'run' },
          y: { field: 'ratio', type: 'quantitative', title: 'explained variance ratio', scale: { domain: [0, 1] } }, color: runColour(runs),
        },
      },
    }, ['run', 'group', 'component', 'explained_variance_ratio', 'explained_variance'], variance));
  out.push(trainingFigure('further-trajectory-velocity', 'Parameter velocity over training',
    'Per group, ‖θ_{i+1} − θ_i‖ / (epoch_{i+1} − epoch_i) between consecutive checkpoints (log scale), plotted at the later epoch.',
    {
      data: { values: velocity.map(([run, group, epoch, v]) => ({ run, group, epoch, velocity: v })) },
      facet: { row: { field: 'group', type: 'nominal', title: null, sort: [...TRAJECTORY_GROUPS] } },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 520, height: 110, mark: { type: 'line', point: velocity.length < 400 },
        encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'velocity', type: 'quantitative', title: null, scale: { type: 'log' } }, color: runColour(runs) },
      },
    }, ['run', 'group', 'epoch', 'velocity'], velocity));
  return out;
}

/** PR(W_in), PR(W_out) and the crossover epoch (effective_dimensionality_crossover) per run. */
export function effdimCrossoverFigure(store: Store, runs: RunData[]): Figure[] {
  const rows: Cell[][] = [], marks: Cell[][] = [];
  for (const r of runs) {
    const ed = store.getAnalyses<EffdimSummary>(r.runId, 'effective_dimensionality');
    if (ed.length === 0) continue;
    const seen = new Set<number>();
    for (const a of ed) {
      if (seen.has(a.epoch) || typeof a.summary.pr?.W_in !== 'number') continue;
      seen.add(a.epoch);
      rows.push([r.label, a.epoch, 'PR(W_in)', sig(a.summary.pr.W_in as number)], [r.label, a.epoch, 'PR(W_out)', sig(a.summary.pr.W_out as number)]);
    }
    const cx = store.getAnalyses<EffdimCrossover>(r.runId, EFFDIM_CROSSOVER).at(-1)?.summary;
    if (cx && cx.cross_over_epoch !== null) marks.push([r.label, 'crossover', cx.cross_over_epoch]);
    if (r.grok.grok_epoch !== null) marks.push([r.label, 'grokking (test loss < 0.01)', r.grok.grok_epoch]);
  }
  if (rows.length === 0) return [];
  // Lines and rules in one dataset (told apart by `kind`), so the facet splits both by run.
  const values = [
    ...rows.map(([run, epoch, matrix, pr]) => ({ kind: 'pr', run, epoch, matrix, pr })),
    ...marks.map(([run, event, epoch]) => ({ kind: 'event', run, event, epoch })),
  ];
  const spec = {
    data: { values },
    facet: { row: { field: 'run', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 520, height: 120,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'pr'" }], mark: 'line',
          encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'pr', type: 'quantitative', title: 'participation ratio' }, color: { field: 'matrix', type: 'nominal', title: null } },
        },
        {
          transform: [{ filter: "datum.kind === 'event'" }], mark: { type: 'rule', strokeDash: [4, 3] },
          encoding: { x: { field: 'epoch', type: 'quantitative' }, stroke: { field: 'event', type: 'nominal', title: null, scale: { domain: ['crossover', 'grokking (test loss < 0.01)'], range: ['#444', '#e15759'] } } },
        },
      ],
    },
  };
  return [trainingFigure('further-effdim-crossover', 'Effective dimensionality: PR(W_out) falls to PR(W_in)',
    'Participation ratios (Σσ²)²/Σσ⁴ of W_in and W_out over training; dashed: the crossover epoch (MIScope\'s rule: the first checkpoint with PR(W_out) ≤ PR(W_in) after PR(W_out) first rose above it; grokbench analyze stores it as effective_dimensionality_crossover) and the grokking epoch.',
    spec, ['run', 'epoch', 'matrix', 'pr'], rows)];
}

/** At most this many checkpoints (evenly strided, the last always) per run in the class heatmap. */
const HEATMAP_EPOCHS = 60;

/** Input-trace figures from the stored input_trace artifacts. */
export function inputTraceFigures(store: Store, runs: RunData[]): Figure[] {
  const cls: Cell[][] = [], grad: Cell[][] = [];
  const never: string[] = [];
  for (const r of runs) {
    const rows = store.getAnalyses(r.runId, INPUT_TRACE).filter((a) => a.path !== null);
    if (rows.length === 0) continue;
    const correct: Uint8Array[] = [];
    let split: Int32Array | null = null;
    const stride = Math.max(1, Math.ceil(rows.length / HEATMAP_EPOCHS));
    rows.forEach((a, j) => {
      const f = readSafetensorsFile(a.path!);
      const hasSplit = f.has('test_class_accuracy');
      if (j % stride === 0 || j === rows.length - 1) {
        const acc = f.getFloat32(hasSplit ? 'test_class_accuracy' : 'class_accuracy');
        acc.forEach((x, c) => cls.push([r.label, a.epoch, c, sig(x, 3), hasSplit ? 'test' : 'all']));
      }
      correct.push(Uint8Array.from(f.getInt32('correct')));
      if (hasSplit && !split) split = f.getInt32('split');
    });
    const ge = graduationEpochs(correct, rows.map((a) => a.epoch));
    const counts = new Map<string, number>();
    let nNever = 0;
    ge.forEach((e, i) => {
      if (e < 0) { nNever++; return; }
      const key = `${e}|${split ? (split[i] ? 'train' : 'test') : 'all'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
    for (const [key, n] of counts) { const [e, s] = key.split('|'); grad.push([r.label, Number(e), s, n]); }
    never.push(`${r.label}: ${nNever} of ${ge.length} pairs never graduate`);
  }
  if (cls.length === 0) return [];
  const out: Figure[] = [];
  out.push(trainingFigure('further-input-trace-classes', 'Input trace: accuracy per residue class over training',
    `For every residue class c = (a + b) mod p, the accuracy over its test pairs (over all p² pairs when the run's split is unknown), at up to ${HEATMAP_EPOCHS} analysed checkpoints per run (evenly strided, the last included; the CSV has the same); one row of cells per class.`,
    {
      data: { values: cls.map(([run, epoch, c, acc, over]) => ({ run, epoch, class: c, accuracy: acc, over })) },
      facet: { row: { field: 'run', type: 'nominal', title: null } },
      resolve: { scale: { x: 'independent', y: 'independent' } },
      spec: {
        width: 520, height: 160, mark: { type: 'rect' },
        encoding: {
          x: { field: 'epoch', type: 'ordinal', title: 'epoch', scale: { paddingInner: 0 }, axis: { labelOverlap: 'greedy', labelAngle: 0, grid: false } },
          y: { field: 'class', type: 'ordinal', title: 'class (a + b) mod p', scale: { paddingInner: 0 }, axis: { labelOverlap: 'greedy', grid: false }, sort: 'descending' },
          color: { field: 'accuracy', type: 'quantitative', scale: { scheme: 'viridis', domain: [0, 1] } },
          tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'class' }, { field: 'accuracy' }],
        },
      },
    }, ['run', 'epoch', 'class', 'accuracy', 'over'], cls));
  const present = new Set(grad.map((g) => g[2] as string));
  const splits = (['train', 'test', 'all'] as const).filter((x) => present.has(x));
  const splitScale = { domain: splits, range: splits.map((x) => ({ train: '#4e79a7', test: '#f28e2b', all: '#999' })[x]) };
  if (grad.length) out.push(trainingFigure('further-input-trace-graduation', 'Input trace: graduation epochs',
    `Number of input pairs per graduation epoch (the first checkpoint from which a pair is predicted correctly at 3 consecutive checkpoints), train and test pairs stacked. ${never.join('; ')}.`,
    {
      data: { values: grad.map(([run, epoch, split, pairs]) => ({ run, epoch, split, pairs })) },
      facet: { row: { field: 'run', type: 'nominal', title: null } },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 520, height: 120, mark: 'bar',
        encoding: {
          x: { field: 'epoch', type: 'quantitative', bin: { maxbins: 50 }, title: 'graduation epoch' },
          y: { aggregate: 'sum', field: 'pairs', type: 'quantitative', title: 'pairs' },
          color: { field: 'split', type: 'nominal', title: null, scale: splitScale },
        },
      },
    }, ['run', 'epoch', 'split', 'pairs'], grad));
  return out;
}

/** Representation geometry over epochs (stored summaries). */
export function geometryFigure(store: Store, runs: RunData[]): Figure[] {
  const rows: Cell[][] = [];
  const SERIES: [keyof SiteGeometrySummary, string][] = [
    ['centroid_radius', 'centroid radius'], ['top_circularity', 'circularity (top frequency)'], ['fisher_mean', 'Fisher discriminant, mean'], ['fisher_min', 'Fisher discriminant, min'],
  ];
  for (const r of runs) {
    for (const a of store.getAnalyses<{ sites: Record<string, SiteGeometrySummary> }>(r.runId, REPRESENTATION_GEOMETRY)) {
      for (const [site, s] of Object.entries(a.summary.sites ?? {})) for (const [k, label] of SERIES) rows.push([r.label, a.epoch, `${site}: ${label}`, sig(s[k])]);
    }
  }
  if (rows.length === 0) return [];
  return [trainingFigure('further-geometry', 'Representation geometry over training',
    'At the last position after attention (resid_mid) and after the MLP (resid_post), over all p² pairs: the mean distance of the class centroids (c = (a + b) mod p) from their mean, how circular they lie in the Fourier plane of the frequency holding most of their variance, and the Fisher discriminant between classes (mean and minimum over class pairs; symlog scale).',
    {
      data: { values: rows.map(([run, epoch, series, value]) => ({ run, epoch, series, value })) },
      facet: { row: { field: 'series', type: 'nominal', title: null, header: { labelAngle: 0, labelOrient: 'top', labelAlign: 'left', labelAnchor: 'start' } } },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 520, height: 90, mark: { type: 'line', point: rows.length < 400 },
        encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'value', type: 'quantitative', title: null, scale: { type: 'symlog' } }, color: runColour(runs) },
      },
    }, ['run', 'epoch', 'series', 'value'], rows)];
}

/** Viability of each run's key frequencies (last embedding_fourier checkpoint) on its own split. */
export function viabilityFigures(store: Store, runs: RunData[]): Figure[] {
  const alias: Cell[][] = [], cond: Cell[][] = [];
  for (const r of runs) {
    const v = runKeyFrequencies(store, r.runId, r.p);
    if (!v) continue;
    for (const f of v.per_frequency) {
      alias.push([r.label, f.frequency, sig(f.aliasing_risk), v.regime, v.epoch]);
      if (f.condition_number !== null) cond.push([r.label, f.frequency, sig(f.condition_number), sig(f.compatibility_score), v.epoch]);
    }
  }
  if (alias.length === 0) return [];
  const out: Figure[] = [trainingFigure('further-viability-aliasing', 'Viability: aliasing risk of the key frequencies',
    `Aliasing risk k/((p − 1)/2) of each key frequency of the run's W_E (last analysed checkpoint); MIScope's thresholds: > ${ALIAS_WARNING_THRESHOLD} warning, > ${ALIAS_FAILURE_THRESHOLD} failure (dashed).`,
    {
      data: { values: alias.map(([run, frequency, risk, regime]) => ({ run, frequency, risk, regime })) },
      facet: { row: { field: 'run', type: 'nominal', title: null } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: { step: 48 }, height: 90,
        layer: [
          { mark: { type: 'bar', width: 24 }, encoding: { x: { field: 'frequency', type: 'ordinal', title: 'key frequency k', axis: { labelAngle: 0 } }, y: { field: 'risk', type: 'quantitative', title: 'aliasing risk', scale: { domain: [0, 1] } }, color: runColour(runs), tooltip: [{ field: 'run' }, { field: 'frequency' }, { field: 'risk' }, { field: 'regime' }] } },
          { mark: { type: 'rule', strokeDash: [4, 3], color: '#f28e2b' }, encoding: { y: { datum: ALIAS_WARNING_THRESHOLD } } },
          { mark: { type: 'rule', strokeDash: [4, 3], color: '#e15759' }, encoding: { y: { datum: ALIAS_FAILURE_THRESHOLD } } },
        ],
      },
    }, ['run', 'frequency', 'aliasing_risk', 'regime', 'epoch'], alias)];
  const condMax = Math.max(2, ...cond.map((c) => 3 * (c[2] as number)));
  if (cond.length) out.push(trainingFigure('further-viability-condition', 'Viability: data compatibility of the key frequencies',
    'Per key frequency k, the condition number of the 2 × 2 Gram matrix of (cos 2πks/p, sin 2πks/p) over the run\'s training pairs (s = (a + b) mod p; 1 = the split sees the frequency\'s phases evenly; log scale), as MIScope\'s data-compatibility analyzer defines it.',
    {
      data: { values: cond.map(([run, frequency, condition, score]) => ({ run, frequency, condition, score })) },
      facet: { row: { field: 'run', type: 'nominal', title: null } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: { step: 48 }, height: 90,
        encoding: {
          x: { field: 'frequency', type: 'ordinal', title: 'key frequency k', axis: { labelAngle: 0 } },
          y: { field: 'condition', type: 'quantitative', title: 'condition number', scale: { type: 'log', domain: [1, condMax] } },
        },
        layer: [
          { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y2: { datum: 1 }, color: runColour(runs) } },
          { mark: { type: 'point', filled: true, size: 60 }, encoding: { color: runColour(runs), tooltip: [{ field: 'run' }, { field: 'frequency' }, { field: 'condition' }, { field: 'score' }] } },
          { mark: { type: 'text', dy: -9, fontSize: 9 }, encoding: { text: { field: 'condition', type: 'quantitative', format: '.3f' } } },
        ],
      },
    }, ['run', 'frequency', 'condition_number', 'compatibility_score', 'epoch'], cond));
  return out;
}

/** Every figure of this file, for the runs that have the results. */
export function moreFurtherFigures(store: Store, runs: RunData[]): Figure[] {
  return [...trajectoryFigures(store, runs), ...effdimCrossoverFigure(store, runs), ...inputTraceFigures(store, runs), ...geometryFigure(store, runs), ...viabilityFigures(store, runs)];
}
