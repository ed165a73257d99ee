/**
 * Parameter trajectory (issue 14 §5), after MIScope's parameter_trajectory analyzer
 * (analysis/analyzers/parameter_trajectory_pca.py, library/trajectory.py): PCA of the flattened
 * weights over a run's checkpoints for four groups, and their velocity.
 *
 * Groups (MIScope's COMPONENT_GROUPS, library/weights.py; its "all" is every weight matrix):
 *   all        W_E, W_pos, W_Q, W_K, W_V, W_O, W_in, W_out, W_U
 *   embedding  W_E, W_pos, W_U   (MIScope puts the unembedding with the embeddings: "token
 *                                 representation space"; grokbench keeps that choice so the paths
 *                                 compare with MIScope's)
 *   attention  W_Q, W_K, W_V, W_O
 *   mlp        W_in, W_out
 * Biases are left out, as in MIScope (they are frozen unless --train-biases).
 *
 * PCA is sklearn's PCA(n_components = min(10, n)) on the n checkpoint vectors θ_i of a group, done
 * through the n × n Gram matrix instead of the P × P covariance: with X_c the centred data,
 * K = X_c X_cᵀ = H G H (H = I − 11ᵀ/n, G the Gram matrix of the vectors), K = U Λ Uᵀ; then the
 * explained variance of component c is λ_c/(n − 1), its ratio λ_c/Σλ = λ_c/trace K, and the
 * coordinates of checkpoint i are X_c v_c = U_ic √λ_c. G is accumulated in float64 from
 * d_i = θ_i − θ_0 (the first checkpoint; centring makes the result independent of that shift, which
 * only keeps the entries small). Each component's sign makes its largest |coordinate| positive
 * (sklearn's svd_flip on U, as in sklearn < 1.5). The eigenproblem of K is Householder
 * tridiagonalisation + implicit QL with eigenvectors (float64).
 *
 * Velocity (MIScope compute_parameter_velocity with epochs): ‖θ_{i+1} − θ_i‖ / (epoch_{i+1} − epoch_i)
 * per consecutive pair, from the float32 weights subtracted in float64.
 *
 * The Gram matrices are accumulated per disjoint part (embedding, attention, mlp; "all" is their
 * sum) one row per checkpoint, so the analysis is incremental like any checkpoint analysis: the
 * analyzer (analyzers/parameter-trajectory.ts) stores at each checkpoint its row ⟨d_i, d_j⟩ for the
 * earlier checkpoints j ≤ i and its step from the previous one; the run's PCA is then an n × n
 * eigenproblem on the assembled rows (`readParameterTrajectory` there).
 */
import { symmetricEigensystem } from '../../math/linalg.js';
import type { ModelConfig } from '../../config/config.js';
import { paramShapes, type ParamName, type Params } from '../../model/params.js';

export const TRAJECTORY_GROUPS = ['all', 'embedding', 'attention', 'mlp'] as const;
export type TrajectoryGroup = (typeof TRAJECTORY_GROUPS)[number];
/** The disjoint groups whose Gram matrices are accumulated; "all" is their sum. */
export const TRAJECTORY_PARTS = ['embedding', 'attention', 'mlp'] as const;
export type TrajectoryPart = (typeof TRAJECTORY_PARTS)[number];

export const PART_MATRICES: Record<TrajectoryPart, ParamName[]> = {
  embedding: ['embed.W_E', 'pos_embed.W_pos', 'unembed.W_U'],
  attention: ['blocks.0.attn.W_Q', 'blocks.0.attn.W_K', 'blocks.0.attn.W_V', 'blocks.0.attn.W_O'],
  mlp: ['blocks.0.mlp.W_in', 'blocks.0.mlp.W_out'],
};

/** MIScope: n_components = min(10, n_checkpoints). */
export const MAX_COMPONENTS = 10;

export interface GroupLayout {
  /** Length of the flattened vector [embedding | attention | mlp]. */
  size: number;
  bounds: Record<TrajectoryPart, [number, number]>;
}

export function groupLayout(config: ModelConfig): GroupLayout {
  const sizes = new Map(paramShapes(config).map((s) => [s.name, s.shape.reduce((a, b) => a * b, 1)]));
  const bounds = {} as Record<TrajectoryPart, [number, number]>;
  let o = 0;
  for (const part of TRAJECTORY_PARTS) {
    const start = o;
    for (const m of PART_MATRICES[part]) o += sizes.get(m)!;
    bounds[part] = [start, o];
  }
  return { size: o, bounds };
}

/** The weights of a checkpoint flattened in group order (float32, as stored). */
export function flattenWeights(params: Params, out = new Float32Array(groupLayout(params.config).size)): Float32Array {
  let o = 0;
  for (const part of TRAJECTORY_PARTS) for (const m of PART_MATRICES[part]) { out.set(params.t[m], o); o += params.t[m].length; }
  return out;
}

/** d = θ − ref, each difference (float64) rounded to float32. */
export function deltaFrom(theta: Float32Array, ref: Float32Array): Float32Array {
  const d = new Float32Array(theta.length);
  for (let t = 0; t < d.length; t++) d[t] = theta[t] - ref[t];
  return d;
}

/** ‖a − b‖² per part, the float32 values subtracted in float64. */
export function stepSquared(a: Float32Array, b: Float32Array, layout: GroupLayout): Record<TrajectoryPart, number> {
  const out = {} as Record<TrajectoryPart, number>;
  for (const part of TRAJECTORY_PARTS) {
    const [s, e] = layout.bounds[part];
    let acc = 0;
    for (let t = s; t < e; t++) { const d = a[t] - b[t]; acc += d * d; }
    out[part] = acc;
  }
  return out;
}

