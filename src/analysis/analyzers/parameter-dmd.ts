/**
 * `parameter_dmd` (issue 26 §3; MIScope develop analyzers/parameter_dmd.py, REQ_117 phase 2), a
 * run analyzer that requires `neuron_grouping`: for each populated group g of the grouping at the
 * reference epoch and each matrix M ∈ {W_in, W_out}, the trajectory over the analysed checkpoints
 * of the group's slice (W_in[:, group] or W_out[group, :], flattened), its global PCA cut at the
 * smallest number of components reaching 95 % of the variance (at most 50), then library/dmd.ts's
 * four stages with activation_dmd's defaults (window min(10, n), stride 1, energy 0.99; tracks;
 * regimes; DMD per regime). UNASSIGNED neurons are in no group.
 *
 * Reference epoch (MIScope _resolve_reference_epoch): the last neuron_grouping row, or the row
 * nearest to the pinned option `parameterDmdReferenceEpoch` (`analyze --parameter-dmd-reference-epoch`).
 *
 * It is a run analyzer, as activation_dmd and for the same reason: the PCA frame depends on every
 * checkpoint and the default partition is the last checkpoint's, so no per-checkpoint value stays
 * valid when a checkpoint is added. Its one row is recomputed when its inputs change (the grouping
 * rows' epochs and artifact checksums, the checkpoints' checksums, the reference epoch:
 * `input_fingerprint`), and reused otherwise.
 *
 * The PCA works through the n × n Gram matrix of each (group, matrix) trajectory (as
 * parameter_trajectory's, library/parameter-trajectory.ts pcaFromGram), accumulated in float64
 * per neuron, so the P × P covariance is never formed.
 *
 * Summary (MIScope's cross_epoch.npz keys group_{g}__{M}__{stage}__{field}, nested): { epochs,
 * reference_epoch, n_groups, populated_groups, group_n_neurons, input_fingerprint, groups: { g: {
 * W_in: { n_components, explained_variance_ratio, windowed, tracks, regimes, per_regime }, W_out }
 * } } with activation_dmd's stage fields. Not kept: the projected trajectory (MIScope's
 * __trajectory; n · k per group and matrix) and the windows' amplitudes.
 *
 * Memory: every analysed checkpoint's W_in and W_out as float32 (n · 2 · d_model · d_mlp · 4 bytes:
 * 132 MB for 251 checkpoints at d_model = 128, d_mlp = 512) while the Gram matrices (groups · 2 ·
 * n² float64, 56 · 2 · 251² · 8 = 56 MB at most) are accumulated; then one (group, matrix) at a time.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { failure } from '../../core/errors.js';
import { readChecksums } from '../../io/checksum.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import { loadCheckpoint } from '../../model/checkpoint.js';
import type { Store } from '../../store/store.js';
import type { AnalysisOptions, RunAnalyzer } from '../protocol/analyzer.js';
import { type ActivationDmdSite, activationDmdSite, projectPcaFromGram } from '../library/dmd.js';
import { UNASSIGNED } from '../library/grouping.js';
import { NEURON_GROUPING, type NeuronGroupingSummary, neuronGroupingParams } from './neuron-grouping.js';

export const PARAMETER_DMD = 'parameter_dmd';
export const PARAMETER_DMD_MATRICES = ['W_in', 'W_out'] as const;
export type ParameterDmdMatrix = (typeof PARAMETER_DMD_MATRICES)[number];

/** MIScope's defaults (mirrored on activation_dmd's). */
export const PARAMETER_DMD_DEFAULTS = { window_size: 10, window_stride: 1, energy_threshold: 0.99, pca_variance_target: 0.95, pca_max_components: 50 } as const;

export function parameterDmdParams(opts: Pick<AnalysisOptions, 'neuronGrouping' | 'parameterDmdReferenceEpoch'>): Record<string, unknown> {
  return { version: 2, ...PARAMETER_DMD_DEFAULTS, reference_epoch: opts.parameterDmdReferenceEpoch ?? 'last', input: neuronGroupingParams(opts) };
}

type WindowedOut = Omit<ActivationDmdSite['windowed'], 'amplitudes_re' | 'amplitudes_im'>;

export interface ParameterDmdMatrixSummary extends Omit<ActivationDmdSite, 'windowed'> {
  n_components: number;
  explained_variance_ratio: number[];
  windowed: WindowedOut;
}

export interface ParameterDmdSummary {
  epochs: number[];
  reference_epoch: number | null;
  n_groups: number;
  populated_groups: number[];
  group_n_neurons: number[];
  input_fingerprint: string;
  /** Keyed by group id; empty when the run has fewer than 2 analysed checkpoints. */
  groups: Record<string, Record<ParameterDmdMatrix, ParameterDmdMatrixSummary>>;
}

/** Parameter DMD of given trajectories: per (group, matrix) the Gram matrix G (n × n) → PCA → DMD stages. */
export function parameterDmdFromGram(G: ArrayLike<number>, n: number): ParameterDmdMatrixSummary {
  const d = PARAMETER_DMD_DEFAULTS;
  const pca = projectPcaFromGram(G, n, d.pca_variance_target, d.pca_max_components);
  const r = activationDmdSite(pca.projections, n, pca.n_components, d.window_size, d.window_stride, d.energy_threshold);
  const { amplitudes_re: _ar, amplitudes_im: _ai, ...windowed } = r.windowed;
  return { n_components: pca.n_components, explained_variance_ratio: pca.explained_variance_ratio, windowed, tracks: r.tracks, regimes: r.regimes, per_regime: r.per_regime };
}

