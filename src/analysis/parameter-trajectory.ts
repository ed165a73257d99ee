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
import type { ModelConfig } from '../model/config.js';
import { paramShapes, type ParamName, type Params } from '../model/params.js';

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

/**
 * Eigenvalues (descending) and eigenvectors (columns of `vectors`, row-major n × n) of a symmetric
 * matrix: Householder tridiagonalisation and the implicit QL iteration with accumulated
 * transformations (tred2/tql2 as in JAMA / EISPACK).
 */
export function symmetricEigensystem(A: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  const V: Float64Array[] = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => A[i * n + j]));
  const d = new Float64Array(n), e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: new Float64Array(0) };
  // tred2
  for (let j = 0; j < n; j++) d[j] = V[n - 1][j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0, h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) { d[j] = V[i - 1][j]; V[i][j] = 0; V[j][i] = 0; }
    } else {
      for (let k = 0; k < i; k++) { d[k] /= scale; h += d[k] * d[k]; }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j][i] = f;
        g = e[j] + V[j][j] * f;
        for (let k = j + 1; k <= i - 1; k++) { g += V[k][j] * d[k]; e[k] += V[k][j] * f; }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) { e[j] /= h; f += e[j] * d[j]; }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j]; g = e[j];
        for (let k = j; k <= i - 1; k++) V[k][j] -= f * e[k] + g * d[k];
        d[j] = V[i - 1][j];
        V[i][j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[n - 1][i] = V[i][i];
    V[i][i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k][i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k][i + 1] * V[k][j];
        for (let k = 0; k <= i; k++) V[k][j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k][i + 1] = 0;
  }
  for (let j = 0; j < n; j++) { d[j] = V[n - 1][j]; V[n - 1][j] = 0; }
  V[n - 1][n - 1] = 1;
  e[0] = 0;
  // tql2
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0, tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) { if (Math.abs(e[m]) <= eps * tst1) break; m++; }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error('symmetricEigensystem: no convergence');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1, c2 = c, c3 = c, s = 0, s2 = 0;
        const el1 = e[l + 1];
        for (let i = m - 1; i >= l; i--) {
          c3 = c2; c2 = c; s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r; c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < n; k++) {
            h = V[k][i + 1];
            V[k][i + 1] = s * V[k][i] + c * h;
            V[k][i] = c * V[k][i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[b] - d[a]);
  const values = Float64Array.from(order, (i) => d[i]);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) vectors[r * n + c] = V[r][order[c]];
  return { values, vectors };
}
