/**
 * `parameter_trajectory` (issue 14 §5): parameter-trajectory.ts, one Gram row per checkpoint.
 * At checkpoint i (the run's checkpoints are the files of its checkpoints/ folder; d_j = θ_j − θ_ref
 * with θ_ref the run's first checkpoint, weights flattened in the group layout):
 * Artifact tensors: epochs I32 [i + 1] (the checkpoints j ≤ i, ascending, i last) and
 * gram_embedding, gram_attention, gram_mlp F64 [i + 1] (⟨d_i, d_j⟩ over that part's weights).
 * Summary: { ref_epoch, previous_epoch (null at the first), step_sq: { embedding, attention, mlp }
 * (‖θ_i − θ_prev‖² per part), velocity: { all, embedding, attention, mlp } (‖θ_i − θ_prev‖ /
 * (epoch_i − epoch_prev)) }.
 * The run's PCA (`readParameterTrajectory`) assembles the rows into the n × n Gram matrices and
 * solves the n × n eigenproblems; nothing of it is stored, so it always covers every analysed
 * checkpoint.
 *
 * Earlier checkpoints' d_j are cached per worker (up to CACHE_BYTES), so a worker reads each
 * checkpoint file about once per analysis.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { failure } from '../../errors.js';
import type { ModelConfig } from '../../model/config.js';
import { readSafetensorsFile } from '../../store/safetensors.js';
import type { Store } from '../../store/store.js';
import type { Analyzer, AnalyzerOutput } from '../analyzer.js';
import {
  PART_MATRICES, TRAJECTORY_GROUPS, TRAJECTORY_PARTS, type GroupLayout, type ParameterTrajectory, type TrajectoryGroup,
  type TrajectoryPart, deltaFrom, flattenWeights, gramRow, groupLayout, stepSquared, assembleSymmetric, trajectoryFromGram,
} from '../parameter-trajectory.js';

export const PARAMETER_TRAJECTORY = 'parameter_trajectory';

/** The analyzer's parameters (no option changes its rows). */
export const TRAJECTORY_PARAMS = { version: 1, groups: 'embedding=W_E,W_pos,W_U attention=W_Q,W_K,W_V,W_O mlp=W_in,W_out' } as const;

export interface ParameterTrajectorySummary {
  ref_epoch: number;
  previous_epoch: number | null;
  step_sq: Record<TrajectoryPart, number> | null;
  velocity: Record<TrajectoryGroup, number> | null;
}

const CACHE_BYTES = 512 * 2 ** 20;
const cache = new Map<string, Float32Array>();
let cacheBytes = 0;

function cached(key: string, make: () => Float32Array): Float32Array {
  const hit = cache.get(key);
  if (hit) { cache.delete(key); cache.set(key, hit); return hit; }
  const v = make();
  cache.set(key, v);
  cacheBytes += v.byteLength;
  for (const [k, x] of cache) {
    if (cacheBytes <= CACHE_BYTES || k === key) break;
    cache.delete(k); cacheBytes -= x.byteLength;
  }
  return v;
}

/** A checkpoint file's weights flattened in the group layout (shapes checked against `config`). */
function readWeights(path: string, config: ModelConfig, layout: GroupLayout): Float32Array {
  const f = readSafetensorsFile(path);
  const out = new Float32Array(layout.size);
  let o = 0;
  for (const part of TRAJECTORY_PARTS) for (const m of PART_MATRICES[part]) {
    const x = f.getFloat32(m);
    const want = layoutSize(config, m);
    if (x.length !== want) throw failure(`${path}: tensor ${m} has ${x.length} values, the run's checkpoints ${want}`);
    out.set(x, o); o += x.length;
  }
  return out;
}

function layoutSize(c: ModelConfig, m: string): number {
  const { p, dModel: d, nHeads: H, dHead: dh, dMlp: mlp } = c;
  const sizes: Record<string, number> = {
    'embed.W_E': (p + 1) * d, 'pos_embed.W_pos': 3 * d, 'unembed.W_U': d * p,
    'blocks.0.attn.W_Q': H * d * dh, 'blocks.0.attn.W_K': H * d * dh, 'blocks.0.attn.W_V': H * d * dh, 'blocks.0.attn.W_O': H * dh * d,
    'blocks.0.mlp.W_in': d * mlp, 'blocks.0.mlp.W_out': mlp * d,
  };
  return sizes[m];
}

const EPOCH_FILE = /^epoch-(\d+)\.safetensors$/;

/** The checkpoint files of a run's folder before `epoch`, ascending. */
function earlierCheckpoints(path: string, epoch: number): { epoch: number; path: string }[] {
  const dir = dirname(path);
  const out: { epoch: number; path: string }[] = [];
  for (const name of readdirSync(dir)) {
    const m = EPOCH_FILE.exec(name);
    if (m && Number(m[1]) < epoch) out.push({ epoch: Number(m[1]), path: join(dir, name) });
  }
  return out.sort((a, b) => a.epoch - b.epoch);
}

export const parameterTrajectoryAnalyzer: Analyzer = {
  name: PARAMETER_TRAJECTORY,
  version: TRAJECTORY_PARAMS.version,
  params() { return TRAJECTORY_PARAMS; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const config = ctx.checkpoint.config;
    const layout = groupLayout(config);
    const theta = flattenWeights(ctx.checkpoint.params, new Float32Array(layout.size));
    const epoch = ctx.epoch ?? 0;
    const earlier = ctx.checkpointPath && ctx.epoch !== null ? earlierCheckpoints(ctx.checkpointPath, ctx.epoch) : [];
    const key = (p: string): string => { const st = statSync(p); return `${p}:${st.mtimeMs}:${st.size}`; };
    let ref = theta, refEpoch = epoch, refKey = '';
    if (earlier.length) {
      refKey = key(earlier[0].path);
      ref = cached(`raw|${refKey}`, () => readWeights(earlier[0].path, config, layout));
      refEpoch = earlier[0].epoch;
    }
    const ys = earlier.map((c) => cached(`delta|${refKey}|${key(c.path)}`, () => deltaFrom(readWeights(c.path, config, layout), ref)));
    const di = deltaFrom(theta, ref);
    ys.push(di);
    const row = gramRow(di, ys, layout);
    let summary: ParameterTrajectorySummary = { ref_epoch: refEpoch, previous_epoch: null, step_sq: null, velocity: null };
    if (earlier.length) {
      const prev = earlier[earlier.length - 1];
      const sq = stepSquared(theta, prev === earlier[0] ? ref : readWeights(prev.path, config, layout), layout);
      const gap = epoch - prev.epoch;
      const velocity = {} as Record<TrajectoryGroup, number>;
      for (const g of TRAJECTORY_GROUPS) {
        const s = g === 'all' ? sq.embedding + sq.attention + sq.mlp : sq[g];
        velocity[g] = Math.sqrt(s) / gap;
      }
      summary = { ref_epoch: refEpoch, previous_epoch: prev.epoch, step_sq: sq, velocity };
    }
    const tensors: AnalyzerOutput['tensors'] = {
      epochs: { dtype: 'I32', shape: [ys.length], data: Int32Array.from([...earlier.map((c) => c.epoch), epoch]) },
    };
    for (const part of TRAJECTORY_PARTS) tensors[`gram_${part}`] = { dtype: 'F64', shape: [ys.length], data: row[part] };
    return { summary, tensors };
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