/**
 * The Gram matrices of every (group, matrix) trajectory: W_in [n][d·m] ([d, m] row-major) and
 * W_out [n][m·d]; `groupOf[neuron]` its group or UNASSIGNED. Returns G[g][M] (n × n float64).
 */
export function groupGrams(Win: readonly Float32Array[], Wout: readonly Float32Array[], d: number, m: number, groupOf: ArrayLike<number>, groups: readonly number[]): Map<number, Record<ParameterDmdMatrix, Float64Array>> {
  const n = Win.length;
  const out = new Map(groups.map((g) => [g, { W_in: new Float64Array(n * n), W_out: new Float64Array(n * n) }]));
  const perNeuron = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let k = 0; k <= i; k++) {
    // W_in: column n of [d, m]; dots per neuron accumulated row by row.
    perNeuron.fill(0);
    const a = Win[i], b = Win[k];
    for (let j = 0; j < d; j++) { const o = j * m; for (let q = 0; q < m; q++) perNeuron[q] += a[o + q] * b[o + q]; }
    for (let q = 0; q < m; q++) { const G = out.get(groupOf[q]); if (G) { G.W_in[i * n + k] += perNeuron[q]; } }
    const c = Wout[i], e = Wout[k];
    for (let q = 0; q < m; q++) {
      const G = out.get(groupOf[q]);
      if (!G) continue;
      let s = 0; const o = q * d;
      for (let j = 0; j < d; j++) s += c[o + j] * e[o + j];
      G.W_out[i * n + k] += s;
    }
  }
  for (const G of out.values()) for (const M of PARAMETER_DMD_MATRICES) for (let i = 0; i < n; i++) for (let k = 0; k < i; k++) G[M][k * n + i] = G[M][i * n + k];
  return out;
}

export const parameterDmdAnalyzer: RunAnalyzer = {
  tier: 'run',
  name: PARAMETER_DMD,
  version: 2,
  requires: [NEURON_GROUPING],
  params(opts) { return parameterDmdParams(opts); },
  analyseRun(ctx): ParameterDmdSummary {
    return parameterDmd(ctx.store, ctx.runId, ctx.options);
  },
};

/** The run's parameter DMD from its stored neuron_grouping rows and its checkpoints (reused when its inputs are unchanged). */
export function parameterDmd(store: Store, runId: string, opts: Pick<AnalysisOptions, 'neuronGrouping' | 'parameterDmdReferenceEpoch'>): ParameterDmdSummary {
  const rows = store.getAnalyses<NeuronGroupingSummary>(runId, NEURON_GROUPING, neuronGroupingParams(opts)).filter((r) => r.path && existsSync(r.path));
  const paths = new Map(store.listCheckpoints(runId).map((c) => [c.epoch, c.path]));
  const used = rows.filter((r) => paths.has(r.epoch));
  const epochs = used.map((r) => r.epoch);
  let reference: (typeof used)[number] | undefined = used.at(-1);
  const pinned = opts.parameterDmdReferenceEpoch;
  if (pinned !== undefined) for (const r of used) if (Math.abs(r.epoch - pinned) < Math.abs(reference!.epoch - pinned)) reference = r;
  const h = createHash('sha256');
  h.update(`reference ${reference?.epoch ?? '-'}\n`);
  // Contents only (the grouping artifacts' and the checkpoints' checksums), not paths: a copied store keeps its fingerprints.
  for (const r of used) h.update(`${r.epoch}:${(readChecksums(r.path!) ?? ['-']).join(',')}:${(readChecksums(paths.get(r.epoch)!) ?? ['-']).join(',')}\n`);
  const fingerprint = h.digest('hex');
  const before = store.getAnalyses<ParameterDmdSummary>(runId, PARAMETER_DMD, parameterDmdParams(opts)).at(-1)?.summary;
  if (before && before.input_fingerprint === fingerprint) return before;
  const empty: ParameterDmdSummary = { epochs, reference_epoch: reference?.epoch ?? null, n_groups: reference?.summary.n_groups ?? 0, populated_groups: [], group_n_neurons: [], input_fingerprint: fingerprint, groups: {} };
  if (!reference) return empty;
  const assignments = readSafetensorsFile(reference.path!).getInt32('assignments');
  const nPer = reference.summary.n_per_group;
  const populated = nPer.flatMap((c, g) => (c > 0 ? [g] : []));
  const out: ParameterDmdSummary = { ...empty, populated_groups: populated, group_n_neurons: populated.map((g) => nPer[g]) };
  if (epochs.length < 2) return out;
  const Win: Float32Array[] = [], Wout: Float32Array[] = [];
  let d = 0, m = 0;
  for (const e of epochs) {
    const params = loadCheckpoint(paths.get(e)!).params;
    ({ dModel: d, dMlp: m } = params.config);
    if (assignments.length !== m) throw failure(`epoch ${e}: d_mlp ${m} does not match the reference grouping's ${assignments.length} neurons`);
    Win.push(Float32Array.from(params.t['blocks.0.mlp.W_in']));
    Wout.push(Float32Array.from(params.t['blocks.0.mlp.W_out']));
  }
  const groupOf = Int32Array.from(assignments, (g) => (g === UNASSIGNED ? UNASSIGNED : g));
  const grams = groupGrams(Win, Wout, d, m, groupOf, populated);
  Win.length = 0; Wout.length = 0;
  for (const g of populated) {
    const G = grams.get(g)!;
    out.groups[String(g)] = { W_in: parameterDmdFromGram(G.W_in, epochs.length), W_out: parameterDmdFromGram(G.W_out, epochs.length) };
    grams.delete(g);
  }
  return out;
}
