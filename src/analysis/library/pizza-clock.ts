/**
 * Pizza or clock (Zhong, Liu, Tegmark, Andreas 2023, "The Clock and the Pizza: Two Stories in
 * Mechanistic Explanation of Neural Networks"): the paper's two measures, as its released
 * evaluation notebook (github.com/fjzzq2002/pizza, code/eval-main.ipynb) computes them.
 *
 * Distance irrelevance. Q(a, b) = the logit of the correct answer c = (a + b) mod p at input
 * (a, b), arranged as M[s, d] with s = (a + b) mod p, d = (a − b) mod p (a bijection for odd p);
 *   q = mean_d std_s M[s, d] / std M        (population standard deviations, numpy's default)
 * the notebook's `np.mean(np.std(oo, axis=0)) / np.std(oo.flatten())`. A pizza's correct logit
 * depends on the distance a − b (|cos(w(a−b)/2)|), so q is small; a clock's does not (q ≈ 1).
 * (The paper's train-main.py stores a variant on the largest incorrect logit; the notebook's
 * correct-logit form is the one described in the paper and used here.)
 *
 * Gradient symmetricity. For input-output triples (a, b, c): the cosine similarity of the gradients
 * of the output logit Q_abc with respect to the input vectors of a and of b (the notebook takes
 * the gradient with respect to the embedding output at positions 0 and 1, which here is
 * ∂Q/∂x₀ and ∂Q/∂x₁, x_j = W_E[tok_j] + W_pos[j]), averaged over the triples. The notebook draws
 * 100 triples uniformly from p³ (Python random, seed 42); here the caller gives one output c per
 * input pair, so every pair (a, b) is used once (analyzers/pizza-clock.ts draws c uniformly,
 * seeded). With uniform attention the last position depends on x₀ and x₁ only through their sum,
 * so the two gradients coincide: symmetricity 1 (the pizza's attention-free regime); the clock
 * needs attention to multiply and its gradients are not symmetric.
 *
 * The gradient, exactly (one layer, attention from "=" with constant query q_h):
 *   g_r = ∂Q_c/∂r = W_U[:, c] + W_in · (1[pre > 0] ⊙ (W_out W_U)[:, c])         (r: residual after attention)
 *   ∂Q_c/∂x_j = Σ_h w_hj · ( W_V^h (W_O^h g_r) + κ_h · (O_hj − Ō_h)·g_r ),  κ_h = W_K^h q_h / √d_head,
 * with w_hj the attention weights, O_hj = (x_j W_V^h + b_V^h) W_O^h the head's value output of
 * position j and Ō_h = Σ_j w_hj O_hj. The products over all pairs run as GEMMs on the engine
 * (float32: N·d_mlp·d_model, then N·d_model·(H·d_head + H) per position); the cosines in float64.
 *
 * Classification (ours: the paper draws its phase diagrams from the two measures but states no
 * cut): pizza when gradient symmetricity ≥ 0.98 and distance irrelevance < 0.6, clock when
 * symmetricity < 0.98 and irrelevance ≥ 0.6, mixed when the two disagree; none while the model does
 * not yet compute the task (accuracy on all p² pairs below 0.99: no algorithm to classify). In the
 * paper's released table of 1-layer runs (result/1l_fixedwidth.csv, its gradient_sim and
 * distance_irrelevance columns; runs with validation accuracy ≥ 0.99, circularity ≥ 0.99, no "="
 * token), these cuts name the 143 runs at attention rate ≥ 0.9 clock 140, mixed 3, pizza 0, and the
 * 169 at attention rate < 0.1 pizza 134, mixed 29, clock 6.
 */
import type { Kernels } from '../../engine/kernels.js';
import type { Forward } from '../../model/model.js';
import type { Params } from '../../model/params.js';
import { checkOddP } from '../../math/basis.js';
import type { Scratch } from './scratch.js';

