/**
 * Gradient flow at one set of weights (issue 14 §2): one forward and backward pass of the mean
 * training cross-entropy (model.ts lossAndGrad, the exact gradient training uses), then
 *   - per MLP neuron n: ‖∂L/∂W_in[:, n]‖, ‖∂L/∂W_out[n, :]‖ and their root sum of squares;
 *   - MIScope's gradient site (gradient_site.py `_fourier_gradient_by_site`): per-frequency gradient
 *     energy at the embedding, the attention and the MLP, each projected into token space through
 *     W_E[:p] and onto the modular Fourier basis B (basis.ts):
 *       embedding  G = B · ∂L/∂W_E[:p]                      [p, d_model]
 *       attention  G_{h,X} = B · W_E[:p] · ∂L/∂W_X[h]        [p, d_head], X ∈ {Q, K, V}, every head
 *       mlp        G = B · W_E[:p] · ∂L/∂W_in                [p, d_mlp]
 *     energy_k = sqrt(mean over columns c of G[2k−1, c]² + G[2k, c]²), k = 1..(p−1)/2; for the
 *     attention the mean is over the 3·n_heads matrices too (RMS), as MIScope combines them.
 *     The site's magnitude is the L2 norm of its energy vector.
 */
import type { Kernels, Vec } from '../../engine/kernels.js';
import { type Batch, computeTables, GradWorkspace, lossAndGrad, Workspace } from '../../model/model.js';
import { Params } from '../../model/params.js';
import { fourierBasis, frequencyCount } from '../../math/basis.js';

export const GRADIENT_SITES = ['embedding', 'attention', 'mlp'] as const;
export type GradientSite = (typeof GRADIENT_SITES)[number];

export interface GradientFlow {
  loss: number;
  acc: number;
  /** L2 norm of the gradient over all weight matrices (W_*). */
  gradNorm: number;
  neuronIn: Float64Array;
  neuronOut: Float64Array;
  neuron: Float64Array;
  /** Per site, energy per frequency k = 1..(p−1)/2 (index k−1). */
  energy: Record<GradientSite, Float64Array>;
  magnitude: Record<GradientSite, number>;
}

/** Add Σ_c (G[2k−1,c]² + G[2k,c]²) / cols to acc[k−1] for G [p, cols]. */
function accumulateBandPower(G: Vec, p: number, cols: number, acc: Float64Array): void {
  for (let k = 1; k <= frequencyCount(p); k++) {
    let s = 0;
    const r1 = (2 * k - 1) * cols, r2 = 2 * k * cols;
    for (let c = 0; c < cols; c++) s += G[r1 + c] * G[r1 + c] + G[r2 + c] * G[r2 + c];
    acc[k - 1] += s / cols;
  }
}

/** The gradient of the mean training loss at `params` (all parameters, Params-shaped). */
export function trainingGradient(k: Kernels, params: Params, batch: Batch): { grad: Params; loss: number; acc: number } {
  const grad = Params.zeros(params.config, (n) => k.alloc(n));
  const { ws, gw } = workspaces(k, params, batch.n);
  const r = lossAndGrad(k, params, computeTables(k, params), batch, ws, gw, grad);
  return { grad, loss: r.loss, acc: r.acc };
}

/**
 * The forward and backward workspaces of a batch size, kept per engine for the next checkpoint of
 * the same shape (a pipeline worker analyses one run's checkpoints one after the other; fresh
 * ~30 MB per checkpoint at p=113 cost as much garbage collection as the gradient itself).
 */
const kept = new WeakMap<Kernels, { key: string; ws: Workspace; gw: GradWorkspace }>();
function workspaces(k: Kernels, params: Params, n: number): { ws: Workspace; gw: GradWorkspace } {
  const c = params.config, key = `${c.p},${c.dModel},${c.nHeads},${c.dHead},${c.dMlp},${n}`;
  const hit = kept.get(k);
  if (hit && hit.key === key) return hit;
  const made = { key, ws: new Workspace(k, params, n), gw: new GradWorkspace(k, params, n) };
  kept.set(k, made);
  return made;
}

export function gradientFlow(k: Kernels, params: Params, batch: Batch): GradientFlow {
  const { p, dModel: d, nHeads: H, dHead: dh, dMlp: m } = params.config;
  const { grad, loss, acc } = trainingGradient(k, params, batch);
  const g = grad.t;
  let sq = 0;
  for (const name of Object.keys(g) as (keyof typeof g)[]) {
    if (!name.split('.').pop()!.startsWith('W_')) continue;
    for (const v of g[name]) sq += v * v;
  }
  const neuronIn = new Float64Array(m), neuronOut = new Float64Array(m), neuron = new Float64Array(m);
  const gIn = g['blocks.0.mlp.W_in'], gOut = g['blocks.0.mlp.W_out'];
  for (let j = 0; j < d; j++) for (let n = 0; n < m; n++) neuronIn[n] += gIn[j * m + n] ** 2;
  for (let n = 0; n < m; n++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += gOut[n * d + j] ** 2;
    neuronOut[n] = Math.sqrt(s);
    neuron[n] = Math.sqrt(neuronIn[n] + s);
    neuronIn[n] = Math.sqrt(neuronIn[n]);
  }

  const nF = frequencyCount(p);
  const B = k.alloc(p * p);
  B.set(fourierBasis(p));
  const WE = params.t['embed.W_E'].subarray(0, p * d);
  const energy = { embedding: new Float64Array(nF), attention: new Float64Array(nF), mlp: new Float64Array(nF) };
  const cols = Math.max(d, m);
  const T = k.alloc(p * cols), G = k.alloc(p * cols);
  // embedding
  k.gemm(false, false, p, d, p, 1, B, g['embed.W_E'].subarray(0, p * d), 0, G);
  accumulateBandPower(G, p, d, energy.embedding);
  // attention: every head of W_Q, W_K, W_V
  for (const X of ['blocks.0.attn.W_Q', 'blocks.0.attn.W_K', 'blocks.0.attn.W_V'] as const) {
    for (let h = 0; h < H; h++) {
      k.gemm(false, false, p, dh, d, 1, WE, g[X].subarray(h * d * dh, (h + 1) * d * dh), 0, T);
      k.gemm(false, false, p, dh, p, 1, B, T, 0, G);
      accumulateBandPower(G, p, dh, energy.attention);
    }
  }
  for (let i = 0; i < nF; i++) energy.attention[i] /= 3 * H;
  // mlp
  k.gemm(false, false, p, m, d, 1, WE, gIn, 0, T);
  k.gemm(false, false, p, m, p, 1, B, T, 0, G);
  accumulateBandPower(G, p, m, energy.mlp);
  const magnitude = {} as Record<GradientSite, number>;
  for (const s of GRADIENT_SITES) {
    let n2 = 0;
    for (let i = 0; i < nF; i++) { energy[s][i] = Math.sqrt(energy[s][i]); n2 += energy[s][i] ** 2; }
    magnitude[s] = Math.sqrt(n2);
  }
  return { loss, acc, gradNorm: Math.sqrt(sq), neuronIn, neuronOut, neuron, energy, magnitude };
}
