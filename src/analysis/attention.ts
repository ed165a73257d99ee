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
import type { Kernels } from '../engine/kernels.js';
import { computeTables } from '../model/model.js';
import type { Params } from '../model/params.js';
import { fourierBasis, frequencyCount } from './basis.js';
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

const mul = (A: ArrayLike<number>, B: ArrayLike<number>, n: number, k: number, m: number, transB = false): Float64Array => {
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let l = 0; l < k; l++) {
    const x = A[i * k + l];
    if (x === 0) continue;
    for (let j = 0; j < m; j++) C[i * m + j] += x * (transB ? B[j * k + l] : B[l * m + j]);
  }
  return C;
};

function shares(x: Float64Array): Float64Array {
  const s = x.reduce((a, b) => a + b, 0);
  return s > 0 ? x.map((v) => v / s) : x;
}

export function analyseAttention(k: Kernels, params: Params, scratch?: Scratch): AttentionAnalysis {
  const { p, dModel: d, nHeads: H, dHead: dh } = params.config;
  const R = 2 * p + 1, nF = frequencyCount(p);
  const tables = computeTables(k, params);
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
  for (let h = 0; h < H; h++) {
    const sl = (name: 'blocks.0.attn.W_Q' | 'blocks.0.attn.W_K' | 'blocks.0.attn.W_V' | 'blocks.0.attn.W_O') => params.t[name].subarray(h * d * dh, (h + 1) * d * dh);
    const Q = mul(WE, sl('blocks.0.attn.W_Q'), p, d, dh), K = mul(WE, sl('blocks.0.attn.W_K'), p, d, dh);
    const QK = mul(Q, K, p, dh, p, true);
    const F = mul(mul(B, QK, p, p, p), B, p, p, p, true);
    const VO = mul(mul(WE, sl('blocks.0.attn.W_V'), p, d, dh), sl('blocks.0.attn.W_O'), p, dh, d);
    const G = mul(B, VO, p, p, d);
    const qk = new Float64Array(nF), vo = new Float64Array(nF);
    for (let f = 1; f <= nF; f++) {
      const s = 2 * f - 1, c = 2 * f;
      qk[f - 1] = Math.sqrt(F[s * p + s] ** 2 + F[s * p + c] ** 2 + F[c * p + s] ** 2 + F[c * p + c] ** 2);
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
