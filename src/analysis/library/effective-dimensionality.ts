/**
 * Effective dimensionality of the weight matrices (issue 14 §4; MIScope effective_dimensionality):
 * singular values of W_E, W_pos, W_in, W_out, W_U and of W_Q, W_K, W_V, W_O per head, and each
 * matrix's participation ratio PR = (Σσ²)² / Σσ⁴ as the issue defines it (MIScope's library uses
 * (Σσ)²/Σσ²; both are 1 for rank one and r for r equal singular values — grokbench stores the
 * singular values, so either follows). σ² are the eigenvalues of the smaller Gram matrix AᵀA or
 * AAᵀ (float64, src/math/linalg.ts).
 */
import type { ParamName, Params } from '../../model/params.js';
import { symmetricEigenvalues } from '../../math/linalg.js';


/** Singular values (descending) of A [rows, cols] (row-major). */
export function singularValues(A: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const n = Math.min(rows, cols);
  const G = new Float64Array(n * n);
  if (cols <= rows) {
    for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) {
      const x = A[r * cols + i];
      if (x !== 0) for (let j = 0; j <= i; j++) G[i * n + j] += x * A[r * cols + j];
    }
  } else {
    for (let i = 0; i < rows; i++) for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += A[i * cols + c] * A[j * cols + c];
      G[i * n + j] = s;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) G[j * n + i] = G[i * n + j];
  return symmetricEigenvalues(G, n).map((x) => Math.sqrt(Math.max(0, x)));
}

/** (Σσ²)² / Σσ⁴; 0 for a zero matrix. */
export function participationRatio(sv: ArrayLike<number>): number {
  let s2 = 0, s4 = 0;
  for (let i = 0; i < sv.length; i++) { const q = sv[i] * sv[i]; s2 += q; s4 += q * q; }
  return s4 > 0 ? (s2 * s2) / s4 : 0;
}

export const EFFDIM_MATRICES = ['W_E', 'W_pos', 'W_Q', 'W_K', 'W_V', 'W_O', 'W_in', 'W_out', 'W_U'] as const;
export type EffdimMatrix = (typeof EFFDIM_MATRICES)[number];

const TENSOR: Record<EffdimMatrix, ParamName> = {
  W_E: 'embed.W_E', W_pos: 'pos_embed.W_pos', W_Q: 'blocks.0.attn.W_Q', W_K: 'blocks.0.attn.W_K', W_V: 'blocks.0.attn.W_V',
  W_O: 'blocks.0.attn.W_O', W_in: 'blocks.0.mlp.W_in', W_out: 'blocks.0.mlp.W_out', W_U: 'unembed.W_U',
};

/** Per matrix, its singular values: [n_heads][…] for the attention matrices, [1][…] otherwise. */
export function weightSpectra(params: Params): Record<EffdimMatrix, Float64Array[]> {
  const { p, dModel: d, nHeads: H, dHead: dh, dMlp: m } = params.config;
  const shape: Record<EffdimMatrix, [number, number, number]> = {
    W_E: [1, p + 1, d], W_pos: [1, 3, d], W_Q: [H, d, dh], W_K: [H, d, dh], W_V: [H, d, dh], W_O: [H, dh, d],
    W_in: [1, d, m], W_out: [1, m, d], W_U: [1, d, p],
  };
  const out = {} as Record<EffdimMatrix, Float64Array[]>;
  for (const name of EFFDIM_MATRICES) {
    const [n, r, c] = shape[name];
    const t = params.t[TENSOR[name]];
    out[name] = Array.from({ length: n }, (_, h) => singularValues(t.subarray(h * r * c, (h + 1) * r * c), r, c));
  }
  return out;
}
