/**
 * Figures of the centroid-trajectory analyzers (issue 26 §1–2), read from stored results:
 *   global-centroid-pca            class-centroid trajectories in PC1–PC2 of the run's one global frame, per site
 *                                  (MIScope render_centroid_global_pca's frame; table: PC1–PC3 of every class at
 *                                  the epochs drawn)
 *   global-centroid-pca-variance   explained variance ratio of the components kept (95 %), per site
 *   activation-dmd-eigenvalues     windowed DMD eigenvalues on the unit circle per site, coloured by the window's
 *                                  centre epoch, with the per-regime eigenvalues (MIScope
 *                                  render_activation_dmd_eigenvalue_migration, not zoomed)
 *   activation-dmd-eigenvalues-zoom  the same, each panel zoomed to its own eigenvalues (MIScope's auto-zoom)
 *   activation-dmd-residuals       the windows' mean residual per site with the detection threshold and the regime
 *                                  boundaries (MIScope render_activation_dmd_residuals_with_regimes)
 */
import { ACTIVATION_DMD, ACTIVATION_DMD_PARAMS, type ActivationDmdSummary } from '../../analysis/analyzers/activation-dmd.js';
import type { ActivationDmdSite } from '../../analysis/library/dmd.js';
import { readGlobalCentroidPca } from '../../analysis/analyzers/global-centroid-pca.js';
import { CENTROID_SITES } from '../../analysis/library/global-centroid-pca.js';
import type { Store } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { sig, trainingFigure, type Cell } from './common.js';



/** At most `max` indices of 0..n−1, evenly spread, the first and the last always among them. */
export function spreadIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return [...new Set(Array.from({ length: max }, (_, i) => Math.round((i * (n - 1)) / (max - 1))))];
}

/** Epochs drawn per trajectory (the table has the same points). */
const MAX_EPOCHS_DRAWN = 40;

/** The global-centroid-PCA figures of the runs with global_centroid_pca rows. */
export function globalCentroidPcaFigures(store: Store, runs: RunData[]): Figure[] {
  const path: Cell[][] = [], variance: Cell[][] = [];
  const panels: string[] = [];
  for (const r of runs) {
    const g = readGlobalCentroidPca(store, r.runId);
    if (!g) continue;
    const idx = spreadIndices(g.epochs.length, MAX_EPOCHS_DRAWN);
    const lastEpoch = g.epochs[g.epochs.length - 1];
    for (const s of CENTROID_SITES) {
      const pca = g.sites[s], k = pca.n_components, ratio = pca.explained_variance_ratio;
      const panel = `${r.label} · ${s} (${k} PCs for 95 %; PC1 ${(100 * ratio[0]).toFixed(0)} %, PC2 ${(100 * (ratio[1] ?? 0)).toFixed(0)} %)`;
      panels.push(panel);
      for (const i of idx) for (let c = 0; c < g.n_classes; c++) {
        const o = (i * g.n_classes + c) * k;
        path.push([r.label, s, panel, c, g.epochs[i], g.epochs[i] === lastEpoch ? 1 : 0, sig(pca.projections[o]), k > 1 ? sig(pca.projections[o + 1]) : 0, k > 2 ? sig(pca.projections[o + 2]) : null]);
      }
      for (let c = 0; c < k; c++) variance.push([r.label, s, c + 1, sig(ratio[c]), sig(pca.explained_variance[c])]);
    }
  }
  if (path.length === 0) return [];
  const pathSpec = {
    data: { values: path.map(([run, site, panel, cls, epoch, last, pc1, pc2, pc3]) => ({ run, site, panel, class: cls, epoch, last, pc1, pc2, pc3 })) },
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels, header: { labelLimit: 420 } },
    columns: 2,
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 280, height: 240,
      layer: [
        {
          mark: { type: 'line', strokeWidth: 0.8, opacity: 0.45 },
          encoding: {
            x: { field: 'pc1', type: 'quantitative', title: 'PC1', scale: { zero: false } }, y: { field: 'pc2', type: 'quantitative', title: 'PC2', scale: { zero: false } },
            detail: { field: 'class' }, order: { field: 'epoch' },
            color: { field: 'class', type: 'quantitative', scale: { scheme: 'sinebow' }, title: 'class c', legend: null },
          },
        },
        {
          transform: [{ filter: 'datum.last === 1' }],
          mark: { type: 'circle', size: 22, opacity: 0.95 },
          encoding: {
            x: { field: 'pc1', type: 'quantitative' }, y: { field: 'pc2', type: 'quantitative' },
            color: { field: 'class', type: 'quantitative', scale: { scheme: 'sinebow' }, title: 'class c = (a+b) mod p' },
            tooltip: [{ field: 'run' }, { field: 'site' }, { field: 'class' }, { field: 'epoch' }, { field: 'pc1' }, { field: 'pc2' }, { field: 'pc3' }],
          },
        },
      ],
    },
  };
  return [
    trainingFigure('global-centroid-pca', 'Class-centroid trajectories in one PCA frame for all epochs',
      `At each checkpoint, the mean last-position activation of each class c = (a + b) mod p over all p² pairs, at resid_pre (the same for every input), attn_out, mlp_out and resid_post; one PCA per site of the centroids of every checkpoint pooled (MIScope global_centroid_pca: 95 % of the variance kept), so the frame does not rotate between epochs. Lines: each class's path over training (at most ${MAX_EPOCHS_DRAWN} checkpoints evenly spread), coloured by class on a cyclic scale; dots: the last checkpoint. The table has PC3.`,
      pathSpec, ['run', 'site', 'panel', 'class', 'epoch', 'last', 'pc1', 'pc2', 'pc3'], path),
    trainingFigure('global-centroid-pca-variance', 'Global centroid PCA: explained variance of the kept components',
      'Share of the pooled centroids\' variance along each principal component kept (the fewest reaching 95 %), per site and run.',
      {
        data: { values: variance.map(([run, site, component, ratio]) => ({ run, site, component, ratio })) },
        facet: { column: { field: 'site', type: 'nominal', title: null, sort: [...CENTROID_SITES] }, row: { field: 'run', type: 'nominal', title: null } },
        spec: {
          width: 160, height: 140, mark: 'bar',
          encoding: {
            x: { field: 'component', type: 'ordinal', title: 'PC', axis: { labelAngle: 0 } },
            y: { field: 'ratio', type: 'quantitative', title: 'explained variance ratio', scale: { domain: [0, 1] } },
          },
        },
      }, ['run', 'site', 'component', 'explained_variance_ratio', 'explained_variance'], variance),
  ];
}