export const PIZZA_CLOCK_RULES = {
  /** Gradient symmetricity at or above: pizza-like. */
  symmetricity: 0.98,
  /** Distance irrelevance at or above: clock-like. */
  irrelevance: 0.6,
  /** Accuracy on all p² pairs below which no algorithm is named. */
  accuracy: 0.99,
} as const;

export type Algorithm = 'pizza' | 'clock' | 'mixed';

/** The paper's distance irrelevance from logits [p², p] (row a·p + b); null when the correct logits are all equal. */
export function distanceIrrelevance(logits: ArrayLike<number>, p: number): number | null {
  checkOddP(p);
  const M = new Float64Array(p * p); // M[s·p + d]
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const s = (a + b) % p, d = (a - b + p) % p;
    M[s * p + d] = logits[(a * p + b) * p + s];
  }
  const std = (get: (i: number) => number, n: number): number => {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += get(i);
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (get(i) - mean) ** 2;
    return Math.sqrt(v / n);
  };
  const all = std((i) => M[i], p * p);
  if (!(all > 0)) return null;
  let within = 0;
  for (let d = 0; d < p; d++) within += std((s) => M[s * p + d], p);
  return within / p / all;
}

export interface GradientSymmetricity {
  /** Mean cosine over the pairs (null when a gradient vanishes everywhere). */
  mean: number | null;
  /** Per pair (row a·p + b): cos(∂Q/∂x₀, ∂Q/∂x₁) for its class; NaN where a gradient is zero. */
  cosine: Float64Array;
}

/**
 * Gradient symmetricity over all p² pairs, pair i with output classes[i], from the shared forward
 * pass of the checkpoint over all pairs in row order a·p + b (its attention weights and MLP
 * activations, and its per-token tables).
 */
