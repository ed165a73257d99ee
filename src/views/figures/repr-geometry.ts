/**
 * Figures of MIScope's repr_geometry (analyzers/repr-geometry.ts), read from the stored summaries:
 *   repr-geometry       the per-site statistics over epochs (one panel per statistic, a line per site)
 *   repr-geometry-pca   the centroids' top-3 PCA variance fractions over epochs, per site
 *   repr-geometry-circularity  the circularity of attn_out, mlp_out and resid_post over epochs, with
 *                       MIScope's circularity crossovers (find_circularity_crossovers) as rules
 */
import { REPR_GEOMETRY, reprGeometryAnalyzer, type ReprGeometrySummary } from '../../analysis/analyzers/repr-geometry.js';
import { DEFAULT_OPTIONS } from '../../analysis/protocol/analyzer.js';
import { REPR_GEOMETRY_SITES, circularityCrossovers } from '../../analysis/library/repr-geometry.js';
import type { Store } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { VL_CONFIG, VL_SCHEMA, sig } from './common.js';

type Cell = string | number | null;

/** The statistics drawn, in panel order (fisher_argmin_* are pair indices, left to the table of the summaries). */
export const REPR_GEOMETRY_PANELS = ['snr', 'mean_dim', 'circularity', 'fourier_alignment', 'center_spread', 'mean_radius', 'fisher_mean', 'fisher_min', 'fisher_argmin_diff'] as const;
const PCA = ['pca_var_pc1', 'pca_var_pc2', 'pca_var_pc3'] as const;
const SITE_COLOURS = ['#9d755d', '#e45756', '#4c78a8', '#54a24b'];

function rowsOf(store: Store, runs: RunData[], keys: readonly string[]): Cell[][] {
  const out: Cell[][] = [];
  const params = reprGeometryAnalyzer.params(DEFAULT_OPTIONS);
  for (const r of runs) {
    for (const a of store.getAnalyses<ReprGeometrySummary>(r.runId, REPR_GEOMETRY, params)) {
      for (const site of REPR_GEOMETRY_SITES) for (const k of keys) out.push([r.label, a.epoch, site, k, sig(a.summary[`${site}_${k}`])]);
    }
  }
  return out;
}

function spec(rows: Cell[][], height: number, scaleY: object, column: 'statistic' | 'run'): object {
  return {
    $schema: VL_SCHEMA, config: VL_CONFIG,
    data: { values: rows.map(([run, epoch, site, statistic, value]) => ({ run, epoch, site, statistic, value })) },
    facet: {
      row: { field: column === 'statistic' ? 'statistic' : 'run', type: 'nominal', title: null, ...(column === 'statistic' ? { sort: [...REPR_GEOMETRY_PANELS] } : {}), header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold' } },
      ...(column === 'statistic' ? { column: { field: 'run', type: 'nominal', title: null } } : { column: { field: 'site', type: 'nominal', title: null, sort: [...REPR_GEOMETRY_SITES] } }),
    },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 420, height, mark: { type: 'line', point: rows.length < 900 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'value', type: 'quantitative', title: null, scale: scaleY },
        color: column === 'statistic'
          ? { field: 'site', type: 'nominal', title: 'site', scale: { domain: [...REPR_GEOMETRY_SITES], range: SITE_COLOURS } }
          : { field: 'statistic', type: 'nominal', title: null },
        tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'site' }, { field: 'statistic' }, { field: 'value' }],
      },
    },
  };
}

