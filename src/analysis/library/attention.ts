/**
 * Attention heads (issue 14 §1). The query is the "=" token's, so each head's score of a key
 * token is one table entry (model.ts Tables.S, already scaled by 1/√d_head), and the attention
 * from "=" over [a, b, =] for input (a, b) is softmax(S[h, a], S[h, p + b], S[h, 2p]).
 *   - per head, the p × p maps of attention to a and to b over all p² inputs, their means, and the
 *     attention-to-a map's frequency fractions (the same 2-D modular Fourier transform and 3 × 3
 *     blocks as neuron coarseness, coarseness.ts): dominant frequency argmax_k and specialization
 *     max_k frac_k;
 *   - weights only, as MIScope's attention_fourier: QKᵀ through W_E, (W_E[:p]·W_Q[h])·(W_E[:p]·W_K[h])ᵀ
 *     transformed B·QK·Bᵀ, per frequency the Frobenius norm of its 2 × 2 (sin, cos) block, as shares
 *     of their sum; and V·W_O through W_E, B·W_E[:p]·W_V[h]·W_O[h], per frequency the Frobenius norm
 *     of its (sin, cos) rows, as shares (the issue asks for V·W_O, MIScope's analyzer uses V alone).
 */
import type { Kernels } from '../../engine/kernels.js';
import { computeTables, type Tables } from '../../model/model.js';
import type { Params } from '../../model/params.js';
import { fourierBasis, frequencyCount } from '../../math/basis.js';
import { neuronFourier } from './coarseness.js';
import type { Scratch } from './scratch.js';

export interface AttentionAnalysis {
  /** Scores [H, 2p+1]. */
  scores: Float64Array;
  /** Attention to a and to b: [H, p²] (row a·p + b). */
  toA: Float64Array; toB: Float64Array;
  /** Mean attention to a, b, "=" per head [H, 3]. */
  mean: Float64Array;
  /** Frequency fractions of the attention-to-a map [H, (p−1)/2]. */
  mapFrac: Float64Array;
  dominant: Int32Array; specialization: Float64Array;
  qkFrac: Float64Array; voFrac: Float64Array;
}

/** Attention from "=" to a and to b for every input, from the score table. */
export function attentionMaps(S: ArrayLike<number>, p: number, H: number): { toA: Float64Array; toB: Float64Array } {
  const R = 2 * p + 1;
  const toA = new Float64Array(H * p * p), toB = new Float64Array(H * p * p);
  for (let h = 0; h < H; h++) {
    const se = S[h * R + 2 * p];
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      const sa = S[h * R + a], sb = S[h * R + p + b];
      const mx = Math.max(sa, sb, se);
      const ea = Math.exp(sa - mx), eb = Math.exp(sb - mx), ee = Math.exp(se - mx);
      const z = ea + eb + ee;
      toA[h * p * p + a * p + b] = ea / z;
      toB[h * p * p + a * p + b] = eb / z;
    }
  }
  return { toA, toB };
}

/** C [n, m] = A [n, k] · B [k, m] (or Bᵀ with B [m, k]), float64; B is copied row-major first so the inner loop is contiguous. */
const mul = (A: ArrayLike<number>, B: ArrayLike<number>, n: number, k: number, m: number, transB = false): Float64Array => {
  const Bk = new Float64Array(k * m);
  if (transB) { for (let j = 0; j < m; j++) for (let l = 0; l < k; l++) Bk[l * m + j] = B[j * k + l]; } else for (let i = 0; i < k * m; i++) Bk[i] = B[i];
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const o = i * m;
    for (let l = 0; l < k; l++) {
      const x = A[i * k + l];
      if (x === 0) continue;
      const bo = l * m;
      for (let j = 0; j < m; j++) C[o + j] += x * Bk[bo + j];
    }
  }
  return C;
};

function shares(x: Float64Array): Float64Array {
  const s = x.reduce((a, b) => a + b, 0);
  return s > 0 ? x.map((v) => v / s) : x;
}