const CHUNK = 2048;

/**
 * One row of the Gram matrices: per part, ⟨x, y_j⟩ for every y_j of `ys` (float64 sums of float32
 * products). x is read in chunks that stay in L1 while the y_j stream past, four at a time.
 */
export function gramRow(x: Float32Array, ys: readonly Float32Array[], layout: GroupLayout): Record<TrajectoryPart, Float64Array> {
  const out = {} as Record<TrajectoryPart, Float64Array>;
  const n = ys.length;
  for (const part of TRAJECTORY_PARTS) {
    const [s, e] = layout.bounds[part];
    const row = new Float64Array(n);
    for (let c = s; c < e; c += CHUNK) {
      const ce = Math.min(e, c + CHUNK);
      let j = 0;
      for (; j + 3 < n; j += 4) {
        const y0 = ys[j], y1 = ys[j + 1], y2 = ys[j + 2], y3 = ys[j + 3];
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (let t = c; t < ce; t++) { const v = x[t]; a0 += v * y0[t]; a1 += v * y1[t]; a2 += v * y2[t]; a3 += v * y3[t]; }
        row[j] += a0; row[j + 1] += a1; row[j + 2] += a2; row[j + 3] += a3;
      }
      for (; j < n; j++) {
        const y = ys[j];
        let a0 = 0;
        for (let t = c; t < ce; t++) a0 += x[t] * y[t];
        row[j] += a0;
      }
    }
    out[part] = row;
  }
  return out;
}

/** The symmetric n × n matrix from its rows (row i holds entries 0..i). */
export function assembleSymmetric(rows: readonly ArrayLike<number>[]): Float64Array {
  const n = rows.length, G = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) G[i * n + j] = G[j * n + i] = rows[i][j];
  return G;
}

export interface GroupTrajectory {
  pca: Pca;
  /** ‖θ_{i+1} − θ_i‖ / (epoch_{i+1} − epoch_i) [n − 1]. */
  velocity: Float64Array;
}

export interface ParameterTrajectory {
  epochs: number[];
  groups: Record<TrajectoryGroup, GroupTrajectory>;
}

/**
 * PCA and velocity of every group from the parts' Gram matrices (n × n, of vectors sharing one
 * shift) and the squared steps between consecutive checkpoints [n − 1] per part.
 */
export function trajectoryFromGram(
  epochs: readonly number[], gram: Record<TrajectoryPart, Float64Array>, stepSq: Record<TrajectoryPart, ArrayLike<number>>, nComponents = MAX_COMPONENTS,
): ParameterTrajectory {
  const n = epochs.length;
  const groups = {} as Record<TrajectoryGroup, GroupTrajectory>;
  for (const g of TRAJECTORY_GROUPS) {
    const parts: readonly TrajectoryPart[] = g === 'all' ? TRAJECTORY_PARTS : [g];
    const G = new Float64Array(n * n);
    for (const part of parts) { const P = gram[part]; for (let i = 0; i < n * n; i++) G[i] += P[i]; }
    const velocity = new Float64Array(Math.max(0, n - 1));
    for (let i = 0; i + 1 < n; i++) {
      let sq = 0;
      for (const part of parts) sq += stepSq[part][i];
      const gap = epochs[i + 1] - epochs[i];
      velocity[i] = gap > 0 ? Math.sqrt(sq) / gap : 0;
    }
    groups[g] = { pca: pcaFromGram(G, n, nComponents), velocity };
  }
  return { epochs: [...epochs], groups };
}

export interface Pca {
  /** Components kept: min(nComponents, n). */
  k: number;
  /** λ_c/(n − 1) [k]. */
  explainedVariance: Float64Array;
  /** λ_c/Σλ [k]. */
  explainedVarianceRatio: Float64Array;
  /** Total variance Σλ/(n − 1). */
  totalVariance: number;
  /** Coordinates [n, k] row-major. */
  projections: Float64Array;
}

/** PCA of n vectors from their Gram matrix G (n × n, any common shift of the vectors). */
export function pcaFromGram(G: ArrayLike<number>, n: number, nComponents = MAX_COMPONENTS): Pca {
  const k = Math.min(nComponents, n);
  const K = new Float64Array(n * n);
  const row = new Float64Array(n);
  let all = 0;
  for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < n; j++) s += G[i * n + j]; row[i] = s / n; all += s; }
  all /= n * n;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K[i * n + j] = G[i * n + j] - row[i] - row[j] + all;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += Math.max(0, K[i * n + i]);
  const { values, vectors } = symmetricEigensystem(K, n);
  const dof = Math.max(1, n - 1);
  const explainedVariance = new Float64Array(k), explainedVarianceRatio = new Float64Array(k), projections = new Float64Array(n * k);
  for (let c = 0; c < k; c++) {
    const lam = Math.max(0, values[c]);
    explainedVariance[c] = lam / dof;
    explainedVarianceRatio[c] = trace > 0 ? lam / trace : 0;
    const r = Math.sqrt(lam);
    let big = 0;
    for (let i = 0; i < n; i++) if (Math.abs(vectors[i * n + c]) > Math.abs(vectors[big * n + c])) big = i;
    const sign = vectors[big * n + c] < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) projections[i * k + c] = sign * r * vectors[i * n + c];
  }
  return { k, explainedVariance, explainedVarianceRatio, totalVariance: trace / dof, projections };
}

