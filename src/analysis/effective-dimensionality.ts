/**
 * Effective dimensionality of the weight matrices (issue 14 §4; MIScope effective_dimensionality):
 * singular values of W_E, W_pos, W_in, W_out, W_U and of W_Q, W_K, W_V, W_O per head, and each
 * matrix's participation ratio PR = (Σσ²)² / Σσ⁴ as the issue defines it (MIScope's library uses
 * (Σσ)²/Σσ²; both are 1 for rank one and r for r equal singular values — grokbench stores the
 * singular values, so either follows). σ² are the eigenvalues of the smaller Gram matrix AᵀA or
 * AAᵀ, found by Householder tridiagonalisation and the implicit QL iteration (float64).
 */
import type { ParamName, Params } from '../model/params.js';

/** Eigenvalues (descending) of a symmetric n×n matrix (row-major; destroyed): Householder + implicit QL. */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n), e = new Float64Array(n);
  // Householder reduction to tridiagonal form (tred2 without eigenvectors).
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[i * n + k]);
      if (scale === 0) e[i] = a[i * n + l];
      else {
        for (let k = 0; k <= l; k++) { a[i * n + k] /= scale; h += a[i * n + k] ** 2; }
        const f = a[i * n + l];
        const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[i * n + l] = f - g;
        let ff = 0;
        for (let j = 0; j <= l; j++) {
          let gg = 0;
          for (let k = 0; k <= j; k++) gg += a[j * n + k] * a[i * n + k];
          for (let k = j + 1; k <= l; k++) gg += a[k * n + j] * a[i * n + k];
          e[j] = gg / h;
          ff += e[j] * a[i * n + j];
        }
        const hh = ff / (h + h);
        for (let j = 0; j <= l; j++) {
          const fj = a[i * n + j];
          const gj = (e[j] -= hh * fj);
          for (let k = 0; k <= j; k++) a[j * n + k] -= fj * e[k] + gj * a[i * n + k];
        }
      }
    } else e[i] = a[i * n + l];
    d[i] = h;
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  // Implicit QL on the tridiagonal (d, e).
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0, m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m !== l) {
        if (iter++ === 60) throw new Error('symmetricEigenvalues: no convergence');
        let g = (d[l + 1] - d[l]) / (2 * e[l]);
        let r = Math.hypot(g, 1);
        g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1, c = 1, p = 0, i: number;
        for (i = m - 1; i >= l; i--) {
          let f = s * e[i];
          const b = c * e[i];
          e[i + 1] = r = Math.hypot(f, g);
          if (r === 0) { d[i + 1] -= p; e[m] = 0; break; }
          s = f / r; c = g / r;
          g = d[i + 1] - p;
          r = (d[i] - g) * s + 2 * c * b;
          d[i + 1] = g + (p = s * r);
          g = c * r - b;
          f = 0;
        }
        if (r === 0 && i >= l) continue;
        d[l] -= p; e[l] = g; e[m] = 0;
      }
    } while (m !== l);
  }
  return d.sort((x, y) => y - x);
}

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
