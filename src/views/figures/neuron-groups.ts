/**
 * Figures of the neuron-group analyzers (issue 26 §3), read from stored summaries:
 *   neuron-groups                  neurons per group over epochs (the Fourier path: group = the neuron's
 *                                  dominant input frequency), unassigned neurons in grey, per run
 *   neuron-groups-separation       the groups' Fisher discriminant (min and mean, MIScope's convention) and
 *                                  dispersion (mean RMS radius) over epochs
 *   parameter-dmd-eigenvalues      windowed DMD eigenvalues of each large group's W_in and W_out trajectory on the
 *   parameter-dmd-eigenvalues-zoom unit circle, zoomed, and the windowed residual with the regime boundaries
 *   parameter-dmd-residuals        (MIScope parameter_dmd; the DMD figures of views/figures/centroid-dmd.ts)
 */
import { NEURON_GROUPING, type NeuronGroupingSummary, neuronGroupingParams } from '../../analysis/analyzers/neuron-grouping.js';
import { PARAMETER_DMD, PARAMETER_DMD_DEFAULTS, PARAMETER_DMD_MATRICES, type ParameterDmdSummary, parameterDmdParams } from '../../analysis/analyzers/parameter-dmd.js';
import type { Store } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { type DmdPanel, dmdFigures } from './centroid-dmd.js';
import { sig, trainingFigure, type Cell, ROW_HEADER } from './common.js';



/** A group's name: its frequency on the Fourier path (group g is frequency g + 1), its index otherwise. */
function groupName(s: Pick<NeuronGroupingSummary, 'method'>, g: number): string {
  return s.method === 'argmax_by_basis' ? `k=${g + 1}` : `group ${g}`;
}

/** Vega's tableau20, for up to 20 groups (then repeated). */
const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#9ecae9', '#ffbf79', '#ff9d98', '#88d27a', '#fabfd2', '#d6a5c9', '#79706e', '#b6992d', '#499894', '#86bcb6'];

/** Groups drawn in parameter-dmd per run: the largest at the reference epoch. */
const MAX_DMD_GROUPS = 6;

/** Group sizes and separation over epochs (neuron_grouping). */
export function neuronGroupFigures(store: Store, runs: RunData[]): Figure[] {
  const sizes: Cell[][] = [], sep: Cell[][] = [];
  const params = neuronGroupingParams({});
  for (const r of runs) {
    const rows = store.getAnalyses<NeuronGroupingSummary>(r.runId, NEURON_GROUPING, params);
    if (rows.length === 0) continue;
    // Groups that ever hold a neuron, named as the path names them.
    const ever = new Set<number>();
    for (const a of rows) a.summary.n_per_group.forEach((c, g) => { if (c > 0) ever.add(g); });
    for (const a of rows) {
      const s = a.summary;
      for (const g of [...ever].sort((x, y) => x - y)) sizes.push([r.label, a.epoch, groupName(s, g), g, s.n_per_group[g] ?? 0]);
      sizes.push([r.label, a.epoch, 'unassigned', -1, s.n_unassigned]);
      sep.push([r.label, a.epoch, 'Fisher min', sig(s.fisher_min)], [r.label, a.epoch, 'Fisher mean', sig(s.fisher_mean)], [r.label, a.epoch, 'dispersion', sig(s.dispersion)]);
    }
  }
  if (sizes.length === 0) return [];
  // Unassigned first (grey), then the groups in index order: one colour per group name across runs.
  const names = ['unassigned', ...[...new Map(sizes.filter((x) => x[3] !== -1).map((x) => [x[3] as number, x[2] as string])).entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1])];
  const sizeSpec = {
    data: { values: sizes.map(([run, epoch, group, order, neurons]) => ({ run, epoch, group, order, neurons })) },
    facet: { row: { field: 'run', type: 'nominal', title: null, header: ROW_HEADER } },
    spec: {
      width: 520, height: 180, mark: { type: 'area', interpolate: 'step-after' },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'neurons', type: 'quantitative', stack: 'zero', title: 'neurons' },
        color: { field: 'group', type: 'nominal', title: 'group', scale: { domain: names, range: names.map((g, i) => (g === 'unassigned' ? '#cccccc' : PALETTE[(i - 1) % PALETTE.length])) } },
        order: { field: 'order', type: 'quantitative' },
        tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'group' }, { field: 'neurons' }],
      },
    },
  };
  const sepSpec = {
    data: { values: sep.map(([run, epoch, series, value]) => ({ run, epoch, series, value })).filter((v) => typeof v.value === 'number' && v.value > 0) },
    facet: { row: { field: 'run', type: 'nominal', title: null, header: ROW_HEADER } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 520, height: 140, mark: { type: 'line', point: sep.length < 900 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'value', type: 'quantitative', title: 'value', scale: { type: 'log' } },
        color: { field: 'series', type: 'nominal', title: null },
        tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'series' }, { field: 'value' }],
      },
    },
  };
  return [
    trainingFigure('neuron-groups', 'Neuron groups over training: neurons per group',
      'MIScope neuron_grouping at every checkpoint. For this family (MIScope\'s modular-addition override) a neuron\'s group is the frequency k whose pair of Fourier coefficients of θ = W_E[:p]·W_in[:, n] is largest; a neuron whose dominant frequency holds under 30 % of its squared magnitudes is unassigned (grey). The groups that form and keep their neurons are the run\'s frequency groups.',
      sizeSpec, ['run', 'epoch', 'group', 'group_index', 'neurons'], sizes),
    trainingFigure('neuron-groups-separation', 'Neuron groups: Fisher discriminant and dispersion',
      'Fisher discriminant J(r, s) = ‖μ_r − μ_s‖² / (σ_r² + σ_s²) of the groups\' feature centroids (min and mean over the pairs, MIScope\'s convention: empty groups take part with centroid 0), and the dispersion (mean RMS radius of the groups), log scale.',
      sepSpec, ['run', 'epoch', 'series', 'value'], sep),
  ];
}