/** One panel of windowed-DMD results: a site of a run (activation_dmd) or a group's matrix (parameter_dmd). */
export interface DmdPanel {
  run: string;
  /** The panel's part of the run: a site, or a group and matrix. */
  site: string;
  epochs: readonly number[];
  dmd: Pick<ActivationDmdSite, 'per_regime' | 'regimes'> & { windowed: Pick<ActivationDmdSite['windowed'], 'window_starts' | 'window_ends' | 'eigenvalues_re' | 'eigenvalues_im' | 'residual_norm_mean' | 'residual_norm_max' | 'n_modes_per_window'> };
}

/** The figure names and words of a family of DMD figures. */
export interface DmdTexts { prefix: string; what: string; eigenCaption: string; zoomCaption: string; residualCaption: string }

/** The activation-DMD figures of the runs with an activation_dmd row. */
export function activationDmdFigures(store: Store, runs: RunData[]): Figure[] {
  const panels: DmdPanel[] = [];
  for (const r of runs) {
    const sum = store.getAnalyses<ActivationDmdSummary>(r.runId, ACTIVATION_DMD, ACTIVATION_DMD_PARAMS).at(-1)?.summary;
    if (!sum?.sites) continue;
    for (const s of CENTROID_SITES) panels.push({ run: r.label, site: s, epochs: sum.epochs, dmd: sum.sites[s] });
  }
  return dmdFigures(panels, {
    prefix: 'activation-dmd', what: 'Activation DMD',
    eigenCaption: `Exact DMD of each site's class-centroid trajectory in the global PCA frame (global_centroid_pca), in sliding windows of ${ACTIVATION_DMD_PARAMS.window_size} checkpoints (stride ${ACTIVATION_DMD_PARAMS.window_stride}, SVD truncated at ${ACTIVATION_DMD_PARAMS.energy_threshold * 100} % energy), after MIScope activation_dmd. Dots: every window's eigenvalues, coloured by the window's centre epoch; red squares: the eigenvalues of the DMD fitted inside each detected regime. |λ| = 1 (grey circle) is a persistent mode, |λ| < 1 a decaying one; arg λ is the rotation per checkpoint step.`,
    zoomCaption: 'The eigenvalues of activation-dmd-eigenvalues, each panel zoomed to its own eigenvalues (10 % padding, as MIScope\'s eigenvalue-migration view), the unit circle as the grey arc: the small migrations near (1, 0) become visible.',
    residualCaption: 'The mean one-step prediction error of each window\'s DMD (‖x_{t+1} − Re(ΦΛΦ⁺x_t)‖ over the window), plotted at the window\'s centre epoch; grey dotted: the detection threshold median + 3·MAD; red dashed: regime boundaries (peaks above the threshold with prominence ≥ MAD, MIScope detect_regime_boundaries).',
  });
}

