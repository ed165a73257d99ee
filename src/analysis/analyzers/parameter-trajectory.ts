/**
 * `parameter_trajectory` (issue 14 §5), a cross-epoch analyzer: parameter-trajectory.ts, one Gram
 * row per checkpoint. At checkpoint i of the run (its indexed checkpoints in epoch order; d_j =
 * θ_j − θ_ref with θ_ref the run's first checkpoint, weights flattened in the group layout):
 * Artifact tensors: epochs I32 [i + 1] (the checkpoints j ≤ i, ascending, i last) and
 * gram_embedding, gram_attention, gram_mlp F64 [i + 1] (⟨d_i, d_j⟩ over that part's weights).
 * Summary: { ref_epoch, previous_epoch (null at the first), step_sq: { embedding, attention, mlp }
 * (‖θ_i − θ_prev‖² per part), velocity: { all, embedding, attention, mlp } (‖θ_i − θ_prev‖ /
 * (epoch_i − epoch_prev)) }.
 * The run's PCA (`readParameterTrajectory`) assembles the rows into the n × n Gram matrices and
 * solves the n × n eigenproblems; nothing of it is stored, so it always covers every analysed
 * checkpoint.
 *
 * One call reads the run's checkpoints once, in order, up to the last epoch to analyse, and holds
 * their d_j for that call only: memory 4 · n · (weights) bytes, about 0.9 MB per checkpoint at
 * p = 113 (226 MB for MIScope's 251 checkpoints), freed when the call returns.
 */
import { existsSync } from 'node:fs';
import { failure } from '../../core/errors.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import { loadCheckpoint } from '../../model/checkpoint.js';
import type { ModelConfig } from '../../config/config.js';
import type { Store } from '../../store/store.js';
import type { AnalyzerOutput, CrossEpochAnalyzer } from '../protocol/analyzer.js';
import {
  TRAJECTORY_GROUPS, TRAJECTORY_PARTS, type ParameterTrajectory, type TrajectoryGroup,
  type TrajectoryPart, deltaFrom, flattenWeights, gramRow, groupLayout, stepSquared, assembleSymmetric, trajectoryFromGram,
} from '../library/parameter-trajectory.js';

export const PARAMETER_TRAJECTORY = 'parameter_trajectory';

/** The analyzer's parameters (no option changes its rows). */
export const TRAJECTORY_PARAMS = { version: 1, groups: 'embedding=W_E,W_pos,W_U attention=W_Q,W_K,W_V,W_O mlp=W_in,W_out' } as const;

export interface ParameterTrajectorySummary {
  ref_epoch: number;
  previous_epoch: number | null;
  step_sq: Record<TrajectoryPart, number> | null;
  velocity: Record<TrajectoryGroup, number> | null;
}

/** The row of checkpoint i: θ_i, the run's deltas d_0..d_i and θ_{i−1} (null at the first). */
export function trajectoryRow(
  epochs: readonly number[], deltas: readonly Float32Array[], theta: Float32Array, previous: Float32Array | null, config: ModelConfig,
): AnalyzerOutput {
  const layout = groupLayout(config);
  const i = deltas.length - 1, epoch = epochs[i];
  const row = gramRow(deltas[i], deltas, layout);
  let summary: ParameterTrajectorySummary = { ref_epoch: epochs[0], previous_epoch: null, step_sq: null, velocity: null };
  if (i > 0 && previous) {
    const sq = stepSquared(theta, previous, layout);
    const gap = epoch - epochs[i - 1];
    const velocity = {} as Record<TrajectoryGroup, number>;
    for (const g of TRAJECTORY_GROUPS) velocity[g] = Math.sqrt(g === 'all' ? sq.embedding + sq.attention + sq.mlp : sq[g]) / gap;
    summary = { ref_epoch: epochs[0], previous_epoch: epochs[i - 1], step_sq: sq, velocity };
  }
  const tensors: AnalyzerOutput['tensors'] = { epochs: { dtype: 'I32', shape: [i + 1], data: Int32Array.from(epochs.slice(0, i + 1)) } };
  for (const part of TRAJECTORY_PARTS) tensors[`gram_${part}`] = { dtype: 'F64', shape: [i + 1], data: row[part] };
  return { summary, tensors };
}

export const parameterTrajectoryAnalyzer: CrossEpochAnalyzer = {
  tier: 'cross_epoch',
  name: PARAMETER_TRAJECTORY,
  version: TRAJECTORY_PARAMS.version,
  requires: [],
  params() { return TRAJECTORY_PARAMS; },
  analyseEpochs(ctx, emit) {
    const last = Math.max(...ctx.todo);
    const epochs: number[] = [];
    const deltas: Float32Array[] = [];
    let ref: Float32Array | null = null, previous: Float32Array | null = null, config: ModelConfig | null = null;
    for (const cp of ctx.checkpoints) {
      if (cp.epoch > last) break;
      const loaded = loadCheckpoint(cp.path);
      config ??= loaded.config;
      const theta = flattenWeights(loaded.params);
      ref ??= theta;
      if (theta.length !== ref.length) throw failure(`${cp.path}: ${theta.length} weights, the run's first checkpoint ${ref.length}`);
      epochs.push(cp.epoch);
      deltas.push(deltaFrom(theta, ref));
      if (ctx.todo.has(cp.epoch)) emit(cp.epoch, trajectoryRow(epochs, deltas, theta, previous, config));
      previous = theta;
    }
  },
};

/**
 * The run's parameter trajectory from its stored rows (the checkpoints analysed with the current
 * parameters, in epoch order). Null when the run has none. Rows are used up to the first that does
 * not fit the ones before it (a checkpoint between them not analysed yet, or a row computed against
 * other checkpoints); `rowsLeftOut` counts the rest.
 */
export function readParameterTrajectory(store: Store, runId: string, nComponents?: number): (ParameterTrajectory & { rowsLeftOut: number }) | null {
  const rows = store.getAnalyses<ParameterTrajectorySummary>(runId, PARAMETER_TRAJECTORY, TRAJECTORY_PARAMS);
  if (rows.length === 0) return null;
  const ref = rows[0].summary.ref_epoch;
  const epochs: number[] = [];
  const grams = {} as Record<TrajectoryPart, Float64Array[]>;
  const steps = {} as Record<TrajectoryPart, number[]>;
  for (const part of TRAJECTORY_PARTS) { grams[part] = []; steps[part] = []; }
  for (const r of rows) {
    const i = epochs.length;
    if (r.summary.ref_epoch !== ref || !r.path || !existsSync(r.path)) break;
    if (i > 0 && (r.summary.previous_epoch !== epochs[i - 1] || !r.summary.step_sq)) break;
    const f = readSafetensorsFile(r.path);
    const where = new Map(Array.from(f.getInt32('epochs'), (e, k) => [e, k]));
    const idx = [...epochs, r.epoch].map((e) => where.get(e));
    if (idx.some((k) => k === undefined)) break;
    for (const part of TRAJECTORY_PARTS) {
      const g = f.getFloat64(`gram_${part}`);
      grams[part].push(Float64Array.from(idx, (k) => g[k!]));
      if (i > 0) steps[part].push(r.summary.step_sq![part]);
    }
    epochs.push(r.epoch);
  }
  if (epochs.length === 0) return null;
  const gram = {} as Record<TrajectoryPart, Float64Array>;
  for (const part of TRAJECTORY_PARTS) gram[part] = assembleSymmetric(grams[part]);
  return { ...trajectoryFromGram(epochs, gram, steps, nComponents), rowsLeftOut: rows.length - epochs.length };
}