export function gradientSymmetricity(k: Kernels, params: Params, f: Forward, classes: Int32Array, scratch?: Scratch): GradientSymmetricity {
  const { p, dModel: d, nHeads: H, dHead: dh, dMlp: m } = params.config;
  const N = p * p, R = 2 * p + 1, W = H * dh + H;
  if (f.batch.n !== N) throw new Error(`gradientSymmetricity: the forward pass has ${f.batch.n} samples, expected p² = ${N}`);
  if (classes.length !== N) throw new Error(`gradientSymmetricity: ${classes.length} classes, expected p² = ${N}`);
  const t = params.t;
  const vec = (name: string, n: number) => (scratch ? scratch.vec(k, name, n) : k.alloc(n));
  const WoutU = f.tables.WoutU, WU = t['unembed.W_U'];
  // g_r for every pair: Z = mask ⊙ (W_out W_U)[:, c_i], G = Z W_inᵀ + W_U[:, c_i].
  const WoutUT = vec('gsym.woutut', p * m);
  for (let n = 0; n < m; n++) for (let c = 0; c < p; c++) WoutUT[c * m + n] = WoutU[n * p + c];
  const Z = vec('gsym.z', N * m), G = vec('gsym.g', N * d);
  const post = f.post;
  for (let i = 0; i < N; i++) {
    const c = classes[i];
    if (!(c >= 0 && c < p)) throw new Error(`gradientSymmetricity: class ${c} of pair ${i} outside 0..${p - 1}`);
    Z.set(WoutUT.subarray(c * m, (c + 1) * m), i * m);
  }
  k.reluBackward(N * m, post, Z); // post = relu(pre) > 0 exactly where pre > 0
  k.gemm(false, true, N, d, m, 1, Z, t['blocks.0.mlp.W_in'], 0, G);
  for (let i = 0; i < N; i++) { const c = classes[i]; for (let j = 0; j < d; j++) G[i * d + j] += WU[j * p + c]; }
  // T[i, (h, e)] = (W_O^h g_r)_e for every head at once (W_O is [(h, e), d]).
  const T = vec('gsym.t', N * H * dh);
  k.gemm(false, true, N, H * dh, d, 1, G, t['blocks.0.attn.W_O'], 0, T);
  // ∂Q/∂x_j = [w_hj T_h | w_hj (o_hj − ō_h)]_h · [W_V^hᵀ ; κ_hᵀ]_h with o_hj = O_hj·g_r = V_hj·T_h
  // (O_hj = V_hj W_O^h): one GEMM per position over the stacked heads. Bt [d, W] holds the
  // stacked right-hand side transposed: Bt[j, (h, e)] = W_V^h[j, e], Bt[j, H·dh + h] = κ_h[j].
  const Bt = vec('gsym.b', d * W);
  const WV = t['blocks.0.attn.W_V'], WK = t['blocks.0.attn.W_K'], q = f.tables.q, V = f.tables.V;
  const scale = 1 / Math.sqrt(dh);
  for (let h = 0; h < H; h++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let e = 0; e < dh; e++) { Bt[j * W + h * dh + e] = WV[(h * d + j) * dh + e]; s += WK[(h * d + j) * dh + e] * q[h * dh + e]; }
    Bt[j * W + H * dh + h] = s * scale;
  }
  const A0 = vec('gsym.a0', N * W), A1 = vec('gsym.a1', N * W);
  for (let i = 0; i < N; i++) {
    const ra = f.batch.a[i] * dh, rb = (p + f.batch.b[i]) * dh, re = 2 * p * dh;
    for (let h = 0; h < H; h++) {
      const w0 = f.w[(i * H + h) * 3], w1 = f.w[(i * H + h) * 3 + 1], w2 = f.w[(i * H + h) * 3 + 2];
      const Vh = h * R * dh, To = i * H * dh + h * dh, Ao = i * W + h * dh;
      let o0 = 0, o1 = 0, o2 = 0;
      for (let e = 0; e < dh; e++) {
        const x = T[To + e];
        o0 += V[Vh + ra + e] * x; o1 += V[Vh + rb + e] * x; o2 += V[Vh + re + e] * x;
        A0[Ao + e] = w0 * x; A1[Ao + e] = w1 * x;
      }
      const ob = w0 * o0 + w1 * o1 + w2 * o2;
      A0[i * W + H * dh + h] = w0 * (o0 - ob);
      A1[i * W + H * dh + h] = w1 * (o1 - ob);
    }
  }
  const g0 = vec('gsym.g0', N * d), g1 = vec('gsym.g1', N * d);
  k.gemmBatch([[false, true, N, d, W, 1, A0, Bt, 0, g0], [false, true, N, d, W, 1, A1, Bt, 0, g1]]);
  const cosine = new Float64Array(N);
  let sum = 0, n = 0;
  for (let i = 0; i < N; i++) {
    let xy = 0, xx = 0, yy = 0;
    for (let e = 0; e < d; e++) { const x = g0[i * d + e], y = g1[i * d + e]; xy += x * y; xx += x * x; yy += y * y; }
    const c = xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : NaN;
    cosine[i] = c;
    if (!Number.isNaN(c)) { sum += c; n++; }
  }
  return { mean: n ? sum / n : null, cosine };
}

/** Accuracy of logits [p², p] on all pairs (first maximum wins). */
export function allPairsAccuracy(logits: ArrayLike<number>, p: number): number {
  let correct = 0;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const off = (a * p + b) * p;
    let best = 0;
    for (let c = 1; c < p; c++) if (logits[off + c] > logits[off + best]) best = c;
    if (best === (a + b) % p) correct++;
  }
  return correct / (p * p);
}

/** The algorithm the two measures name (rules above); null while the model does not compute the task or a measure is undefined. */
export function classifyAlgorithm(symmetricity: number | null, irrelevance: number | null, accuracy: number): Algorithm | null {
  if (symmetricity === null || irrelevance === null || accuracy < PIZZA_CLOCK_RULES.accuracy) return null;
  const pizzaLike = symmetricity >= PIZZA_CLOCK_RULES.symmetricity, clockLike = irrelevance >= PIZZA_CLOCK_RULES.irrelevance;
  if (pizzaLike && !clockLike) return 'pizza';
  if (!pizzaLike && clockLike) return 'clock';
  return 'mixed';
}