/** Eigenvalues on the unit circle, the same zoomed per panel, and the windowed residual with its regimes: `${prefix}-eigenvalues`, `-eigenvalues-zoom`, `-residuals`. */
export function dmdFigures(entries: readonly DmdPanel[], t: DmdTexts): Figure[] {
  const eig: Cell[][] = [], res: Cell[][] = [], marks: Cell[][] = [];
  const panels: string[] = [];
  for (const { run, site: s, epochs, dmd: site } of entries) {
    const w = site.windowed;
    const panel = `${run} · ${s}`;
    panels.push(panel);
    const centre = w.window_starts.map((st, k) => epochs[Math.floor((st + w.window_ends[k]) / 2)]);
    w.eigenvalues_re.forEach((re, k) => re.forEach((x, m) => eig.push([run, s, panel, 'window', centre[k], sig(x, 6), sig(w.eigenvalues_im[k][m], 6), null])));
    site.per_regime.eigenvalues_re.forEach((re, k) => re.forEach((x, m) => eig.push([run, s, panel, 'regime', null, sig(x, 6), sig(site.per_regime.eigenvalues_im[k][m], 6),
      `${epochs[site.per_regime.segment_starts[k]]}–${epochs[Math.max(site.per_regime.segment_ends[k] - 1, site.per_regime.segment_starts[k])]}`])));
    w.residual_norm_mean.forEach((x, k) => res.push([run, s, panel, centre[k], sig(x), sig(w.residual_norm_max[k]), w.n_modes_per_window[k]]));
    marks.push([run, s, panel, 'threshold', null, sig(site.regimes.threshold_used)]);
    for (const b of site.regimes.boundary_indices) marks.push([run, s, panel, 'boundary', centre[b], null]);
  }
  if (eig.length === 0) return [];
  // The unit circle and every eigenvalue (a growing mode may lie outside it).
  const reach = Math.max(1.15, ...eig.map((row) => 1.05 * Math.max(Math.abs(row[5] as number), Math.abs(row[6] as number))));
  const circle = panels.flatMap((panel) => Array.from({ length: 121 }, (_, i) => ({ kind: 'circle', panel, order: i, re: Math.cos((2 * Math.PI * i) / 120), im: Math.sin((2 * Math.PI * i) / 120) })));
  const eigSpec = {
    data: { values: [...circle, ...eig.map(([run, site, panel, kind, epoch, re, im, regime]) => ({ run, site, panel, kind, epoch, re, im, regime }))] },
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels, header: { labelLimit: 360 } },
    columns: 2,
    spec: {
      width: 240, height: 240,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'circle'" }], mark: { type: 'line', color: '#bbb', strokeWidth: 1 },
          encoding: {
            x: { field: 're', type: 'quantitative', title: 'Re λ', scale: { domain: [-reach, reach] } },
            y: { field: 'im', type: 'quantitative', title: 'Im λ', scale: { domain: [-reach, reach] } }, order: { field: 'order' },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'window'" }], mark: { type: 'circle', size: 14, opacity: 0.7, clip: true },
          encoding: {
            x: { field: 're', type: 'quantitative' }, y: { field: 'im', type: 'quantitative' },
            color: { field: 'epoch', type: 'quantitative', scale: { scheme: 'viridis' }, title: 'window centre epoch', legend: { format: 'd' } },
            tooltip: [{ field: 'run' }, { field: 'site' }, { field: 'epoch', title: 'window centre' }, { field: 're' }, { field: 'im' }],
          },
        },
        {
          transform: [{ filter: "datum.kind === 'regime'" }], mark: { type: 'point', shape: 'square', size: 60, filled: false, color: '#d62728', strokeWidth: 1.5, clip: true },
          encoding: { x: { field: 're', type: 'quantitative' }, y: { field: 'im', type: 'quantitative' }, tooltip: [{ field: 'run' }, { field: 'site' }, { field: 'regime', title: 'regime epochs' }, { field: 're' }, { field: 'im' }] },
        },
      ],
    },
  };
  const resSpec = {
    data: {
      values: [
        ...res.map(([run, site, panel, epoch, mean, max, modes]) => ({ kind: 'residual', run, site, panel, epoch, residual: mean, max, modes })),
        ...marks.map(([run, site, panel, kind, epoch, value]) => ({ kind, run, site, panel, epoch, residual: value })),
      ],
    },
    facet: { row: { field: 'panel', type: 'nominal', title: null, sort: panels, header: { labelAngle: 0, labelAlign: 'left', labelLimit: 300 } } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 520, height: 110,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'residual'" }], mark: { type: 'line', point: res.length < 300 },
          encoding: {
            x: { field: 'epoch', type: 'quantitative', title: 'epoch (window centre)' }, y: { field: 'residual', type: 'quantitative', title: 'mean residual' },
            tooltip: [{ field: 'run' }, { field: 'site' }, { field: 'epoch' }, { field: 'residual', title: 'mean residual' }, { field: 'max', title: 'max residual' }, { field: 'modes' }],
          },
        },
        { transform: [{ filter: "datum.kind === 'threshold'" }], mark: { type: 'rule', strokeDash: [2, 2], color: '#888' }, encoding: { y: { field: 'residual', type: 'quantitative' } } },
        { transform: [{ filter: "datum.kind === 'boundary'" }], mark: { type: 'rule', strokeDash: [5, 3], color: '#d62728' }, encoding: { x: { field: 'epoch', type: 'quantitative' } } },
      ],
    },
  };
  // Zoomed on each panel's own eigenvalues (MIScope's auto-zoom: 10 % padding, at least 0.05), the unit circle as an arc.
  const zoomPanels = panels.map((panel) => {
    const pts = eig.filter((row) => row[2] === panel);
    const re = pts.map((row) => row[5] as number), im = pts.map((row) => row[6] as number);
    const pad = (lo: number, hi: number) => Math.max((hi - lo) * 0.1, 0.05);
    const [r0, r1, i0, i1] = [Math.min(...re), Math.max(...re), Math.min(...im), Math.max(...im)];
    const xd = [r0 - pad(r0, r1), r1 + pad(r0, r1)], yd = [i0 - pad(i0, i1), i1 + pad(i0, i1)];
    const mine = `datum.panel === ${JSON.stringify(panel)}`;
    return {
      title: panel, width: 240, height: 200,
      layer: [
        { ...eigSpec.spec.layer[0], transform: [{ filter: `datum.kind === 'circle' && ${mine}` }], mark: { type: 'line', color: '#bbb', strokeWidth: 1, clip: true },
          encoding: { ...eigSpec.spec.layer[0].encoding, x: { field: 're', type: 'quantitative', title: 'Re λ', scale: { domain: xd } }, y: { field: 'im', type: 'quantitative', title: 'Im λ', scale: { domain: yd } } } },
        { ...eigSpec.spec.layer[1], transform: [{ filter: `datum.kind === 'window' && ${mine}` }] },
        { ...eigSpec.spec.layer[2], transform: [{ filter: `datum.kind === 'regime' && ${mine}` }] },
      ],
    };
  });
  const zoomSpec = { data: eigSpec.data, concat: zoomPanels, columns: 2, resolve: { scale: { x: 'independent', y: 'independent' } } };
  return [
    trainingFigure(`${t.prefix}-eigenvalues`, `${t.what}: eigenvalues on the unit circle`, t.eigenCaption, eigSpec, ['run', 'site', 'panel', 'kind', 'epoch', 're', 'im', 'regime'], eig),
    trainingFigure(`${t.prefix}-eigenvalues-zoom`, `${t.what}: eigenvalues, zoomed on each panel's cluster`, t.zoomCaption, zoomSpec, ['run', 'site', 'panel', 'kind', 'epoch', 're', 'im', 'regime'], eig),
    trainingFigure(`${t.prefix}-residuals`, `${t.what}: windowed residual and regime boundaries`, t.residualCaption, resSpec, ['run', 'site', 'panel', 'epoch', 'mean_residual', 'max_residual', 'n_modes'], res),
  ];
}
