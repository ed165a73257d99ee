/**
 * Figures of the frequency-group geometry analyzers (issue 26 item 4; MIScope develop renderers
 * neuron_group_pca.py, freq_group_weight_geometry.py, intragroup_manifold.py), from stored results:
 *   neuron-group-pca-cohesion          each group's top-3 cumulative and PC1 variance share of its W_in
 *                                      vectors over epochs (render_neuron_group_pca_cohesion)
 *   neuron-group-pca-spread            each group's mean distance to its centroid (render_neuron_group_spread)
 *   neuron-group-pca-scatter           the last checkpoint's neurons on their group's PC1 × PC2, coloured
 *                                      by PC3 (render_neuron_group_all_panels), from its artifact
 *   neuron-group-pca-centroids         the groups' centroids over epochs in one PCA frame (MIScope's
 *                                      centroid_pca_coords), from readNeuronGroupPca
 *   freq-group-weight-geometry         SNR, centre spread, mean radius, circularity and Fisher of the groups
 *                                      in W_in and W_out over epochs (render_weight_geometry_timeseries)
 *   freq-group-weight-geometry-pr3     each group's PR₃ in W_in and W_out over epochs
 *   intragroup-manifold-curvature      each group's r2_curvature over epochs, the point's shape its label
 *                                      (render_intragroup_manifold_timeseries)
 *   intragroup-manifold-final          the last checkpoint's r2_curvature per group coloured by shape
 *                                      (render_intragroup_manifold_summary)
 */
import { FREQ_GROUP_WEIGHT_GEOMETRY, FREQ_GROUP_WEIGHT_GEOMETRY_PARAMS, type FreqGroupWeightGeometrySummary, GEOMETRY_SCALARS, WEIGHT_MATRICES } from '../../analysis/analyzers/freq-group-weight-geometry.js';
import { INTRAGROUP_MANIFOLD, INTRAGROUP_MANIFOLD_PARAMS, type IntragroupManifoldSummary } from '../../analysis/analyzers/intragroup-manifold.js';
import { NEURON_GROUP_PCA, NEURON_GROUP_PCA_PARAMS, type NeuronGroupPcaSummary, readNeuronGroupPca } from '../../analysis/analyzers/neuron-group-pca.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import type { AnalysisRow, Store } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { ROW_HEADER as HEADER, VL_CONFIG, VL_SCHEMA, sig, type Cell } from './common.js';
const MATRIX_LABEL = { Win: 'W_in', Wout: 'W_out' } as const;
const SCALAR_LABEL: Record<(typeof GEOMETRY_SCALARS)[number], string> = {
  center_spread: 'centre spread', mean_radius: 'mean radius', snr: 'SNR = spread² / radius²', fisher_mean: 'Fisher mean', fisher_min: 'Fisher min', circularity: 'circularity',
};
const SHAPE_COLOUR = { domain: ['flat/blob', 'bowl', 'saddle'], range: ['#bab0ac', '#4c78a8', '#e45756'] };

const groupLabel = (freq: number, size: number): string => `k=${freq + 1} (n=${size})`;

/** The rows of the latest reference epoch (a run analysed before its last checkpoint was added keeps older ones until re-analysed). */
function latest<S extends { reference_epoch: number }>(rows: AnalysisRow<S>[]): AnalysisRow<S>[] {
  const ref = Math.max(...rows.map((r) => r.summary.reference_epoch));
  return rows.filter((r) => r.summary.reference_epoch === ref);
}

/** A figure of lines over epochs: rows [run, epoch, panel, series, value, dash], one facet per panel. */
function lines(name: string, title: string, caption: string, rows: Cell[][], o: { y: string; dash?: string; independent?: boolean; log?: boolean; domain?: [number, number] }): Figure {
  const values = rows.map(([run, epoch, panel, series, value, dash]) => ({ run, epoch, panel: `${run} · ${panel}`, series, value, dash })).filter((v) => v.value !== null && (!o.log || (v.value as number) > 0));
  const y: Record<string, unknown> = { field: 'value', type: 'quantitative', title: o.y };
  if (o.log) y.scale = { type: 'log' };
  if (o.domain) y.scale = { domain: o.domain };
  const spec = {
    $schema: VL_SCHEMA, config: VL_CONFIG, data: { values },
    facet: { field: 'panel', type: 'nominal', title: null, header: HEADER }, columns: 2,
    ...(o.independent ? { resolve: { scale: { y: 'independent' } } } : {}),
    spec: {
      width: 300, height: 150, mark: { type: 'line', point: !o.dash && values.length < 600 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' }, y,
        color: { field: 'series', type: 'nominal', title: null, scale: { domain: [...new Set(values.map((v) => v.series))], scheme: 'tableau20' } },
        ...(o.dash ? { strokeDash: { field: 'dash', type: 'nominal', title: o.dash, sort: null, legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolStrokeColor: '#555' } } } : {}),
        tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'series' }, ...(o.dash ? [{ field: 'dash' }] : []), { field: 'value' }],
      },
    },
  };
  return { name, section: 'training', title, caption, spec, table: { columns: ['run', 'epoch', 'panel', 'series', 'value', ...(o.dash ? [o.dash] : [])], rows: o.dash ? rows : rows.map((r) => r.slice(0, 5)) } };
}