/** Windowed DMD of the groups' weight trajectories (parameter_dmd), the largest groups at the reference epoch. */
export function parameterDmdFigures(store: Store, runs: RunData[]): Figure[] {
  const panels: DmdPanel[] = [];
  const refs: string[] = [];
  for (const r of runs) {
    const sum = store.getAnalyses<ParameterDmdSummary>(r.runId, PARAMETER_DMD, parameterDmdParams({})).at(-1)?.summary;
    if (!sum || Object.keys(sum.groups).length === 0) continue;
    const method = store.getAnalyses<NeuronGroupingSummary>(r.runId, NEURON_GROUPING, neuronGroupingParams({})).at(-1)?.summary.method ?? 'argmax_by_basis';
    const order = sum.populated_groups.map((g, i) => ({ g, n: sum.group_n_neurons[i] })).sort((a, b) => b.n - a.n || a.g - b.g).slice(0, MAX_DMD_GROUPS);
    refs.push(`${r.label}: reference epoch ${sum.reference_epoch}, ${sum.populated_groups.length} groups (${order.map((o) => `${groupName({ method }, o.g)} ${o.n}`).join(', ')}${sum.populated_groups.length > order.length ? ', …' : ''})`);
    for (const { g, n } of order) for (const M of PARAMETER_DMD_MATRICES) {
      const s = sum.groups[String(g)]?.[M];
      if (s) panels.push({ run: r.label, site: `${groupName({ method }, g)} (${n} neurons) ${M}`, epochs: sum.epochs, dmd: s });
    }
  }
  if (panels.length === 0) return [];
  const d = PARAMETER_DMD_DEFAULTS;
  const how = `MIScope parameter_dmd: for each neuron group of the reference epoch's grouping (its ${MAX_DMD_GROUPS} largest drawn) and each matrix, the trajectory of its slice W_in[:, group] or W_out[group, :] over the checkpoints, PCA to ${d.pca_variance_target * 100} % of its variance (at most ${d.pca_max_components} components), exact DMD in sliding windows of ${d.window_size} checkpoints (SVD at ${d.energy_threshold * 100} % energy). ${refs.join('; ')}.`;
  return dmdFigures(panels, {
    prefix: 'parameter-dmd', what: 'Parameter DMD per neuron group',
    eigenCaption: `${how} Dots: every window's eigenvalues, coloured by the window's centre epoch; red squares: each regime's DMD. W_in and W_out of one group moving at different times is the Atlas's "desynchronisation".`,
    zoomCaption: 'The eigenvalues of parameter-dmd-eigenvalues, each panel zoomed to its own eigenvalues (10 % padding), the unit circle as the grey arc.',
    residualCaption: 'The mean one-step prediction error of each window\'s DMD per group and matrix at the window\'s centre epoch; grey dotted: the threshold median + 3·MAD; red dashed: the regime boundaries (MIScope detect_regime_boundaries).',
  });
}