/** Per run: circularity at the three non-constant sites and the epochs where attn_out's crosses the others'. */
function circularityFigure(store: Store, runs: RunData[]): Figure | null {
  const panels: object[] = [], rows: Cell[][] = [];
  const params = reprGeometryAnalyzer.params(DEFAULT_OPTIONS);
  const sites = ['attn_out', 'mlp_out', 'resid_post'] as const;
  for (const r of runs) {
    const a = store.getAnalyses<ReprGeometrySummary>(r.runId, REPR_GEOMETRY, params);
    if (a.length === 0) continue;
    const epochs = a.map((x) => x.epoch), circ = (s: string) => a.map((x) => x.summary[`${s}_circularity`]);
    const events = circularityCrossovers(epochs, circ('attn_out'), { mlp_out: circ('mlp_out'), resid_post: circ('resid_post') });
    const lines = a.flatMap((x) => sites.map((s) => ({ epoch: x.epoch, site: s, circularity: sig(x.summary[`${s}_circularity`]) })));
    for (const l of lines) rows.push([r.label, l.epoch, l.site, l.circularity, '']);
    for (const e of events) rows.push([r.label, e.epoch, e.site, null, `attn_out ${e.direction === 'rise' ? 'rises above' : 'falls below'}`]);
    panels.push({
      title: { text: r.label, anchor: 'start' }, width: 560, height: 180,
      layer: [
        {
          data: { values: lines }, mark: { type: 'line', point: lines.length < 900 },
          encoding: {
            x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
            y: { field: 'circularity', type: 'quantitative', title: 'circularity', scale: { domain: [0, 1] } },
            color: { field: 'site', type: 'nominal', title: 'site', scale: { domain: [...sites], range: SITE_COLOURS.slice(1) } },
          },
        },
        {
          data: { values: events.map((e) => ({ epoch: e.epoch, event: `attn_out ${e.direction === 'rise' ? 'rises above' : 'falls below'} ${e.site}` })) },
          mark: { type: 'rule', strokeDash: [4, 3] },
          encoding: { x: { field: 'epoch', type: 'quantitative' }, strokeWidth: { value: 1.2 }, opacity: { value: 0.7 }, tooltip: [{ field: 'epoch' }, { field: 'event' }] },
        },
      ],
    });
  }
  if (panels.length === 0) return null;
  return {
    name: 'repr-geometry-circularity', section: 'training', title: 'Circularity of the class centroids per site, and attn_out\'s crossovers (MIScope)',
    caption: 'repr_geometry circularity at attn_out, mlp_out and resid_post (resid_pre is a single point: 0). Dashed rules: MIScope find_circularity_crossovers, the checkpoints where attn_out\'s circularity rises above or falls below mlp_out\'s or resid_post\'s (rows of the table with a crossover).',
    spec: { $schema: VL_SCHEMA, config: VL_CONFIG, vconcat: panels },
    table: { columns: ['run', 'epoch', 'site', 'circularity', 'crossover'], rows },
  };
}

/** The repr_geometry statistics and PCA fractions over epochs. */
export function reprGeometryFigures(store: Store, runs: RunData[]): Figure[] {
  const stats = rowsOf(store, runs, REPR_GEOMETRY_PANELS);
  if (stats.length === 0) return [];
  const pca = rowsOf(store, runs, PCA);
  const circ = circularityFigure(store, runs);
  const columns = ['run', 'epoch', 'site', 'statistic', 'value'];
  return [
    {
      name: 'repr-geometry', section: 'training', title: 'Representational geometry at four sites (MIScope repr_geometry)',
      caption: 'MIScope repr_geometry at every checkpoint: the p² pairs\' last-position activations at resid_pre, attn_out, mlp_out (the post-ReLU neurons) and resid_post, grouped by class (a + b) mod p. snr = center_spread² / mean_radius² (the spread of the class centroids over the classes\' mean RMS radius); mean_dim the classes\' mean participation ratio of their covariance; circularity the Kåsa circle fit of the centroids in their top-2 PCA plane weighted by that plane\'s variance and balance; fourier_alignment the best R² of the centroids\' angles against 2πkc/p; Fisher ratios ‖μ_r − μ_s‖² / (r_r² + r_s²) over class pairs, and the residue distance of the least separated pair. resid_pre is the same vector for every pair: all 0.',
      spec: spec(stats, 110, { zero: false }, 'statistic'), table: { columns, rows: stats },
    },
    {
      name: 'repr-geometry-pca', section: 'training', title: 'Class centroids: variance fractions of the top 3 principal components, per site',
      caption: 'MIScope repr_geometry compute_summary: the fraction of the class centroids\' variance on each of their top three principal components, per site (a circle of one frequency puts 1/2 on each of PC1 and PC2).',
      spec: spec(pca, 140, { domain: [0, 1] }, 'run'), table: { columns, rows: pca },
    },
    ...(circ ? [circ] : []),
  ];
}