/** `tablesIn`: computeTables(k, params) when already computed (shared-forward.ts). */
export function analyseAttention(k: Kernels, params: Params, scratch?: Scratch, tablesIn?: Tables): AttentionAnalysis {
  const { p, dModel: d, nHeads: H, dHead: dh } = params.config;
  const R = 2 * p + 1, nF = frequencyCount(p);
  const tables = tablesIn ?? computeTables(k, params);
  const scores = Float64Array.from(tables.S);
  const { toA, toB } = attentionMaps(scores, p, H);
  const mean = new Float64Array(H * 3);
  for (let h = 0; h < H; h++) {
    let sa = 0, sb = 0;
    for (let i = 0; i < p * p; i++) { sa += toA[h * p * p + i]; sb += toB[h * p * p + i]; }
    mean[h * 3] = sa / (p * p); mean[h * 3 + 1] = sb / (p * p); mean[h * 3 + 2] = 1 - (sa + sb) / (p * p);
  }
  // The maps as columns [p², H] for the neuron transform.
  const cols = k.alloc(p * p * H);
  for (let h = 0; h < H; h++) for (let i = 0; i < p * p; i++) cols[i * H + h] = toA[h * p * p + i];
  const nf = neuronFourier(k, cols, p, H, scratch);
  const mapFrac = new Float64Array(H * nF), dominant = new Int32Array(H), specialization = new Float64Array(H);
  for (let h = 0; h < H; h++) {
    for (let f = 0; f < nF; f++) mapFrac[h * nF + f] = nf.flat[h] ? 0 : nf.frac[f * H + h];
    dominant[h] = nf.flat[h] ? 0 : nf.dominantFrequency[h];
    specialization[h] = nf.flat[h] ? 0 : nf.dominantFraction[h];
  }
  const B = fourierBasis(p);
  const WE = params.t['embed.W_E'].subarray(0, p * d);
  const qkFrac = new Float64Array(H * nF), voFrac = new Float64Array(H * nF);
  // B·QK·Bᵀ = (B·W_E·W_Q)(B·W_E·W_K)ᵀ and B·W_E·W_V·W_O = (B·W_E·W_V)·W_O: B·W_E once, then per head
  // only the [p, d_head] products, and of B·QK·Bᵀ only the 2 × 2 blocks the shares need.
  const BWE = mul(B, WE, p, p, d);
  for (let h = 0; h < H; h++) {
    const sl = (name: 'blocks.0.attn.W_Q' | 'blocks.0.attn.W_K' | 'blocks.0.attn.W_V' | 'blocks.0.attn.W_O') => params.t[name].subarray(h * d * dh, (h + 1) * d * dh);
    const BQ = mul(BWE, sl('blocks.0.attn.W_Q'), p, d, dh), BK = mul(BWE, sl('blocks.0.attn.W_K'), p, d, dh);
    const Fxy = (x: number, y: number): number => { let v = 0; for (let j = 0; j < dh; j++) v += BQ[x * dh + j] * BK[y * dh + j]; return v; };
    const G = mul(mul(BWE, sl('blocks.0.attn.W_V'), p, d, dh), sl('blocks.0.attn.W_O'), p, dh, d);
    const qk = new Float64Array(nF), vo = new Float64Array(nF);
    for (let f = 1; f <= nF; f++) {
      const s = 2 * f - 1, c = 2 * f;
      qk[f - 1] = Math.sqrt(Fxy(s, s) ** 2 + Fxy(s, c) ** 2 + Fxy(c, s) ** 2 + Fxy(c, c) ** 2);
      let v = 0;
      for (let j = 0; j < d; j++) v += G[s * d + j] ** 2 + G[c * d + j] ** 2;
      vo[f - 1] = Math.sqrt(v);
    }
    qkFrac.set(shares(qk), h * nF);
    voFrac.set(shares(vo), h * nF);
  }
  void R;
  return { scores, toA, toB, mean, mapFrac, dominant, specialization, qkFrac, voFrac };
}