/** neuron_group_pca: cohesion, spread, the last checkpoint's scatter and the centroid trajectories. */
export function neuronGroupPcaFigures(store: Store, runs: RunData[]): Figure[] {
  const cohesion: Cell[][] = [], spread: Cell[][] = [], scatter: Record<string, unknown>[] = [], cents: Record<string, unknown>[] = [], refs: string[] = [];
  for (const r of runs) {
    const all = store.getAnalyses<NeuronGroupPcaSummary>(r.runId, NEURON_GROUP_PCA, NEURON_GROUP_PCA_PARAMS);
    if (all.length === 0) continue;
    const rows = latest(all), last = rows[rows.length - 1];
    const names = last.summary.group_freqs.map((k, g) => groupLabel(k, last.summary.group_sizes[g]));
    refs.push(`${r.label}: groups of epoch ${last.summary.reference_epoch} (${names.join(', ')})`);
    for (const a of rows) names.forEach((gname, g) => {
      const v = a.summary.pc_var[g];
      cohesion.push([r.label, a.epoch, 'W_in', gname, sig(v.reduce<number>((s, x) => s + (x ?? 0), 0)), 'PC1+PC2+PC3'], [r.label, a.epoch, 'W_in', gname, sig(v[0]), 'PC1']);
      spread.push([r.label, a.epoch, 'W_in', gname, sig(a.summary.mean_spread[g])]);
    });
    if (last.path) {
      const f = readSafetensorsFile(last.path), P = f.getFloat32('projections'), idx = f.getInt32('neuron_group_idx');
      idx.forEach((g, n) => { if (g >= 0 && last.summary.group_sizes[g] >= 3) scatter.push({ run: r.label, panel: `${r.label} · ${names[g]}`, neuron: n, pc1: sig(P[3 * n]), pc2: sig(P[3 * n + 1]), pc3: sig(P[3 * n + 2]) }); });
    }
    const full = readNeuronGroupPca(store, r.runId);
    if (full) full.epochs.forEach((e, i) => names.forEach((gname, g) => {
      const o = (i * names.length + g) * 3;
      cents.push({ run: r.label, epoch: e, group: gname, pc1: sig(full.centroid_pca_coords[o]), pc2: sig(full.centroid_pca_coords[o + 1]) });
    }));
  }
  if (cohesion.length === 0) return [];
  const how = `MIScope neuron_group_pca: the neurons grouped by the argmax of their activation variance fractions (neuron_fourier) at the last checkpoint, frequencies with at least 2 neurons; ${refs.join('; ')}.`;
  const scatterSpec = {
    $schema: VL_SCHEMA, config: VL_CONFIG, data: { values: scatter },
    facet: { field: 'panel', type: 'nominal', title: null, header: HEADER, sort: [...new Set(scatter.map((v) => v.panel as string))] }, columns: 4,
    spec: {
      width: 160, height: 160, mark: { type: 'circle', size: 30, opacity: 0.85 },
      encoding: {
        x: { field: 'pc1', type: 'quantitative', title: 'PC1' }, y: { field: 'pc2', type: 'quantitative', title: 'PC2' },
        color: { field: 'pc3', type: 'quantitative', title: 'PC3', scale: { scheme: 'redblue', domainMid: 0 } },
        tooltip: [{ field: 'run' }, { field: 'neuron' }, { field: 'pc1' }, { field: 'pc2' }, { field: 'pc3' }],
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
  const centSpec = {
    $schema: VL_SCHEMA, config: VL_CONFIG, data: { values: cents },
    facet: { field: 'run', type: 'nominal', title: null, header: HEADER }, columns: 2,
    spec: {
      width: 320, height: 260, layer: [
        { mark: { type: 'line', opacity: 0.7 }, encoding: { order: { field: 'epoch', type: 'quantitative' } } },
        { mark: { type: 'circle', size: 14 }, encoding: { opacity: { field: 'epoch', type: 'quantitative', legend: null, scale: { range: [0.15, 1] } } } },
      ],
      encoding: {
        x: { field: 'pc1', type: 'quantitative', title: 'PC1' }, y: { field: 'pc2', type: 'quantitative', title: 'PC2' },
        color: { field: 'group', type: 'nominal', title: 'group', scale: { domain: [...new Set(cents.map((v) => v.group as string))], scheme: 'tableau20' } },
        tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'group' }, { field: 'pc1' }, { field: 'pc2' }],
      },
    },
  };
  const out = [
    lines('neuron-group-pca-cohesion', 'Frequency groups in W_in: variance share of the top 3 PCs',
      `${how} For each group, the share of its W_in vectors' variance (around the group centroid) on its top 3 principal components together (solid) and on PC1 alone (dashed), at every checkpoint: near 1, the group's neurons lie in a low-dimensional subspace.`,
      cohesion, { y: 'variance explained', dash: 'components', domain: [0, 1] }),
    lines('neuron-group-pca-spread', 'Frequency groups in W_in: mean distance to the group centroid',
      `${how} The mean L2 distance of each group's W_in vectors from their centroid, at every checkpoint.`, spread, { y: 'mean L2 spread' }),
  ];
  if (scatter.length) {
    out.push({ name: 'neuron-group-pca-scatter', section: 'training', title: 'Frequency groups at the last checkpoint: neurons on PC1 × PC2 of their group',
      caption: `${how} Each neuron of a group of at least 3 neurons: its W_in vector minus its group's centroid, on the group's top two principal axes, coloured by the third (the surface intragroup_manifold fits).`,
      spec: scatterSpec, table: { columns: ['run', 'panel', 'neuron', 'pc1', 'pc2', 'pc3'], rows: scatter.map((v) => [v.run, v.panel, v.neuron, v.pc1, v.pc2, v.pc3] as Cell[]) } });
  }
  if (cents.length) {
    out.push({ name: 'neuron-group-pca-centroids', section: 'training', title: 'Frequency groups: centroid trajectories in one PCA frame',
      caption: `${how} Each group's W_in centroid at every checkpoint, on the first two axes of one PCA of all (checkpoint, group) centroids (MIScope centroid_pca_coords); faint early, dark late.`,
      spec: centSpec, table: { columns: ['run', 'epoch', 'group', 'pc1', 'pc2'], rows: cents.map((v) => [v.run, v.epoch, v.group, v.pc1, v.pc2] as Cell[]) } });
  }
  return out;
}

/** freq_group_weight_geometry: the global measures and each group's PR₃, in W_in and W_out. */
export function freqGroupWeightGeometryFigures(store: Store, runs: RunData[]): Figure[] {
  const global: Cell[][] = [], pr3: Cell[][] = [];
  for (const r of runs) {
    const all = store.getAnalyses<FreqGroupWeightGeometrySummary>(r.runId, FREQ_GROUP_WEIGHT_GEOMETRY, FREQ_GROUP_WEIGHT_GEOMETRY_PARAMS);
    if (all.length === 0) continue;
    for (const a of latest(all)) {
      const s = a.summary, names = s.group_freqs.map((k, g) => groupLabel(k, s.group_sizes[g]));
      for (const M of WEIGHT_MATRICES) {
        for (const q of GEOMETRY_SCALARS) global.push([r.label, a.epoch, SCALAR_LABEL[q], MATRIX_LABEL[M], sig(s[`${M}_${q}`])]);
        names.forEach((gname, g) => pr3.push([r.label, a.epoch, `PR3 in ${MATRIX_LABEL[M]}`, gname, sig(s[`${M}_pr3`][g])]));
      }
    }
  }
  if (global.length === 0) return [];
  const how = 'MIScope freq_group_weight_geometry: the MLP neurons as samples, their frequency groups (neuron_group_pca\'s, fixed at the last checkpoint) as classes, in W_in (columns) and W_out (rows) at every checkpoint.';
  return [
    lines('freq-group-weight-geometry', 'Frequency groups in weight space: separation and ring structure',
      `${how} Centre spread = RMS distance of the group centroids from their mean; mean radius = mean RMS radius of the groups; SNR = spread² / radius²; circularity = Kåsa circle score of the centroids' top-2 PCA projection (× its variance share × the PCs' variance balance); Fisher = ‖μ_r − μ_s‖² / (σ_r² + σ_s²) over group pairs (mean, min).`,
      global, { y: 'value', independent: true }),
    lines('freq-group-weight-geometry-pr3', 'Frequency groups in weight space: PR3 of each group',
      `${how} PR3 = (f1 + f2 + f3)² / (f1² + f2² + f3²), f_i the share of the group's variance on its i-th principal component: 1 when the top-3 variance is on one axis, 3 when it is spread evenly over three.`,
      pr3, { y: 'PR3', independent: true }),
  ];
}

/** intragroup_manifold: r2_curvature per group over epochs and at the last checkpoint. */
export function intragroupManifoldFigures(store: Store, runs: RunData[]): Figure[] {
  const series: Record<string, unknown>[] = [], final: Record<string, unknown>[] = [];
  for (const r of runs) {
    const all = store.getAnalyses<IntragroupManifoldSummary>(r.runId, INTRAGROUP_MANIFOLD, INTRAGROUP_MANIFOLD_PARAMS);
    if (all.length === 0) continue;
    const rows = latest(all);
    for (const a of rows) {
      const s = a.summary;
      s.group_freqs.forEach((k, g) => {
        const v = { run: r.label, epoch: a.epoch, group: groupLabel(k, s.group_sizes[g]), r2_curvature: sig(s.r2_curvature[g]), shape: s.shape[g], a: sig(s.a[g]), b: sig(s.b[g]), c: sig(s.c[g]) };
        if (v.r2_curvature !== null) series.push(v);
        if (a === rows[rows.length - 1] && v.r2_curvature !== null) final.push(v);
      });
    }
  }
  if (series.length === 0) return [];
  const how = 'MIScope intragroup_manifold (REQ_092): at every checkpoint, for each frequency group of at least 7 neurons, the least-squares surface PC3 = a·PC1² + b·PC2² + c·PC1·PC2 + d·PC1 + e·PC2 + f of its neurons on the group\'s reference PCA axes (neuron_group_pca), after the plane alone; r2_curvature = R²(quadratic) − R²(plane). Shape: flat/blob below 0.05, else bowl when 4ab − c² > 0, else saddle.';
  const tip = [{ field: 'run' }, { field: 'epoch' }, { field: 'group' }, { field: 'r2_curvature' }, { field: 'shape' }, { field: 'a' }, { field: 'b' }, { field: 'c' }];
  const cols = ['run', 'epoch', 'group', 'r2_curvature', 'shape', 'a', 'b', 'c'];
  const table = (vs: Record<string, unknown>[]) => ({ columns: cols, rows: vs.map((v) => cols.map((c) => v[c] as Cell)) });
  const curveSpec = {
    $schema: VL_SCHEMA, config: VL_CONFIG, data: { values: series },
    facet: { field: 'run', type: 'nominal', title: null, header: HEADER }, columns: 1,
    spec: {
      width: 560, height: 200,
      layer: [{ mark: { type: 'line', opacity: 0.6 } }, { mark: { type: 'point', filled: true, size: 22 }, encoding: { shape: { field: 'shape', type: 'nominal', title: 'shape', scale: { domain: SHAPE_COLOUR.domain } } } }],
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' }, y: { field: 'r2_curvature', type: 'quantitative', title: 'R²_curvature', scale: { domain: [0, 1] } },
        color: { field: 'group', type: 'nominal', title: 'group', scale: { domain: [...new Set(series.map((v) => v.group as string))], scheme: 'tableau20' } }, tooltip: tip,
      },
    },
  };
  const finalSpec = {
    $schema: VL_SCHEMA, config: VL_CONFIG, data: { values: final },
    facet: { field: 'run', type: 'nominal', title: null, header: HEADER }, columns: 2,
    spec: {
      width: 300, height: 180, mark: { type: 'bar' },
      encoding: {
        x: { field: 'group', type: 'nominal', title: 'frequency group', sort: null }, y: { field: 'r2_curvature', type: 'quantitative', title: 'R²_curvature', scale: { domain: [0, 1] } },
        color: { field: 'shape', type: 'nominal', title: 'shape', scale: SHAPE_COLOUR }, tooltip: tip,
      },
    },
  };
  return [
    { name: 'intragroup-manifold-curvature', section: 'training', title: 'Intra-group manifold: R²_curvature of each frequency group over training', caption: `${how} Each group's r2_curvature at every checkpoint; the marker is its shape label.`, spec: curveSpec, table: table(series) },
    { name: 'intragroup-manifold-final', section: 'training', title: 'Intra-group manifold at the last checkpoint: R²_curvature and shape per group', caption: `${how} The last checkpoint's fit per group, coloured by shape.`, spec: finalSpec, table: table(final) },
  ];
}
